//! Regression tests for findings of the security review (issue 13): each reproduces the
//! finding through the real server and checks it no longer works.

use chorus_tests::{PASSWORD, TestApp};

/// Finding 4: `next=/%09/evil.example` passed the local-path check (browsers drop the TAB and
/// go to `//evil.example`), and `next` with other control characters gave a 500 with the
/// session cookie already set.
#[tokio::test]
async fn sign_in_never_redirects_off_site_whatever_next_holds() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/\u{1}/x",
        "/\u{7f}",
        "https://evil.example/",
    ] {
        let client = app.client();
        let page = client
            .post_form(
                "/sign-in",
                &[
                    ("email", "ana@example.org"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "{next:?}: {}", page.body);
        assert_eq!(page.location(), "/", "{next:?} is not a path on this site");
    }
    // The same rule where a signed-out person is sent to sign in first.
    let page = app.client().get("/hub?x=%09").await;
    assert_eq!(page.status, 303);
    let page = app.client().get("/%09/evil.example").await;
    assert!(page.status < 500, "{}", page.status);
}

/// Finding 9: exports lacked `Cache-Control: no-store`; the CSRF cookie was not rotated at
/// sign-in.
#[tokio::test]
async fn exports_are_never_cached_and_signing_in_rotates_the_csrf_cookie() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador,analyst")
        .await;
    let ana = app.client();
    ana.get("/sign-in").await;
    let before = ana
        .cookie("chorus_csrf")
        .expect("a CSRF cookie before signing in");
    let signed_in = ana.sign_in("ana@example.org", PASSWORD).await;
    assert_eq!(signed_in.status, 303);
    let after = ana
        .cookie("chorus_csrf")
        .expect("a CSRF cookie after signing in");
    assert_ne!(before, after, "signing in gives a new CSRF cookie");
    // The page's forms work with the new one.
    ana.join().await;

    for path in ["/account/export", "/stats/export.csv"] {
        let page = ana.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
    }
}

/// Finding 6: `GET /stats?to=-262143-01-01` and `GET /hub?page=18446744073709551615` panicked.
#[tokio::test]
async fn huge_or_absurd_numbers_in_queries_are_answered_not_panicked_on() {
    let app = TestApp::spawn().await;
    let analyst = app.signed_in("ann@example.org", "analyst").await;
    for path in [
        "/stats?to=-262143-01-01",
        "/stats?from=-262143-01-01",
        "/stats?from=262142-12-31&to=262142-12-31",
    ] {
        let page = analyst.get(path).await;
        assert_eq!(page.status, 422, "{path}: {}", page.body);
        assert!(
            page.body.contains("aria-invalid"),
            "the form says which field"
        );
    }
    let export = analyst.get("/stats/export.csv?to=-262143-01-01").await;
    assert_eq!(export.status, 400);
    let amir = app.ambassador("amir@example.org").await;
    for page in ["18446744073709551615", "0", "99999999"] {
        let hub = amir.get(&format!("/hub?page={page}")).await;
        assert_eq!(hub.status, 200, "page={page}");
    }
    assert!(!app.log().contains("panicked"), "{}", app.log());
}

/// Finding 8 (first part): `chorus.db` was created readable by everyone (the key file was
/// already 0600).
#[tokio::test]
async fn the_sqlite_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let app = TestApp::spawn().await;
    if app.is_postgres() {
        return;
    }
    let path = app.dir().join("chorus.db");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
}

/// Finding 5: with a proxy configured, the connectors' client for servers people name handed
/// the host name to the proxy unchecked (`CONNECT internal.corp.example:443` at the proxy).
/// That client never uses a proxy: the address guard resolves every name itself.
#[tokio::test]
async fn a_configured_proxy_never_carries_a_request_to_a_server_a_person_named() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = proxy.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default()
            .env("HTTPS_PROXY", &proxy_url)
            .env("HTTP_PROXY", &proxy_url)
            .env("ALL_PROXY", &proxy_url),
    )
    .await;
    let ana = app.ambassador("ana@example.org").await;
    let answer = ana
        .connect("/hub/accounts/connect/mastodon?instance=internal.corp.example")
        .await;
    assert!(
        answer.status < 500 || answer.status == 502,
        "{}",
        answer.status
    );
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "nothing went through the proxy"
    );
}

