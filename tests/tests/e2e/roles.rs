//! Every role against every area: allowed and refused.

use chorus_tests::TestApp;

/// Area pages and whether each single role may enter them.
const AREAS: [(&str, [bool; 4]); 5] = [
    // path            editor ambassador analyst admin
    ("/editor", [true, false, false, false]),
    ("/hub", [false, true, false, false]),
    ("/stats", [false, false, true, false]),
    ("/admin", [false, false, false, true]),
    ("/admin/users/new", [false, false, false, true]),
];
const ROLES: [&str; 4] = ["editor", "ambassador", "analyst", "admin"];

#[tokio::test]
async fn each_role_enters_its_own_areas_and_is_refused_the_others() {
    let app = TestApp::spawn().await;
    for (i, role) in ROLES.iter().enumerate() {
        let client = app.signed_in(&format!("{role}@example.org"), role).await;
        if *role == "ambassador" {
            client.join().await;
        }
        let home = client.get("/").await;
        assert_eq!(home.status, 303);
        assert_eq!(home.location(), AREAS[i].0, "{role}'s home");
        for (path, allowed) in AREAS {
            let page = client.get(path).await;
            if allowed[i] {
                assert_eq!(page.status, 200, "{role} may enter {path}");
            } else {
                assert_eq!(page.status, 403, "{role} may not enter {path}");
                assert!(page.body.contains("Not allowed"), "a helpful 403 page");
                assert!(page.body.contains("ask an admin"), "{}", page.body);
            }
        }
    }
}

#[tokio::test]
async fn admin_actions_are_refused_to_other_roles() {
    let app = TestApp::spawn().await;
    app.add_user("boss@example.org", "Boss", "admin").await;
    let editor = app.signed_in("editor@example.org", "editor").await;
    let page = editor
        .post_form(
            "/admin/users",
            &[
                ("name", "Mallory"),
                ("email", "m@example.org"),
                ("admin", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = editor
        .post_form("/admin/users/1/roles", &[("editor", "on")])
        .await;
    assert_eq!(page.status, 403);
    let page = editor.post_form("/admin/users/1/deactivate", &[]).await;
    assert_eq!(page.status, 403);
    assert_eq!(
        app.client()
            .sign_in("m@example.org", "whatever-password")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_from_every_area() {
    let app = TestApp::spawn().await;
    app.add_user("boss@example.org", "Boss", "admin").await;
    let client = app.client();
    for (path, _) in AREAS {
        let page = client.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location().starts_with("/sign-in"),
            "{path} -> {}",
            page.location()
        );
    }
    assert_eq!(client.get("/account").await.status, 303);
}

#[tokio::test]
async fn a_person_with_several_roles_sees_each_area_in_the_navigation() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("multi@example.org", "editor,analyst").await;
    let page = client.get_follow("/").await;
    assert_eq!(page.path(), "/editor");
    assert!(page.body.contains(r#"href="/editor""#) && page.body.contains(r#"href="/stats""#));
    assert!(!page.body.contains(r#"href="/admin""#) && !page.body.contains(r#"href="/hub""#));
    assert_eq!(client.get("/stats").await.status, 200);
}
