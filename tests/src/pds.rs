//! [`Pds`]: the reference Bluesky PDS (`@atproto/pds`) and an in-memory PLC directory, started
//! by `tests/peers/pds.mjs` on 127.0.0.1 for one test and killed when it is dropped; with the
//! calls a test needs around it (accounts, app passwords, reading records back, and the OAuth
//! sign-in and consent pages driven by sending what they send).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// What `pds.mjs` prints when it is ready.
#[derive(Debug, Clone, Deserialize)]
struct Ready {
    pds_url: String,
    plc_url: String,
}

/// A running PDS and PLC directory.
#[derive(Debug)]
pub struct Pds {
    /// `http://localhost:PORT`, as the PDS names itself in DID documents.
    pub pds_url: String,
    /// `http://127.0.0.1:PORT`.
    pub plc_url: String,
    http: reqwest::Client,
    child: Child,
    // Closing it tells pds.mjs to stop, should the kill on drop not reach it.
    _stdin: ChildStdin,
}

/// An account created on the PDS.
#[derive(Debug, Clone)]
pub struct PdsAccount {
    /// `did:plc:…`.
    pub did: String,
    /// `name.test`.
    pub handle: String,
    /// The account's own password (not an app password).
    pub password: String,
    /// A session token of the account, for the test's own calls.
    pub access_jwt: String,
}

/// A record read back from the repository.
#[derive(Debug, Clone)]
pub struct PdsRecord {
    /// `at://did/collection/rkey`.
    pub uri: String,
    /// The record itself.
    pub value: Value,
}

impl PdsRecord {
    /// The record key (last segment of the URI).
    pub fn rkey(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }
}

impl Pds {
    /// Starts `node tests/peers/pds.mjs` and waits (up to 60 s) for its ready line.
    pub async fn start() -> Pds {
        let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
        assert!(
            peers.join("node_modules/@atproto/pds").is_dir(),
            "the Bluesky PDS is not installed: run ./scripts/test (or npm ci in tests/peers)"
        );
        let mut child = Command::new("node")
            .arg("pds.mjs")
            .current_dir(&peers)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start node tests/peers/pds.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the PDS starts within 60 s")
            .expect("read the PDS's stdout")
            .expect("the PDS printed its ready line (see its stderr above)");
        let ready: Ready = serde_json::from_str(&ready).expect("the ready line is JSON");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Pds {
            pds_url: ready.pds_url,
            plc_url: ready.plc_url,
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("an HTTP client"),
            child,
            _stdin: stdin,
        }
    }

    fn xrpc(&self, nsid: &str) -> String {
        format!("{}/xrpc/{nsid}", self.pds_url)
    }

    async fn call(&self, request: reqwest::RequestBuilder, what: &str) -> Value {
        let answer = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{what}: {status} {body}");
        body
    }

    /// Creates an account `name.test` (`com.atproto.server.createAccount`).
    pub async fn create_account(&self, name: &str) -> PdsAccount {
        let handle = format!("{name}.test");
        let password = format!("{name}-password-{}", uuid::Uuid::new_v4());
        let body = self
            .call(
                self.http
                    .post(self.xrpc("com.atproto.server.createAccount"))
                    .json(&json!({
                        "handle": handle,
                        "email": format!("{name}@example.org"),
                        "password": password,
                    })),
                "createAccount",
            )
            .await;
        PdsAccount {
            did: body["did"].as_str().expect("a did").to_owned(),
            handle,
            password,
            access_jwt: body["accessJwt"].as_str().expect("an accessJwt").to_owned(),
        }
    }

    /// Creates an app password for `account` (`com.atproto.server.createAppPassword`).
    pub async fn create_app_password(&self, account: &PdsAccount, name: &str) -> String {
        let body = self
            .call(
                self.http
                    .post(self.xrpc("com.atproto.server.createAppPassword"))
                    .bearer_auth(&account.access_jwt)
                    .json(&json!({"name": name})),
                "createAppPassword",
            )
            .await;
        body["password"].as_str().expect("a password").to_owned()
    }