/// Finding 1: the worker picked up queued shares without checking that the person was still
/// opted in and their account still active. It now checks when it claims a share; the share
/// is cancelled with the reason shown to its owner, and nothing reaches the network.
mod queued_shares {
    use chorus_tests::TestAppOptions;
    use sea_orm::{ConnectionTrait as _, Database, Statement};

    use chorus_tests::shares::{queue_now, wait_for_state};
    use chorus_tests::world::StandInWorld;

    async fn queue_on_x_without_a_worker() -> StandInWorld {
        let w =
            StandInWorld::start_with(TestAppOptions::default().env("CHORUS_WORKER", "false")).await;
        let (x_id, _) = w.account_ids().await;
        queue_now(&w.ana, w.item, &[(&x_id, "My own words #employee")]).await;
        wait_for_state(&w.ana, "scheduled", 1).await;
        w
    }

    #[tokio::test]
    async fn a_person_who_withdrew_never_has_their_queued_share_sent() {
        let w = queue_on_x_without_a_worker().await;
        let withdrawn = w.ana.post_form("/account/privacy/withdraw", &[]).await;
        assert_eq!(withdrawn.status, 303);
        let worker = w.app.spawn_worker("after-withdrawal", &[]);
        let history = wait_for_state(&w.ana, "cancelled", 1).await;
        assert!(
            history.contains("You withdrew from the programme"),
            "{history}"
        );
        assert!(w.x.posts().is_empty(), "nothing reached X");
        worker.kill().await;
    }

    #[tokio::test]
    async fn a_deactivated_person_never_has_their_queued_share_sent() {
        let w = queue_on_x_without_a_worker().await;
        let out = w
            .app
            .cli(&["user", "deactivate", "--email", "ana@example.org"], None)
            .await;
        assert!(out.success, "{}", out.stderr);
        let worker = w.app.spawn_worker("after-deactivation", &[]);
        let db = Database::connect(w.app.database_url()).await.unwrap();
        let mut state = (String::new(), String::new());
        for _ in 0..150 {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT state, COALESCE(last_error, '') AS why FROM shares",
                ))
                .await
                .unwrap()
                .unwrap();
            state = (
                row.try_get("", "state").unwrap(),
                row.try_get("", "why").unwrap(),
            );
            if state.0 != "scheduled" && state.0 != "sending" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(state.0, "cancelled", "{state:?}");
        assert!(state.1.contains("deactivated"), "{state:?}");
        assert!(w.x.posts().is_empty(), "nothing reached X");
        worker.kill().await;
    }
}

/// Finding 6 (last part): a 10 MB JSON body answered 400 instead of 413 (3 MB here: over the
/// 2 MB limit, and quick to send).
#[tokio::test]
async fn an_oversized_json_body_is_too_large_not_a_bad_request() {
    let app = TestApp::spawn().await;
    let amir = app.ambassador("amir@example.org").await;
    let token = amir.token().await;
    let text = "a".repeat(3 * 1024 * 1024);
    let answer = amir
        .http()
        .post(amir.url("/api/v1/text/measure"))
        .header("x-csrf-token", token)
        .json(&serde_json::json!({"network": "x", "text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large", "{body}");
}

/// Finding 3: blocked attempts could be renewed forever (one wrong password each time a block
/// ended kept a person locked out), and behind a reverse proxy everyone shares its address, so
/// 30 failures locked everyone out. Failures now count per account *and source*, the source is
/// read from a trusted proxy's `X-Forwarded-For`, and an admin can clear an account's counters.
#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_a_person_out_and_a_proxy_does_not_merge_everyone() {
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_TRUSTED_PROXIES", "127.0.0.1, ::1"),
    )
    .await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    app.add_user("ben@example.org", "Ben", "ambassador").await;

    // An attacker behind the proxy fails on Ana's account until blocked, then on many others
    // until their address is blocked.
    let attacker = app.client();
    attacker.set_forwarded_for("198.51.100.7");
    for _ in 0..5 {
        assert_eq!(
            attacker.sign_in("ana@example.org", "wrong").await.status,
            401
        );
    }
    assert_eq!(
        attacker.sign_in("ana@example.org", "wrong").await.status,
        429
    );
    for n in 0..30 {
        attacker
            .sign_in(&format!("guess{n}@example.org"), "wrong")
            .await;
    }
    assert_eq!(
        attacker.sign_in("ben@example.org", PASSWORD).await.status,
        429
    );

    // Ana, from her own address through the same proxy, signs in; so does Ben.
    let ana = app.client();
    ana.set_forwarded_for("203.0.113.20");
    assert_eq!(ana.sign_in("ana@example.org", PASSWORD).await.status, 303);
    let ben = app.client();
    ben.set_forwarded_for("203.0.113.21, 127.0.0.1");
    assert_eq!(ben.sign_in("ben@example.org", PASSWORD).await.status, 303);

    // An admin clears Ana's counters: the attacker's address is still blocked as an address.
    let out = app
        .cli(&["user", "unlock", "--email", "ana@example.org"], None)
        .await;
    assert!(
        out.success && out.stdout.contains("can sign in again"),
        "{}",
        out.stderr
    );
}

