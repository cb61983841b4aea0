//! The HTTP side every connector shares: a client that never follows redirects and gives up on
//! time, answers read whole, transport failures sorted into "never sent" and "sent, outcome
//! unknown", PKCE pairs and hand-parsed OAuth token answers.

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore as _;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use chorus_editorial::preview::{AddressGuard, GuardedResolver, forbidden_resolution};

use super::error::{ConnectorError, PublishError};
use super::{Secret, TokenSet};

/// How long Chorus waits for a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the connection (a failure here means nothing was sent).
    pub connect: Duration,
    /// For the whole request, answer included (a failure here means the outcome is unknown).
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

/// The HTTP client of the connectors: redirects disabled (an OAuth or API answer is never
/// followed to another place), connect and total timeouts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    /// Which addresses it may reach, when it talks to places a person named (a Mastodon
    /// instance, a Bluesky handle and what it leads to); `None` for configured endpoints.
    guard: Option<AddressGuard>,
}

impl HttpClient {
    /// Builds the client.
    ///
    /// # Errors
    /// [`ConnectorError::Client`] when the TLS back end cannot be set up.
    pub fn new(timeouts: Timeouts) -> Result<Self, ConnectorError> {
        Self::build(timeouts, None)
    }

    /// A client that reaches only the addresses `guard` permits: IP-literal hosts are checked
    /// before each request, names once resolved (all their addresses), so that an address a
    /// person typed cannot point Chorus at its own network.
    ///
    /// # Errors
    /// [`ConnectorError::Client`] when the TLS back end cannot be set up.
    pub fn guarded(timeouts: Timeouts, guard: AddressGuard) -> Result<Self, ConnectorError> {
        Self::build(timeouts, Some(guard))
    }

    fn build(timeouts: Timeouts, guard: Option<AddressGuard>) -> Result<Self, ConnectorError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("Chorus/", env!("CARGO_PKG_VERSION")));
        if let Some(guard) = guard {
            // A proxy (HTTPS_PROXY...) would resolve the host itself, past the guard: a client
            // for addresses people type never uses one.
            builder = builder
                .no_proxy()
                .dns_resolver(std::sync::Arc::new(GuardedResolver::new(guard)));
        }
        let client = builder.build().map_err(|error| ConnectorError::Client {
            detail: describe(&error),
        })?;
        Ok(Self { client, guard })
    }

    /// The underlying client, to build requests.
    pub(crate) fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and reads the whole answer, whatever its status.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer, PublishError> {
        let request = request.build().map_err(|error| transport(&error))?;
        if let Some(guard) = self.guard
            && let Err(refused) = guard.check_url(request.url())
        {
            return Err(PublishError::Rejected {
                message: refused.to_string(),
            });
        }
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|error| transport(&error))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(|error| transport(&error))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// A network's answer, read whole. Its `Debug` leaves the body out: a token answer holds tokens.
#[derive(Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text ("" when empty).
    pub body: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Answer")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON (`Null` when it is empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A transport failure sorted by whether the request can have reached the network.
///
/// A connection that was never established (refused, unreachable, connect timeout) sent
/// nothing: [`PublishError::Unavailable`] with `retryable_before_send`. Anything later (total
/// timeout, connection closed before the answer, an unreadable answer) may have been processed:
/// [`PublishError::Uncertain`].
pub(crate) fn transport(error: &reqwest::Error) -> PublishError {
    if let Some(refused) = forbidden_resolution(error) {
        return PublishError::Rejected {
            message: refused.to_string(),
        };
    }
    let detail = describe(error);
    if error.is_connect() || error.is_builder() {
        PublishError::Unavailable {
            retryable_before_send: true,
            status: None,
            detail,
        }
    } else {
        PublishError::Uncertain {
            detail,
            container_id: None,
        }
    }
}

/// A reqwest error in words, without its URL (which may carry a token in its query) but with
/// its causes.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer could not be read"
    } else if error.is_request() {
        "the connection failed during the request"
    } else {
        "HTTP error"
    };
    let mut words = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.contains("://") && !words.contains(&cause_text) {
            words.push_str(": ");
            words.push_str(&cause_text);
        }
        source = cause.source();
    }
    words
}

