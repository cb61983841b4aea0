//! Link previews: what is read from a page, and every refusal.

use std::time::{Duration, Instant};

use chorus_editorial::preview::{AddressGuard, LinkPreview, PreviewError, PreviewFetcher};

use crate::support::{
    Reply, assert_no_connection, forbidden, html, public_fetcher, redirect, serve, status,
    test_fetcher, typed, untouched_listener,
};

const OG_PAGE: &str = r#"<!doctype html>
<html lang="fr"><head>
<meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="Caf&eacute; &amp; Co &#8212; &quot;Nouvelles&quot;">
<meta property="og:description" content="  Fresh   beans
   daily &lt;3 ">
<meta property="og:image" content="../img/cover.png?w=1200&amp;h=630">
<meta property="og:site_name" content="Caf&eacute; Co">
</head><body><h1>Hello</h1></body></html>"#;

#[tokio::test]
async fn opengraph_page_is_read_with_entities_decoded_and_image_resolved() {
    let server = serve(|_, _| html(OG_PAGE)).await;
    let preview = test_fetcher()
        .fetch(&server.url("/articles/42"))
        .await
        .unwrap();
    assert_eq!(
        preview,
        LinkPreview {
            url: server.url("/articles/42"),
            title: Some("Café & Co — \"Nouvelles\"".to_owned()),
            description: Some("Fresh beans daily <3".to_owned()),
            image_url: Some(server.url("/img/cover.png?w=1200&h=630")),
            site_name: Some("Café Co".to_owned()),
        }
    );
}

#[tokio::test]
async fn plain_pages_fall_back_to_title_and_meta_description() {
    let server = serve(|_, _| {
        html(
            "<html><head><title>\n  Plain &amp; simple\n</title>\
             <meta name=\"Description\" content=\"What it is about\"></head></html>",
        )
    })
    .await;
    let preview = test_fetcher().fetch(&server.url("/")).await.unwrap();
    assert_eq!(preview.title.as_deref(), Some("Plain & simple"));
    assert_eq!(preview.description.as_deref(), Some("What it is about"));
    assert_eq!(preview.image_url, None);
    assert_eq!(preview.site_name, None);
}

#[tokio::test]
async fn twitter_card_is_used_when_opengraph_is_missing() {
    let server = serve(|_, _| {
        html(
            r#"<title>Plain</title><meta name="twitter:title" content="Card title">
            <meta name="twitter:description" content="Card text">
            <meta name="twitter:image" content="https://cdn.example/card.jpg">"#,
        )
    })
    .await;
    let preview = test_fetcher().fetch(&server.url("/")).await.unwrap();
    assert_eq!(preview.title.as_deref(), Some("Card title"));
    assert_eq!(preview.description.as_deref(), Some("Card text"));
    assert_eq!(
        preview.image_url.as_deref(),
        Some("https://cdn.example/card.jpg")
    );
}

#[tokio::test]
async fn loopback_literal_is_refused_before_connecting() {
    let (listener, port) = untouched_listener();
    let result = public_fetcher()
        .fetch(&format!("http://127.0.0.1:{port}/"))
        .await;
    assert_eq!(result, Err(forbidden("127.0.0.1")));
    assert_no_connection(&listener);
}

#[tokio::test]
async fn localhost_is_refused_after_resolution() {
    let (listener, port) = untouched_listener();
    let result = public_fetcher()
        .fetch(&format!("http://localhost:{port}/"))
        .await;
    assert_eq!(result, Err(forbidden("localhost")));
    assert_no_connection(&listener);
}

#[tokio::test]
async fn ipv4_mapped_ipv6_loopback_is_refused() {
    let (listener, port) = untouched_listener();
    let result = public_fetcher()
        .fetch(&format!("http://[::ffff:127.0.0.1]:{port}/"))
        .await;
    assert_eq!(result, Err(forbidden("[::ffff:7f00:1]")));
    assert_no_connection(&listener);
}

#[tokio::test]
async fn other_spellings_of_internal_addresses_are_refused() {
    let fetcher = public_fetcher();
    for (url, host) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://2130706433/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://[::1]/", "[::1]"),
        ("https://10.1.2.3/", "10.1.2.3"),
        ("http://[fe80::1]/", "[fe80::1]"),
    ] {
        assert_eq!(fetcher.fetch(url).await, Err(forbidden(host)), "{url}");
    }
}

#[tokio::test]
async fn only_http_urls_are_accepted() {
    let fetcher = public_fetcher();
    assert_eq!(
        fetcher.fetch("ftp://example.com/").await,
        Err(PreviewError::NotHttp)
    );
    assert_eq!(
        fetcher.fetch("javascript:alert(1)").await,
        Err(PreviewError::NotHttp)
    );
    assert_eq!(
        fetcher.fetch("example.com/page").await,
        Err(PreviewError::InvalidUrl)
    );
}

#[tokio::test]
async fn redirect_chain_is_followed_to_the_final_page() {
    let server = serve(|path, port| match path {
        "/start" => redirect(301, "/middle".to_owned()),
        "/middle" => redirect(302, format!("http://127.0.0.1:{port}/dir/last")),
        "/dir/last" => redirect(307, "final?x=1".to_owned()),
        _ => html("<title>Arrived</title>"),
    })
    .await;
    let preview = test_fetcher().fetch(&server.url("/start")).await.unwrap();
    assert_eq!(preview.url, server.url("/dir/final?x=1"));
    assert_eq!(preview.title.as_deref(), Some("Arrived"));
    assert_eq!(
        server.requests(),
        ["/start", "/middle", "/dir/last", "/dir/final?x=1"]
    );
}

