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
