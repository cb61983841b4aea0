//! Health, readiness, metrics, request ids, security and cache headers, error pages, shutdown.

use chorus_tests::TestApp;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let health = client.get("/healthz").await;
    assert_eq!((health.status, health.body.trim()), (200, "ok"));
    let ready = client.get("/readyz").await;
    assert_eq!((ready.status, ready.body.trim()), (200, "ready"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency_and_pool() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    for _ in 0..3 {
        client.get("/sign-in").await;
    }
    client.get("/no-such-page").await;
    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = &metrics.body;
    assert!(
        text.contains(
            r#"chorus_http_requests_total{method="GET",route="/sign-in",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(
        text.contains("chorus_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("chorus_db_pool_connections "), "{text}");
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    for path in [
        "/sign-in",
        "/no-such-page",
        "/assets/app.css",
        "/healthz",
        "/hub",
    ] {
        let page = client.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(page.header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(page.header("x-request-id").len(), 36, "{path}");
    }
    let page = client.get("/sign-in").await;
    assert!(
        !page.body.contains("<script>") && !page.body.contains(" onclick="),
        "no inline script"
    );
}

#[tokio::test]
async fn assets_are_cached_for_a_year_when_versioned_and_revalidate_with_etags() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    let page = client.get("/sign-in").await;
    let start = page.body.find("/assets/app.css?v=").unwrap();
    let href = &page.body[start..start + page.body[start..].find('"').unwrap()];
    let css = client.get(href).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let etag = css.header("etag");
    let revalidated = client
        .http()
        .get(app.url("/assets/app.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(
        client.get("/assets/app.css").await.header("cache-control"),
        "public, max-age=300"
    );
    assert_eq!(client.get("/assets/../Cargo.toml").await.status, 404);
}

#[tokio::test]
async fn unknown_pages_get_a_helpful_404_and_wrong_methods_a_405() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    let page = client.get("/nowhere").await;
    assert_eq!(page.status, 404);
    assert!(
        page.body.contains("Page not found") && page.body.contains("home page"),
        "{}",
        page.body
    );
    let page = client.post_form("/healthz", &[]).await;
    assert_eq!(page.status, 405);
    assert!(page.body.contains("does not accept that kind of request"));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_it_starts_again_on_the_same_data() {
    let mut app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    assert_eq!(
        client
            .sign_in("ana@example.org", chorus_tests::PASSWORD)
            .await
            .status,
        303
    );
    // Requests sent before the signal are all answered: none is cut off by the shutdown.
    let in_flight: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                c.http()
                    .get(c.url("/account"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(app.terminate().await, "exit code 0 after SIGTERM");
    for request in in_flight {
        assert_eq!(request.await.unwrap().unwrap(), 200);
    }
    assert!(app.log().contains("chorus stopped"), "{}", app.log());
    app.restart(&[]).await;
    let again = app.client();
    assert_eq!(
        again
            .sign_in("ana@example.org", chorus_tests::PASSWORD)
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id() {
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_LOG_FORMAT", "json"),
    )
    .await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let page = app.client().get("/sign-in").await;
    let request_id = page.header("x-request-id");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = app.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "chorus is ready"),
        "{log}"
    );
    assert!(
        log.contains(&request_id),
        "the request id {request_id} is in the logs: {log}"
    );
}