#[tokio::test]
async fn every_redirect_hop_is_checked_against_the_guard() {
    let (listener, other_port) = untouched_listener();
    let server = serve(move |path, _| match path {
        "/to-other-port" => redirect(302, format!("http://127.0.0.1:{other_port}/")),
        "/to-localhost" => redirect(302, format!("http://localhost:{other_port}/")),
        "/to-metadata" => redirect(301, "http://169.254.169.254/latest/meta-data/".to_owned()),
        "/to-file" => redirect(302, "file:///etc/passwd".to_owned()),
        _ => html("<title>Allowed start</title>"),
    })
    .await;
    // The guard lets this one server in and nothing else internal.
    let fetcher =
        PreviewFetcher::new(AddressGuard::allow_loopback_port_for_tests(server.port)).unwrap();
    let allowed = fetcher.fetch(&server.url("/page")).await.unwrap();
    assert_eq!(allowed.title.as_deref(), Some("Allowed start"));

    assert_eq!(
        fetcher.fetch(&server.url("/to-other-port")).await,
        Err(forbidden("127.0.0.1"))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/to-localhost")).await,
        Err(forbidden("localhost"))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/to-metadata")).await,
        Err(forbidden("169.254.169.254"))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/to-file")).await,
        Err(PreviewError::NotHttp)
    );
    assert_no_connection(&listener);
    assert_eq!(
        server.requests(),
        [
            "/page",
            "/to-other-port",
            "/to-localhost",
            "/to-metadata",
            "/to-file"
        ]
    );
}

#[tokio::test]
async fn five_redirects_are_followed_and_a_sixth_is_refused() {
    let server = serve(|path, _| {
        let hop: u32 = path.rsplit('/').next().unwrap().parse().unwrap_or(0);
        match path {
            p if p.starts_with("/hop/") => redirect(302, format!("/hop/{}", hop + 1)),
            p if p.starts_with("/five/") && hop < 5 => redirect(302, format!("/five/{}", hop + 1)),
            _ => html("<title>Done</title>"),
        }
    })
    .await;
    let fetcher = test_fetcher();
    let preview = fetcher.fetch(&server.url("/five/0")).await.unwrap();
    assert_eq!(preview.url, server.url("/five/5"));

    assert_eq!(
        fetcher.fetch(&server.url("/hop/0")).await,
        Err(PreviewError::TooManyRedirects)
    );
    let hops = server
        .requests()
        .iter()
        .filter(|p| p.starts_with("/hop/"))
        .count();
    assert_eq!(hops, 6, "the first request and five redirects");
}

#[tokio::test]
async fn body_past_the_limit_is_refused_unless_the_head_is_complete() {
    let server = serve(|path, _| {
        let filler = "x".repeat(200_000);
        match path {
            "/huge-head" => html(&format!("<html><head><title>T</title><script>{filler}")),
            _ => html(&format!(
                "<html><head><title>Long page</title></head><body>{filler}</body></html>"
            )),
        }
    })
    .await;
    let fetcher = test_fetcher().with_limits(16 * 1024, Duration::from_secs(5));
    assert_eq!(
        fetcher.fetch(&server.url("/huge-head")).await,
        Err(PreviewError::TooLarge {
            max_bytes: 16 * 1024
        })
    );
    let preview = fetcher.fetch(&server.url("/long-body")).await.unwrap();
    assert_eq!(preview.title.as_deref(), Some("Long page"));
}

#[tokio::test]
async fn slow_server_hits_the_deadline() {
    let server = serve(|_, _| Reply::Stall).await;
    let fetcher = test_fetcher().with_limits(1024 * 1024, Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(
        fetcher.fetch(&server.url("/")).await,
        Err(PreviewError::Timeout)
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn non_html_content_is_refused() {
    let server = serve(|path, _| match path {
        "/untyped" => Reply::Full {
            status: 200,
            headers: Vec::new(),
            body: b"<title>?</title>".to_vec(),
        },
        _ => typed("application/pdf", b"%PDF-1.7".to_vec()),
    })
    .await;
    let fetcher = test_fetcher();
    assert_eq!(
        fetcher.fetch(&server.url("/doc.pdf")).await,
        Err(PreviewError::NotHtml {
            content_type: "application/pdf".to_owned()
        })
    );
    assert!(matches!(
        fetcher.fetch(&server.url("/untyped")).await,
        Err(PreviewError::NotHtml { .. })
    ));
}

#[tokio::test]
async fn error_status_is_reported() {
    let server = serve(|path, _| match path {
        "/gone" => status(404),
        "/broken" => status(500),
        _ => redirect(302, "/gone".to_owned()),
    })
    .await;
    let fetcher = test_fetcher();
    assert_eq!(
        fetcher.fetch(&server.url("/gone")).await,
        Err(PreviewError::Status(404))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/moved")).await,
        Err(PreviewError::Status(404))
    );
    let error = fetcher.fetch(&server.url("/broken")).await.unwrap_err();
    assert_eq!(error, PreviewError::Status(500));
    assert!(error.to_string().contains("HTTP status 500"));
}

#[tokio::test]
async fn closed_port_is_a_network_error() {
    let (listener, port) = untouched_listener();
    drop(listener);
    let result = test_fetcher()
        .fetch(&format!("http://127.0.0.1:{port}/"))
        .await;
    assert!(
        matches!(result, Err(PreviewError::Network(_))),
        "{result:?}"
    );
}

#[test]
fn fetch_future_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let fetcher = public_fetcher();
    let future = fetcher.fetch("https://example.com/");
    assert_send(&future);
}
