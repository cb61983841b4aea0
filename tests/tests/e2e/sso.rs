//! Issue 16, part 1 (first slice): signing in with the company's identity provider, against
//! the certified `oidc-provider` run as a peer. The authorization code flow with PKCE, state
//! bound to the browser, nonce, the ID token checked (its signature against the provider's
//! keys, issuer, audience, expiry, nonce), first sign-in creating an ambassador or linking a
//! verified email. The refusals are tested here with tokens the provider itself issued and
//! then tampered with (a wrong nonce, an expiry in the past, another issuer: re-signed with its
//! own key), and in `auth::oidc`'s unit tests with forged ones.

use chorus_tests::oidc::{Agent, OidcProvider};
use chorus_tests::{PASSWORD, TestApp, TestAppOptions};
use sea_orm::{ConnectionTrait as _, Database, Statement};

async fn configured() -> (TestApp, OidcProvider) {
    configured_with(None).await
}

/// Chorus with single sign-on configured by an admin, against a provider whose ID tokens are
/// tampered with when `tamper` says so.
async fn configured_with(tamper: Option<&str>) -> (TestApp, OidcProvider) {
    let app = TestApp::spawn_with(
        TestAppOptions::default().env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let redirect = app.url("/sign-in/oidc/callback");
    let provider = match tamper {
        None => OidcProvider::start(&redirect, None, "first").await,
        Some(tamper) => OidcProvider::start_tampering(&redirect, tamper).await,
    };
    let admin = app.signed_in("boss@example.org", "admin").await;
    let page = admin.get("/admin/sso").await.body;
    assert!(
        page.contains(&app.url("/sign-in/oidc/callback")),
        "the page gives the address to register"
    );
    // A wrong issuer is refused and the form keeps what was typed.
    let refused = admin
        .post_form(
            "/admin/sso",
            &[
                ("issuer", "http://127.0.0.1:9/nowhere"),
                ("client_id", &provider.client_id),
                ("client_secret", &provider.client_secret),
                ("email_claim", "email"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Chorus could not use this provider"));
    assert!(
        refused
            .body
            .contains(r#"value="http://127.0.0.1:9/nowhere""#)
    );
    assert!(
        !refused.body.contains(&provider.client_secret),
        "a secret is never shown"
    );
    let saved = admin
        .post_form(
            "/admin/sso",
            &[
                ("issuer", &provider.issuer),
                ("client_id", &provider.client_id),
                ("client_secret", &provider.client_secret),
                ("email_claim", "email"),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/admin/sso?done=saved", "{}", saved.body);
    (app, provider)
}

async fn user_row(app: &TestApp, email: &str) -> Option<(i32, Option<String>, String)> {
    let db = Database::connect(app.database_url()).await.unwrap();
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT id, oidc_subject, roles FROM users WHERE email = $1",
        [email.into()],
    ))
    .await
    .unwrap()
    .map(|row| {
        (
            row.try_get("", "id").unwrap(),
            row.try_get("", "oidc_subject").unwrap(),
            row.try_get("", "roles").unwrap(),
        )
    })
}

/// Starts a sign-in at Chorus and goes through the provider as `login`: returns the agent and
/// Chorus's callback address the provider sent it to (not yet requested).
async fn through_provider(app: &TestApp, login: &str, next: &str) -> (Agent, String) {
    let agent = Agent::new();
    let sign_in = agent.get(&app.url("/sign-in")).await;
    assert!(
        sign_in.body.contains("Sign in with your company account"),
        "offered on the sign-in page"
    );
    let start = agent
        .get(&app.url(&format!("/sign-in/oidc?next={next}")))
        .await;
    let to_provider = start.location.expect("off to the provider");
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
    ] {
        assert!(to_provider.contains(part), "{part} in {to_provider}");
    }
    let callback = agent
        .sign_in_at_provider(&to_provider, login, &app.url("/sign-in/oidc/callback"))
        .await;
    (agent, callback)
}

#[tokio::test]
async fn a_first_sign_in_creates_an_ambassador_and_a_verified_email_links_an_account() {
    let (app, _provider) = configured().await;

    // Someone new: an ambassador who has not joined yet, sent where they were going.
    let (agent, callback) = through_provider(&app, "nina@example.org", "%2Fhub").await;
    let signed_in = agent.get(&callback).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert!(
        signed_in
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("/hub")),
        "{signed_in:?}"
    );
    let hub = agent.get(&app.url("/hub")).await;
    assert_eq!(
        hub.location.as_deref().map(|l| l.ends_with("/hub/join")),
        Some(true),
        "the guidelines still ask: {hub:?}"
    );
    let (id, subject, roles) = user_row(&app, "nina@example.org").await.expect("created");
    assert_eq!(roles, "ambassador");
    assert!(subject.is_some_and(|s| s.ends_with("|nina@example.org")));

    // The same answer again (a replayed code and state) signs nobody in.
    let replayed = agent.get(&callback).await;
    assert_eq!(replayed.status, 400);
    assert!(replayed.body.contains("did not start in this browser"));

    // Next time, the subject finds the same person.
    let (agent, callback) = through_provider(&app, "nina@example.org", "%2F").await;
    assert_eq!(agent.get(&callback).await.status, 303);
    assert_eq!(user_row(&app, "nina@example.org").await.unwrap().0, id);

    // An existing account with the same verified email is linked; its password still works.
    app.add_user("eve@example.org", "Eve", "editor").await;
    let (eve_before, _, _) = user_row(&app, "eve@example.org").await.unwrap();
    let (agent, callback) = through_provider(&app, "eve@example.org", "%2Feditor").await;
    let answer = agent.get(&callback).await;
    assert_eq!(
        answer.location.as_deref().map(|l| l.ends_with("/editor")),
        Some(true)
    );
    let (eve_after, subject, roles) = user_row(&app, "eve@example.org").await.unwrap();
    assert_eq!((eve_after, roles.as_str()), (eve_before, "editor"));
    assert!(subject.is_some());
    let password = app.client();
    assert_eq!(
        password.sign_in("eve@example.org", PASSWORD).await.status,
        303
    );

    // An unverified email never takes over an existing account; no email at all is refused.
    let (agent, callback) = through_provider(&app, "unverified:eve@example.org", "%2F").await;
    let refused = agent.get(&callback).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("has not verified your email address"));
    let (agent, callback) = through_provider(&app, "noemail", "%2F").await;
    let refused = agent.get(&callback).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("did not say your email address"));
}

#[tokio::test]
async fn an_answer_with_another_state_or_in_another_browser_is_refused() {
    let (app, _provider) = configured().await;
    let (agent, callback) = through_provider(&app, "omar@example.org", "%2F").await;
    // The state changed on the way: refused, and the real one still works once.
    let mut forged = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged-state".to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let refused = agent.get(forged.as_str()).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("did not start in this browser"));
    // The genuine answer taken to another browser (no state cookie): refused too.
    let elsewhere = Agent::new().get(&callback).await;
    assert_eq!(elsewhere.status, 400);
    assert!(
        user_row(&app, "omar@example.org").await.is_none(),
        "nobody created"
    );
    assert_eq!(agent.get(&callback).await.status, 303);
    assert!(user_row(&app, "omar@example.org").await.is_some());
}

#[tokio::test]
async fn id_tokens_with_a_wrong_nonce_expired_or_from_another_issuer_are_refused_with_a_clear_page()
{
    for tamper in ["nonce", "expired", "issuer"] {
        let (app, _provider) = configured_with(Some(tamper)).await;
        let (agent, callback) = through_provider(&app, "tess@example.org", "%2F").await;
        let refused = agent.get(&callback).await;
        assert_eq!(refused.status, 401, "{tamper}: {}", refused.body);
        assert!(
            refused
                .body
                .contains("did not prove who you are (its answer did not check out)"),
            "{tamper}: {}",
            refused.body
        );
        assert!(
            refused.body.contains(r#"href="/sign-in/oidc"#),
            "{tamper}: the sign-in page, to start again"
        );
        assert!(
            user_row(&app, "tess@example.org").await.is_none(),
            "{tamper}: nobody created"
        );
        let why = match tamper {
            "nonce" => "does not belong to this sign-in (nonce)",
            "expired" => "the ID token expired",
            _ => "was issued by http://127.0.0.1:9/another-issuer, not by the configured provider",
        };
        assert!(
            app.log().contains(why),
            "{tamper}: the log says why ({why})"
        );
    }
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_and_used() {
    let (app, provider) = configured().await;
    let (agent, callback) = through_provider(&app, "rita@example.org", "%2F").await;
    assert_eq!(agent.get(&callback).await.status, 303);
    // The provider comes back on the same address with a new signing key.
    let port = provider.port;
    drop(provider);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let rotated =
        OidcProvider::start(&app.url("/sign-in/oidc/callback"), Some(port), "second").await;
    let admin = app.signed_in("boss2@example.org", "admin").await;
    let saved = admin
        .post_form(
            "/admin/sso",
            &[
                ("issuer", &rotated.issuer),
                ("client_id", &rotated.client_id),
                ("client_secret", &rotated.client_secret),
                ("email_claim", "email"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let (agent, callback) = through_provider(&app, "rita@example.org", "%2F").await;
    assert_eq!(
        agent.get(&callback).await.status,
        303,
        "signed with the new key"
    );
}

#[tokio::test]
async fn in_chromium_a_person_signs_in_with_the_company_account_and_is_asked_to_join() {
    let (app, _provider) = configured().await;
    let browser = chorus_tests::Browser::start(390, 844).await;
    browser.goto(&app.url("/sign-in?next=%2Fhub")).await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "sign-in page with single sign-on"
    );
    browser.screenshots("sso-sign-in").await;
    browser.click("[data-testid=sso]").await;
    // The provider's own login page, then its consent page.
    browser
        .wait_for("return !!document.querySelector('input[name=login]');")
        .await;
    browser
        .type_into("input[name=login]", "lina@example.org")
        .await;
    browser.type_into("input[name=password]", "whatever").await;
    browser.click("button[type=submit]").await;
    browser
        .wait_for("return !!document.querySelector('input[name=prompt][value=consent]') || location.pathname === '/hub/join';")
        .await;
    if browser
        .execute("return !!document.querySelector('input[name=prompt][value=consent]');")
        .await
        == true
    {
        browser.click("button[type=submit]").await;
    }
    browser
        .wait_for("return location.pathname === '/hub/join';")
        .await;
    assert_eq!(
        browser.text("h1").await,
        "Take part in Chorus",
        "asked to join first"
    );
    browser.screenshot("sso-joined-390").await;
    browser.quit().await;
    assert!(user_row(&app, "lina@example.org").await.is_some());
}

#[tokio::test]
async fn passwords_can_be_turned_off_for_everyone_but_a_break_glass_admin() {
    let (app, provider) = configured().await;
    app.add_user("amy@example.org", "Amy", "ambassador").await;
    let admin = app.client();
    assert_eq!(
        admin.sign_in("boss@example.org", PASSWORD).await.status,
        303
    );
    let form = |only: &'static str| {
        vec![
            ("issuer", provider.issuer.clone()),
            ("client_id", provider.client_id.clone()),
            ("client_secret", String::new()),
            ("email_claim", "email".to_owned()),
            ("passwords_off", "on".to_owned()),
            ("break_glass", only.to_owned()),
        ]
    };
    let post = async |fields: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        admin.post_form("/admin/sso", &pairs).await
    };
    // The break-glass account must be an active admin.
    let refused = post(form("amy@example.org")).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("must be an active admin"));
    assert_eq!(post(form("boss@example.org")).await.status, 303);

    let amy = app.client();
    let answer = amy.sign_in("amy@example.org", PASSWORD).await;
    assert_eq!(answer.status, 403);
    assert!(
        answer
            .body
            .contains("Sign-in with a password is turned off here")
    );
    assert!(answer.body.contains("Sign in with your company account"));
    let boss = app.client();
    assert_eq!(
        boss.sign_in("boss@example.org", PASSWORD).await.status,
        303,
        "the break-glass admin still can"
    );
    // Turned on again.
    let mut on = form("boss@example.org");
    on.retain(|(k, _)| *k != "passwords_off");
    assert_eq!(post(on).await.status, 303);
    assert_eq!(
        app.client()
            .sign_in("amy@example.org", PASSWORD)
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn signing_out_also_signs_out_at_the_provider_and_comes_back() {
    let (app, provider) = configured().await;
    let (agent, callback) = through_provider(&app, "sam@example.org", "%2F").await;
    assert_eq!(agent.get(&callback).await.status, 303);
    // Sign out (the form's CSRF token from a page), sent to the provider's end of session.
    let page = agent.get(&app.url("/account")).await;
    let token = page
        .body
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned();
    let out = agent
        .post(&app.url("/sign-out"), &[("csrf_token", &token)])
        .await;
    let to_provider = out.location.expect("somewhere");
    assert!(
        to_provider.starts_with(&provider.issuer)
            && to_provider.contains("post_logout_redirect_uri"),
        "{to_provider}"
    );
    let confirm = agent.get(&to_provider).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let action = confirm
        .body
        .split(r#"action=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's confirmation form")
        .to_owned();
    let xsrf = confirm
        .body
        .split(r#"name="xsrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("its xsrf")
        .to_owned();
    let action = url::Url::parse(&to_provider)
        .unwrap()
        .join(&action)
        .unwrap()
        .to_string();
    let back = agent
        .post(&action, &[("xsrf", &xsrf), ("logout", "yes")])
        .await;
    assert_eq!(
        back.location.as_deref(),
        Some(app.url("/sign-in?done=signed_out").as_str()),
        "{back:?}"
    );
    let account = agent.get(&app.url("/account")).await;
    assert_eq!(account.status, 303, "signed out of Chorus too");
    // A person who signs in with a password is signed out of Chorus only.
    let password = app.signed_in("pat@example.org", "ambassador").await;
    let out = password.post_form("/sign-out", &[]).await;
    assert_eq!(out.location(), "/sign-in?done=signed_out");
}

#[tokio::test]
async fn the_providers_groups_give_roles_and_its_department_the_team() {
    let (app, provider) = configured().await;
    let admin = app.client();
    assert_eq!(
        admin.sign_in("boss@example.org", PASSWORD).await.status,
        303
    );
    let fields = |map: &'static str| {
        vec![
            ("issuer", provider.issuer.clone()),
            ("client_id", provider.client_id.clone()),
            ("client_secret", String::new()),
            ("email_claim", "email".to_owned()),
            ("groups_claim", "groups".to_owned()),
            ("role_map", map.to_owned()),
            ("team_claim", "department".to_owned()),
        ]
    };
    let post = async |fields: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        admin.post_form("/admin/sso", &pairs).await
    };
    let bad = post(fields("chorus-editors = editor\nmarketing: analyst")).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Line 2 of the group map does not read"));
    assert!(bad.body.contains("marketing: analyst"), "kept as typed");
    let saved = post(fields("chorus-editors = editor\nmarketing = analyst")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let (agent, callback) =
        through_provider(&app, "gus@example.org#chorus-editors,team:Lyon", "%2F").await;
    assert_eq!(agent.get(&callback).await.status, 303);
    let db = Database::connect(app.database_url()).await.unwrap();
    let team_and_roles = async || -> (Option<String>, String) {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT team, roles FROM users WHERE email = 'gus@example.org'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        (
            row.try_get("", "team").unwrap(),
            row.try_get("", "roles").unwrap(),
        )
    };
    let (team, roles) = team_and_roles().await;
    assert_eq!(team.as_deref(), Some("Lyon"));
    assert!(
        roles.contains("editor") && roles.contains("ambassador") && !roles.contains("analyst"),
        "{roles}"
    );
    // Moved to marketing at the provider: the next sign-in follows.
    let (agent, callback) = through_provider(&app, "gus@example.org#marketing", "%2F").await;
    assert_eq!(agent.get(&callback).await.status, 303);
    let (team, roles) = team_and_roles().await;
    assert_eq!(
        team.as_deref(),
        Some("Lyon"),
        "no department sent: the team stays"
    );
    assert!(
        roles.contains("analyst") && !roles.contains("editor"),
        "{roles}"
    );
}
