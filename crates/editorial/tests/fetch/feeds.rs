//! Feeds fetched through the same guarded client as previews.

use chorus_editorial::feeds::{FeedError, fetch_feed};
use chorus_editorial::preview::PreviewError;

use crate::support::{
    assert_no_connection, html, public_fetcher, redirect, serve, test_fetcher, typed,
    untouched_listener,
};

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Local</title>
<item><title>First &amp; best</title><link>/posts/1</link>
<description><![CDATA[<p>Hello <b>world</b></p>]]></description></item>
</channel></rss>"#;

#[tokio::test]
async fn feed_is_fetched_through_the_guarded_client() {
    let server = serve(|path, _| match path {
        "/feed.xml" => typed(
            "application/rss+xml; charset=utf-8",
            RSS.as_bytes().to_vec(),
        ),
        "/old-feed" => redirect(301, "/feed.xml".to_owned()),
        _ => html("<title>Home</title>"),
    })
    .await;
    let fetcher = test_fetcher();
    let entries = fetch_feed(&fetcher, &server.url("/old-feed"))
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].title, "First & best");
    // Relative links resolve against the feed's final URL; without a guid the link is the id.
    assert_eq!(entries[0].link.as_deref(), Some(&*server.url("/posts/1")));
    assert_eq!(entries[0].guid, server.url("/posts/1"));
    assert_eq!(entries[0].summary.as_deref(), Some("Hello world"));

    let error = fetch_feed(&fetcher, &server.url("/")).await.unwrap_err();
    assert!(
        matches!(&error, FeedError::Fetch(PreviewError::NotAFeed { content_type }) if content_type == "text/html"),
        "{error:?}"
    );
}

#[tokio::test]
async fn feed_fetch_refuses_internal_addresses() {
    let (listener, port) = untouched_listener();
    let error = fetch_feed(
        &public_fetcher(),
        &format!("http://127.0.0.1:{port}/feed.xml"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, FeedError::Fetch(PreviewError::ForbiddenAddress { host }) if host == "127.0.0.1"),
        "{error:?}"
    );
    assert_no_connection(&listener);
}