/// Without trusted proxies, a forged `X-Forwarded-For` changes nothing: the peer is the source.
#[tokio::test]
async fn a_forged_forwarded_for_header_is_ignored_without_trusted_proxies() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let attacker = app.client();
    for n in 0..6 {
        attacker.set_forwarded_for(&format!("192.0.2.{n}"));
        attacker.sign_in("ana@example.org", "wrong").await;
    }
    attacker.set_forwarded_for("192.0.2.99");
    assert_eq!(
        attacker.sign_in("ana@example.org", PASSWORD).await.status,
        429,
        "a new claimed address does not reset the count"
    );
    let out = app
        .cli(&["user", "unlock", "--email", "ana@example.org"], None)
        .await;
    assert!(out.success, "{}", out.stderr);
    assert_eq!(
        attacker.sign_in("ana@example.org", PASSWORD).await.status,
        303,
        "unlocked"
    );
}

/// Finding 8: PKCE verifiers sat in plain text in `oauth_states`; they are sealed like tokens
/// (and connecting still works: the connection tests go through the same code).
#[tokio::test]
async fn a_pending_authorisation_keeps_its_pkce_verifier_sealed() {
    use sea_orm::{ConnectionTrait as _, Database, Statement};
    let w = chorus_tests::world::StandInWorld::start().await;
    let db = Database::connect(w.app.database_url()).await.unwrap();
    // Finding 9: a GET changes no state; it leads back to the network's card.
    for path in [
        "/hub/accounts/connect/x",
        "/hub/accounts/connect/mastodon?instance=mastodon.example",
    ] {
        assert!(
            w.ana
                .get(path)
                .await
                .location()
                .starts_with("/hub/accounts#")
        );
    }
    let pending = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT state FROM oauth_states",
        ))
        .await
        .unwrap();
    assert!(pending.is_empty(), "no authorisation started by a GET");
    let start = w.ana.connect("/hub/accounts/connect/x").await;
    assert_eq!(start.status, 200, "{}", start.body);
    assert!(start.next().contains("code_challenge="));
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT pkce_verifier FROM oauth_states",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let stored: String = row.try_get("", "pkce_verifier").unwrap();
        assert!(stored.starts_with("v1."), "sealed: {stored}");
    }
}

/// Found by the hostile-form crawler on PostgreSQL: a NUL character in a form or an address
/// reached the database, which refuses it in text, and the answer was a 503. It is dropped at
/// the door, so the same input reads the same on both databases.
#[tokio::test]
async fn a_nul_character_in_a_form_or_an_address_is_dropped_not_a_5xx() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let created = editor
        .post_form("/editor/topics", &[("name", "Cli\u{0}mate")])
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let topics = editor.get("/editor/topics").await.body;
    assert!(topics.contains("Climate"), "{topics}");
    let amir = app.ambassador("amir@example.org").await;
    assert_eq!(amir.get("/hub?topic=%00&lang=e%00n").await.status, 200);
    assert_eq!(amir.get("/l/ab%00cd").await.status, 404);
    assert!(!app.log().contains("panicked"));
}
