//! Issue 19: the REST API under schema-driven testing. `schemathesis` (PyPI, installed by
//! `scripts/test` in `tests/peers/.venv`) reads the live OpenAPI document and sends generated
//! requests to every operation with a token of each role of the demo organisation, with all
//! its checks: no server error, every status, content type, header and body as documented,
//! invalid input refused, and authentication not ignored. Run with each role's token, an
//! operation another role owns must answer its documented 403.

use std::path::PathBuf;

use chorus_tests::html::testid;
use chorus_tests::{Client, TestApp, TestAppOptions};

const DEMO_PASSWORD: &str = "chorus-demo-2026";

/// The `st` command of schemathesis.
fn schemathesis() -> PathBuf {
    let st = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/.venv/bin/st");
    assert!(
        st.is_file(),
        "{} is missing: run ./scripts/test, which installs tests/peers/requirements.txt",
        st.display()
    );
    st
}

async fn token(app: &TestApp, email: &str, scopes: &[&str]) -> String {
    let client: Client = app.client();
    client.sign_in(email, DEMO_PASSWORD).await;
    let mut fields = vec![("name", "schemathesis"), ("expires_in_days", "7")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let page = client.post_form("/account/tokens", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    testid(&page.body, "api-token")
}

#[tokio::test]
async fn schemathesis_finds_no_failure_with_any_roles_token() {
    let app = TestApp::spawn_with(
        TestAppOptions::default()
            .arg("--demo")
            .env("CHORUS_API_REQUESTS_PER_MINUTE", "1000000"),
    )
    .await;
    // Each role's token, and how many of the 27 operations belong to other roles (each must
    // answer that token only 401 or 403).
    let roles = [
        (
            "editor",
            12,
            token(
                &app,
                "editor@demo.chorus.test",
                &["items:read", "items:write"],
            )
            .await,
        ),
        (
            "ambassador",
            20,
            token(
                &app,
                "ambassador@demo.chorus.test",
                &["hub:read", "shares:read", "shares:write"],
            )
            .await,
        ),
        (
            "analyst",
            26,
            token(&app, "analyst@demo.chorus.test", &["stats:read"]).await,
        ),
        (
            "admin",
            23,
            token(
                &app,
                "admin@demo.chorus.test",
                &["people:read", "people:write"],
            )
            .await,
        ),
    ];
    let mut cases = 0_u64;
    for (role, foreign, token) in &roles {
        let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/schemathesis.toml");
        let output = tokio::process::Command::new(schemathesis())
            .args([
                "--config-file",
                config.to_str().unwrap(),
                "run",
                &app.url("/api/v1/openapi.json"),
                "--url",
                &app.url("/api/v1"),
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                "all",
                "--max-examples",
                "25",
                "--seed",
                "1",
                "--no-color",
            ])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!("schemathesis with the {role}'s token:\n{stdout}");
        assert!(
            output.status.success(),
            "schemathesis with the {role}'s token failed:\n{stdout}\n{stderr}"
        );
        // "Authentication failed: 6 operations returned only 401/403 responses"
        let refused: usize = stdout
            .lines()
            .find_map(|line| {
                let (before, _) = line.split_once(" operations returned only 401/403")?;
                before.split_whitespace().last()?.parse().ok()
            })
            .unwrap_or(0);
        assert_eq!(
            refused, *foreign,
            "the {role}'s token reaches only its role's operations:\n{stdout}"
        );
        // "Test cases:   1234 generated, 1234 passed"
        cases += stdout
            .lines()
            .filter_map(|line| line.split_once(" generated").map(|(before, _)| before))
            .filter_map(|before| before.split_whitespace().last()?.parse::<u64>().ok())
            .sum::<u64>();
    }
    println!("schemathesis: {cases} generated cases in all");
    assert!(cases > 100, "the runs generated cases: {cases}");
}
