//! Personalising and publishing through the queue and worker, against the stand-ins: once and
//! only once, with every error class ending in a state its owner can act on.

use std::time::Duration;

use chorus_tests::html::number_after;
use chorus_tests::shares::{queue_now, share_now, submit_share_form, wait_for_state};
use chorus_tests::standins::{Fault, StandIn};
use chorus_tests::world::StandInWorld;
use chorus_tests::{TestApp, TestAppOptions};

#[tokio::test]
async fn an_ambassador_personalises_and_publishes_now_to_two_networks_once_each() {
    let w = StandInWorld::start().await;
    let page = w.ana.get(&format!("/hub/items/{}/share", w.item)).await;
    assert!(
        page.body.contains("This is exactly the suggested text"),
        "advice to make it one's own"
    );
    assert!(
        page.body.contains("#employee"),
        "the disclosure is suggested"
    );
    let (x_id, m_id) = w.account_ids().await;
    queue_now(
        &w.ana,
        w.item,
        &[
            (
                &x_id,
                "Proud of our Lyon team! #employee https://example.com/solar",
            ),
            (
                &m_id,
                "Our Lyon plant runs on sunlight now (I work there) https://example.com/solar",
            ),
        ],
    )
    .await;
    let history = wait_for_state(&w.ana, "published", 2).await;
    assert!(history.contains("Open the post"));
    let x_posts = w.x.posts();
    assert_eq!(x_posts.len(), 1, "exactly one post on X");
    // The link is the share's own tracked link.
    assert!(
        x_posts[0]
            .text
            .starts_with("Proud of our Lyon team! #employee http://127.0.0.1:"),
        "{}",
        x_posts[0].text
    );
    assert!(x_posts[0].text.contains("/l/") && !x_posts[0].text.contains("example.com"));
    let m_posts = w.mastodon.posts();
    assert_eq!(m_posts.len(), 1);
    assert!(
        m_posts[0].idempotency_key.is_some(),
        "Mastodon gets an Idempotency-Key"
    );
    // The worker keeps running: nothing is ever posted a second time.
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(w.x.posts().len() + w.mastodon.posts().len(), 2);
}

