//! Sign-in, sign-out, passwords, sessions, CSRF and throttling.

use chorus_tests::{PASSWORD, TestApp, TestAppOptions};

#[tokio::test]
async fn signing_in_lands_on_the_role_home_and_signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();

    let answer = client.sign_in("Ana@Example.org", PASSWORD).await;
    assert_eq!(answer.status, 303);
    // Never opted in: the hub first asks whether she wants to take part.
    let home = client.follow(answer).await;
    assert_eq!(home.path(), "/hub/join");
    assert!(home.body.contains("Take part in Chorus"), "{}", home.body);
    client.join().await;
    let hub = client.get("/hub").await;
    assert!(hub.body.contains("Hello Ana"), "{}", hub.body);

    let out = client.sign_out().await;
    assert_eq!(out.location(), "/sign-in?done=signed_out");
    let page = client.follow(out).await;
    assert!(page.body.contains("You are signed out"));
    let after = client.get("/hub").await;
    assert_eq!(after.status, 303);
    assert_eq!(after.location(), "/sign-in?next=%2Fhub");
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_email_is_kept() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    let page = client.sign_in("ana@example.org", "not the password").await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Wrong email or password"));
    assert!(
        page.body.contains(r#"value="ana@example.org""#),
        "the email is kept"
    );
    assert!(client.cookie("chorus_session").is_none());
}

#[tokio::test]
async fn unknown_and_known_emails_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let answer = |email: &'static str| {
        let client = app.client();
        async move {
            let page = client.sign_in(email, "wrong password!").await;
            let token = client.token().await;
            (
                page.status,
                page.body.replace(email, "EMAIL").replace(&token, "TOKEN"),
            )
        }
    };
    let known = answer("ana@example.org").await;
    let unknown = answer("nobody@example.org").await;
    assert_eq!(known.0, 401);
    assert_eq!(
        known, unknown,
        "the page must not tell whether an account exists"
    );
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_cookies_are_httponly_and_lax() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    let first = client.sign_in("ana@example.org", PASSWORD).await;
    let first_id = client.cookie("chorus_session").expect("a session cookie");
    let cookie = first
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("chorus_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http base URL: no Secure flag"
    );

    // Signing in again (even while signed in) issues a new id and the old one stops working.
    let again = client
        .post_form(
            "/sign-in",
            &[("email", "ana@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, 303);
    let second_id = client.cookie("chorus_session").unwrap();
    assert_ne!(first_id, second_id);
    let stale = app.client();
    let response = stale
        .http()
        .get(app.url("/hub"))
        .header("cookie", format!("chorus_session={first_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "the old session id is dead");
}

#[tokio::test]
async fn cookies_are_secure_when_the_base_url_is_https() {
    let app = TestApp::spawn_with(
        TestAppOptions::default().env("CHORUS_BASE_URL", "https://chorus.example.com"),
    )
    .await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    let page = client.get("/sign-in").await;
    let csrf = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("chorus_csrf="))
        .unwrap();
    assert!(csrf.contains("; Secure"), "{csrf}");
    assert!(page.header("strict-transport-security").contains("max-age"));
}

#[tokio::test]
async fn state_changing_requests_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    client.get("/sign-in").await;

    // No token at all.
    let page = client
        .post_raw(
            "/sign-in",
            &[("email", "ana@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("This form has expired"), "{}", page.body);
    // A token that belongs to another browser's cookie.
    let other = app.client();
    let foreign_token = other.token().await;
    let page = client
        .post_raw(
            "/sign-in",
            &[
                ("csrf_token", &foreign_token),
                ("email", "ana@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    // The right token from another origin.
    let token = client.token().await;
    let response = client
        .http()
        .post(app.url("/sign-in"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "ana@example.org"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        client.cookie("chorus_session").is_none(),
        "no sign-in happened"
    );
    // The right token, same origin: accepted.
    let ok = client
        .post_form(
            "/sign-in",
            &[("email", "ana@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status, 303);
    // Signed in, sign-out without a token is refused too.
    let refused = client.post_raw("/sign-out", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(client.get("/account").await.status, 200, "still signed in");
}

#[tokio::test]
async fn repeated_failures_are_throttled_the_same_way_for_unknown_emails_without_locking_others_out()
 {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    app.add_user("ben@example.org", "Ben", "ambassador").await;
    let attacker = app.client();
    for email in ["ana@example.org", "ghost@example.org"] {
        for attempt in 1..=5 {
            let page = attacker.sign_in(email, "wrong password").await;
            assert_eq!(page.status, 401, "{email} attempt {attempt}");
        }
        let blocked = attacker.sign_in(email, "wrong password").await;
        assert_eq!(
            blocked.status, 429,
            "{email} is throttled after five failures"
        );
        assert!(
            blocked.body.contains("Too many attempts. Wait"),
            "{}",
            blocked.body
        );
    }
    // While blocked, even the right password does not get in (no oracle for the attacker)...
    let blocked = app.client().sign_in("ana@example.org", PASSWORD).await;
    assert_eq!(blocked.status, 429);
    // ...but another account from the same address still can.
    let ben = app.client().sign_in("ben@example.org", PASSWORD).await;
    assert_eq!(ben.status, 303);
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let laptop = app.ambassador("ana@example.org").await;
    let phone = app.client();
    assert_eq!(phone.sign_in("ana@example.org", PASSWORD).await.status, 303);

    let wrong = laptop
        .post_form(
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("This is not your current password"));

    let short = laptop
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("Use at least 10 characters"));

    let done = laptop
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/account?done=password");
    assert_eq!(laptop.get("/hub").await.status, 200, "this session stays");
    assert_eq!(
        phone.get("/hub").await.status,
        303,
        "the other session ended"
    );
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", "a brand new passphrase")
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_to_another_site() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "admin").await;
    let client = app.client();
    let asked = client.get("/admin/users/new").await;
    assert_eq!(asked.location(), "/sign-in?next=%2Fadmin%2Fusers%2Fnew");
    let form = client.get(&asked.location()).await;
    assert!(
        form.body
            .contains(r#"name="next" value="/admin/users/new""#)
    );
    let page = client
        .post_form(
            "/sign-in",
            &[
                ("email", "ana@example.org"),
                ("password", PASSWORD),
                ("next", "/admin/users/new"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/admin/users/new");

    let other = app.client();
    let page = other
        .post_form(
            "/sign-in",
            &[
                ("email", "ana@example.org"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/");
}
