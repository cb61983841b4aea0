//! The `chorus` command: accounts from the terminal, and the demo organisation.

use chorus_tests::{TestApp, TestAppOptions};

#[tokio::test]
async fn user_add_generates_a_password_printed_once_or_reads_one_from_stdin() {
    let app = TestApp::spawn().await;
    let out = app
        .cli(
            &[
                "user",
                "add",
                "--email",
                "ana@example.org",
                "--name",
                "Ana",
                "--role",
                "editor,ambassador",
            ],
            None,
        )
        .await;
    assert!(out.success, "{}", out.stderr);
    let password = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once; ask them to change it): "))
        .expect("the generated password is printed");
    assert_eq!(
        app.client()
            .sign_in("ana@example.org", password)
            .await
            .status,
        303
    );

    let out = app
        .cli(
            &[
                "user",
                "add",
                "--email",
                "ben@example.org",
                "--name",
                "Ben",
                "--role",
                "analyst",
                "--password-stdin",
            ],
            Some("a password from stdin\n"),
        )
        .await;
    assert!(out.success, "{}", out.stderr);
    assert!(
        !out.stdout.contains("password ("),
        "no password printed when one was given"
    );
    assert_eq!(
        app.client()
            .sign_in("ben@example.org", "a password from stdin")
            .await
            .status,
        303
    );

    let out = app
        .cli(
            &[
                "user",
                "add",
                "--email",
                "ana@example.org",
                "--name",
                "Ana",
                "--role",
                "editor",
            ],
            None,
        )
        .await;
    assert!(!out.success);
    assert!(out.stderr.contains("exists already"), "{}", out.stderr);
    let out = app
        .cli(
            &[
                "user",
                "add",
                "--email",
                "c@example.org",
                "--name",
                "C",
                "--role",
                "boss",
            ],
            None,
        )
        .await;
    assert!(
        out.stderr.contains("unknown role \"boss\""),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn set_roles_and_deactivate_from_the_terminal_take_effect_at_once() {
    let app = TestApp::spawn().await;
    app.add_user("boss@example.org", "Boss", "admin").await;
    let ana = app.ambassador("ana@example.org").await;
    let out = app
        .cli(
            &[
                "user",
                "set-roles",
                "--email",
                "ana@example.org",
                "--role",
                "analyst",
            ],
            None,
        )
        .await;
    assert!(out.success, "{}", out.stderr);
    assert_eq!(ana.get("/hub").await.status, 403);
    assert_eq!(ana.get("/stats").await.status, 200);

    let out = app
        .cli(&["user", "deactivate", "--email", "ana@example.org"], None)
        .await;
    assert!(out.success, "{}", out.stderr);
    assert_eq!(ana.get("/stats").await.status, 303, "signed out everywhere");

    let out = app
        .cli(&["user", "deactivate", "--email", "boss@example.org"], None)
        .await;
    assert!(!out.success);
    assert!(out.stderr.contains("last active admin"), "{}", out.stderr);
    let out = app
        .cli(
            &["user", "deactivate", "--email", "ghost@example.org"],
            None,
        )
        .await;
    assert!(
        out.stderr.contains("no account has the email"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn serve_demo_creates_one_person_per_role_once_and_they_can_sign_in() {
    let mut app = TestApp::spawn_with(TestAppOptions::default().arg("--demo")).await;
    let printed = app.startup_output.join("\n");
    assert!(printed.contains("demo organisation created"), "{printed}");
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("password for every demo account: "))
        .expect("the password is printed")
        .to_owned();
    for (email, home) in [
        ("admin@demo.chorus.test", "/admin"),
        ("editor@demo.chorus.test", "/hub"),
        ("ambassador@demo.chorus.test", "/hub"),
        ("analyst@demo.chorus.test", "/stats"),
    ] {
        let client = app.client();
        let page = client.sign_in(email, &password).await;
        assert_eq!(page.status, 303, "{email}");
        assert_eq!(client.get_follow("/").await.path(), home, "{email}");
    }
    // A living hub: published items in English and French, with their meaning.
    let amir = app.client();
    amir.sign_in("ambassador@demo.chorus.test", &password).await;
    let hub = amir.get("/hub").await;
    assert!(
        hub.body.contains("Our Lyon plant now runs on sunlight"),
        "{}",
        hub.body
    );
    assert!(hub.body.contains("L’usine de Lyon fonctionne au soleil"));
    assert!(hub.body.contains("Why it matters"));
    assert!(
        amir.get("/hub?lang=fr")
            .await
            .body
            .contains("Nous recrutons 40 apprentis")
    );
    assert!(
        amir.get("/hub?topic=careers")
            .await
            .body
            .contains("We are hiring 40 apprentices")
    );
    // Sample activity for the statistics: 24 colleagues over eight weeks, every figure through
    // the minimum group size (5), named only for those who chose it.
    let ana = app.client();
    ana.sign_in("analyst@demo.chorus.test", &password).await;
    let csv = ana.get("/stats/export.csv").await.body;
    let total = csv
        .lines()
        .find(|l| l.starts_with(r#"network,"Total","#))
        .expect("a network total");
    let fields: Vec<&str> = total.split(',').collect();
    assert_eq!(fields[5], "shown", "{total}");
    assert!(fields[2].parse::<u32>().unwrap() > 100, "{total}");
    assert_eq!(fields[4], "24", "{total}");
    assert!(csv.contains(r#"named,"Bruno Martin","#), "{csv}");
    assert!(!csv.contains("Chloé"), "Chloé did not choose to be named");
    for line in csv.lines().skip(1) {
        let people = line.rsplit(',').nth(1).unwrap();
        if let Ok(people) = people.parse::<u32>() {
            assert!(people >= 5 || line.starts_with("named,"), "{line}");
        }
    }

    assert!(app.terminate().await);
    app.restart(&["--demo"]).await;
    assert!(
        app.startup_output
            .join("\n")
            .contains("accounts exist already")
    );
    let admin = app.client();
    admin.sign_in("admin@demo.chorus.test", &password).await;
    let list = admin.get("/admin").await;
    assert_eq!(
        list.body
            .matches("data-email=\"admin@demo.chorus.test\"")
            .count(),
        1,
        "no duplicate"
    );
}
