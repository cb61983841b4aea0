//! A tiny web site served by the test itself on 127.0.0.1: fixed pages for link previews and
//! feeds. Raw HTTP/1.1 over tokio, one response per connection, and a log of paths asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A page: status, content type and body.
#[derive(Debug, Clone)]
pub struct Resource {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Body.
    pub body: Vec<u8>,
}

/// The running site.
#[derive(Debug, Clone)]
pub struct Site {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    resources: Arc<Mutex<HashMap<String, Resource>>>,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Site {
    /// Starts an empty site.
    pub async fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let resources: Arc<Mutex<HashMap<String, Resource>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let (served, logged) = (resources.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (served, logged) = (served.clone(), logged.clone());
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 16 * 1024];
                    let mut read = 0;
                    while read < buffer.len() {
                        let Ok(n) = socket.read(&mut buffer[read..]).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        read += n;
                        if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
                    let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    logged.lock().unwrap().push(path.clone());
                    let resource = served
                        .lock()
                        .unwrap()
                        .get(&path)
                        .cloned()
                        .unwrap_or(Resource {
                            status: 404,
                            content_type: "text/plain".into(),
                            body: b"not found".to_vec(),
                        });
                    let head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        resource.status,
                        resource.content_type,
                        resource.body.len(),
                    );
                    let mut response = head.into_bytes();
                    response.extend_from_slice(&resource.body);
                    let _ = socket.write_all(&response).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Site {
            base_url,
            resources,
            hits,
        }
    }

    /// Serves `body` at `path`.
    pub fn serve(&self, path: &str, content_type: &str, body: &str) {
        self.serve_bytes(path, content_type, body.as_bytes());
    }

    /// Serves `body` (any bytes, such as an image) at `path`.
    pub fn serve_bytes(&self, path: &str, content_type: &str, body: &[u8]) {
        self.resources.lock().unwrap().insert(
            path.to_owned(),
            Resource {
                status: 200,
                content_type: content_type.to_owned(),
                body: body.to_vec(),
            },
        );
    }

    /// The absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// How many times `path` was asked for.
    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}
