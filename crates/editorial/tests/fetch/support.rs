//! A tiny HTTP server on 127.0.0.1 answering raw responses per path, and helpers to prove that
//! a refused fetch never connected.

use std::fmt::Write as _;
use std::io::ErrorKind;
use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chorus_editorial::preview::{AddressGuard, PreviewError, PreviewFetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the test server answers to one path.
pub enum Reply {
    /// A complete response.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing a body that never comes.
    Stall,
}

pub fn html(body: &str) -> Reply {
    typed("text/html; charset=utf-8", body.as_bytes().to_vec())
}

pub fn typed(content_type: &str, body: Vec<u8>) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("Content-Type", content_type.to_owned())],
        body,
    }
}

pub fn redirect(status: u16, location: String) -> Reply {
    Reply::Full {
        status,
        headers: vec![("Location", location)],
        body: Vec::new(),
    }
}

pub fn status(code: u16) -> Reply {
    Reply::Full {
        status: code,
        headers: vec![("Content-Type", "text/html".to_owned())],
        body: b"<title>Error</title>".to_vec(),
    }
}

pub struct TestServer {
    pub port: u16,
    /// Paths requested, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Starts a server whose `route` gets the request path and the server's own port.
pub async fn serve<F>(route: F) -> TestServer
where
    F: Fn(&str, u16) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let route = Arc::new(route);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            let route = Arc::clone(&route);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let Ok(read @ 1..) = stream.read(&mut buffer).await else {
                        return;
                    };
                    head.extend_from_slice(&buffer[..read]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                seen.lock().unwrap().push(path.clone());
                let response = match route(&path, port) {
                    Reply::Full {
                        status,
                        headers,
                        body,
                    } => {
                        let mut text = format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            let _ = write!(text, "{name}: {value}\r\n");
                        }
                        text.push_str("\r\n");
                        let mut bytes = text.into_bytes();
                        bytes.extend_from_slice(&body);
                        bytes
                    }
                    Reply::Stall => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n<html>")
                            .await;
                        // Simulates a server that hangs; the test runtime drops this task.
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                };
                // The client may hang up early (size limit); that is expected.
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    TestServer { port, requests }
}

/// A bound listener nobody accepts on, to prove that nothing connected to it.
pub fn untouched_listener() -> (StdListener, u16) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// The kernel queues a completed TCP handshake before `connect` returns, so once a fetch has
/// returned, any connection it made is waiting here.
pub fn assert_no_connection(listener: &StdListener) {
    match listener.accept() {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("unexpected connection from {from}"),
        Err(error) => panic!("accept failed: {error}"),
    }
}

pub fn public_fetcher() -> PreviewFetcher {
    PreviewFetcher::new(AddressGuard::public_only()).unwrap()
}

pub fn test_fetcher() -> PreviewFetcher {
    PreviewFetcher::new(AddressGuard::allow_private_for_tests()).unwrap()
}

pub fn forbidden(host: &str) -> PreviewError {
    PreviewError::ForbiddenAddress {
        host: host.to_owned(),
    }
}
