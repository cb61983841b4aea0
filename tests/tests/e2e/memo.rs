//! The hub, item pages and "My shares" served from memory, and forgotten the moment the database changes, whichever
//! process changed it: two `chorus serve` processes on one database (SQLite file or
//! PostgreSQL), as behind a load balancer.

use std::time::Duration;

use chorus_tests::shares::share_now;
use chorus_tests::world::StandInWorld;
use chorus_tests::{Client, TestApp};

/// `GET path` on another server with the cookies of `client` (same session, same CSRF
/// cookie): the same browser reaching the other process.
async fn get_on(base_url: &str, client: &Client, path: &str) -> (u16, String, String) {
    let cookies = ["chorus_session", "chorus_csrf"]
        .iter()
        .filter_map(|name| client.cookie(name).map(|value| format!("{name}={value}")))
        .collect::<Vec<_>>()
        .join("; ");
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base_url}{path}"))
        .header("cookie", cookies)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, answer.text().await.unwrap())
}

/// `chorus_memo_pages_served_total` (from memory) and `chorus_memo_pages_made_total` of a
/// server.
async fn memo_counts(base_url: &str) -> (u64, u64) {
    let metrics = Client::new(base_url).get("/metrics").await.body;
    let read = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}"))
    };
    (
        read("chorus_memo_pages_served_total"),
        read("chorus_memo_pages_made_total"),
    )
}

