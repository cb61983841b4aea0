//! Opt-in, withdrawal, guidelines versions, visibility choices, transparency, export and
//! erasure, through the real server.

use chorus_tests::{PASSWORD, TestApp};

#[tokio::test]
async fn someone_who_never_opted_in_only_sees_the_invitation() {
    let app = TestApp::spawn().await;
    let ana = app.signed_in("ana@example.org", "ambassador").await;
    for path in ["/hub", "/hub/items/1", "/hub/topics", "/hub/suggest"] {
        assert_eq!(ana.get(path).await.location(), "/hub/join", "{path}");
    }
    let refused = ana
        .post_form(
            "/hub/suggest",
            &[("link", "https://example.com"), ("idea", "x")],
        )
        .await;
    assert_eq!(
        refused.location(),
        "/hub/join",
        "nothing is collected before opt-in"
    );
    let join = ana.get("/hub/join").await;
    assert!(
        join.body.contains("Be yourself") || join.body.contains("be yourself"),
        "the default guidelines: {}",
        join.body
    );
    let page = ana.get("/account/transparency").await;
    assert!(page.body.contains("You never accepted the guidelines"));
    let privacy = ana.get("/account/privacy").await;
    assert!(privacy.body.contains("You do not take part"));
}

#[tokio::test]
async fn accepting_records_a_receipt_and_withdrawing_takes_effect_at_once() {
    let app = TestApp::spawn().await;
    let ana = app.signed_in("ana@example.org", "ambassador").await;
    ana.join().await;
    assert_eq!(ana.get("/hub").await.status, 200);
    let receipts = ana.get("/account/transparency").await;
    assert!(
        receipts.body.contains("Accepted version 1 on"),
        "{}",
        receipts.body
    );

    let withdrawn = ana.post_form("/account/privacy/withdraw", &[]).await;
    assert_eq!(withdrawn.location(), "/account/privacy?done=withdrawn");
    assert_eq!(ana.get("/hub").await.location(), "/hub/join", "at once");
    let join = ana.get("/hub/join").await;
    assert!(
        join.body.contains("Welcome back"),
        "{}",
        join.body
            .split("class=\"lede\"")
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect::<String>()
    );
    let receipts = ana.get("/account/transparency").await;
    assert!(receipts.body.contains("withdrawn on"), "{}", receipts.body);
    // Withdrawing is never final.
    ana.join().await;
    assert_eq!(ana.get("/hub").await.status, 200);
}

#[tokio::test]
async fn a_new_guidelines_version_asks_everyone_again_and_shows_what_changed() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let ana = app.ambassador("ana@example.org").await;
    let form = editor.get("/editor/guidelines").await;
    assert!(form.body.contains("Version 1 is in force"));
    let amir = app.signed_in("amir@example.org", "analyst").await;
    assert_eq!(amir.get("/editor/guidelines").await.status, 403);

    let en = "# Our guidelines\n\nBe yourself.\n\nNever share customer names.\n";
    let fr = "# Nos règles\n\nSoyez vous-même.\n\nNe partagez jamais de noms de clients.\n";
    let published = editor
        .post_form("/editor/guidelines", &[("body_en", en), ("body_fr", fr)])
        .await;
    assert_eq!(published.location(), "/editor/guidelines?done=published");

    assert_eq!(
        ana.get("/hub").await.location(),
        "/hub/join",
        "accept version 2 first"
    );
    let join = ana.get("/hub/join").await;
    assert!(
        join.body.contains("What changed in version 2"),
        "{}",
        join.body
    );
    assert!(join.body.contains("Never share customer names."));
    // Accepting an outdated version (a page left open) shows the current one instead.
    let stale = ana.post_form("/hub/join", &[("version", "1")]).await;
    assert_eq!(stale.location(), "/hub/join");
    ana.join().await;
    assert_eq!(ana.get("/hub").await.status, 200);
    let receipts = ana.get("/account/transparency").await;
    assert!(
        receipts.body.contains("Accepted version 2")
            && receipts.body.contains("Accepted version 1")
    );
}

