//! A real SMTP server run by the tests (`tests/peers/smtp.py`, on Python's `aiosmtpd`): every
//! message it accepts, with its envelope, headers and decoded MIME parts.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// One MIME part.
#[derive(Debug, Clone, Deserialize)]
pub struct Part {
    /// `text/plain`, `text/html`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its charset.
    pub charset: Option<String>,
    /// Its decoded text.
    pub text: String,
}

/// One message as the server received it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    /// How it arrived: `starttls`, `implicit`, or `None` (plain).
    pub tls: Option<String>,
    /// The envelope sender.
    pub mail_from: String,
    /// The envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// The top-level content type.
    pub content_type: String,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
    /// Each leaf part.
    pub parts: Vec<Part>,
}

impl Received {
    /// The first header of that name (any case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The text of the part of that type, or "".
    pub fn part(&self, kind: &str) -> &str {
        self.parts
            .iter()
            .find(|p| p.kind == kind)
            .map_or("", |p| p.text.as_str())
    }
}

#[derive(Deserialize)]
struct Ready {
    port: u16,
}

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Offers STARTTLS and refuses mail before it (port 587's way).
    StartTls,
    /// TLS from the first byte (port 465's way).
    Implicit,
}

/// A certificate authority made for one test, and the server certificate it signed for
/// 127.0.0.1 (with `openssl`).
#[derive(Debug)]
pub struct TestCa {
    /// The authority's certificate (PEM), what `CHORUS_SMTP_CA_FILE` names.
    pub ca_file: std::path::PathBuf,
    cert_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    /// Makes the authority and the server's certificate.
    pub fn new() -> TestCa {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let at = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("openssl runs (scripts/test installs it when it is missing)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Chorus test authority",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            at("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        TestCa {
            ca_file: at("ca.pem"),
            cert_file: at("server.pem"),
            key_file: at("server.key"),
            _dir: dir,
        }
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// The server, running until dropped.
#[derive(Debug)]
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    tls: Option<Tls>,
    received: Arc<Mutex<Vec<Received>>>,
    _child: Child,
    _stdin: ChildStdin,
}

impl SmtpServer {
    /// Starts the server.
    pub async fn start() -> SmtpServer {
        Self::spawn(0, None).await
    }

    /// Starts a server that answers the first `n` messages with a temporary failure (451).
    pub async fn refusing_first(n: u32) -> SmtpServer {
        Self::spawn(n, None).await
    }

    /// Starts a server speaking TLS with the certificate `ca` signed.
    pub async fn with_tls(tls: Tls, ca: &TestCa) -> SmtpServer {
        Self::spawn(0, Some((tls, ca))).await
    }

    async fn spawn(refuse_first: u32, tls: Option<(Tls, &TestCa)>) -> SmtpServer {
        let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
        let python = peers.join(".venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run ./scripts/test, which installs tests/peers/requirements.txt",
            python.display()
        );
        let mut command = Command::new(python);
        if let Some((mode, ca)) = tls {
            command
                .env(
                    "TLS",
                    match mode {
                        Tls::StartTls => "starttls",
                        Tls::Implicit => "implicit",
                    },
                )
                .env("CERT_FILE", &ca.cert_file)
                .env("KEY_FILE", &ca.key_file);
        }
        let mut child = command
            .arg("smtp.py")
            .current_dir(&peers)
            .env("REFUSE_FIRST", refuse_first.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start tests/peers/smtp.py");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the SMTP server starts within 30 s")
            .expect("read its stdout")
            .expect("it printed its ready line");
        let ready: Ready = serde_json::from_str(&ready).expect("the ready line is JSON");
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(message) = serde_json::from_str::<Received>(&line) {
                    sink.lock().unwrap().push(message);
                }
            }
        });
        SmtpServer {
            port: ready.port,
            tls: tls.map(|(mode, _)| mode),
            received,
            _child: child,
            _stdin: stdin,
        }
    }

    /// `CHORUS_SMTP_URL` for it: plain SMTP, STARTTLS required, or TLS from the start.
    pub fn url(&self) -> String {
        match self.tls {
            None => format!("smtp://127.0.0.1:{}", self.port),
            Some(Tls::StartTls) => format!("smtp://127.0.0.1:{}?tls=required", self.port),
            Some(Tls::Implicit) => format!("smtps://127.0.0.1:{}", self.port),
        }
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until `count` messages arrived; returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..300 {
            let now = self.received();
            if now.len() >= count {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{count} messages expected, {} received: {:#?}",
            self.received().len(),
            self.received()
        );
    }
}
