//! LinkedIn's API version (issue 17, part 4): a setting (`CHORUS_LINKEDIN_VERSION`); a version
//! LinkedIn retired (426 `NONEXISTENT_VERSION` at the stand-in) fails the share with that
//! reason and alerts admins; the share goes out once the setting names an active version; admins
//! are warned before the configured version's expected end; an account whose access ends
//! within a week says so.

use chorus_tests::shares::{share_now, wait_for_state};
use chorus_tests::standins::{LinkedIn, StandIn};
use chorus_tests::world::StandInWorld;
use chorus_tests::{Client, TestAppOptions};
use sea_orm::ConnectionTrait as _;

/// The world's admin registers the LinkedIn app; Ana connects her LinkedIn account.
async fn linkedin_for_ana(w: &StandInWorld, linkedin: &StandIn<LinkedIn>) -> Client {
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let app = linkedin.register_client(&w.app.url("/hub/accounts/callback/linkedin"));
    let saved = admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "linkedin"),
                ("client_id", &app.client_id),
                ("client_secret", app.client_secret.as_deref().unwrap_or("")),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/admin/networks?done=saved");
    let done = w.ana.connect_follow("/hub/accounts/connect/linkedin").await;
    assert!(done.body.contains("account connected"), "{}", done.body);
    admin
}

#[tokio::test]
async fn a_retired_version_fails_the_share_alerts_admins_and_the_share_goes_out_after_the_change() {
    let linkedin: StandIn<LinkedIn> = StandIn::start().await;
    let mut w = StandInWorld::start_with(
        TestAppOptions::default()
            .env("CHORUS_LINKEDIN_BASE_URL", linkedin.base_url())
            .env("CHORUS_LINKEDIN_VERSION", "202401"),
    )
    .await;
    let admin = linkedin_for_ana(&w, &linkedin).await;
    let li = w.ana.share_account_id(w.item, "linkedin").await;
    share_now(&w.ana, w.item, &[(&li, "On LinkedIn, in my words")]).await;
    let history = wait_for_state(&w.ana, "failed", 1).await;
    assert!(
        history.contains("LinkedIn no longer accepts API version 202401"),
        "{history}"
    );
    assert!(linkedin.posts().is_empty());
    // Admins are told on their first page and on the networks page.
    for page in ["/admin", "/admin/networks"] {
        let body = admin.get(page).await.body;
        assert!(
            body.contains(r#"data-testid="linkedin-refused""#)
                && body.contains("LinkedIn refused API version 202401")
                && body.contains("Shares it failed in the last 7 days: 1."),
            "{page}: {body}"
        );
    }
    // The setting names an active version: the failed share goes out, once.
    assert!(w.app.terminate().await);
    w.app.set_env("CHORUS_LINKEDIN_VERSION", "202606");
    w.app.restart(&[]).await;
    let ana = w.app.client();
    ana.sign_in("ana@example.org", chorus_tests::PASSWORD).await;
    wait_for_state(&ana, "published", 1).await;
    w.app.wait_for_worker_to_settle().await;
    let posts = linkedin.posts();
    assert_eq!(posts.len(), 1, "once");
    assert!(posts[0].text.starts_with("On LinkedIn, in my words"));
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let page = admin.get("/admin").await.body;
    assert!(!page.contains("linkedin-refused"), "{page}");
    let networks = admin.get("/admin/networks").await.body;
    assert!(
        networks.contains(r#"data-linkedin-version="202606""#),
        "{networks}"
    );
}

#[tokio::test]
async fn admins_are_warned_before_the_version_ends_and_people_before_their_access_does() {
    use chrono::Datelike as _;
    // A version of eleven months ago ends within about a month.
    let today = chrono::Utc::now().date_naive();
    let eleven_months_ago = today
        .with_day(1)
        .unwrap()
        .checked_sub_months(chrono::Months::new(11))
        .unwrap();
    let old = eleven_months_ago.format("%Y%m").to_string();
    let linkedin: StandIn<LinkedIn> = StandIn::start().await;
    let mut w = StandInWorld::start_with(
        TestAppOptions::default()
            .env("CHORUS_LINKEDIN_BASE_URL", linkedin.base_url())
            .env("CHORUS_LINKEDIN_VERSION", &old),
    )
    .await;
    let admin = linkedin_for_ana(&w, &linkedin).await;
    for page in ["/admin", "/admin/networks"] {
        let body = admin.get(page).await.body;
        assert!(
            body.contains(r#"data-testid="linkedin-ends""#) && body.contains(&old),
            "{page}: {body}"
        );
    }
    // Ana's token lasts 60 days: nothing to say yet; three days before its end, her accounts
    // page says when.
    let accounts = w.ana.get("/hub/accounts").await.body;
    assert!(!accounts.contains("data-access-ends"), "{accounts}");
    let db = sea_orm::Database::connect(w.app.database_url())
        .await
        .unwrap();
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE connected_accounts SET expires_at = $1 WHERE network = 'linkedin'",
        [(chrono::Utc::now() + chrono::Duration::days(3)).into()],
    ))
    .await
    .unwrap();
    let accounts = w.ana.get("/hub/accounts").await.body;
    assert!(
        accounts.contains("data-access-ends") && accounts.contains("Reconnect it before then"),
        "{accounts}"
    );
    // This month's version: no warning on the admins' first page.
    assert!(w.app.terminate().await);
    w.app
        .set_env("CHORUS_LINKEDIN_VERSION", &today.format("%Y%m").to_string());
    w.app.restart(&[]).await;
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let page = admin.get("/admin").await.body;
    assert!(!page.contains("linkedin-ends"), "{page}");
    // A value that is no version stops start-up with its name.
    assert!(w.app.terminate().await);
    w.app.set_env("CHORUS_LINKEDIN_VERSION", "2026-04");
    let out = w.app.cli(&["migrate"], None).await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("CHORUS_LINKEDIN_VERSION") && out.stderr.contains("YYYYMM"),
        "{}",
        out.stderr
    );
}
