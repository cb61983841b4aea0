//! Threads (Meta Graph) stand-in: OAuth with comma-separated scopes and a 1-hour token without
//! `token_type`, the 60-day exchange and its refresh (only once 24 h old), `/me`, and the
//! two-step publish: TEXT and IMAGE containers (IN_PROGRESS → FINISHED → PUBLISHED, EXPIRED after
//! 24 h, ≤ 500 characters and ≤ 5 links; an IMAGE container's `image_url` fetched for real, JPEG
//! or PNG ≤ 8 MB, else ERROR with its `error_message`; `alt_text` ≤ 1,000 characters),
//! `threads_publish` (once per container, 250 per rolling 24 h), permalinks whose shortcode is
//! not the media id, and the Graph error envelope.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::oauth::{
    AccessToken, AuthorizeRules, CodeProblem, Pkce, TokenKind, TokenPolicy, TokenProblem,
};
use super::store::{Fields, Reply, Shared, Store, random_string, request_token, settle};
use super::{Fault, Network};

pub mod images;
mod publishing;

use publishing::{Container, Media, create_container, node, publish, publishing_limit};

type Ctx = State<Arc<Shared<Threads>>>;

const SHORT_LIVED: TimeDelta = TimeDelta::hours(1);
const LONG_LIVED: TimeDelta = TimeDelta::days(60);

/// The knobs of the Threads stand-in.
#[derive(Debug, Clone)]
pub struct ThreadsSettings {
    /// How long (fake clock) a container stays IN_PROGRESS; zero: FINISHED at once.
    pub container_ready_after: Duration,
    /// Published posts per profile per rolling 24 h.
    pub publish_limit: u32,
    /// Status reads that answer IN_PROGRESS for an IMAGE container whose image was fetched,
    /// before it is FINISHED (1).
    pub image_processing_polls: u32,
}

impl Default for ThreadsSettings {
    fn default() -> Self {
        Self {
            container_ready_after: Duration::ZERO,
            publish_limit: 250,
            image_processing_polls: 1,
        }
    }
}

/// Containers, published media and the publishing history.
#[derive(Default)]
pub struct Threads {
    containers: HashMap<String, Container>,
    media: HashMap<String, Media>,
    publishes: Vec<(String, DateTime<Utc>)>,
}

impl Network for Threads {
    type Settings = ThreadsSettings;
    const SCOPES: &'static [&'static str] = &[
        "threads_basic",
        "threads_content_publish",
        "threads_manage_replies",
        "threads_read_replies",
        "threads_manage_insights",
    ];

    fn routes() -> Router<Arc<Shared<Self>>> {
        Router::new()
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/access_token", post(access_token))
            .route("/access_token", get(exchange_token))
            .route("/refresh_access_token", get(refresh_token))
            .route("/v1.0/{id}", get(node))
            .route("/v1.0/{id}/threads", post(create_container))
            .route("/v1.0/{id}/threads_publish", post(publish))
            .route("/v1.0/{id}/threads_publishing_limit", get(publishing_limit))
            // Threads documents no deletion (networks.md): a DELETE on a post, like any other
            // method a path does not take, gets the Graph API's refusal rather than a bare 405.
            .method_not_allowed_fallback(|| async { unsupported_request() })
            .fallback(|| async { unsupported_request() })
    }

    fn user_id(serial: u64) -> String {
        (17_841_400_000_000_000 + serial).to_string()
    }

    fn token_policy(_scopes: &[String]) -> TokenPolicy {
        TokenPolicy {
            lifetime: Some(LONG_LIVED),
            refresh: false,
            kind: TokenKind::LongLived,
        }
    }

    fn fault_reply(store: &mut Store<Self>, fault: &Fault) -> Reply {
        match fault {
            // Meta sends throttling as a Graph error (code 4) with HTTP 400 and no usage
            // headers seen for Threads [?]; clients must read the code, not the status.
            Fault::RateLimited { .. } => {
                graph_error(400, 4, None, "(#4) Application request limit reached")
            }
            Fault::ExpiredToken => token_refused(TokenProblem::Expired, store.now),
            Fault::Status(status) => graph_error(
                *status,
                2,
                None,
                "An unexpected error has occurred. Please retry your request later.",
            ),
            _ => graph_error(500, 2, None, "Service temporarily unavailable"),
        }
    }
}

fn unsupported_request() -> Reply {
    graph_error(
        400,
        100,
        None,
        "Unsupported request - method type or path not supported",
    )
}

/// `{"error":{"message","type":"OAuthException","code",["error_subcode"],"fbtrace_id"}}`.
fn graph_error(status: u16, code: u32, subcode: Option<u32>, message: &str) -> Reply {
    let mut error = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": random_string(27)});
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    Reply::json(status, &json!({"error": error}))
}

fn token_refused(problem: TokenProblem, now: DateTime<Utc>) -> Reply {
    match problem {
        TokenProblem::Missing => graph_error(
            400,
            2500,
            None,
            "An active access token must be used to query information about the current user.",
        ),
        TokenProblem::Unknown => graph_error(
            400,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ),
        TokenProblem::Expired => graph_error(
            400,
            190,
            Some(463),
            &format!(
                "Error validating access token: Session has expired. The current time is {}.",
                now.to_rfc2822()
            ),
        ),
        TokenProblem::Revoked => graph_error(
            400,
            190,
            Some(460),
            "Error validating access token: The session has been invalidated.",
        ),
    }
}

/// Query and form parameters together (the Graph API reads both).
fn params(query: Option<&str>, body: &[u8]) -> Fields {
    Fields::from_query(query).merged(Fields::from_form(body))
}

