//! First run: an empty installation shows only the page that creates the first admin.

use chorus_tests::TestApp;

#[tokio::test]
async fn an_empty_installation_sends_everything_to_the_first_run_page() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for path in ["/", "/sign-in", "/admin", "/hub", "/no-such-page"] {
        let page = client.get(path).await;
        assert_eq!(
            (page.status, page.location()),
            (303, "/setup".to_owned()),
            "{path}"
        );
    }
    assert_eq!(
        client.get("/healthz").await.status,
        200,
        "operations still answer"
    );
    let page = client.get("/setup").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Create the first admin account"));

    let bad = client
        .post_form(
            "/setup",
            &[
                ("name", "Root"),
                ("email", "root@example.org"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Use at least 10 characters"));
    assert!(
        bad.body.contains(r#"value="root@example.org""#),
        "what was typed is kept"
    );

    let done = client
        .post_form(
            "/setup",
            &[
                ("name", "Root"),
                ("email", "root@example.org"),
                ("password", "the first admin passphrase"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/admin");
    let admin = client.follow(done).await;
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains("root@example.org"));

    // Set-up is over: the page is gone for everyone.
    let stranger = app.client();
    assert_eq!(stranger.get("/setup").await.location(), "/");
    let retry = stranger
        .post_form(
            "/setup",
            &[
                ("name", "Eve"),
                ("email", "eve@example.org"),
                ("password", "another passphrase"),
            ],
        )
        .await;
    assert_eq!(retry.location(), "/");
    assert_eq!(
        stranger
            .sign_in("eve@example.org", "another passphrase")
            .await
            .status,
        401
    );
    assert_eq!(stranger.get("/").await.location(), "/sign-in");
}
