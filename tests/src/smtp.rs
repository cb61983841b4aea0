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

/// The server, running until dropped.
#[derive(Debug)]
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    _child: Child,
    _stdin: ChildStdin,
}

impl SmtpServer {
    /// Starts the server.
    pub async fn start() -> SmtpServer {
        Self::spawn(0).await
    }

    /// Starts a server that answers the first `n` messages with a temporary failure (451).
    pub async fn refusing_first(n: u32) -> SmtpServer {
        Self::spawn(n).await
    }

    async fn spawn(refuse_first: u32) -> SmtpServer {
        let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
        let python = peers.join(".venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run ./scripts/test, which installs tests/peers/requirements.txt",
            python.display()
        );
        let mut child = Command::new(python)
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
            received,
            _child: child,
            _stdin: stdin,
        }
    }

    /// `CHORUS_SMTP_URL` for it (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
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
