//! Admin pages: adding people, setting roles, deactivating.

use chorus_tests::html::{number_after, testid};
use chorus_tests::{PASSWORD, TestApp};

/// The id of the person listed with `email`, from the link to their page.
fn user_id(admin_page: &str, email: &str) -> String {
    let at = admin_page
        .find(&format!(r#"data-email="{email}""#))
        .expect("the person is listed");
    number_after(&admin_page[at..], "/admin/users/")
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
    assert_eq!(
        done.location(),
        format!("/admin/users/{id}?done=deactivated")
    );

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
    assert_eq!(done.location(), format!("/admin/users/{id}?done=roles"));
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
    assert_eq!(
        page.location(),
        format!("/admin/users/{id}?error=last_admin")
    );
    let page = admin.get_follow(&page.location()).await;
    assert!(page.body.contains("at least one active admin"));
    assert_eq!(admin.get("/admin").await.status, 200, "still admin");
}

/// The accounts of a large organisation as a table: searched by name, email or team (any
/// case, `%` taken literally), filtered by role and status, a page of 50 at a time; each
/// person has a page of their own with their team, last sign-in, a new password shown once,
/// and sign-in unlocked.
#[tokio::test]
async fn the_accounts_table_searches_and_pages_and_each_person_has_a_page() {
    use sea_orm::{ConnectionTrait as _, Database};
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let db = Database::connect(app.database_url()).await.unwrap();
    for n in 1..=120 {
        let team = if n % 2 == 0 { "Nantes" } else { "Lyon" };
        let roles = if n <= 10 {
            "ambassador,analyst"
        } else {
            "ambassador"
        };
        let active = if n > 115 { "false" } else { "true" };
        db.execute_unprepared(&format!(
            "INSERT INTO users (email, display_name, password_hash, roles, team, active, created_at, updated_at) \
             VALUES ('p{n:03}@example.org', 'Person {n:03}', NULL, '{roles}', '{team}', {active}, \
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))
        .await
        .unwrap();
    }

    let first = admin.get("/admin").await;
    assert_eq!(first.status, 200);
    assert_eq!(testid(&first.body, "showing"), "1–50 of 121 accounts");
    assert_eq!(first.body.matches("<tr data-email=").count(), 50);
    assert!(first.body.contains(r#"rel="next""#) && !first.body.contains(r#"rel="prev""#));
    let last = admin.get("/admin?page=3").await.body;
    assert_eq!(testid(&last, "showing"), "101–121 of 121 accounts");
    assert!(last.contains(r#"rel="prev""#) && !last.contains(r#"rel="next""#));
    for (query, expected) in [
        ("q=P007", "1–1 of 1 accounts"),
        ("q=person+00", "1–9 of 9 accounts"),
        ("q=nantes", "1–50 of 60 accounts"),
        ("q=nantes&page=2", "51–60 of 60 accounts"),
        ("role=analyst", "1–10 of 10 accounts"),
        ("status=inactive", "1–5 of 5 accounts"),
        ("q=lyon&role=analyst&status=active", "1–5 of 5 accounts"),
    ] {
        let page = admin.get(&format!("/admin?{query}")).await;
        assert_eq!(page.status, 200, "{query}");
        assert_eq!(testid(&page.body, "showing"), expected, "{query}");
    }
    // A search keeps its terms on the next page, and shows what was typed.
    let nantes = admin.get("/admin?q=nantes").await.body;
    assert!(
        nantes.contains("q=nantes&amp;role=&amp;status=&amp;page=2")
            || nantes.contains("q=nantes&role=&status=&page=2"),
        "{nantes}"
    );
    assert!(nantes.contains(r#"value="nantes""#));
    // `%` and `_` are letters in a search, not wildcards; no match is an empty state.
    for literal in ["%25", "_", "zzz"] {
        let page = admin.get(&format!("/admin?q={literal}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("Nobody matches this search."),
            "{literal}"
        );
    }
    // Hostile paging reads as the first page.
    for page in ["0", "-1", "18446744073709551616", "x"] {
        let answer = admin.get(&format!("/admin?page={page}")).await;
        assert_eq!(answer.status, 200, "{page}");
        assert_eq!(testid(&answer.body, "showing"), "1–50 of 121 accounts");
    }

    // One person's page.
    let ana = app.ambassador("ana@example.org").await;
    let id = user_id(&admin.get("/admin?q=ana%40").await.body, "ana@example.org");
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert_eq!(page.status, 200);
    assert_ne!(testid(&page.body, "last-sign-in"), "never", "she signed in");
    let never = user_id(&admin.get("/admin?q=p001").await.body, "p001@example.org");
    let page = admin.get(&format!("/admin/users/{never}")).await.body;
    assert_eq!(testid(&page, "last-sign-in"), "never");
    assert_eq!(admin.get("/admin/users/999999").await.status, 404);

    // Team: what analysts filter by.
    let done = admin
        .post_form(
            &format!("/admin/users/{id}/team"),
            &[("team", "  Bordeaux ")],
        )
        .await;
    assert_eq!(done.location(), format!("/admin/users/{id}?done=team"));
    let page = admin.get_follow(&done.location()).await.body;
    assert!(page.contains("Team saved.") && page.contains(r#"value="Bordeaux""#));
    assert_eq!(
        testid(&admin.get("/admin?q=bordeaux").await.body, "showing"),
        "1–1 of 1 accounts"
    );

    // Locked out by someone's guesses: the admin unlocks her.
    let guesser = app.client();
    for _ in 0..6 {
        guesser.sign_in("ana@example.org", "wrong").await;
    }
    assert_eq!(
        guesser.sign_in("ana@example.org", PASSWORD).await.status,
        429
    );
    let done = admin
        .post_form(&format!("/admin/users/{id}/unlock"), &[])
        .await;
    assert_eq!(done.location(), format!("/admin/users/{id}?done=unlocked"));
    assert_eq!(
        guesser.sign_in("ana@example.org", PASSWORD).await.status,
        303
    );

    // A new password, shown once: her sessions end, the old password stops working.
    assert_eq!(ana.get("/hub").await.status, 200);
    let reset = admin
        .post_form(&format!("/admin/users/{id}/password"), &[])
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let password = testid(&reset.body, "new-password");
    assert_eq!(password.len(), 20);
    assert_eq!(ana.get("/hub").await.status, 303, "signed out at once");
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", &password)
            .await
            .status,
        303
    );
    assert!(
        !admin
            .get(&format!("/admin/users/{id}"))
            .await
            .body
            .contains(&password)
    );

    // Deactivation asks first (a disclosure holding the real button), and says what follows.
    let page = admin.get(&format!("/admin/users/{id}")).await.body;
    assert!(page.contains(r#"<details class="confirm">"#));
    assert!(page.contains("Nothing they scheduled will be posted."));
}
