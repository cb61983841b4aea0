//! The certified OpenID provider `oidc-provider` run as a test peer (`tests/peers/oidc.mjs`),
//! and a person going through its development login and consent pages the way a browser
//! would: following redirects, submitting each form, keeping cookies per host.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// The provider, running until dropped.
#[derive(Debug)]
pub struct OidcProvider {
    /// Its issuer identifier (`http://127.0.0.1:PORT`).
    pub issuer: String,
    /// Its port.
    pub port: u16,
    /// Chorus's client id there.
    pub client_id: String,
    /// Chorus's client secret there.
    pub client_secret: String,
    _child: Child,
    _stdin: ChildStdin,
}

#[derive(Deserialize)]
struct Ready {
    issuer: String,
    port: u16,
}

impl OidcProvider {
    /// Starts the provider with one client whose redirect address is `redirect_uri`, on
    /// `port` if given (to come back on the same address), signing with the key set `seed`.
    pub async fn start(redirect_uri: &str, port: Option<u16>, seed: &str) -> OidcProvider {
        Self::spawn(redirect_uri, port, seed, None).await
    }

    /// Starts a provider whose ID tokens are re-signed (with its own key) after `tamper`
    /// changed one claim: `nonce`, `expired` or `issuer`.
    pub async fn start_tampering(redirect_uri: &str, tamper: &str) -> OidcProvider {
        Self::spawn(redirect_uri, None, "first", Some(tamper)).await
    }

    async fn spawn(
        redirect_uri: &str,
        port: Option<u16>,
        seed: &str,
        tamper: Option<&str>,
    ) -> OidcProvider {
        let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
        assert!(
            peers.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: run ./scripts/test (or npm ci in tests/peers)"
        );
        let client_id = "chorus".to_owned();
        let client_secret = format!("secret-{}", uuid::Uuid::new_v4());
        let mut command = Command::new("node");
        command
            .arg("oidc.mjs")
            .current_dir(&peers)
            .env("CLIENT_ID", &client_id)
            .env("CLIENT_SECRET", &client_secret)
            .env("REDIRECT_URI", redirect_uri)
            .env("SIGNING_KEY_SEED", seed)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(port) = port {
            command.env("PORT", port.to_string());
        }
        if let Some(tamper) = tamper {
            command.env("ID_TOKEN_TAMPER", tamper);
        }
        let mut child = command.spawn().expect("start node tests/peers/oidc.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the provider starts within 30 s")
            .expect("read the provider's stdout")
            .expect("the provider printed its ready line");
        let ready: Ready = serde_json::from_str(&ready).expect("the ready line is JSON");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        OidcProvider {
            issuer: ready.issuer,
            port: ready.port,
            client_id,
            client_secret,
            _child: child,
            _stdin: stdin,
        }
    }
}

/// A browser-like HTTP client: cookies kept per host, redirects followed by hand.
#[derive(Debug, Clone)]
pub struct Agent {
    http: reqwest::Client,
}

/// One step's answer.
#[derive(Debug)]
pub struct Step {
    /// The address asked.
    pub url: String,
    /// The status.
    pub status: u16,
    /// Where it redirects, absolute.
    pub location: Option<String>,
    /// The body.
    pub body: String,
}

impl Default for Agent {
    fn default() -> Self {
        Agent::new()
    }
}

impl Agent {
    /// A fresh agent (no cookies).
    #[must_use]
    pub fn new() -> Agent {
        Agent {
            http: reqwest::Client::builder()
                .no_proxy()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .expect("an HTTP client"),
        }
    }

    async fn answer(&self, url: &str, response: reqwest::Response) -> Step {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| {
                url::Url::parse(url)
                    .and_then(|base| base.join(l))
                    .map_or_else(|_| l.to_owned(), |u| u.to_string())
            });
        Step {
            url: url.to_owned(),
            status,
            location,
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// `POST url` with a form, not followed.
    pub async fn post(&self, url: &str, fields: &[(&str, &str)]) -> Step {
        let response = self.http.post(url).form(fields).send().await.expect("POST");
        self.answer(url, response).await
    }

    /// `GET url`, not followed.
    pub async fn get(&self, url: &str) -> Step {
        let response = self.http.get(url).send().await.expect("GET");
        self.answer(url, response).await
    }

    /// Follows redirects from `url`, and at the provider's login and consent pages submits
    /// `login` (any password) and "continue", until an address starting with `stop_at` is
    /// reached: returns that address (not requested).
    pub async fn sign_in_at_provider(&self, url: &str, login: &str, stop_at: &str) -> String {
        let mut next = url.to_owned();
        for _ in 0..20 {
            if next.starts_with(stop_at) {
                return next;
            }
            let step = self.get(&next).await;
            if let Some(location) = step.location {
                next = location;
                continue;
            }
            assert_eq!(step.status, 200, "{}: {}", step.url, step.body);
            let action = step
                .body
                .split(r#"action=""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("no form at {}: {}", step.url, step.body));
            let target = url::Url::parse(&step.url)
                .and_then(|base| base.join(action))
                .expect("the form's address")
                .to_string();
            let fields: Vec<(&str, &str)> = if step.body.contains(r#"name="login""#) {
                vec![("prompt", "login"), ("login", login), ("password", "any")]
            } else {
                vec![("prompt", "consent")]
            };
            let response = self
                .http
                .post(&target)
                .form(&fields)
                .send()
                .await
                .expect("POST the form");
            let posted = self.answer(&target, response).await;
            next = posted
                .location
                .unwrap_or_else(|| panic!("{target}: {} {}", posted.status, posted.body));
        }
        panic!("too many steps from {url}")
    }
}
