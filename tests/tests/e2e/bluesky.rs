//! Bluesky end to end, against the real reference PDS and a local PLC directory: an ambassador
//! connects their account with an app password through the accounts page, shares a hub item,
//! and the record read back from the PDS has the text, exact byte facets for the link and the
//! tag, and the link card; a share retried after a worker died is published once. The same
//! over atproto OAuth: PAR, PKCE, DPoP-bound tokens, the PDS's sign-in and consent driven by
//! sending what its page sends; and the client metadata document Chorus serves.

use std::time::Duration;

use chorus_tests::shares::{queue_now, wait_for_state};
use chorus_tests::world::BlueskyWorld;
use chorus_tests::{Client, PdsAccount, TestApp, TestAppOptions};
use serde_json::{Value, json};

const POSTS: &str = "app.bsky.feed.post";

/// A PDS account with an app password for Chorus, connected by `client` through the form.
async fn connect(world: &BlueskyWorld, client: &Client, name: &str) -> PdsAccount {
    chorus_tests::world::connect_bluesky(&world.pds, client, name).await
}

/// The text a facet's byte range covers.
fn covered(text: &str, facet: &Value) -> String {
    let start = usize::try_from(facet["index"]["byteStart"].as_u64().unwrap()).unwrap();
    let end = usize::try_from(facet["index"]["byteEnd"].as_u64().unwrap()).unwrap();
    String::from_utf8(text.as_bytes()[start..end].to_vec()).expect("a range on char boundaries")
}

