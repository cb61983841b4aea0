//! Issue 15, part 5: the works-council pack, generated from the running system. Every column
//! of the live schema is declared (a column nobody declared shows as a problem); the settings
//! and the networks configured are the real ones; English and French; HTML from the admin
//! page, HTML and PDF from `chorus report works-council`.

use chorus_tests::{TestApp, TestAppOptions};
use sea_orm::{ConnectionTrait as _, Database};

const DEMO_PASSWORD: &str = "chorus-demo-2026";

#[tokio::test]
async fn the_pack_is_written_from_the_live_schema_settings_and_networks_in_both_languages() {
    let app = TestApp::spawn_with(TestAppOptions::default().arg("--demo")).await;
    let admin = app.client();
    admin.sign_in("admin@demo.chorus.test", DEMO_PASSWORD).await;
    // X has client credentials; Threads is "post it yourself" only; LinkedIn is neither.
    let registered = admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "x"),
                ("client_id", "x-client"),
                ("client_secret", "x-secret"),
            ],
        )
        .await;
    assert!(registered.status < 400, "{}", registered.body);
    let saved = admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "7"),
                ("disclosure_en", "#employee"),
                ("disclosure_fr", "#salarié"),
                ("composer_only_threads", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let settings = admin.get("/admin/settings").await.body;
    assert!(settings.contains(r#"href="/admin/works-council?lang=fr""#));
    let pack = admin.get("/admin/works-council?lang=en").await;
    assert_eq!(pack.status, 200);
    let html = &pack.body;
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(
        html.contains(r#"data-testid="schema-checked""#),
        "every column of the live schema is declared: {}",
        html.split("schema-problems").nth(1).unwrap_or_default()
    );
    for column in [
        "users.email",
        "shares.text",
        "onboarding.quiet_from",
        "audit_log.people",
        "connected_accounts.access_token",
        "click_counts.hour",
    ] {
        assert!(
            html.contains(&format!(r#"data-column="{column}""#)),
            "{column} is listed as data about a person"
        );
    }
    assert!(
        !html.contains(r#"data-table="topics""#),
        "topics hold nothing about people"
    );
    // The settings in force, and the rules that follow from them.
    assert!(html.contains("No figure is shown about fewer than 7 people"));
    assert!(html.contains("Finished shares"));
    assert!(html.contains(r#"<td data-testid="setting">730 days</td>"#));
    // The diagram and the table name each network configured, and how.
    let diagram = html
        .split(r#"<svg class="flows""#)
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .expect("the diagram");
    for network in ["X", "Threads", "Mastodon", "Bluesky"] {
        assert!(
            diagram.contains(&format!(">{network}</text>")),
            "{network} in the diagram"
        );
    }
    assert!(
        !diagram.contains(">LinkedIn</text>"),
        "LinkedIn has no credentials"
    );
    assert!(diagram.contains(r#"data-channels="none""#));
    assert!(html.contains(r#"<tr data-network="X"><th scope="row">X</th><td>Chorus publishes"#));
    assert!(html.contains(
        r#"<tr data-network="Threads"><th scope="row">Threads</th><td>The person’s browser opens"#
    ));
    assert!(html.contains("tweet.write"), "the permissions asked of X");

    // In French.
    let french = admin.get("/admin/works-council?lang=fr").await.body;
    assert!(french.contains(r#"<html lang="fr">"#));
    assert!(french.contains("Dossier pour le CSE"));
    assert!(french.contains("Aucun chiffre n’est montré sur moins de 7 personnes"));
    // As a file, its style inside.
    let file = admin.get("/admin/works-council?lang=fr&download=1").await;
    assert_eq!(
        file.header("content-disposition"),
        "attachment; filename=\"chorus-works-council-fr.html\""
    );
    assert!(file.body.contains("<style>") && file.body.contains("body.report"));
    // Admins only.
    let person = app.client();
    person
        .sign_in("ambassador@demo.chorus.test", DEMO_PASSWORD)
        .await;
    assert_eq!(person.get("/admin/works-council").await.status, 403);

    // From the command line, as HTML and as PDF.
    let dir = tempfile::tempdir().unwrap();
    let html_path = dir.path().join("pack-fr.html");
    let out = app
        .cli(
            &[
                "report",
                "works-council",
                "--lang",
                "fr",
                "--output",
                html_path.to_str().unwrap(),
            ],
            None,
        )
        .await;
    assert!(out.success, "{}", out.stderr);
    let written = std::fs::read_to_string(&html_path).unwrap();
    assert!(written.contains("Dossier pour le CSE") && written.contains("<style>"));
    let pdf_path = dir.path().join("pack-en.pdf");
    let out = app
        .cli(
            &[
                "report",
                "works-council",
                "--lang",
                "en",
                "--pdf",
                "--output",
                pdf_path.to_str().unwrap(),
            ],
            None,
        )
        .await;
    assert!(out.success, "{} {}", out.stdout, out.stderr);
    let pdf = std::fs::read(&pdf_path).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let pages = pdf
        .windows(10)
        .filter(|w| w == b"/Type /Pag" || w == b"/Type/Page")
        .count();
    assert!(pages >= 3, "several pages ({pages}), {} bytes", pdf.len());
    let refused = app
        .cli(&["report", "works-council", "--lang", "de"], None)
        .await;
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("use en or fr"),
        "{}",
        refused.stderr
    );

    // A column added to the schema and declared nowhere is reported.
    let db = Database::connect(app.database_url()).await.unwrap();
    db.execute_unprepared("ALTER TABLE users ADD COLUMN nickname TEXT")
        .await
        .unwrap();
    let pack = admin.get("/admin/works-council").await.body;
    assert!(pack.contains(r#"data-testid="schema-problems""#));
    assert!(pack.contains("users.nickname is not declared"), "{pack}");
}
