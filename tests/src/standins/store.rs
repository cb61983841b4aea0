//! What a stand-in remembers ([`Store`]: fake clock, accounts, tokens, posts, faults, rate
//! windows) and the small pieces its handlers share: request [`Fields`], [`Reply`], ids.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng as _;
use serde_json::Value;

use super::oauth::OAuth;
use super::{DeletedPost, Fault, Network, ReceivedPost, RecordedRequest};

/// The one lock around a stand-in's memory; never held across an `.await`.
pub struct Shared<N: Network>(Mutex<Store<N>>);

impl<N: Network> Shared<N> {
    pub(crate) fn new(store: Store<N>) -> Self {
        Self(Mutex::new(store))
    }

    /// The store; a panic in another handler does not poison it for the rest of the test.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store<N>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fault waiting for the next request whose path contains `path_contains`.
pub(crate) struct PendingFault {
    pub path_contains: String,
    pub fault: Fault,
}

/// Everything one stand-in knows: common parts here, the network's own in `net`.
pub struct Store<N: Network> {
    /// `http://127.0.0.1:PORT`, also the public host of the posts' URLs where the network
    /// shows them on the API host (Mastodon).
    pub(crate) base_url: String,
    /// The fake clock: starts at the real time, moves only by `advance_clock`.
    pub(crate) now: DateTime<Utc>,
    /// The knobs a test may turn.
    pub(crate) settings: N::Settings,
    /// The network's own memory (statuses, containers, ...).
    pub(crate) net: N,
    /// Clients, users, codes and tokens.
    pub(crate) oauth: OAuth,
    /// Faults still to inject, in order.
    pub(crate) faults: VecDeque<PendingFault>,
    /// Posts created, in order (deleted ones included: see `deletions`).
    pub(crate) posts: Vec<ReceivedPost>,
    /// Posts deleted by their author, in order.
    pub(crate) deletions: Vec<DeletedPost>,
    /// Every request received, in order.
    pub(crate) requests: Vec<RecordedRequest>,
    /// Requests received and not yet answered nor dropped with their connection.
    pub(crate) in_flight: usize,
    /// Fixed rate-limit windows by key.
    pub(crate) windows: HashMap<String, Window>,
    serial: u64,
}

impl<N: Network> Store<N> {
    pub(crate) fn new(base_url: String, settings: N::Settings) -> Self {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default();
        Self {
            base_url,
            now,
            settings,
            net: N::default(),
            oauth: OAuth::default(),
            faults: VecDeque::new(),
            posts: Vec::new(),
            deletions: Vec::new(),
            requests: Vec::new(),
            in_flight: 0,
            windows: HashMap::new(),
            serial: 0,
        }
    }

    /// A number never handed out before by this stand-in (ids of users, posts, containers).
    pub(crate) fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// The first pending fault meant for `path`, removed from the queue.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let index = self
            .faults
            .iter()
            .position(|pending| path.contains(&pending.path_contains))?;
        self.faults.remove(index).map(|pending| pending.fault)
    }

    /// Records that `account` deleted post `id` (now on the fake clock).
    pub(crate) fn record_deletion(&mut self, id: &str, account: &str) {
        let at = self.now;
        self.deletions.push(DeletedPost {
            id: id.to_owned(),
            account: account.to_owned(),
            at,
        });
    }

    /// Counts one call against the fixed window `key` (`limit` calls per `period`): the window
    /// starts at the first call and resets when `period` has passed on the fake clock.
    pub(crate) fn hit(&mut self, key: &str, limit: u32, period: TimeDelta) -> Quota {
        let now = self.now;
        let window = self.windows.entry(key.to_owned()).or_insert(Window {
            start: now,
            used: 0,
        });
        if now >= window.start + period {
            *window = Window {
                start: now,
                used: 0,
            };
        }
        let allowed = window.used < limit;
        if allowed {
            window.used += 1;
        }
        Quota {
            allowed,
            limit,
            remaining: limit.saturating_sub(window.used),
            reset: window.start + period,
        }
    }
}

/// One fixed rate-limit window.
pub(crate) struct Window {
    start: DateTime<Utc>,
    used: u32,
}

/// Where a caller stands in a rate-limit window after one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    pub reset: DateTime<Utc>,
}

/// A converted `std` duration for the fake clock (saturating: settings are small).
pub(crate) fn delta(duration: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// The parameters of a request, from its query string or its form or JSON body, in order.
/// `name[]` (Rails-style arrays) is read as `name`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn from_query(query: Option<&str>) -> Self {
        Self::from_form(query.unwrap_or_default().as_bytes())
    }

    pub fn from_form(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(name, value)| {
                    let name = name.strip_suffix("[]").unwrap_or(&name).to_owned();
                    (name, value.into_owned())
                })
                .collect(),
        )
    }

    /// A flat JSON object's fields (arrays give one field per item); `None` when not an object.
    pub fn from_json(body: &[u8]) -> Option<Self> {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let mut fields = Vec::new();
        for (name, value) in object {
            let values = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            for value in values {
                match value {
                    Value::Null => {}
                    Value::String(text) => fields.push((name.clone(), text)),
                    other => fields.push((name.clone(), other.to_string())),
                }
            }
        }
        Some(Self(fields))
    }

    /// JSON when the request says so, else a form; `None` for a JSON body that does not parse.
    pub fn from_body(headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        if is_json(headers) {
            Self::from_json(body)
        } else {
            Some(Self::from_form(body))
        }
    }

    pub fn merged(mut self, other: Self) -> Self {
        self.0.extend(other.0);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// Whether the request body is declared as JSON.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

/// A request header as text.
pub(crate) fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The token of `Authorization: Bearer <token>` (the scheme is case-insensitive).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = header_text(headers, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// `client_id` and `client_secret` of `Authorization: Basic base64(id:secret)`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header_text(headers, "authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

/// RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(_, value)| value.into_owned())
}

/// The access token a request carries: a Bearer header, or `access_token` in the query or in a
/// form body (the Graph API's way).
pub(crate) fn request_token(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Option<String> {
    bearer(headers).or_else(|| {
        let fields = Fields::from_query(query).merged(Fields::from_form(body));
        fields.get("access_token").map(str::to_owned)
    })
}

/// `len` random letters and digits, for codes, tokens and shortcodes.
pub(crate) fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// An answer, built without holding on to the store (and small enough to pass in `Result`s).
#[derive(Debug)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(("application/json; charset=utf-8", body.to_string())),
        }
    }

    pub(crate) fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(("text/html; charset=utf-8", body.to_owned())),
        }
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn redirect(location: &str) -> Self {
        Self::empty(302).with_header("location", location)
    }

    #[must_use]
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match self.body {
            Some((content_type, body)) => {
                ([(header::CONTENT_TYPE, content_type)], body).into_response()
            }
            None => ().into_response(),
        };
        *response.status_mut() = status;
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// `Ok` and `Err` replies alike: handlers refuse with `?` and answer with both.
pub(crate) fn settle(result: Result<Reply, Reply>) -> Reply {
    match result {
        Ok(reply) | Err(reply) => reply,
    }
}

/// The canonical reason phrase of a status, for generic error bodies.
pub(crate) fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Error")
}