fn authenticated(
    store: &Store<Threads>,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<AccessToken, Reply> {
    let token = request_token(headers, query, body);
    store
        .oauth
        .check(token.as_deref(), store.now)
        .map_err(|problem| token_refused(problem, store.now))
}

/// `GET /oauth/authorize`: comma-separated scopes; the redirect ends in `#_` as Meta's does.
async fn authorize(State(shared): Ctx, RawQuery(query): RawQuery) -> Reply {
    let rules = AuthorizeRules {
        scope_separator: ',',
        default_scope: "",
        pkce: Pkce::Ignored,
        require_state: false,
        code_lifetime: TimeDelta::hours(1),
        invalid_scope_error: "invalid_scope",
    };
    let fields = Fields::from_query(query.as_deref());
    let mut store = shared.lock();
    let now = store.now;
    match store.oauth.authorize(&fields, &rules, now) {
        Ok(location) => Reply::redirect(&format!("{location}#_")),
        Err(problem) => match problem.location() {
            Some(location) => Reply::redirect(&location),
            None => Reply::text(
                400,
                "<h1>Error validating application or URL blocked: the redirect URI is not whitelisted</h1>",
            ),
        },
    }
}

/// `POST /oauth/access_token`: `{"access_token","user_id"}`, 1 hour, no `token_type`.
async fn access_token(State(shared): Ctx, RawQuery(query): RawQuery, body: Bytes) -> Reply {
    let fields = params(query.as_deref(), &body);
    let mut store = shared.lock();
    settle(exchange_code(&mut store, &fields))
}

fn exchange_code(store: &mut Store<Threads>, fields: &Fields) -> Result<Reply, Reply> {
    let client_id = fields.get("client_id").unwrap_or_default();
    if !store.oauth.clients.contains_key(client_id) {
        return Err(graph_error(
            400,
            101,
            None,
            "Error validating application. Invalid application ID.",
        ));
    }
    if store
        .oauth
        .authenticate(client_id, fields.get("client_secret"))
        .is_none()
    {
        return Err(graph_error(400, 1, None, "Error validating client secret."));
    }
    if fields.get("grant_type") != Some("authorization_code") {
        return Err(graph_error(400, 100, None, "Unsupported grant_type"));
    }
    let now = store.now;
    let code = fields.get("code").unwrap_or_default();
    let grant = store.oauth.redeem(code, client_id, fields.get("redirect_uri"), None, now).map_err(|problem| match problem {
        CodeProblem::Used => graph_error(400, 100, Some(36009), "This authorization code has been used."),
        CodeProblem::Expired => graph_error(400, 100, Some(36007), "This authorization code has expired."),
        CodeProblem::Unknown => graph_error(400, 100, None, "Invalid verification code format."),
        _ => graph_error(400, 100, Some(36008), "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request"),
    })?;
    let policy = TokenPolicy {
        lifetime: Some(SHORT_LIVED),
        refresh: false,
        kind: TokenKind::ShortLived,
    };
    let issued = store
        .oauth
        .issue(&grant.user_id, client_id, &grant.scopes, policy, now);
    let user_id: u64 = grant.user_id.parse().unwrap_or_default();
    Ok(Reply::json(
        200,
        &json!({"access_token": issued.access_token, "user_id": user_id}),
    ))
}

fn long_lived(store: &mut Store<Threads>, access: &AccessToken) -> Reply {
    let now = store.now;
    let policy = Threads::token_policy(&access.scopes);
    let issued = store.oauth.issue(
        &access.user_id,
        &access.client_id,
        &access.scopes,
        policy,
        now,
    );
    Reply::json(
        200,
        &json!({"access_token": issued.access_token, "token_type": "bearer", "expires_in": LONG_LIVED.num_seconds()}),
    )
}

/// `GET /access_token?grant_type=th_exchange_token&client_secret&access_token`: short → 60 days.
async fn exchange_token(
    State(shared): Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    let fields = Fields::from_query(query.as_deref());
    let mut store = shared.lock();
    settle(
        authenticated(&store, &headers, query.as_deref(), &[]).and_then(|access| {
            if fields.get("grant_type") != Some("th_exchange_token") {
                return Err(graph_error(
                    400,
                    100,
                    None,
                    "Unsupported grant_type; expected th_exchange_token",
                ));
            }
            if store
                .oauth
                .authenticate(&access.client_id, fields.get("client_secret"))
                .is_none()
            {
                return Err(graph_error(400, 1, None, "Error validating client secret."));
            }
            if access.kind != TokenKind::ShortLived {
                return Err(graph_error(
                    400,
                    100,
                    None,
                    "Only a short-lived token can be exchanged",
                ));
            }
            Ok(long_lived(&mut store, &access))
        }),
    )
}

/// `GET /refresh_access_token?grant_type=th_refresh_token&access_token`: a live long-lived token
/// at least 24 hours old → a new 60-day token.
async fn refresh_token(State(shared): Ctx, headers: HeaderMap, RawQuery(query): RawQuery) -> Reply {
    let fields = Fields::from_query(query.as_deref());
    let mut store = shared.lock();
    settle(
        authenticated(&store, &headers, query.as_deref(), &[]).and_then(|access| {
            if fields.get("grant_type") != Some("th_refresh_token") {
                return Err(graph_error(
                    400,
                    100,
                    None,
                    "Unsupported grant_type; expected th_refresh_token",
                ));
            }
            if access.kind != TokenKind::LongLived {
                return Err(graph_error(
                    400,
                    100,
                    None,
                    "Only a long-lived token can be refreshed",
                ));
            }
            if store.now - access.issued_at < TimeDelta::hours(24) {
                return Err(graph_error(
                    400,
                    100,
                    None,
                    "A long-lived token can be refreshed once it is at least 24 hours old",
                ));
            }
            Ok(long_lived(&mut store, &access))
        }),
    )
}
