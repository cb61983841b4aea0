//! Configuration errors stop start-up with a message that names the setting.

use chorus_tests::app::run_cli;

async fn serve_with(env: &[(&str, &str)]) -> chorus_tests::CliOutput {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<(String, String)> = vec![
        (
            "CHORUS_DATABASE_URL".into(),
            format!("sqlite://{}/c.db?mode=rwc", dir.path().display()),
        ),
        ("CHORUS_BIND".into(), "127.0.0.1:0".into()),
    ];
    all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    run_cli(&all, dir.path(), &["serve"], None).await
}

#[tokio::test]
async fn a_bad_value_stops_start_up_and_names_the_setting_and_its_form() {
    for (var, value, expected) in [
        (
            "CHORUS_BIND",
            "everywhere",
            "CHORUS_BIND has an invalid value \"everywhere\": expected an address and port",
        ),
        (
            "CHORUS_BASE_URL",
            "chorus.example.com",
            "CHORUS_BASE_URL has an invalid value",
        ),
        ("CHORUS_LOG_FORMAT", "xml", "expected text or json"),
        (
            "CHORUS_UTM_MEDIUM",
            "employee advocacy!",
            "CHORUS_UTM_MEDIUM has an invalid value",
        ),
        (
            "CHORUS_SHARE_LEASE_SECONDS",
            "0",
            "a number of seconds from 1 to 3600",
        ),
        (
            "CHORUS_PUBLISH_CONCURRENCY",
            "lots",
            "a number of shares from 1 to 512",
        ),
        (
            "CHORUS_FEED_POLL_SECONDS",
            "never",
            "a number of seconds from 1 to 86400",
        ),
        (
            "CHORUS_X_BASE_URL",
            "api.x.test",
            "CHORUS_X_BASE_URL has an invalid value",
        ),
        (
            "CHORUS_DATABASE_URL",
            "mysql://localhost/chorus",
            "expected sqlite://",
        ),
        (
            "CHORUS_RETENTION_CLOCK",
            "next tuesday",
            "CHORUS_RETENTION_CLOCK has an invalid value \"next tuesday\": expected an RFC 3339 instant",
        ),
        (
            "CHORUS_SECRET_KEY",
            "hunter2",
            "CHORUS_SECRET_KEY has an invalid value \"<hidden>\"",
        ),
    ] {
        let out = serve_with(&[(var, value)]).await;
        assert!(!out.success, "{var}={value} must stop start-up");
        assert!(out.stderr.contains(expected), "{var}: {}", out.stderr);
        assert!(!out.stderr.contains("hunter2"), "a secret is never printed");
    }
}

#[tokio::test]
async fn a_bad_config_file_value_names_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chorus.toml");
    std::fs::write(&file, "bind = \"nowhere\"\n").unwrap();
    let env = vec![
        ("CHORUS_CONFIG".to_owned(), file.display().to_string()),
        (
            "CHORUS_DATABASE_URL".to_owned(),
            format!("sqlite://{}/c.db?mode=rwc", dir.path().display()),
        ),
    ];
    let out = run_cli(&env, dir.path(), &["serve"], None).await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("bind in ") && out.stderr.contains("chorus.toml"),
        "{}",
        out.stderr
    );

    std::fs::write(&file, "colour = \"blue\"\n").unwrap();
    let out = run_cli(&env, dir.path(), &["serve"], None).await;
    assert!(
        out.stderr.contains("unknown setting `colour`"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn an_unreachable_database_is_reported_plainly() {
    let out = serve_with(&[(
        "CHORUS_DATABASE_URL",
        "postgres://chorus:s3cret@127.0.0.1:1/chorus",
    )])
    .await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("could not connect to the database"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Check CHORUS_DATABASE_URL"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("s3cret"),
        "the password is hidden: {}",
        out.stderr
    );
}

#[tokio::test]
async fn without_a_configured_key_one_is_generated_beside_the_database_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "CHORUS_DATABASE_URL".to_owned(),
        format!("sqlite://{}/data.db?mode=rwc", dir.path().display()),
    )];
    let out = run_cli(&env, dir.path(), &["migrate"], None).await;
    assert!(out.success, "{}", out.stderr);
    let key = dir.path().join("chorus-secret.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
