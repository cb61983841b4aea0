use super::*;
use std::os::unix::fs::PermissionsExt as _;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let dir = std::env::temp_dir().join(format!("chorus-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.entry("CHORUS_DATABASE_URL".into())
        .or_insert(format!("sqlite://{}/c.db?mode=rwc", dir.display()));
    map
}

#[test]
fn defaults_apply_and_a_key_is_generated_beside_the_database() {
    let config = Config::from_sources(&env(&[])).unwrap();
    assert_eq!(config.bind.to_string(), DEFAULT_BIND);
    assert_eq!(config.base_url.as_str(), "http://127.0.0.1:8080/");
    let KeySource::Generated(path) = &config.key_source else {
        panic!("expected a generated key, got {:?}", config.key_source)
    };
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut again = env(&[]);
    again.insert("CHORUS_DATABASE_URL".into(), config.database_url.clone());
    let second = Config::from_sources(&again).unwrap();
    assert_eq!(second.secret_key.bytes(), config.secret_key.bytes());
    assert!(matches!(second.key_source, KeySource::File(_)));
}

#[test]
fn bad_values_name_their_setting() {
    for (var, value, expected) in [
        ("CHORUS_BIND", "localhost", "CHORUS_BIND"),
        ("CHORUS_BASE_URL", "chorus.example.com", "CHORUS_BASE_URL"),
        ("CHORUS_LOG_FORMAT", "yaml", "text or json"),
        ("CHORUS_DATABASE_URL", "mysql://x", "CHORUS_DATABASE_URL"),
        ("CHORUS_SECRET_KEY", "short", "CHORUS_SECRET_KEY"),
        ("CHORUS_WORKER", "maybe", "true or false"),
        (
            "CHORUS_BLUESKY_PLC_URL",
            "plc.directory",
            "CHORUS_BLUESKY_PLC_URL",
        ),
        (
            "CHORUS_API_REQUESTS_PER_MINUTE",
            "0",
            "CHORUS_API_REQUESTS_PER_MINUTE",
        ),
    ] {
        let err = Config::from_sources(&env(&[(var, value)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{var}: {err}");
    }
}

#[test]
fn mail_settings_go_together_and_never_print_the_password() {
    let both = |url: &str, from: &str| {
        Config::from_sources(&env(&[
            ("CHORUS_SMTP_URL", url),
            ("CHORUS_MAIL_FROM", from),
        ]))
    };
    let config = both(
        "smtp://chorus:s3cret@mail.example.org:587?tls=required",
        "Chorus <chorus@example.org>",
    )
    .unwrap();
    let mail = config.mail.as_ref().unwrap();
    assert_eq!(mail.from.email.to_string(), "chorus@example.org");
    assert!(!format!("{config:?}").contains("s3cret"));
    let err = both("http://mail.example.org", "chorus@example.org")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CHORUS_SMTP_URL") && err.contains("smtps://"),
        "{err}"
    );
    let err = both("smtp://x:s3cret@mail.example.org", "not an address")
        .unwrap_err()
        .to_string();
    assert!(err.contains("CHORUS_MAIL_FROM"), "{err}");
    let err = both("smtp://x:s3cret@", "chorus@example.org")
        .unwrap_err()
        .to_string();
    assert!(!err.contains("s3cret"), "{err}");
    let alone = Config::from_sources(&env(&[("CHORUS_SMTP_URL", "smtp://mail.example.org")]))
        .unwrap_err()
        .to_string();
    assert!(alone.contains("CHORUS_MAIL_FROM"), "{alone}");
    assert!(Config::from_sources(&env(&[])).unwrap().mail.is_none());
    // An authority file that is missing, or is not a certificate, stops start-up by name.
    let not_pem = std::env::temp_dir().join(format!("chorus-not-pem-{}", std::process::id()));
    std::fs::write(&not_pem, "not a certificate").unwrap();
    for path in ["/nonexistent/ca.pem", not_pem.to_str().unwrap()] {
        let err = Config::from_sources(&env(&[
            ("CHORUS_SMTP_URL", "smtp://mail.example.org?tls=required"),
            ("CHORUS_MAIL_FROM", "chorus@example.org"),
            ("CHORUS_SMTP_CA_FILE", path),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("CHORUS_SMTP_CA_FILE") && err.contains("PEM file"),
            "{path}: {err}"
        );
    }
    let _ = std::fs::remove_file(not_pem);
}

#[test]
fn the_secret_key_never_prints() {
    let err = Config::from_sources(&env(&[("CHORUS_SECRET_KEY", "not-base64-secret")]))
        .unwrap_err()
        .to_string();
    assert!(!err.contains("not-base64-secret"));
    let config = Config::from_sources(&env(&[])).unwrap();
    assert!(format!("{config:?}").contains("<hidden>"));
}

#[test]
fn the_bluesky_plc_directory_is_configurable() {
    let config = Config::from_sources(&env(&[])).unwrap();
    assert_eq!(config.network_base_urls.bluesky_plc, None);
    let config =
        Config::from_sources(&env(&[("CHORUS_BLUESKY_PLC_URL", "http://127.0.0.1:2582")])).unwrap();
    assert_eq!(
        config.network_base_urls.bluesky_plc.map(String::from),
        Some("http://127.0.0.1:2582/".to_owned())
    );
}

#[test]
fn https_base_url_means_secure_cookies() {
    let config =
        Config::from_sources(&env(&[("CHORUS_BASE_URL", "https://chorus.example.com")])).unwrap();
    assert!(config.secure_cookies());
}