#[tokio::test]
async fn an_ambassador_connects_bluesky_with_an_app_password_and_publishes_with_facets_and_a_link_card()
 {
    let w = BlueskyWorld::start(TestAppOptions::default()).await;
    let ana = w.app.ambassador("ana@example.org").await;
    let page = ana.get("/hub/accounts").await.body;
    assert!(
        page.contains("Bluesky, with an app password") && page.contains(r#"name="app_password""#),
        "the accounts page offers the app-password form: {page}"
    );

    // A wrong app password is refused in plain words, and connects nothing.
    let stranger = w.pds.create_account("someone").await;
    let refused = ana
        .post_form(
            "/hub/accounts/connect/bluesky",
            &[
                ("identifier", &stranger.did),
                ("app_password", "wxyz-wxyz-wxyz-wxyz"),
                ("server", ""),
            ],
        )
        .await;
    assert!(
        refused
            .location()
            .starts_with("/hub/accounts?error=bluesky_sign_in&network="),
        "{}",
        refused.location()
    );
    let page = ana.get_follow(&refused.location()).await.body;
    assert!(page.contains("Bluesky did not accept this handle or DID and app password"));
    // What was typed is kept, in the app-password form opened again; never the password.
    assert!(
        page.contains(&format!(r#"value="{}""#, stranger.did)),
        "{page}"
    );
    assert!(page.contains(r#"<details class="app-password" open>"#));
    assert!(!page.contains("wxyz-wxyz-wxyz-wxyz"));
    assert!(
        !w.app.log().contains("wxyz-wxyz-wxyz-wxyz"),
        "nor in the log"
    );

    let user = connect(&w, &ana, "ana").await;
    let account = ana.share_account_id(w.item, "bluesky").await;
    let text = "Proud of our Lyon team ✨ https://example.com/solar #employee";
    queue_now(&ana, w.item, &[(&account, text)]).await;
    let history = wait_for_state(&ana, "published", 1).await;

    let records = w.pds.list_records(&user.did, POSTS).await;
    assert_eq!(records.len(), 1, "exactly one post: {records:?}");
    let record = &records[0];
    let post_url = format!(
        "https://bsky.app/profile/{}/post/{}",
        user.did,
        record.rkey()
    );
    assert!(
        history.contains(&post_url),
        "the history links the post: {history}"
    );

    // Chorus sends the share's own tracked link in place of the item's link.
    let sent = record.value["text"].as_str().unwrap();
    let tracked = sent
        .split_whitespace()
        .find(|word| word.contains("/l/"))
        .unwrap_or_else(|| panic!("a tracked link in {sent}"));
    assert!(tracked.starts_with(&w.app.base_url), "{tracked}");
    assert_eq!(
        sent,
        text.replace("https://example.com/solar", tracked),
        "the text as written, with its tracked link"
    );
    let facets = record.value["facets"].as_array().expect("facets");
    assert_eq!(facets.len(), 2, "{facets:?}");
    assert_eq!(covered(sent, &facets[0]), tracked);
    assert_eq!(
        facets[0]["features"],
        json!([{"$type": "app.bsky.richtext.facet#link", "uri": tracked}])
    );
    assert_eq!(covered(sent, &facets[1]), "#employee");
    assert_eq!(
        facets[1]["features"],
        json!([{"$type": "app.bsky.richtext.facet#tag", "tag": "employee"}])
    );
    let card = &record.value["embed"];
    assert_eq!(card["$type"], "app.bsky.embed.external");
    assert_eq!(card["external"]["uri"], tracked);
    assert_eq!(card["external"]["title"], "Lyon's solar plant opens");
    assert_eq!(
        card["external"]["description"],
        "Ten hectares of panels by the Rhône."
    );
    // The item's preview image, fetched by Chorus and uploaded to the PDS as the card's image.
    let thumb = &card["external"]["thumb"];
    assert_eq!(thumb["mimeType"], "image/png", "{card}");
    let cid = thumb["ref"]["$link"].as_str().expect("a blob reference");
    assert_eq!(
        w.pds.get_blob(&user.did, cid).await,
        chorus_tests::TINY_PNG,
        "the image Chorus fetched"
    );
    assert!(w.site.hits("/solar.png") >= 1);
    assert_eq!(record.value["langs"], json!(["en"]));

    // The worker keeps running: nothing is posted a second time.
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(w.pds.list_records(&user.did, POSTS).await.len(), 1);
}

#[tokio::test]
async fn a_bluesky_share_left_sending_by_a_dead_worker_is_retried_with_its_record_key_and_published_once()
 {
    // The server runs no worker: the test starts and kills them.
    let w = BlueskyWorld::start(
        TestAppOptions::default()
            .env("CHORUS_WORKER", "false")
            .env("CHORUS_SHARE_LEASE_SECONDS", "1"),
    )
    .await;
    let ana = w.app.ambassador("ana@example.org").await;
    let user = connect(&w, &ana, "ana").await;
    let account = ana.share_account_id(w.item, "bluesky").await;
    for (round, point) in ["answered", "claimed"].into_iter().enumerate() {
        let text = format!("Killed at {point}, my own words #solar");
        queue_now(&ana, w.item, &[(&account, &text)]).await;
        let doomed = w
            .app
            .spawn_worker(&format!("a-{point}"), &[("CHORUS_TEST_CRASH_POINT", point)]);
        assert!(
            doomed
                .wait_for_log("crash point reached", Duration::from_secs(30))
                .await,
            "worker A never reached {point}: {}",
            doomed.log()
        );
        let created_before_the_crash = w.pds.list_records(&user.did, POSTS).await.len();
        assert_eq!(
            created_before_the_crash,
            round + usize::from(point == "answered"),
            "killed at {point}"
        );
        doomed.kill().await;
        let survivor = w.app.spawn_worker(&format!("b-{point}"), &[]);
        let history = wait_for_state(&ana, "published", round + 1).await;
        if point == "answered" {
            assert!(
                survivor
                    .wait_for_log("not created twice", Duration::from_secs(5))
                    .await,
                "the retry found the record under its key: {}",
                survivor.log()
            );
        }
        survivor.kill().await;
        let records = w.pds.list_records(&user.did, POSTS).await;
        let matching: Vec<_> = records
            .iter()
            .filter(|r| r.value["text"] == text.as_str())
            .collect();
        assert_eq!(matching.len(), 1, "killed at {point}: one post, never two");
        let url = format!(
            "https://bsky.app/profile/{}/post/{}",
            user.did,
            matching[0].rkey()
        );
        assert!(history.contains(&url), "{history}");
    }
}

/// Starts a Bluesky OAuth sign-in for `did` from the accounts page; returns the PDS's
/// authorization page address.
async fn start_oauth(w: &BlueskyWorld, client: &Client, did: &str) -> String {
    let started = client
        .post_form(
            "/hub/accounts/connect/bluesky/oauth",
            &[("identifier", did), ("server", "")],
        )
        .await;
    // A page naming the server sends the person on (a form may not redirect off-site).
    assert_eq!(started.status, 200, "{}\n{}", started.body, w.app.log());
    let authorize = chorus_tests::client::meta_refresh(&started.body).expect("sent on to the PDS");
    assert!(
        authorize.starts_with(&format!("{}/oauth/authorize?", w.pds.pds_url)),
        "sent to the PDS's authorization page: {authorize}\n{}",
        w.app.log()
    );
    let url = url::Url::parse(&authorize).unwrap();
    let client_id = url
        .query_pairs()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let redirect = format!("{}/hub/accounts/callback/bluesky", w.app.base_url);
    assert_eq!(
        client_id,
        format!(
            "http://localhost?redirect_uri={}&scope=atproto%20transition%3Ageneric",
            url::form_urlencoded::byte_serialize(redirect.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        ),
        "the loopback client"
    );
    assert!(
        url.query_pairs()
            .any(|(k, v)| k == "request_uri" && v.starts_with("urn:ietf:params:oauth:request_uri:")),
        "{authorize}"
    );
    authorize
}

#[tokio::test]
async fn an_ambassador_connects_bluesky_over_oauth_with_dpop_and_publishes_a_link_and_a_hashtag() {
    let w = BlueskyWorld::start(TestAppOptions::default()).await;
    let ana = w.app.ambassador("ana@example.org").await;
    let page = ana.get("/hub/accounts").await.body;
    let oauth_form = page
        .find(r#"action="/hub/accounts/connect/bluesky/oauth""#)
        .expect("the OAuth form");
    let password_form = page
        .find(r#"action="/hub/accounts/connect/bluesky""#)
        .expect("the app-password form");
    assert!(oauth_form < password_form, "OAuth is offered first");
    // Forms stay on Chorus, the accounts page included: the sign-in goes on from a page.
    let policy = ana
        .get("/hub/accounts")
        .await
        .header("content-security-policy");
    assert!(policy.contains("form-action 'self';"), "{policy}");
    assert!(page.contains("Sign in with Bluesky"));
    assert!(page.contains("Bluesky, with an app password (for servers without Bluesky sign-in)"));
    let user = w.pds.create_account("ana").await;

    // An answer claiming to come from another issuer is refused, and connects nothing.
    let authorize = start_oauth(&w, &ana, &user.did).await;
    let callback = w.pds.approve(&authorize, &user).await;
    let issuer = format!(
        "iss={}",
        url::form_urlencoded::byte_serialize(w.pds.pds_url.as_bytes()).collect::<String>()
    );
    assert!(callback.contains(&issuer), "{callback}");
    let forged = callback.replace(&issuer, "iss=https%3A%2F%2Fevil.example");
    assert!(
        ana.get(&forged)
            .await
            .location()
            .starts_with("/hub/accounts?error=state&network=bluesky")
    );
    assert!(!ana.get("/hub/accounts").await.body.contains("ana.test"));

    let authorize = start_oauth(&w, &ana, &user.did).await;
    let callback = w.pds.approve(&authorize, &user).await;
    assert!(
        callback.starts_with(&format!(
            "{}/hub/accounts/callback/bluesky?",
            w.app.base_url
        )),
        "back to Chorus on 127.0.0.1: {callback}"
    );
    // Another person (another session) cannot use this state.
    let ben = w.app.ambassador("ben@example.org").await;
    assert!(
        ben.get(&callback)
            .await
            .location()
            .starts_with("/hub/accounts?error=state&network=bluesky")
    );
    // That attempt used the state up: start once more for ana.
    let authorize = start_oauth(&w, &ana, &user.did).await;
    let callback = w.pds.approve(&authorize, &user).await;
    let done = ana.get(&callback).await;
    assert_eq!(
        done.location(),
        "/hub/accounts?done=connected&network=bluesky",
        "{}",
        w.app.log()
    );
    assert_eq!(
        ana.get(&callback).await.location(),
        "/hub/accounts?error=state&network=bluesky#bluesky",
        "a state is used once"
    );
    let page = ana.get("/hub/accounts").await.body;
    assert!(
        page.contains("ana.test"),
        "the handle from the DID document: {page}"
    );

    let account = ana.share_account_id(w.item, "bluesky").await;
    let text = "Our Lyon plant ✨ https://example.com/solar #solar";
    queue_now(&ana, w.item, &[(&account, text)]).await;
    let history = wait_for_state(&ana, "published", 1).await;
    let records = w.pds.list_records(&user.did, POSTS).await;
    assert_eq!(records.len(), 1, "exactly one post: {records:?}");
    let record = &records[0];
    assert!(
        history.contains(&format!(
            "https://bsky.app/profile/{}/post/{}",
            user.did,
            record.rkey()
        )),
        "{history}"
    );
    let sent = record.value["text"].as_str().unwrap();
    let tracked = sent
        .split_whitespace()
        .find(|word| word.contains("/l/"))
        .unwrap_or_else(|| panic!("a tracked link in {sent}"));
    assert_eq!(sent, text.replace("https://example.com/solar", tracked));
    let facets = record.value["facets"].as_array().expect("facets");
    assert_eq!(facets.len(), 2, "{facets:?}");
    assert_eq!(covered(sent, &facets[0]), tracked);
    assert_eq!(
        facets[0]["features"],
        json!([{"$type": "app.bsky.richtext.facet#link", "uri": tracked}])
    );
    assert_eq!(covered(sent, &facets[1]), "#solar");
    assert_eq!(
        facets[1]["features"],
        json!([{"$type": "app.bsky.richtext.facet#tag", "tag": "solar"}])
    );
    let log = w.app.log();
    assert!(log.contains("account connected over OAuth"), "{log}");
    for secret in ["code=", "DPoP ey", "refresh_token"] {
        assert!(!log.contains(secret), "{secret} in the log");
    }
}

#[tokio::test]
async fn chorus_serves_its_bluesky_client_metadata_document_on_a_public_address() {
    let app = TestApp::spawn_with(
        TestAppOptions::default().env("CHORUS_BASE_URL", "https://chorus.example"),
    )
    .await;
    let answer = app
        .client()
        .get("/oauth/bluesky/client-metadata.json")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json")
    );
    let document: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        document,
        json!({
            "client_id": "https://chorus.example/oauth/bluesky/client-metadata.json",
            "client_name": "Chorus",
            "client_uri": "https://chorus.example",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "atproto transition:generic",
            "redirect_uris": ["https://chorus.example/hub/accounts/callback/bluesky"],
            "dpop_bound_access_tokens": true,
            "token_endpoint_auth_method": "none",
        })
    );
    // On a loopback address Chorus is the loopback client: there is no document.
    let local = TestApp::spawn().await;
    assert_eq!(
        local
            .client()
            .get("/oauth/bluesky/client-metadata.json")
            .await
            .status,
        404
    );
}

/// Connects `user` through the OAuth path.
async fn connect_oauth(w: &BlueskyWorld, client: &Client, user: &PdsAccount) {
    let authorize = start_oauth(w, client, &user.did).await;
    let callback = w.pds.approve(&authorize, user).await;
    assert_eq!(
        client.get(&callback).await.location(),
        "/hub/accounts?done=connected&network=bluesky",
        "{}",
        w.app.log()
    );
}

/// The `expires_at` of every connected account, as stored.
async fn stored_expiries(app: &TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait as _, Statement};
    let db = sea_orm::Database::connect(app.database_url())
        .await
        .unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(expires_at AS TEXT) AS e FROM connected_accounts",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "e").unwrap())
        .collect()
}

#[tokio::test]
async fn an_oauth_account_about_to_expire_is_refreshed_with_dpop_before_publishing_and_revoked_on_disconnect()
 {
    let w = BlueskyWorld::start(TestAppOptions::default()).await;
    let ana = w.app.ambassador("ana@example.org").await;
    let user = w.pds.create_account("ana").await;
    connect_oauth(&w, &ana, &user).await;
    let before = stored_expiries(&w.app).await;
    assert_eq!(before.len(), 1);
    assert!(
        before[0].as_str() > "2026",
        "an expiry from expires_in: {before:?}"
    );

    // The token is about to expire: the worker refreshes it before publishing.
    {
        use sea_orm::ConnectionTrait as _;
        let db = sea_orm::Database::connect(w.app.database_url())
            .await
            .unwrap();
        db.execute_unprepared(
            "UPDATE connected_accounts SET expires_at = '2000-01-01 00:00:00+00:00'",
        )
        .await
        .unwrap();
    }
    let account = ana.share_account_id(w.item, "bluesky").await;
    queue_now(&ana, w.item, &[(&account, "Refreshed first #solar")]).await;
    wait_for_state(&ana, "published", 1).await;
    let after = stored_expiries(&w.app).await;
    assert!(
        after[0].as_str() > "2026",
        "the refresh stored a new expiry: {after:?}\n{}",
        w.app.log()
    );
    let page = ana.get("/hub/accounts").await.body;
    assert!(
        !page.contains("needs reconnecting"),
        "the refresh was accepted: {}",
        w.app.log()
    );
    assert_eq!(w.pds.list_records(&user.did, POSTS).await.len(), 1);

    // Disconnecting revokes the tokens at the PDS's authorization server.
    let id = page
        .split("/hub/accounts/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let gone = ana
        .post_form(&format!("/hub/accounts/{id}/disconnect"), &[])
        .await;
    assert_eq!(gone.location(), "/hub/accounts");
    assert!(!ana.get("/hub/accounts").await.body.contains("ana.test"));
    let log = w.app.log();
    assert!(!log.contains("revocation failed"), "{log}");
    assert!(!log.contains("refresh refused"), "{log}");
}
