//! Admin pages: adding people, setting roles, deactivating.

use chorus_tests::{PASSWORD, TestApp};

fn user_id(admin_page: &str, email: &str) -> String {
    let at = admin_page
        .find(&format!(r#"data-email="{email}""#))
        .expect("the person is listed");
    let rest = &admin_page[at..];
    let start = rest.find("/admin/users/").unwrap() + "/admin/users/".len();
    rest[start..].split('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_adds_a_person_who_signs_in_with_the_password_shown_once() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;

    let bad = admin
        .post_form(
            "/admin/users",
            &[
                ("name", "Chloé Martin"),
                ("email", "not-an-email"),
                ("ambassador", "on"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Enter an email address"));
    assert!(
        bad.body.contains(r#"value="Chloé Martin""#),
        "the name typed is kept"
    );
    assert!(
        bad.body.contains(r#"value="not-an-email""#),
        "the email typed is kept"
    );

    let created = admin
        .post_form(
            "/admin/users",
            &[
                ("name", "Chloé Martin"),
                ("email", "chloe@example.org"),
                ("ambassador", "on"),
            ],
        )
        .await;
    assert_eq!(created.status, 201);
    let marker = r#"data-testid="new-password">"#;
    let start = created.body.find(marker).unwrap() + marker.len();
    let password = &created.body[start..start + created.body[start..].find('<').unwrap()];
    assert_eq!(password.len(), 20);

    let again = admin
        .post_form(
            "/admin/users",
            &[("name", "Other"), ("email", "CHLOE@example.org")],
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("exists already"));

    let chloe = app.client();
    assert_eq!(
        chloe.sign_in("chloe@example.org", password).await.status,
        303
    );
    assert_eq!(
        chloe.get_follow("/").await.path(),
        "/hub/join",
        "she is asked to opt in first"
    );
    let list = admin.get("/admin").await;
    assert!(list.body.contains("chloe@example.org"));
    assert!(
        !list.body.contains(password),
        "the password is never shown again"
    );
}

#[tokio::test]
async fn deactivation_ends_the_persons_sessions_at_once_and_blocks_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let ana = app.ambassador("ana@example.org").await;
    assert_eq!(ana.get("/hub").await.status, 200);

    let list = admin.get("/admin").await;
    let id = user_id(&list.body, "ana@example.org");
    let done = admin
        .post_form(&format!("/admin/users/{id}/deactivate"), &[])
        .await;
    assert_eq!(done.location(), "/admin?done=deactivated");

    assert_eq!(ana.get("/hub").await.status, 303, "signed out at once");
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", PASSWORD)
            .await
            .status,
        401
    );

    admin
        .post_form(&format!("/admin/users/{id}/reactivate"), &[])
        .await;
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", PASSWORD)
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn roles_change_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let ana = app.ambassador("ana@example.org").await;
    assert_eq!(ana.get("/editor").await.status, 403);
    let id = user_id(&admin.get("/admin").await.body, "ana@example.org");
    let done = admin
        .post_form(
            &format!("/admin/users/{id}/roles"),
            &[("ambassador", "on"), ("editor", "on")],
        )
        .await;
    assert_eq!(done.location(), "/admin?done=roles");
    assert_eq!(ana.get("/editor").await.status, 200);
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let id = user_id(&admin.get("/admin").await.body, "boss@example.org");
    let page = admin
        .post_form(&format!("/admin/users/{id}/roles"), &[("editor", "on")])
        .await;
    assert_eq!(page.location(), "/admin?error=last_admin");
    let page = admin.get_follow(&page.location()).await;
    assert!(page.body.contains("at least one active admin"));
    assert_eq!(admin.get("/admin").await.status, 200, "still admin");
}
