//! Stand-ins for the chat services Chorus posts announcements to, each enforcing its contract:
//! Slack's incoming webhook (JSON with `text`, else `400 invalid_payload`), a Teams webhook (a
//! message with one Adaptive Card, else 400), and Matrix's client-server API (`PUT
//! /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}` with the bearer token, an
//! `m.text` event, the first request rate-limited with `M_LIMIT_EXCEEDED`, and a transaction id
//! sent again answered with the same event, not a second one; `POST
//! /_matrix/client/v3/createRoom` with valid Matrix IDs to invite opens a direct room, and only
//! rooms the account is in take messages).

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
    /// Where: the webhook's path, or the Matrix room.
    pub target: String,
    /// Its body.
    pub body: Value,
}

/// A room opened through `createRoom`.
#[derive(Debug, Clone)]
pub struct Room {
    /// Its id.
    pub id: String,
    /// Who was invited.
    pub invite: Vec<String>,
    /// Whether it was asked for as a direct chat.
    pub is_direct: bool,
}

#[derive(Default)]
struct Shared {
    posted: Vec<Posted>,
    matrix_events: HashMap<String, String>,
    matrix_requests: usize,
    rooms: Vec<Room>,
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

async fn slack(
    State(shared): Ctx,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match json_body(&headers, &body) {
        Some(body) if body["text"].as_str().is_some_and(|t| !t.is_empty()) => {
            shared.lock().unwrap().posted.push(Posted {
                service: "slack",
                target: uri.path().to_owned(),
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
        target: "/teams/webhook".to_owned(),
        body,
    });
    StatusCode::ACCEPTED.into_response()
}

fn matrix_error(status: StatusCode, code: &str, error: &str) -> Response {
    (status, axum::Json(json!({"errcode": code, "error": error}))).into_response()
}

fn matrix_token_ok(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(MATRIX_TOKEN)
}

fn unknown_token() -> Response {
    matrix_error(
        StatusCode::UNAUTHORIZED,
        "M_UNKNOWN_TOKEN",
        "Unrecognised access token.",
    )
}

/// `@localpart:server`, as the specification writes user ids.
fn is_user_id(text: &str) -> bool {
    text.strip_prefix('@')
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(local, server)| {
            !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._=-/+".contains(c))
                && !server.is_empty()
        })
}

async fn create_room(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if !matrix_token_ok(&headers) {
        return unknown_token();
    }
    let Some(body) = json_body(&headers, &body) else {
        return matrix_error(StatusCode::BAD_REQUEST, "M_NOT_JSON", "Content not JSON.");
    };
    let invite: Option<Vec<String>> = body["invite"].as_array().map(|list| {
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    });
    let Some(invite) = invite.filter(|i| !i.is_empty() && i.iter().all(|u| is_user_id(u))) else {
        return matrix_error(
            StatusCode::BAD_REQUEST,
            "M_INVALID_PARAM",
            "invite must list user ids.",
        );
    };
    let mut shared = shared.lock().unwrap();
    let id = format!("!dm{}:chat.example.org", shared.rooms.len() + 1);
    shared.rooms.push(Room {
        id: id.clone(),
        invite,
        is_direct: body["is_direct"] == true,
    });
    axum::Json(json!({ "room_id": id })).into_response()
}

async fn matrix(
    State(shared): Ctx,
    Path((room, txn)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !matrix_token_ok(&headers) {
        return unknown_token();
    }
    let joined = room == MATRIX_ROOM || shared.lock().unwrap().rooms.iter().any(|r| r.id == room);
    if !joined {
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
        target: room,
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
            .route("/_matrix/client/v3/createRoom", post(create_room))
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

    /// Connects Slack and Matrix as the organisation's channels, through the admin's page (what
    /// also offers them to each person for their own messages).
    pub async fn connect_slack_and_matrix(&self, admin: &crate::Client) {
        let saved = admin
            .post_form(
                "/admin/channels",
                &[
                    ("slack_webhook", &self.slack_webhook()),
                    ("matrix_homeserver", &self.base),
                    ("matrix_room", MATRIX_ROOM),
                    ("matrix_token", MATRIX_TOKEN),
                ],
            )
            .await;
        assert_eq!(
            saved.location(),
            "/admin/channels?done=saved",
            "{}",
            saved.body
        );
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

    /// The rooms opened.
    pub fn rooms(&self) -> Vec<Room> {
        self.shared.lock().unwrap().rooms.clone()
    }

    /// How many Matrix requests arrived (the rate-limited one included).
    pub fn matrix_requests(&self) -> usize {
        self.shared.lock().unwrap().matrix_requests
    }
}
