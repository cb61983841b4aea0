//! Connecting one's own accounts over OAuth, against contract-enforcing stand-ins.

use chorus_tests::standins::{Mastodon, StandIn, X};
use chorus_tests::{Client, TestApp, TestAppOptions};

async fn app_with_x(x: &StandIn<X>) -> TestApp {
    TestApp::spawn_with(TestAppOptions::default().env("CHORUS_X_BASE_URL", x.base_url())).await
}

/// Follows redirects across Chorus and the stand-in like a browser; returns the last page.
async fn follow_everywhere(client: &Client, path: &str) -> chorus_tests::Page {
    client.connect_follow(path).await
}

fn bearer_tokens(requests: &[chorus_tests::standins::RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_ambassador_connects_an_x_account_with_pkce_and_the_minimum_scopes() {
    let x: StandIn<X> = StandIn::start().await;
    let app = app_with_x(&x).await;
    let client_app = x.register_client(&app.url("/hub/accounts/callback/x"));
    let admin = app.signed_in("boss@example.org", "admin").await;
    let ana = app.ambassador("ana@example.org").await;

    let before = ana.get("/hub/accounts").await;
    assert!(
        before.body.contains(r#"data-unavailable="x""#),
        "no credentials yet: shown as unavailable"
    );
    assert!(before.body.contains(r#"data-unavailable="linkedin""#));
    // Each network's card carries its mark, drawn inline (shipped in the binary, no request).
    for network in ["bluesky", "mastodon", "linkedin", "x", "threads"] {
        let mark = format!(
            r#"<span class="network-mark network-{network}" aria-hidden="true"><svg viewBox="0 0 24 24""#
        );
        assert!(before.body.contains(&mark), "no mark for {network}");
    }
    assert_eq!(before.body.matches("<path d=\"M").count(), 5);
    let saved = admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "x"),
                ("client_id", &client_app.client_id),
                (
                    "client_secret",
                    client_app.client_secret.as_deref().unwrap_or(""),
                ),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/admin/networks?done=saved");
    let networks_page = admin.get("/admin/networks").await;
    assert!(
        !networks_page
            .body
            .contains(client_app.client_secret.as_deref().unwrap_or("never")),
        "secrets are never shown"
    );
    assert!(
        ana.get("/hub/accounts")
            .await
            .body
            .contains(r#"data-connect="x""#)
    );

    // A GET (a link, a prefetch) starts nothing: back to X's card.
    let link = ana.get("/hub/accounts/connect/x").await;
    assert_eq!(link.location(), "/hub/accounts#x");
    let start = ana.connect("/hub/accounts/connect/x").await;
    assert_eq!(start.status, 200, "the page that sends the person on to X");
    let authorize = start.next();
    assert!(
        authorize.starts_with(x.base_url()) && authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let done = follow_everywhere(&ana, "/hub/accounts/connect/x").await;
    assert_eq!(done.path(), "/hub/accounts", "{}", done.body);
    assert!(
        done.body
            .contains("account connected: it is offered on every share page."),
        "{}",
        done.body
    );
    assert!(done.body.contains(&x.default_user().username));

    let asked = x.authorizations();
    let policy_scopes: Vec<String> =
        chorus_ambassador::policy::scopes::scopes(chorus_ambassador::policy::Network::X)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    assert!(asked.iter().all(|a| a.scopes == policy_scopes), "{asked:?}");

    // The token never reaches a page, and is sealed at rest.
    let tokens = bearer_tokens(&x.requests());
    assert!(!tokens.is_empty());
    for token in &tokens {
        assert!(!done.body.contains(token.as_str()));
        if !app.is_postgres() {
            let db = std::fs::read(app.dir().join("chorus.db")).unwrap();
            let wal = std::fs::read(app.dir().join("chorus.db-wal")).unwrap_or_default();
            let contains = |bytes: &[u8]| bytes.windows(token.len()).any(|w| w == token.as_bytes());
            assert!(
                !contains(&db) && !contains(&wal),
                "the token is stored in clear"
            );
        }
    }
}

#[tokio::test]
async fn a_state_is_single_use_and_bound_to_the_session_that_started_it() {
    let x: StandIn<X> = StandIn::start().await;
    let app = app_with_x(&x).await;
    let client_app = x.register_client(&app.url("/hub/accounts/callback/x"));
    let admin = app.signed_in("boss@example.org", "admin").await;
    admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "x"),
                ("client_id", &client_app.client_id),
                (
                    "client_secret",
                    client_app.client_secret.as_deref().unwrap_or(""),
                ),
            ],
        )
        .await;
    let ana = app.ambassador("ana@example.org").await;
    let ben = app.ambassador("ben@example.org").await;

    // Ana starts; the network answers to Ana's callback, but Ben's browser carries it.
    let authorize = ana.connect("/hub/accounts/connect/x").await.next();
    let callback = ana.get(&authorize).await.location();
    assert!(callback.contains("/hub/accounts/callback/x?"), "{callback}");
    let stolen = ben.get(&callback).await;
    assert!(
        stolen
            .location()
            .starts_with("/hub/accounts?error=state&network="),
        "{}",
        stolen.location()
    );
    // The state was consumed by that attempt: Ana's own use fails too, nothing is connected.
    let replay = ana.get(&callback).await;
    assert!(
        replay
            .location()
            .starts_with("/hub/accounts?error=state&network="),
        "{}",
        replay.location()
    );
    let page = ana.get(&replay.location()).await;
    assert!(
        page.body
            .contains("The X connection attempt expired or did not start here")
    );
    assert!(!page.body.contains("/disconnect\""));
    // A refusal at the network comes back in plain words.
    let denied = ana
        .get("/hub/accounts/callback/x?error=access_denied&state=x")
        .await;
    assert!(
        denied
            .location()
            .starts_with("/hub/accounts?error=denied&network="),
        "{}",
        denied.location()
    );
}

#[tokio::test]
async fn mastodon_is_registered_once_per_instance_and_disconnecting_revokes_the_token() {
    let mastodon: StandIn<Mastodon> = StandIn::start().await;
    let app = TestApp::spawn_with(
        TestAppOptions::default().env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let ana = app.ambassador("ana@example.org").await;
    let bad = ana
        .connect("/hub/accounts/connect/mastodon?instance=ftp%3A%2F%2Fnope")
        .await;
    // The failure names the network, says why, and keeps what was typed.
    assert_eq!(
        bad.location(),
        "/hub/accounts?error=instance&network=mastodon&instance=ftp%3A%2F%2Fnope#mastodon"
    );
    let kept = ana.get(&bad.location()).await.body;
    assert!(
        kept.contains("Mastodon: this is not a server address"),
        "{kept}"
    );
    assert!(kept.contains(r#"value="ftp://nope""#), "{kept}");

    let instance: String =
        url::form_urlencoded::byte_serialize(mastodon.base_url().as_bytes()).collect();
    let done = ana
        .connect_follow(&format!(
            "/hub/accounts/connect/mastodon?instance={instance}"
        ))
        .await;
    assert!(
        done.body
            .contains("account connected: it is offered on every share page."),
        "{}",
        done.body
    );
    let ben = app.ambassador("ben@example.org").await;
    let again = ben
        .connect_follow(&format!(
            "/hub/accounts/connect/mastodon?instance={instance}"
        ))
        .await;
    assert!(
        again
            .body
            .contains("account connected: it is offered on every share page.")
    );
    let registrations = mastodon
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/apps")
        .count();
    assert_eq!(registrations, 1, "one app per instance, reused");

    let tokens = bearer_tokens(&mastodon.requests());
    let page = ana.get("/hub/accounts").await;
    let marker = "/hub/accounts/";
    let id: String = page
        .body
        .split(marker)
        .filter_map(|rest| rest.split('/').next())
        .find(|id| id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty())
        .unwrap()
        .to_owned();
    let gone = ana
        .post_form(&format!("/hub/accounts/{id}/disconnect"), &[])
        .await;
    assert_eq!(gone.location(), "/hub/accounts");
    assert!(
        mastodon
            .requests()
            .iter()
            .any(|r| r.path == "/oauth/revoke"),
        "revoked at the network"
    );
    assert!(
        !ana.get("/hub/accounts")
            .await
            .body
            .contains("/disconnect\"")
    );
    // Ben cannot disconnect Ana's accounts (nor see them).
    assert_eq!(
        ben.post_form(&format!("/hub/accounts/{id}/disconnect"), &[])
            .await
            .status,
        404
    );
    assert!(!tokens.is_empty());
}

/// The Mastodon server is typed by a person: an address outside the public internet is refused
/// before anything is sent to it (names are refused once resolved, by the connectors' client).
#[tokio::test]
async fn a_mastodon_server_on_a_private_address_is_refused_before_anything_is_sent() {
    let app = TestApp::spawn().await;
    let ana = app.ambassador("ana@example.org").await;
    for instance in [
        "https://10.1.2.3",
        "https://127.0.0.1:8443",
        "https://[::1]",
        "https://169.254.169.254",
        "192.168.1.20",
    ] {
        let typed: String = url::form_urlencoded::byte_serialize(instance.as_bytes()).collect();
        let answer = ana
            .connect(&format!("/hub/accounts/connect/mastodon?instance={typed}"))
            .await;
        assert!(
            answer
                .location()
                .starts_with("/hub/accounts?error=private&network=mastodon&instance="),
            "{instance}: {}",
            answer.location()
        );
    }
    let page = ana
        .get("/hub/accounts?error=private&network=mastodon")
        .await
        .body;
    assert!(
        page.contains("private or internal network"),
        "the refusal in plain words: {page}"
    );
    // A public address goes on to the server (which this test does not run).
    let public = ana
        .connect("/hub/accounts/connect/mastodon?instance=mastodon.example")
        .await;
    assert!(!public.location().starts_with("/hub/accounts?error=private"));
}

#[tokio::test]
async fn an_organisation_can_choose_post_it_yourself_only_for_a_network() {
    let x: StandIn<X> = StandIn::start().await;
    let app = app_with_x(&x).await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let ana = app.ambassador("ana@example.org").await;
    let page = ana.get("/hub/accounts").await.body;
    // Every network offers both ways, in plain words, with what connecting allows.
    for words in [
        "Two ways to share",
        "Post it yourself.",
        "Chorus opens LinkedIn with your text and your link; you post it. Nothing to connect.",
        "What connecting Mastodon allows, and what it never allows",
        "It never allows reading your timeline, your messages, your contacts or followers",
        "I host my own server",
    ] {
        assert!(page.contains(words), "{words}: {page}");
    }

    let form = admin.get("/admin/settings").await.body;
    assert!(form.contains(r#"name="composer_only_x""#));
    let saved = admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "5"),
                ("composer_only_x", "on"),
                ("composer_only_bluesky", "on"),
            ],
        )
        .await;
    assert_eq!(
        saved.location(),
        "/admin/settings?done=saved",
        "{}",
        saved.body
    );
    let form = admin.get("/admin/settings").await.body;
    assert!(
        form.contains(r#"name="composer_only_x" aria-describedby="composer-only-hint" checked"#)
    );
    assert!(!form.contains(
        r#"name="composer_only_linkedin" aria-describedby="composer-only-hint" checked"#
    ));

    // The accounts page says so, and connecting there is refused with the way to share.
    let page = ana.get("/hub/accounts").await.body;
    assert!(page.contains("Your organisation chose &quot;post it yourself&quot; only for X."));
    assert!(!page.contains(r#"data-connect="x""#));
    assert!(!page.contains(r#"action="/hub/accounts/connect/bluesky/oauth""#));
    let refused = ana.connect("/hub/accounts/connect/x").await;
    assert_eq!(
        refused.location(),
        "/hub/accounts?error=composer_only&network=x#x"
    );
    let said = ana.get(&refused.location()).await.body;
    assert!(
        said.contains("Your organisation chose &quot;post it yourself&quot; for X"),
        "{said}"
    );
    let bluesky = ana
        .post_form(
            "/hub/accounts/connect/bluesky/oauth",
            &[("identifier", "ana.example"), ("server", "")],
        )
        .await;
    assert!(
        bluesky.location().starts_with(
            "/hub/accounts?error=composer_only&network=bluesky&identifier=ana.example"
        )
    );
    assert!(x.requests().is_empty(), "X was never called");
}