    /// Every record of `collection` in `did`'s repository (`com.atproto.repo.listRecords`,
    /// unauthenticated, as any reader of the network would see them).
    pub async fn list_records(&self, did: &str, collection: &str) -> Vec<PdsRecord> {
        let body = self
            .call(
                self.http
                    .get(self.xrpc("com.atproto.repo.listRecords"))
                    .query(&[("repo", did), ("collection", collection), ("limit", "100")]),
                "listRecords",
            )
            .await;
        body["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|record| PdsRecord {
                uri: record["uri"].as_str().expect("a uri").to_owned(),
                value: record["value"].clone(),
            })
            .collect()
    }

    /// One record (`com.atproto.repo.getRecord`), `None` when there is none.
    pub async fn get_record(&self, did: &str, collection: &str, rkey: &str) -> Option<PdsRecord> {
        let answer = self
            .http
            .get(self.xrpc("com.atproto.repo.getRecord"))
            .query(&[("repo", did), ("collection", collection), ("rkey", rkey)])
            .send()
            .await
            .expect("getRecord");
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if status.as_u16() == 400 && body["error"] == "RecordNotFound" {
            return None;
        }
        assert!(status.is_success(), "getRecord: {status} {body}");
        Some(PdsRecord {
            uri: body["uri"].as_str().expect("a uri").to_owned(),
            value: body["value"].clone(),
        })
    }

    /// A blob's bytes (`com.atproto.sync.getBlob`).
    pub async fn get_blob(&self, did: &str, cid: &str) -> Vec<u8> {
        let answer = self
            .http
            .get(self.xrpc("com.atproto.sync.getBlob"))
            .query(&[("did", did), ("cid", cid)])
            .send()
            .await
            .expect("getBlob");
        assert!(answer.status().is_success(), "getBlob: {}", answer.status());
        answer.bytes().await.expect("the blob").to_vec()
    }
}

/// The cookies a browser would keep for the PDS (kept by hand: the CSRF cookie is `Secure`,
/// which a cookie jar would not send over `http://localhost`).
#[derive(Debug, Default)]
struct Cookies(Vec<(String, String)>);

impl Cookies {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("a cookie");
            let pair = text.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            self.0.retain(|(n, _)| n != name);
            self.0
                .push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Pds {
    /// Signs `account` in on the PDS's authorization page at `authorize_url` and approves the
    /// request, sending what the page's script sends (`~api/sign-in`, `~api/consent`, with the
    /// CSRF cookie and header and a browser's `sec-fetch-*`, `origin` and `referer` headers).
    /// Returns where the PDS redirects the browser: the client's callback with `code`,
    /// `state` and `iss`.
    pub async fn approve(&self, authorize_url: &str, account: &PdsAccount) -> String {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client");
        let issuer = url::Url::parse(authorize_url)
            .expect("an authorize URL")
            .origin()
            .ascii_serialization();
        let mut cookies = Cookies::default();
        let page = http
            .get(authorize_url)
            .header("accept", "text/html")
            .header("sec-fetch-mode", "navigate")
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-dest", "document")
            .header("sec-fetch-user", "?1")
            .send()
            .await
            .expect("the authorize page");
        assert_eq!(page.status(), 200, "the authorize page opens");
        cookies.take(&page);
        let api = |path: &str, body: Value, cookies: &Cookies, bearer: Option<&str>| {
            let mut request = http
                .post(format!("{issuer}/@atproto/oauth-provider/~api{path}"))
                .header("origin", &issuer)
                .header("referer", authorize_url)
                .header("sec-fetch-mode", "same-origin")
                .header("sec-fetch-site", "same-origin")
                .header("sec-fetch-dest", "empty")
                .header(
                    "x-csrf-token",
                    cookies.get("csrf-token").expect("a CSRF cookie"),
                )
                .header("cookie", cookies.header())
                .json(&body);
            if let Some(token) = bearer {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let signed_in = api(
            "/sign-in",
            json!({"locale": "en", "username": account.handle, "password": account.password,
                   "remember": false}),
            &cookies,
            None,
        )
        .await
        .expect("sign-in");
        cookies.take(&signed_in);
        let status = signed_in.status();
        let body: Value = signed_in.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "sign-in: {status} {body}");
        let sub = body["account"]["sub"].as_str().expect("the account's sub");
        assert_eq!(sub, account.did);
        let ephemeral = body["ephemeralToken"].as_str().map(str::to_owned);
        let consented = api(
            "/consent",
            json!({"sub": sub}),
            &cookies,
            ephemeral.as_deref(),
        )
        .await
        .expect("consent");
        cookies.take(&consented);
        let status = consented.status();
        let body: Value = consented.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "consent: {status} {body}");
        let redirect = body["url"].as_str().expect("a redirect URL");
        let answer = http
            .get(redirect)
            .header("origin", &issuer)
            .header("referer", authorize_url)
            .header("sec-fetch-mode", "navigate")
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-dest", "document")
            .header("cookie", cookies.header())
            .send()
            .await
            .expect("the redirect");
        assert_eq!(answer.status(), 303, "the PDS redirects to the client");
        answer
            .headers()
            .get("location")
            .expect("a Location")
            .to_str()
            .expect("a text Location")
            .to_owned()
    }
}

impl Drop for Pds {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