/// The version shown in the item's form.
async fn version_of(editor: &Client, id: i32) -> String {
    let page = editor.get(&format!("/editor/items/{id}")).await;
    let marker = r#"name="version" value=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    page.body[start..start + page.body[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_hub_remembered_by_one_server_changes_at_once_when_another_edits_passes_withdraws_or_signs_out()
 {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let item = editor
        .publish_item(&[
            ("title", "Solar in Lyon"),
            ("body", "Ten hectares of panels."),
            ("why", "It shows **who we are**."),
            ("language", "en"),
        ])
        .await;
    let other = editor
        .publish_item(&[
            ("title", "Our new apprentices"),
            ("body", "Twelve of them."),
            ("why", "People make the place."),
            ("language", "en"),
        ])
        .await;
    let ana = app.ambassador("ana@example.org").await;
    let b = app.another_server("b").await;

    // Served by B: made once, then from memory, the same page (with this browser's token).
    let (before_served, before_made) = memo_counts(&b.base_url).await;
    let (status, _, first) = get_on(&b.base_url, &ana, "/hub").await;
    assert_eq!(status, 200, "{first}");
    assert!(first.contains("Solar in Lyon") && first.contains("Our new apprentices"));
    assert!(first.contains("<strong>who we are</strong>"), "{first}");
    let (_, _, again) = get_on(&b.base_url, &ana, "/hub").await;
    assert_eq!(again, first);
    let (_, _, item_page) = get_on(&b.base_url, &ana, &format!("/hub/items/{item}")).await;
    assert!(item_page.contains("Ten hectares of panels."));
    let (_, _, item_again) = get_on(&b.base_url, &ana, &format!("/hub/items/{item}")).await;
    assert_eq!(item_again, item_page);
    let (served, made) = memo_counts(&b.base_url).await;
    assert_eq!(
        (served - before_served, made - before_made),
        (2, 2),
        "the second view of each page came from memory"
    );

    // An edit on A: B shows it on its next request.
    let version = version_of(&editor, item).await;
    let saved = editor
        .post_form(
            &format!("/editor/items/{item}"),
            &[
                ("version", version.as_str()),
                ("title", "Solar in Lyon, one year on"),
                ("body", "Ten hectares, 9 GWh."),
                ("why", "It shows **who we are**."),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, _, hub) = get_on(&b.base_url, &ana, "/hub").await;
    assert!(hub.contains("Solar in Lyon, one year on"), "{hub}");
    let (_, _, item_page) = get_on(&b.base_url, &ana, &format!("/hub/items/{item}")).await;
    assert!(item_page.contains("Ten hectares, 9 GWh."), "{item_page}");

    // "Not for me" on A: gone from B's hub at once.
    let passed = ana
        .post_form(&format!("/hub/items/{other}/pass"), &[("reason", "")])
        .await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    let (_, _, hub) = get_on(&b.base_url, &ana, "/hub").await;
    assert!(!hub.contains("Our new apprentices"), "{hub}");

    // Withdrawing on A: B no longer opens the hub.
    let withdrawn = ana.post_form("/account/privacy/withdraw", &[]).await;
    assert_eq!(withdrawn.location(), "/account/privacy?done=withdrawn");
    let (status, location, body) = get_on(&b.base_url, &ana, "/hub").await;
    assert!(
        status != 200 && !body.contains("Solar in Lyon"),
        "{status} {location} {body}"
    );
    let (status, _, body) = get_on(&b.base_url, &ana, &format!("/hub/items/{item}")).await;
    assert!(status != 200 && !body.contains("Ten hectares"), "{status}");

    // Joining again, then signing out on A: B no longer knows the session.
    ana.join().await;
    let (status, _, _) = get_on(&b.base_url, &ana, "/hub").await;
    assert_eq!(status, 200);
    let signed_out = ana.sign_out().await;
    assert_eq!(signed_out.status, 303);
    let (status, location, _) = get_on(&b.base_url, &ana, "/hub").await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/sign-in"), "{location}");
}

/// The `data-clicks` of the first share on a history page.
fn clicks_on(page: &str) -> Option<String> {
    let start = page.find(r#"data-clicks=""#)? + r#"data-clicks=""#.len();
    Some(page[start..start + page[start..].find('"')?].to_owned())
}

#[tokio::test]
async fn my_shares_remembered_by_one_server_shows_a_post_and_its_clicks_at_once_while_the_hub_stays_remembered()
 {
    let w = StandInWorld::start().await;
    let (x_id, _) = w.account_ids().await;
    let b = w.app.another_server("b").await;

    // B answers "My shares" (nothing yet) and the hub once from the database, then from memory.
    let (before_served, before_made) = memo_counts(&b.base_url).await;
    let (status, _, empty) = get_on(&b.base_url, &w.ana, "/hub/shares").await;
    assert_eq!(status, 200, "{empty}");
    assert!(!empty.contains(r#"data-state="published""#));
    assert_eq!(get_on(&b.base_url, &w.ana, "/hub/shares").await.2, empty);
    let (served, made) = memo_counts(&b.base_url).await;
    assert_eq!((served - before_served, made - before_made), (1, 1));

    // Ana shares on A; once A shows it published, B's very next answer does too.
    share_now(
        &w.ana,
        w.item,
        &[(&x_id, "Look: https://example.com/solar")],
    )
    .await;
    let mut published = String::new();
    for _ in 0..100 {
        published = w.ana.get("/hub/shares").await.body;
        if published.contains(r#"data-state="published""#) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        published.contains(r#"data-state="published""#),
        "{published}"
    );
    let (_, _, on_b) = get_on(&b.base_url, &w.ana, "/hub/shares").await;
    assert!(on_b.contains(r#"data-state="published""#), "{on_b}");
    assert_eq!(clicks_on(&on_b).as_deref(), Some("0"));
    // The hub, remembered on B now, for what follows.
    get_on(&b.base_url, &w.ana, "/hub").await;
    get_on(&b.base_url, &w.ana, "/hub").await;

    // Two people click the link (served by A, which counts them within a second): B's "My
    // shares" shows the clicks at once, while B's hub, which clicks do not change, stays
    // remembered.
    let text = w.x.posts()[0].text.clone();
    let link = text.rsplit(' ').next().unwrap().to_owned();
    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        let answer = visitor
            .get(&link)
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
    }
    let mut on_a = None;
    for _ in 0..50 {
        on_a = clicks_on(&w.ana.get("/hub/shares").await.body);
        if on_a.as_deref() == Some("2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(on_a.as_deref(), Some("2"));
    let (served_before, _) = memo_counts(&b.base_url).await;
    let (_, _, on_b) = get_on(&b.base_url, &w.ana, "/hub/shares").await;
    assert_eq!(clicks_on(&on_b).as_deref(), Some("2"), "{on_b}");
    let (_, _, hub) = get_on(&b.base_url, &w.ana, "/hub").await;
    assert_eq!(hub.matches("card hub-item").count(), 1, "{hub}");
    let (served_after, _) = memo_counts(&b.base_url).await;
    assert_eq!(
        served_after - served_before,
        1,
        "the hub came from memory, the history was made again"
    );
}