#[tokio::test]
async fn a_scheduled_share_waits_for_its_time_and_can_be_cancelled() {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let past = (chrono::Utc::now() - chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let refused = submit_share_form(
        &w.ana,
        w.item,
        &[(&x_id, "Later, my words")],
        &[("when", "later"), ("at", &past)],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Choose a date and time in the future")
            && refused.body.contains("Later, my words")
    );
    submit_share_form(
        &w.ana,
        w.item,
        &[(&x_id, "Later, my words")],
        &[("when", "later"), ("at", &later)],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let history = w.ana.get("/hub/shares").await.body;
    assert!(history.contains(r#"data-state="scheduled""#));
    assert!(w.x.posts().is_empty(), "not before its time");
    let id = number_after(&history, "/hub/shares/");
    assert_eq!(
        w.ana
            .post_form(&format!("/hub/shares/{id}/cancel"), &[])
            .await
            .location(),
        "/hub/shares"
    );
    assert!(
        w.ana
            .get("/hub/shares")
            .await
            .body
            .contains(r#"data-state="cancelled""#)
    );
}

#[tokio::test]
async fn a_scheduled_time_is_read_and_shown_in_the_persons_time_zone() {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    // UTC+14: a time three hours after now in UTC is eleven hours ago there.
    let zone: chrono_tz::Tz = "Pacific/Kiritimati".parse().unwrap();
    let utc_wall = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let share = async |at: &str, zone_field: &str| {
        submit_share_form(
            &w.ana,
            w.item,
            &[(&x_id, "Later, my words")],
            &[("when", "later"), ("at", at), ("time_zone", zone_field)],
        )
        .await
    };
    // The browser's zone comes with the form of a person who never chose one.
    let refused = share(&utc_wall, "Pacific/Kiritimati").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Choose a date and time in the future")
    );
    assert!(refused.body.contains("Date and time (Pacific/Kiritimati)"));
    // From now on it is theirs: a zone sent with a later form no longer changes it.
    let local = (chrono::Utc::now() + chrono::Duration::hours(3))
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let queued = share(&local, "America/Los_Angeles").await;
    assert_eq!(queued.status, 303, "{}", queued.body);
    let history = w.ana.get("/hub/shares").await.body;
    assert!(history.contains(r#"data-state="scheduled""#));
    let shown = chrono::NaiveDateTime::parse_from_str(&local, "%Y-%m-%dT%H:%M")
        .unwrap()
        .format("%-d %b %Y, %H:%M");
    assert!(
        history.contains(&format!("{shown} (Pacific/Kiritimati)")),
        "the time as typed, in the person's zone: {history}"
    );
    let page = w.ana.get(&format!("/hub/items/{}/share", w.item)).await;
    assert!(page.body.contains("Date and time (Pacific/Kiritimati)"));
    assert!(
        !page.body.contains(r#"name="time_zone""#),
        "no longer asked"
    );
}

#[tokio::test]
async fn after_share_now_the_page_follows_the_share_to_its_live_post_and_shows_only_ones_own() {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    let queued = share_now(&w.ana, w.item, &[(&x_id, "Now, in my words")]).await;
    let ready = queued.location();
    let ids = ready.split("ids=").nth(1).unwrap().to_owned();
    let page = w.ana.get(&ready).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("What you just shared") && page.body.contains("Now, in my words"));
    assert!(
        page.body
            .contains(&format!("data-status-url=\"/hub/shares/status?ids={ids}\""))
    );

    let mut shown = serde_json::Value::Null;
    for _ in 0..100 {
        let status = w.ana.get(&format!("/hub/shares/status?ids={ids}")).await;
        assert_eq!(status.status, 200);
        shown = serde_json::from_str(&status.body).unwrap();
        if shown["shares"][0]["state"] == "published" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let share = &shown["shares"][0];
    assert_eq!(share["state"], "published", "{shown}");
    assert_eq!(share["state_label"], "published");
    assert_eq!(share["on_its_way"], false);
    let url = share["url"].as_str().unwrap().to_owned();
    let post_id = w.x.posts()[0].id.clone();
    assert!(url.ends_with(&post_id), "{url} is the live post {post_id}");
    // Loaded again, the page has "view your post" and the way to its clicks.
    let page = w.ana.get(&ready).await;
    assert!(page.body.contains(&format!(
        "href=\"{url}\" rel=\"noopener noreferrer\" data-testid=\"view-post\""
    )));
    assert!(page.body.contains("Its clicks"));

    // Another person learns nothing about it.
    let zoe = w.app.ambassador("zoe@example.org").await;
    let theirs = zoe.get(&format!("/hub/shares/status?ids={ids}")).await;
    assert_eq!(theirs.body, r#"{"shares":[]}"#);
    assert_eq!(zoe.get(&ready).await.location(), "/hub/shares");
}

#[tokio::test]
async fn a_text_over_the_hard_limit_is_refused_and_kept() {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    let long = "word ".repeat(80);
    let page = share_now(&w.ana, w.item, &[(&x_id, &long)]).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("longer than its network accepts"));
    assert!(page.body.contains(long.trim_end()));
    let history = w.ana.get("/hub/shares").await.body;
    assert!(history.contains("You have not shared anything yet"));
    // The empty history says how to start and leads to the hub.
    assert!(
        history.contains(r#"<a class="button primary" href="/hub">Find something to share</a>"#),
        "{history}"
    );
}

#[tokio::test]
async fn an_x_post_whose_answer_was_lost_becomes_needs_check_and_is_never_resent_blindly() {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    w.x.fail_next_on("/2/tweets", Fault::DropAfterProcessing);
    share_now(&w.ana, w.item, &[(&x_id, "Lost answer, my words")]).await;
    let history = wait_for_state(&w.ana, "needs_check", 1).await;
    assert!(history.contains("It was published"));
    // What happened and what to do, in the person's words; the network's behind "details".
    assert!(
        history.contains("X did not confirm in time, so the post may or may not be there."),
        "{history}"
    );
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(w.x.posts().len(), 1, "one post, never a second");
    let id = number_after(&history, "/hub/shares/");
    w.ana
        .post_form(&format!("/hub/shares/{id}/was_published"), &[])
        .await;
    assert!(
        w.ana
            .get("/hub/shares")
            .await
            .body
            .contains(r#"data-state="published""#)
    );
}

#[tokio::test]
async fn a_mastodon_post_whose_answer_was_lost_is_retried_with_the_same_key_once() {
    let w = StandInWorld::start().await;
    let (_, m_id) = w.account_ids().await;
    w.mastodon
        .fail_next_on("/api/v1/statuses", Fault::DropAfterProcessing);
    share_now(&w.ana, w.item, &[(&m_id, "Idempotent, my words")]).await;
    wait_for_state(&w.ana, "published", 1).await;
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(
        w.mastodon.posts().len(),
        1,
        "the retry was recognised by its key"
    );
    let keys: Vec<_> = w
        .mastodon
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/statuses")
        .filter_map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert!(
        keys.len() >= 2 && keys.iter().all(|k| *k == keys[0]),
        "{keys:?}"
    );
}

#[tokio::test]
async fn rate_limits_wait_and_a_revoked_token_asks_its_owner_to_reconnect() {
    let w = StandInWorld::start().await;
    let (x_id, m_id) = w.account_ids().await;
    w.x.fail_next_on(
        "/2/tweets",
        Fault::RateLimited {
            reset_after_secs: 1,
        },
    );
    share_now(&w.ana, w.item, &[(&x_id, "After the wait, my words")]).await;
    wait_for_state(&w.ana, "published", 1).await;
    assert_eq!(w.x.posts().len(), 1);

    w.mastodon
        .fail_next_on("/api/v1/statuses", Fault::ExpiredToken);
    share_now(&w.ana, w.item, &[(&m_id, "Expired, my words")]).await;
    let history = wait_for_state(&w.ana, "failed", 1).await;
    assert!(
        history.contains("Mastodon no longer lets Chorus post for you")
            && history.contains("Reconnect your account on the Accounts page"),
        "{history}"
    );
    assert!(history.contains("<summary>What Mastodon said</summary>"));
    let accounts = w.ana.get("/hub/accounts").await;
    assert!(
        accounts.body.contains("This account needs reconnecting"),
        "its owner is told"
    );
    // Nobody else is: an admin's pages say nothing about it.
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    assert!(!admin.get("/admin").await.body.contains("reconnect"));
}

#[tokio::test]
async fn keys_rotate_reseals_every_token_resumably_and_publishing_keeps_working() {
    use chorus_tests::chat::ChatStandIns;
    let mut w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    // The organisation's chat secrets and a person's own chat address are sealed too.
    let chat = ChatStandIns::start().await;
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    chat.connect_slack_and_matrix(&admin).await;
    let saved = w
        .ana
        .post_form(
            "/account/notifications",
            &[
                ("chat_events", "on"),
                ("chat_service", "matrix"),
                ("chat_address", "@ana:chat.example.org"),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/account/notifications?done=saved");
    assert!(w.app.terminate().await);
    let old_key = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDEyMzQ=";
    let new_key = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleTE=";
    w.app.set_env("CHORUS_SECRET_KEY", new_key);
    w.app.set_env("CHORUS_PREVIOUS_SECRET_KEYS", old_key);
    let first = w.app.cli(&["keys", "rotate"], None).await;
    assert!(first.success, "{}", first.stderr);
    // X access and refresh tokens, the Mastodon token, both apps' client secrets, the Slack
    // webhook, the Matrix token and Ana's Matrix ID.
    assert!(
        first.stdout.contains("8 secrets re-sealed"),
        "{}",
        first.stdout
    );
    let again = w.app.cli(&["keys", "rotate"], None).await;
    assert!(
        again
            .stdout
            .contains("0 secrets re-sealed, 8 already current"),
        "{}",
        again.stdout
    );
    // The old key is no longer needed.
    w.app.set_env("CHORUS_PREVIOUS_SECRET_KEYS", "");
    w.app.restart(&[]).await;
    let ana = w.app.client();
    ana.sign_in("ana@example.org", chorus_tests::PASSWORD).await;
    share_now(&ana, w.item, &[(&x_id, "After rotation, my words")]).await;
    wait_for_state(&ana, "published", 1).await;
    assert_eq!(w.x.posts().len(), 1);
    // Every secret opens under the new key alone.
    assert!(
        ana.get("/account/notifications")
            .await
            .body
            .contains(r#"value="@ana:chat.example.org""#)
    );
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let channels = admin.get("/admin/channels").await.body;
    for channel in ["slack", "matrix"] {
        assert!(
            channels.contains(&format!(r#"data-connected="{channel}""#)),
            "{channel}: {channels}"
        );
    }
}

#[tokio::test]
async fn an_expired_x_token_is_refreshed_once_and_the_post_goes_out_once() {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    // Three hours later at X: the two-hour access token has expired.
    w.x.advance_clock(Duration::from_secs(3 * 3600));
    share_now(&w.ana, w.item, &[(&x_id, "After a refresh, my words")]).await;
    wait_for_state(&w.ana, "published", 1).await;
    // The worker keeps running: neither the post nor the refresh happens a second time.
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(w.x.posts().len(), 1);
    let refreshes =
        w.x.requests()
            .iter()
            .filter(|r| {
                r.path.ends_with("/oauth2/token") && r.body.contains("grant_type=refresh_token")
            })
            .count();
    assert_eq!(refreshes, 1, "one refresh");
    // The rotated refresh token was kept: the next post needs no reconnection.
    share_now(&w.ana, w.item, &[(&x_id, "Second, my words")]).await;
    wait_for_state(&w.ana, "published", 2).await;
    assert!(
        !w.ana
            .get("/hub/accounts")
            .await
            .body
            .contains("needs reconnecting")
    );
}

#[tokio::test]
async fn linkedin_and_threads_connect_through_the_pages_and_receive_the_text_as_written() {
    use chorus_tests::standins::{LinkedIn, Threads};
    let linkedin: StandIn<LinkedIn> = StandIn::start().await;
    let threads: StandIn<Threads> = StandIn::start().await;
    let w = StandInWorld::start_with(
        TestAppOptions::default()
            .env("CHORUS_LINKEDIN_BASE_URL", linkedin.base_url())
            .env("CHORUS_THREADS_BASE_URL", threads.base_url()),
    )
    .await;
    for (network, client) in [
        (
            "linkedin",
            linkedin.register_client(&w.app.url("/hub/accounts/callback/linkedin")),
        ),
        (
            "threads",
            threads.register_client(&w.app.url("/hub/accounts/callback/threads")),
        ),
    ] {
        chorus_tests::world::connect_network(&w.app, &w.ana, network, &client).await;
    }
    let li = w.ana.share_account_id(w.item, "linkedin").await;
    let th = w.ana.share_account_id(w.item, "threads").await;
    let linkedin_text = "Proud (really) of #lyon & our team_leads! https://example.com/solar";
    let threads_text = "Our Lyon plant, in my words: https://example.com/solar";
    share_now(&w.ana, w.item, &[(&li, linkedin_text), (&th, threads_text)]).await;
    wait_for_state(&w.ana, "published", 2).await;
    let stored = linkedin.posts();
    assert_eq!(stored.len(), 1);
    let tracked = stored[0].text.rsplit(' ').next().unwrap().to_owned();
    assert!(tracked.contains("/l/"), "{}", stored[0].text);
    assert_eq!(
        stored[0].text,
        chorus_editorial_escape(&linkedin_text.replace("https://example.com/solar", &tracked)),
        "escaped as little text, nothing truncated"
    );
    let posted = threads.posts();
    assert_eq!(posted.len(), 1);
    assert!(
        posted[0]
            .text
            .starts_with("Our Lyon plant, in my words: http://127.0.0.1:"),
        "{}",
        posted[0].text
    );
    let history = w.ana.get("/hub/shares").await.body;
    assert!(
        history.contains("linkedin.com/feed/update/") && history.contains("/post/"),
        "links to the live posts"
    );
    // LinkedIn lets its posts be deleted from the history; Threads offers no deletion, and the
    // history says so instead of showing a button.
    assert!(history.contains("Delete from LinkedIn…"), "{history}");
    assert!(
        history.contains("Threads does not let apps delete posts")
            && !history.contains("Delete from Threads"),
        "{history}"
    );
}

fn chorus_editorial_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\|{}@[]()<>#*_~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Network, share state, item state and roles are typed down to the column: a stored name
/// Chorus does not know is an error naming it, never read as a default network or state (which could send a post
/// to the wrong network, or show it as something it is not).
#[tokio::test]
async fn an_unknown_stored_network_or_state_is_an_error_not_a_default() {
    use sea_orm::{ConnectionTrait as _, Database};
    let app = TestApp::spawn_with(TestAppOptions::default().arg("--demo")).await;
    let zoe = app.client();
    zoe.sign_in("zoe@demo.chorus.test", "chorus-demo-2026")
        .await;
    let history = zoe.get("/hub/shares").await;
    assert_eq!(history.status, 200, "{}", history.body);

    let db = Database::connect(app.database_url()).await.unwrap();
    let zoes_first_share = "(SELECT MIN(s.id) FROM shares s JOIN users u ON u.id = s.user_id \
                            WHERE u.email = 'zoe@demo.chorus.test')";
    let corrupt = db
        .execute_unprepared(&format!(
            "UPDATE shares SET network = 'myspace' WHERE id = {zoes_first_share}"
        ))
        .await
        .unwrap();
    assert_eq!(corrupt.rows_affected(), 1, "the demo gives Zoé shares");
    let history = zoe.get("/hub/shares").await;
    assert_eq!(history.status, 500, "{}", history.body);
    assert!(
        !history.body.contains("myspace"),
        "internal details stay in the log"
    );
    assert!(
        app.log().contains("myspace"),
        "the log names the stored value"
    );

    db.execute_unprepared(&format!(
        "UPDATE shares SET network = 'mastodon', state = 'teleported' WHERE id = {zoes_first_share}"
    ))
    .await
    .unwrap();
    let history = zoe.get("/hub/shares").await;
    assert_eq!(history.status, 500, "{}", history.body);
    assert!(
        app.log().contains("teleported"),
        "the log names the stored value"
    );

    db.execute_unprepared(&format!(
        "UPDATE shares SET state = 'published' WHERE id = {zoes_first_share}"
    ))
    .await
    .unwrap();
    assert_eq!(zoe.get("/hub/shares").await.status, 200);

    // An item's state, the same way: never read as a draft.
    let editor = app.client();
    editor
        .sign_in("editor@demo.chorus.test", "chorus-demo-2026")
        .await;
    let items = editor.get("/editor").await;
    assert_eq!(items.status, 200, "{}", items.body);
    let first_item = "(SELECT MIN(id) FROM content_items)";
    db.execute_unprepared(&format!(
        "UPDATE content_items SET state = 'limbo' WHERE id = {first_item}"
    ))
    .await
    .unwrap();
    assert_eq!(editor.get("/editor").await.status, 500);
    assert!(
        app.log().contains("limbo"),
        "the log names the stored value"
    );
    db.execute_unprepared(&format!(
        "UPDATE content_items SET state = 'published' WHERE id = {first_item}"
    ))
    .await
    .unwrap();
    assert_eq!(editor.get("/editor").await.status, 200);

    // A person's roles: an unknown role is an error, not "no role" (nor a default one).
    db.execute_unprepared(
        "UPDATE users SET roles = 'ambassador,wizard' WHERE email = 'zoe@demo.chorus.test'",
    )
    .await
    .unwrap();
    assert_eq!(zoe.get("/hub").await.status, 500);
    assert!(
        app.log().contains("wizard"),
        "the log names the stored value"
    );
    db.execute_unprepared(
        "UPDATE users SET roles = 'ambassador' WHERE email = 'zoe@demo.chorus.test'",
    )
    .await
    .unwrap();
    assert_eq!(zoe.get("/hub").await.status, 200);
}
