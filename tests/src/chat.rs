//! Stand-ins for the chat services Chorus posts announcements to, each enforcing its contract:
//! Slack's incoming webhook (JSON with `text`, else `400 invalid_payload`), a Teams webhook (a
//! message with one Adaptive Card, else 400), and Matrix's client-server API (`PUT
//! /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}` with the bearer token, an
//! `m.text` event, the first request rate-limited with `M_LIMIT_EXCEEDED`, and a transaction id
//! sent again answered with the same event, not a second one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use serde_json::{Value, json};

/// One post a service accepted.
#[derive(Debug, Clone)]
pub struct Posted {
    /// `slack`, `teams` or `matrix`.
    pub service: &'static str,
    /// Its body.
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    posted: Vec<Posted>,
    matrix_events: HashMap<String, String>,
    matrix_requests: usize,
}

type Ctx = State<Arc<Mutex<Shared>>>;

/// The Matrix room and token the stand-in knows.
pub const MATRIX_ROOM: &str = "!ambassadors:chat.example.org";
/// The access token it accepts.
pub const MATRIX_TOKEN: &str = "syt_chorus_bot_token";

/// The three services on one local port.
pub struct ChatStandIns {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    shared: Arc<Mutex<Shared>>,
    _server: tokio::task::JoinHandle<()>,
}

fn json_body(headers: &HeaderMap, body: &Bytes) -> Option<Value> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    json.then(|| serde_json::from_slice(body).ok()).flatten()
}

async fn slack(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    match json_body(&headers, &body) {
        Some(body) if body["text"].as_str().is_some_and(|t| !t.is_empty()) => {
            shared.lock().unwrap().posted.push(Posted {
                service: "slack",
                body,
            });
            (StatusCode::OK, "ok").into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "invalid_payload").into_response(),
    }
}

async fn teams(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    let Some(body) = json_body(&headers, &body) else {
        return (StatusCode::BAD_REQUEST, "Bad payload").into_response();
    };
    let card = &body["attachments"][0];
    let ok = body["type"] == "message"
        && card["contentType"] == "application/vnd.microsoft.card.adaptive"
        && card["content"]["type"] == "AdaptiveCard"
        && card["content"]["body"]
            .as_array()
            .is_some_and(|b| !b.is_empty());
    if !ok {
        return (
            StatusCode::BAD_REQUEST,
            "Bad payload: expected an Adaptive Card",
        )
            .into_response();
    }
    shared.lock().unwrap().posted.push(Posted {
        service: "teams",
        body,
    });
    StatusCode::ACCEPTED.into_response()
}

fn matrix_error(status: StatusCode, code: &str, error: &str) -> Response {
    (status, axum::Json(json!({"errcode": code, "error": error}))).into_response()
}

async fn matrix(
    State(shared): Ctx,
    Path((room, txn)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(MATRIX_TOKEN) {
        return matrix_error(
            StatusCode::UNAUTHORIZED,
            "M_UNKNOWN_TOKEN",
            "Unrecognised access token.",
        );
    }
    if room != MATRIX_ROOM {
        return matrix_error(StatusCode::FORBIDDEN, "M_FORBIDDEN", "User not in room.");
    }
    let Some(body) = json_body(&headers, &body) else {
        return matrix_error(StatusCode::BAD_REQUEST, "M_NOT_JSON", "Content not JSON.");
    };
    if body["msgtype"] != "m.text" || !body["body"].is_string() {
        return matrix_error(
            StatusCode::BAD_REQUEST,
            "M_BAD_JSON",
            "Missing body or msgtype.",
        );
    }
    let mut shared = shared.lock().unwrap();
    shared.matrix_requests += 1;
    if shared.matrix_requests == 1 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 200})),
        )
            .into_response();
    }
    if let Some(event) = shared.matrix_events.get(&txn) {
        return axum::Json(json!({ "event_id": event })).into_response();
    }
    let event = format!("$event{}", shared.matrix_events.len() + 1);
    shared.matrix_events.insert(txn, event.clone());
    shared.posted.push(Posted {
        service: "matrix",
        body,
    });
    axum::Json(json!({ "event_id": event })).into_response()
}

impl ChatStandIns {
    /// Starts the three services.
    pub async fn start() -> ChatStandIns {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/services/{a}/{b}/{c}", post(slack))
            .route("/teams/webhook", post(teams))
            .route(
                "/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}",
                put(matrix),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        ChatStandIns {
            base,
            shared,
            _server: server,
        }
    }

    /// Slack's webhook address.
    pub fn slack_webhook(&self) -> String {
        format!("{}/services/T0CHORUS/B0ANNOUNCE/webhook-secret", self.base)
    }

    /// The Teams webhook address.
    pub fn teams_webhook(&self) -> String {
        format!("{}/teams/webhook", self.base)
    }

    /// Every post accepted.
    pub fn posted(&self) -> Vec<Posted> {
        self.shared.lock().unwrap().posted.clone()
    }

    /// How many Matrix requests arrived (the rate-limited one included).
    pub fn matrix_requests(&self) -> usize {
        self.shared.lock().unwrap().matrix_requests
    }
}
