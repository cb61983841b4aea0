//! Drafts from outside: curated feeds polled by the worker, and ambassadors' suggestions.

use chorus_tests::web::Site;
use chorus_tests::{TestApp, TestAppOptions};

const FEED: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Newsroom</title>
<item><guid>n-1</guid><title>Plant opens in Lyon</title><link>LINK/news/plant</link><description><![CDATA[<p>We <b>opened</b> a plant.</p>]]></description></item>
<item><guid>n-2</guid><title>We are hiring</title><link>LINK/news/jobs</link><description>Join us.</description></item>
</channel></rss>"#;

const PAGE: &str = r#"<html><head><meta property="og:title" content="Plant opens: the full story"><meta property="og:description" content="Solar, in Lyon."></head><body></body></html>"#;

#[tokio::test]
async fn the_worker_imports_new_feed_entries_as_drafts_with_their_preview_once() {
    let site = Site::start().await;
    site.serve(
        "/feed.xml",
        "application/rss+xml",
        &FEED.replace("LINK", &site.base_url),
    );
    site.serve("/news/plant", "text/html", PAGE);
    let app = TestApp::spawn_with(
        TestAppOptions::default()
            .env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true")
            .env("CHORUS_FEED_POLL_SECONDS", "1"),
    )
    .await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;

    let bad = editor
        .post_form(
            "/editor/feeds",
            &[
                ("url", "ftp://example.com/feed"),
                ("title", ""),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let added = editor
        .post_form(
            "/editor/feeds",
            &[
                ("url", &site.url("/feed.xml")),
                ("title", "Newsroom"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(added.location(), "/editor/feeds?done=added");

    // The worker polls within a few seconds.
    let mut list = String::new();
    for _ in 0..100 {
        list = editor.get("/editor?state=draft").await.body;
        if list.contains("We are hiring") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        list.contains("Plant opens in Lyon") && list.contains("We are hiring"),
        "{list}"
    );
    assert!(list.contains("from a feed"));
    assert_eq!(list.matches("Plant opens in Lyon").count(), 1);

    // The draft carries the page's preview, and the feed's HTML became plain text.
    let id_at = list.find("Plant opens in Lyon").unwrap();
    let id: String = list[..id_at]
        .rsplit("/editor/items/")
        .next()
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let item = editor.get(&format!("/editor/items/{id}")).await;
    assert!(
        item.body.contains(r#"value="Plant opens: the full story""#),
        "{}",
        item.body
    );
    assert!(item.body.contains("We opened a plant."));

    // Polling again (worker or by hand) imports nothing twice; nothing reaches the hub.
    let polled = editor.post_form("/editor/feeds/1/poll", &[]).await;
    assert_eq!(polled.location(), "/editor/feeds?done=polled&imported=0");
    assert_eq!(
        editor
            .get("/editor")
            .await
            .body
            .matches("Plant opens in Lyon")
            .count(),
        1
    );
    assert!(
        !amir.get("/hub").await.body.contains("Plant opens in Lyon"),
        "never published without an editor"
    );
    assert!(site.hits("/feed.xml") >= 2);
}

#[tokio::test]
async fn a_broken_feed_is_reported_on_the_feeds_page() {
    let site = Site::start().await;
    site.serve("/feed.xml", "application/rss+xml", "<rss><channel><item>");
    let app = TestApp::spawn_with(
        TestAppOptions::default().env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    editor
        .post_form(
            "/editor/feeds",
            &[
                ("url", &site.url("/feed.xml")),
                ("title", "Broken"),
                ("language", "en"),
            ],
        )
        .await;
    editor.post_form("/editor/feeds/1/poll", &[]).await;
    let page = editor.get("/editor/feeds").await;
    assert!(page.body.contains("Last check failed"), "{}", page.body);
}

#[tokio::test]
async fn an_ambassadors_suggestion_reaches_editors_and_its_fate_comes_back() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;

    let empty = amir
        .post_form("/hub/suggest", &[("link", ""), ("idea", "")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Give a link, an idea, or both"));
    let sent = amir
        .post_form(
            "/hub/suggest",
            &[
                ("link", "https://example.com/award"),
                ("idea", "We won an award for our apprentices"),
            ],
        )
        .await;
    assert_eq!(sent.location(), "/hub/suggest?done=sent");
    amir.post_form(
        "/hub/suggest",
        &[("link", ""), ("idea", "A post about our volunteering day")],
    )
    .await;
    let mine = amir.get("/hub/suggest").await;
    assert_eq!(mine.body.matches(r#"data-outcome="waiting""#).count(), 2);

    let list = editor.get("/editor").await;
    assert!(
        list.contains_both("We won an award for our apprentices", "suggested by amir"),
        "{}",
        list.body
    );
    let editor_ids: Vec<i32> = (1..=2).collect();
    // Publish the first, archive the second.
    for (id, action) in editor_ids.iter().zip(["publish", "archive"]) {
        let page = editor.get(&format!("/editor/items/{id}")).await;
        let marker = r#"name="version" value=""#;
        let start = page.body.find(marker).unwrap() + marker.len();
        let version = &page.body[start..start + page.body[start..].find('"').unwrap()];
        assert_eq!(
            editor
                .post_form(
                    &format!("/editor/items/{id}/action"),
                    &[("action", action), ("version", version)]
                )
                .await
                .status,
            303
        );
    }
    let mine = amir.get("/hub/suggest").await;
    assert!(
        mine.body.contains(r#"data-outcome="published""#)
            && mine.body.contains("published in the hub")
    );
    assert!(
        mine.body.contains(r#"data-outcome="declined""#)
            && mine.body.contains("not taken this time")
    );
    assert!(
        amir.get("/hub")
            .await
            .body
            .contains("We won an award for our apprentices")
    );
}

trait ContainsBoth {
    fn contains_both(&self, a: &str, b: &str) -> bool;
}

impl ContainsBoth for chorus_tests::Page {
    fn contains_both(&self, a: &str, b: &str) -> bool {
        self.body.contains(a) && self.body.contains(b)
    }
}