#[tokio::test]
async fn visibility_choices_are_off_by_default_and_the_transparency_page_follows_them() {
    let app = TestApp::spawn().await;
    let ana = app.ambassador("ana@example.org").await;
    let before = ana.get("/account/transparency").await;
    assert!(
        before
            .body
            .contains("Analysts, only inside totals of at least the minimum group size")
    );
    assert!(!before.body.contains("with my name (I chose this)"));
    let privacy = ana.get("/account/privacy").await;
    assert!(
        !privacy
            .body
            .contains(r#"name="be_named_in_statistics" checked"#)
    );

    let saved = ana
        .post_form(
            "/account/privacy/choices",
            &[("be_named_in_statistics", "on")],
        )
        .await;
    assert_eq!(saved.location(), "/account/privacy?done=saved");
    let after = ana.get("/account/transparency").await;
    assert!(
        after.body.contains("Analysts, with my name (I chose this)"),
        "{}",
        after.body
    );
    assert!(!after.body.contains("Colleagues, with my name"));

    // Withdrawing names them nowhere, whatever they chose.
    ana.post_form("/account/privacy/withdraw", &[]).await;
    let withdrawn = ana.get("/account/transparency").await;
    assert!(!withdrawn.body.contains("with my name (I chose this)"));
}

#[tokio::test]
async fn the_export_holds_everything_about_the_person_and_nothing_about_others() {
    let app = TestApp::spawn().await;
    let ana = app.ambassador("ana@example.org").await;
    let _ben = app.ambassador("ben@example.org").await;
    ana.post_form(
        "/account/privacy/choices",
        &[("show_name_on_shared_content", "on")],
    )
    .await;
    ana.post_form(
        "/hub/suggest",
        &[("link", "https://example.com/award"), ("idea", "Our award")],
    )
    .await;
    let response = ana
        .http()
        .get(ana.url("/account/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let export: serde_json::Value = response.json().await.unwrap();
    assert_eq!(export["account"]["email"], "ana@example.org");
    assert_eq!(export["consent_receipts"][0]["guidelines_version"], 1);
    assert_eq!(
        export["visibility_choices"]["show_name_on_shared_content"],
        true
    );
    assert_eq!(
        export["suggestions"][0]["link"],
        "https://example.com/award"
    );
    assert!(!export.to_string().contains("ben@example.org"));
}

fn sqlite_files_contain(app: &TestApp, needle: &str) -> bool {
    ["chorus.db", "chorus.db-wal", "chorus.db-shm"]
        .iter()
        .any(|name| {
            std::fs::read(app.dir().join(name))
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
}

fn pg_dump(app: &TestApp) -> String {
    let out = std::process::Command::new("pg_dump")
        .arg(app.database_url())
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn after_erasure_a_full_database_dump_holds_neither_their_email_nor_their_name() {
    let app = TestApp::spawn().await;
    app.add_user("boss@example.org", "Boss", "admin").await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    app.add_user(
        "zoe.quartz@example.org",
        "Zoé Quartzenberg",
        "ambassador,editor",
    )
    .await;
    let zoe = app.client();
    assert_eq!(
        zoe.sign_in("zoe.quartz@example.org", PASSWORD).await.status,
        303
    );
    zoe.join().await;
    zoe.post_form(
        "/account/privacy/choices",
        &[("be_named_in_statistics", "on")],
    )
    .await;
    zoe.post_form(
        "/hub/suggest",
        &[
            ("link", "https://example.com/z"),
            ("idea", "A story worth telling"),
        ],
    )
    .await;
    zoe.post_form("/hub/topics", &[]).await;
    zoe.post_form("/editor/items/1/comments", &[("body", "Looks good")])
        .await;
    // A wrong sign-in attempt leaves a throttle counter under her email.
    app.client()
        .sign_in("zoe.quartz@example.org", "wrong password")
        .await;
    let before = if app.is_postgres() {
        pg_dump(&app)
    } else {
        String::new()
    };
    if app.is_postgres() {
        assert!(
            before.contains("zoe.quartz@example.org"),
            "the check can fail: the dump had her email"
        );
    } else {
        assert!(
            sqlite_files_contain(&app, "zoe.quartz@example.org"),
            "the check can fail"
        );
    }

    let wrong = zoe
        .post_form(
            "/account/erase",
            &[("confirm_email", "someone@example.org")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("nothing was erased"));
    let erased = zoe
        .post_form(
            "/account/erase",
            &[("confirm_email", "Zoe.Quartz@example.org")],
        )
        .await;
    assert_eq!(erased.location(), "/sign-in?done=erased");
    assert_eq!(zoe.get("/account").await.status, 303, "signed out");
    assert_eq!(
        app.client()
            .sign_in("zoe.quartz@example.org", PASSWORD)
            .await
            .status,
        401
    );

    // Her suggestion stays as content, without her name.
    let list = editor.get("/editor").await;
    assert!(list.body.contains("A story worth telling") && !list.body.contains("Zoé"));

    if app.is_postgres() {
        let dump = pg_dump(&app);
        for needle in ["zoe.quartz@example.org", "Zoé Quartzenberg", "Quartzenberg"] {
            assert!(!dump.contains(needle), "pg_dump still holds {needle}");
        }
    } else {
        for needle in ["zoe.quartz@example.org", "Quartzenberg"] {
            assert!(
                !sqlite_files_contain(&app, needle),
                "the SQLite files still hold {needle}"
            );
        }
    }
}

#[tokio::test]
async fn the_minimum_group_size_is_never_below_three_and_a_bad_value_keeps_the_form() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let page = admin.get("/admin/settings").await;
    assert!(
        page.body
            .contains(r#"name="min_group_size" type="text" inputmode="numeric" value="5""#),
        "default 5"
    );
    let bad = admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "2"),
                ("disclosure_en", "#employee"),
                ("disclosure_fr", "  "),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Enter a whole number of at least 3"));
    assert!(
        bad.body.contains(r##"value="#employee""##),
        "typed values are kept"
    );
    let good = admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "7"),
                ("disclosure_en", "#employee"),
                ("disclosure_fr", "#salarié"),
            ],
        )
        .await;
    assert_eq!(good.location(), "/admin/settings?done=saved");
    let page = admin.get("/admin/settings").await;
    assert!(page.body.contains(r#"value="7""#) && page.body.contains("#salarié"));
}
