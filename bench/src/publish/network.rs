//! The stand-in network of `bench publish`: Mastodon's `POST /api/v1/statuses` as a real
//! instance answers it, slow and imperfect. It enforces the contract (a known bearer token, an
//! `Idempotency-Key`, a JSON body with a status of at most 500 characters), takes 50 to 200 ms
//! per answer, answers a few requests 503 (nothing posted) and a few 429 with
//! `X-RateLimit-Reset` two seconds ahead, and holds each account to Mastodon's posting limit
//! (300 per account per 5 minutes here). It counts what a worker must never do: post the same
//! share twice, or call again for an account before the reset it was given.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::{Value, json};

/// Posts one account may make per window before the network refuses.
const LIMIT_POSTS: usize = 300;
const LIMIT_WINDOW: Duration = Duration::from_secs(300);
/// How long an injected 429 asks to wait.
const RESET_AFTER: Duration = Duration::from_secs(2);

/// How the network misbehaves.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Share of requests answered 429 (per thousand).
    pub rate_limited_per_mille: u32,
    /// Share of requests answered 503 (per thousand).
    pub unavailable_per_mille: u32,
    /// Slowest and fastest answer.
    pub latency: (Duration, Duration),
}

/// What the network saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Requests received.
    pub requests: u64,
    /// Statuses created.
    pub created: u64,
    /// Requests for a share already posted (its key answered 200 before): a duplicate post on
    /// a network without idempotency keys.
    pub duplicates: u64,
    /// 429s injected.
    pub rate_limited: u64,
    /// Requests for an account that arrived after its 429 was answered and before its reset.
    pub before_reset: u64,
    /// Requests refused by the posting limit.
    pub over_limit: u64,
    /// 503s injected.
    pub unavailable: u64,
    /// Requests that broke the contract (token, key, body).
    pub refused: u64,
}

#[derive(Debug, Default)]
struct Account {
    /// Until when the account must not call (a 429 was answered).
    reset: Option<Instant>,
    /// Posts in the current window.
    posted: VecDeque<Instant>,
}

#[derive(Debug)]
struct Inner {
    counts: Counts,
    accounts: HashMap<u32, Account>,
    /// Idempotency key → status id.
    posted: HashMap<String, String>,
}

#[derive(Debug)]
struct Network {
    faults: Faults,
    /// Bearer token → account number.
    tokens: HashMap<String, u32>,
    inner: Mutex<Inner>,
}

impl Network {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running stand-in.
#[derive(Debug)]
pub struct StandIn {
    /// Its origin (`http://127.0.0.1:port`).
    pub origin: String,
    network: Arc<Network>,
    task: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Starts a stand-in knowing `tokens` (account number i has token `tokens[i]`).
    ///
    /// # Errors
    /// No port to listen on.
    pub async fn start(tokens: &[String], faults: Faults) -> anyhow::Result<StandIn> {
        let network = Arc::new(Network {
            faults,
            tokens: tokens
                .iter()
                .enumerate()
                .map(|(n, token)| (token.clone(), u32::try_from(n).unwrap_or(u32::MAX)))
                .collect(),
            inner: Mutex::new(Inner {
                counts: Counts::default(),
                accounts: HashMap::new(),
                posted: HashMap::new(),
            }),
        });
        let app = axum::Router::new()
            .route("/api/v1/statuses", axum::routing::post(statuses))
            .with_state(Arc::clone(&network));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StandIn {
            origin,
            network,
            task,
        })
    }

    /// What it saw so far.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.network.lock().counts
    }

    /// Stops it.
    pub fn stop(self) {
        self.task.abort();
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// What the network decided on arrival.
enum Decision {
    Refuse(Response),
    RateLimited,
    Unavailable,
    Post,
}

async fn statuses(
    State(network): State<Arc<Network>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let arrived = Instant::now();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("status").and_then(Value::as_str).map(str::len));
    let account = token.and_then(|t| network.tokens.get(t).copied());
    let decision = {
        let mut inner = network.lock();
        inner.counts.requests += 1;
        match (account, &key, status) {
            (None, _, _) => {
                inner.counts.refused += 1;
                Decision::Refuse(error(
                    StatusCode::UNAUTHORIZED,
                    "The access token is invalid",
                ))
            }
            (_, None, _) => {
                inner.counts.refused += 1;
                Decision::Refuse(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "this stand-in requires an Idempotency-Key",
                ))
            }
            (_, _, None | Some(0 | 501..)) => {
                inner.counts.refused += 1;
                Decision::Refuse(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation failed: Text can't be blank or is too long",
                ))
            }
            (Some(account), Some(_), Some(_)) => {
                let state = inner.accounts.entry(account).or_default();
                while state
                    .posted
                    .front()
                    .is_some_and(|at| arrived.duration_since(*at) > LIMIT_WINDOW)
                {
                    state.posted.pop_front();
                }
                if state.reset.is_some_and(|reset| arrived < reset) {
                    inner.counts.before_reset += 1;
                    Decision::RateLimited
                } else if state.posted.len() >= LIMIT_POSTS {
                    inner.counts.over_limit += 1;
                    Decision::RateLimited
                } else {
                    let roll = rand::thread_rng().gen_range(0..1000);
                    if roll < network.faults.rate_limited_per_mille {
                        inner.counts.rate_limited += 1;
                        Decision::RateLimited
                    } else if roll
                        < network.faults.rate_limited_per_mille
                            + network.faults.unavailable_per_mille
                    {
                        inner.counts.unavailable += 1;
                        Decision::Unavailable
                    } else {
                        Decision::Post
                    }
                }
            }
        }
    };
    let (fast, slow) = network.faults.latency;
    let wait = rand::thread_rng().gen_range(fast..=slow);
    tokio::time::sleep(wait).await;
    let account = account.unwrap_or_default();
    let key = key.unwrap_or_default();
    match decision {
        Decision::Refuse(answer) => answer,
        Decision::Unavailable => error(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        Decision::RateLimited => {
            // The window starts when the answer leaves: a call after it and before the
            // reset did not honour it.
            let reset = Instant::now() + RESET_AFTER;
            let reset_at =
                chrono::Utc::now() + chrono::Duration::from_std(RESET_AFTER).unwrap_or_default();
            let mut inner = network.lock();
            let state = inner.accounts.entry(account).or_default();
            state.reset = Some(state.reset.map_or(reset, |r| r.max(reset)));
            (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("x-ratelimit-limit", LIMIT_POSTS.to_string()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    (
                        "x-ratelimit-reset",
                        reset_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                    ),
                ],
                Json(json!({ "error": "Too many requests" })),
            )
                .into_response()
        }
        Decision::Post => {
            let mut inner = network.lock();
            let id = match inner.posted.get(&key).cloned() {
                Some(id) => {
                    inner.counts.duplicates += 1;
                    id
                }
                None => {
                    inner.counts.created += 1;
                    let id = inner.counts.created.to_string();
                    inner.posted.insert(key, id.clone());
                    inner
                        .accounts
                        .entry(account)
                        .or_default()
                        .posted
                        .push_back(Instant::now());
                    id
                }
            };
            Json(json!({
                "id": id,
                "uri": format!("https://stand-in.example/users/a{account}/statuses/{id}"),
                "url": format!("https://stand-in.example/@a{account}/{id}"),
            }))
            .into_response()
        }
    }
}