/// A PKCE (RFC 7636) verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// The verifier, kept secret until the code exchange.
    pub verifier: Secret,
    /// `BASE64URL(SHA256(verifier))`, sent on the authorize URL.
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair: 32 random bytes make a 43-character verifier.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let challenge = s256_challenge(&verifier);
        Self {
            verifier: Secret::new(verifier),
            challenge,
        }
    }
}

/// The S256 challenge of a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An OAuth token answer, parsed by hand because LinkedIn may omit `token_type` and the Threads
/// short-lived answer has none (the `oauth2` crate's standard type refuses both).
/// No `Debug`: it holds the tokens in clear.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenAnswer {
    /// Parses a successful token answer.
    pub fn parse(answer: &Answer) -> Result<Self, ConnectorError> {
        serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
            detail: "the token answer has no access_token".to_owned(),
        })
    }

    /// The token set, with `fallback_scopes` when the answer names none.
    pub fn into_token_set(self, now: DateTime<Utc>, fallback_scopes: &[&str]) -> TokenSet {
        let scopes = match &self.scope {
            Some(scope) => scope
                .split([' ', ','])
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect(),
            None => fallback_scopes
                .iter()
                .map(|&scope| scope.to_owned())
                .collect(),
        };
        TokenSet {
            access_token: Secret::new(self.access_token),
            refresh_token: self
                .refresh_token
                .filter(|token| !token.is_empty())
                .map(Secret::new),
            expires_at: self
                .expires_in
                .filter(|seconds| *seconds > 0)
                .map(|seconds| now + TimeDelta::seconds(seconds)),
            scopes,
        }
    }
}

/// An OAuth error answer (`error`, `error_description`) or any failure of a token endpoint, as
/// a [`ConnectorError`]; `classified` is the network's classification of the same answer.
pub(crate) fn oauth_failure(answer: &Answer, classified: PublishError) -> ConnectorError {
    match classified {
        PublishError::RateLimited { .. }
        | PublishError::Unavailable { .. }
        | PublishError::Uncertain { .. } => classified.into(),
        PublishError::Unauthorized { message } if !is_oauth_error(answer) => {
            ConnectorError::Unauthorized { message }
        }
        _ => {
            let body = answer.json();
            let message = ["error_description", "error", "message"]
                .iter()
                .find_map(|field| body.get(field).and_then(serde_json::Value::as_str))
                .or_else(|| {
                    body.pointer("/error/message")
                        .and_then(serde_json::Value::as_str)
                })
                .map_or_else(|| format!("HTTP {}", answer.status), str::to_owned);
            ConnectorError::Refused {
                status: answer.status,
                message,
            }
        }
    }
}

/// Whether the answer is an RFC 6749 error (`{"error": "invalid_client", ...}`): a problem of
/// the app's credentials or the grant, not of the member's token.
fn is_oauth_error(answer: &Answer) -> bool {
    answer
        .json()
        .get("error")
        .is_some_and(serde_json::Value::is_string)
}

/// A `multipart/form-data` body (RFC 7578) of text `fields` then one `file` (its field name,
/// media type and bytes), and the `Content-Type` that names its boundary: how Mastodon and X
/// take uploads.
pub(crate) fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = format!(
        "chorus-{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    );
    let (name, mime, bytes) = file;
    let mut body = Vec::with_capacity(bytes.len() + 512);
    for (field, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"image\"\r\n\
             Content-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    #[tokio::test]
    async fn a_guarded_client_reaches_no_private_address_by_literal_or_by_name() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut request = [0_u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            }
        });
        let guarded =
            HttpClient::guarded(Timeouts::default(), AddressGuard::public_only()).unwrap();
        for url in [
            format!("http://127.0.0.1:{port}/"),
            format!("http://localhost:{port}/"),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "http://[::1]/".to_owned(),
        ] {
            let refused = guarded.send(guarded.inner().get(&url)).await.unwrap_err();
            assert!(
                matches!(&refused, PublishError::Rejected { message } if message.contains("internal") || message.contains("public internet")),
                "{url}: {refused:?}"
            );
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "nothing was sent");

        // The same server is reached by the client of the tests, which allows it.
        let open =
            HttpClient::guarded(Timeouts::default(), AddressGuard::allow_private_for_tests())
                .unwrap();
        let answer = open
            .send(open.inner().get(format!("http://localhost:{port}/")))
            .await
            .unwrap();
        assert_eq!(answer.body, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }
}
