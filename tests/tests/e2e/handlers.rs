//! Handlers in this process (`router::build(app).oneshot(..)`): the first-run gate, who may
//! enter each area, and answers that need no running server.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_tests::InProcess;

/// Before the first account exists, every page leads to the first-run form; what must work
/// before it (health, assets, the form itself) does.
#[tokio::test]
async fn before_set_up_every_page_leads_to_the_first_run_form() {
    let app = InProcess::start().await;
    for path in ["/", "/hub", "/editor", "/stats", "/admin", "/account"] {
        let answer = app.get(path, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.header("location"), "/setup", "{path}");
    }
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let setup = app.get("/setup", None).await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(setup.body.contains("csrf_token"), "{}", setup.body);
    // A form posted without its token is refused before the handler runs.
    let forged = app
        .send(
            Request::post("/setup")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("name=Eve&email=eve%40example.org&password=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        chorus_server::store::users::count(&app.app().db)
            .await
            .unwrap(),
        0
    );
}

/// Each area opens to its roles only, whatever the path inside it: the extractors of the
/// nested routers decide, and a person with no right is told so (403), never shown the page.
#[tokio::test]
async fn each_area_opens_to_its_roles_and_to_no_one_else() {
    let app = InProcess::start().await;
    let roles = ["editor", "ambassador", "analyst", "admin"];
    let mut sessions = Vec::new();
    for role in roles {
        sessions.push((
            role,
            app.session_for(&format!("{role}@example.org"), role).await,
        ));
    }
    // (path, the roles it opens to)
    let areas = [
        ("/editor", &["editor"][..]),
        ("/editor/topics", &["editor"]),
        ("/editor/items/new", &["editor"]),
        ("/stats", &["analyst"]),
        ("/admin", &["admin"]),
        ("/admin/settings", &["admin"]),
        ("/account", &["editor", "ambassador", "analyst", "admin"]),
        (
            "/account/privacy",
            &["editor", "ambassador", "analyst", "admin"],
        ),
    ];
    for (path, open_to) in areas {
        for (role, cookie) in &sessions {
            let answer = app.get(path, Some(cookie)).await;
            if open_to.contains(role) {
                assert_eq!(
                    answer.status,
                    StatusCode::OK,
                    "{role} on {path}: {}",
                    answer.body
                );
            } else {
                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{role} on {path}");
            }
        }
        // Nobody signed in is sent to sign in, and comes back to the page afterwards.
        let anonymous = app.get(path, None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        let back: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            anonymous.header("location"),
            format!("/sign-in?next={back}"),
            "{path}: the full address, area prefix included"
        );
    }
    // The hub asks an ambassador who has not joined to join first.
    let (_, ambassador) = &sessions[1];
    let hub = app.get("/hub", Some(ambassador)).await;
    assert_eq!(hub.status, StatusCode::SEE_OTHER);
    assert!(
        hub.header("location").starts_with("/hub/join"),
        "{}",
        hub.header("location")
    );
    // Pages inside an area know their full address: the navigation marks where one is.
    let (_, admin) = &sessions[3];
    let page = app.get("/admin", Some(admin)).await;
    assert!(
        page.body.contains(r#"href="/admin" aria-current="page""#),
        "{}",
        page.body
    );
    // An unknown path inside an area is a 404 page, not another area's answer.
    let (_, editor) = &sessions[0];
    let missing = app.get("/editor/nothing-here", Some(editor)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.header("content-type").starts_with("text/html"));
}
