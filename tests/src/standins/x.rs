//! X (API v2) stand-in: OAuth 2.0 with mandatory PKCE, 30-second codes, confidential (Basic) and
//! public (`client_id`) clients, 2-hour tokens and rotating single-use refresh tokens with
//! `offline.access`; `/2/users/me`; `POST /2/tweets` with the weighted 280 limit, duplicate and
//! scope refusals, up to 4 images of the author's (`media.media_ids`, see [`media`]: upload with
//! `media.write`, types read from the bytes, 5 MB, alt text through `/2/media/metadata`), and
//! `x-rate-limit-*` headers (epoch reset) with a 429 after the configured count;
//! `DELETE /2/tweets/:id` by the post's author.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use chrono::TimeDelta;
use serde_json::{Value, json};

use super::IssuedToken;
use super::oauth::{AccessToken, AuthorizeRules, Pkce, TokenKind, TokenPolicy};
use super::store::{
    Fields, Quota, Reply, Shared, Store, basic_credentials, bearer, reason, settle,
};
use super::{Fault, Network};

pub mod media;
mod tweets;

use tweets::{Tweet, create_tweet, delete_tweet, show_tweet};

type Ctx = State<Arc<Shared<X>>>;

/// The knobs of the X stand-in.
#[derive(Debug, Clone)]
pub struct XSettings {
    /// `POST /2/tweets` calls per user per window before 429 (100 per 15 minutes).
    pub posts_per_window: u32,
    pub post_window: Duration,
    /// `GET /2/users/me` calls per user per 15 minutes (75).
    pub me_per_window: u32,
    /// `DELETE /2/tweets/:id` calls per user per 15 minutes (50).
    pub deletes_per_window: u32,
    /// `POST /2/media/upload` calls per user per window, and as many `POST /2/media/metadata`
    /// (500 per 15 minutes assumed: X's figure depends on the plan [?]).
    pub media_per_window: u32,
    pub media_window: Duration,
}

impl Default for XSettings {
    fn default() -> Self {
        Self {
            posts_per_window: 100,
            post_window: Duration::from_secs(15 * 60),
            me_per_window: 75,
            deletes_per_window: 50,
            media_per_window: 500,
            media_window: Duration::from_secs(15 * 60),
        }
    }
}

/// The posts and the uploaded media.
#[derive(Default)]
pub struct X {
    tweets: Vec<Tweet>,
    media: Vec<media::Upload>,
}

impl Network for X {
    type Settings = XSettings;
    const SCOPES: &'static [&'static str] = &[
        "tweet.read",
        "tweet.write",
        "tweet.moderate.write",
        "users.read",
        "follows.read",
        "follows.write",
        "offline.access",
        "like.read",
        "like.write",
        "list.read",
        "bookmark.read",
        "media.write",
    ];

    fn routes() -> Router<Arc<Shared<Self>>> {
        Router::new()
            .route("/i/oauth2/authorize", get(authorize))
            .route("/2/oauth2/authorize", get(authorize))
            .route("/2/oauth2/token", post(token))
            .route("/2/oauth2/revoke", post(revoke))
            .route("/2/users/me", get(me))
            .route("/2/tweets", post(create_tweet))
            .route("/2/tweets/{id}", get(show_tweet).delete(delete_tweet))
            .route("/2/media/upload", post(media::upload))
            .route("/2/media/metadata", post(media::metadata))
            .fallback(|| async {
                Reply::json(404, &json!({"title": "Not Found Error", "detail": "Sorry, that page does not exist.",
                    "type": "https://api.x.com/2/problems/resource-not-found"}))
            })
    }

    fn user_id(serial: u64) -> String {
        (2_244_994_945 + serial).to_string()
    }

    fn token_policy(scopes: &[String]) -> TokenPolicy {
        TokenPolicy {
            lifetime: Some(TimeDelta::hours(2)),
            refresh: scopes.iter().any(|scope| scope == "offline.access"),
            kind: TokenKind::Standard,
        }
    }

    fn fault_reply(store: &mut Store<Self>, fault: &Fault) -> Reply {
        match fault {
            Fault::RateLimited { reset_after_secs } => {
                let quota = Quota {
                    allowed: false,
                    limit: store.settings.posts_per_window,
                    remaining: 0,
                    reset: store.now
                        + TimeDelta::seconds(i64::try_from(*reset_after_secs).unwrap_or(i64::MAX)),
                };
                too_many_requests(&quota)
            }
            Fault::ExpiredToken => unauthorized(),
            Fault::Status(status) => problem(*status, reason(*status), reason(*status)),
            _ => problem(500, reason(500), reason(500)),
        }
    }
}

fn problem(status: u16, title: &str, detail: &str) -> Reply {
    Reply::json(
        status,
        &json!({"title": title, "type": "about:blank", "status": status, "detail": detail}),
    )
}

fn unauthorized() -> Reply {
    problem(401, "Unauthorized", "Unauthorized")
}

fn invalid_request(message: &str) -> Reply {
    Reply::json(
        400,
        &json!({"errors": [{"parameters": {}, "message": message}], "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request"}),
    )
}

/// `x-rate-limit-limit`, `-remaining` and `-reset` (epoch seconds).
fn with_rate(reply: Reply, quota: &Quota) -> Reply {
    reply
        .with_header("x-rate-limit-limit", &quota.limit.to_string())
        .with_header("x-rate-limit-remaining", &quota.remaining.to_string())
        .with_header("x-rate-limit-reset", &quota.reset.timestamp().to_string())
}

fn too_many_requests(quota: &Quota) -> Reply {
    with_rate(
        problem(429, "Too Many Requests", "Too Many Requests"),
        quota,
    )
}

/// `GET /i/oauth2/authorize`: PKCE and `state` mandatory; approved at once.
async fn authorize(State(shared): Ctx, RawQuery(query): RawQuery) -> Reply {
    let rules = AuthorizeRules {
        scope_separator: ' ',
        default_scope: "",
        pkce: Pkce::Required,
        require_state: true,
        code_lifetime: TimeDelta::seconds(30),
        invalid_scope_error: "invalid_scope",
    };
    let fields = Fields::from_query(query.as_deref());
    let mut store = shared.lock();
    let now = store.now;
    match store.oauth.authorize(&fields, &rules, now) {
        Ok(location) => Reply::redirect(&location),
        Err(problem) => match problem.location() {
            Some(location) => Reply::redirect(&location),
            None => Reply::text(
                400,
                "<h1>Something went wrong</h1><p>You weren't able to give access to the App.</p>",
            ),
        },
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// The calling client: `Authorization: Basic` for a confidential one, `client_id` in the body
/// for a public one (a confidential client without Basic is refused).
fn calling_client(store: &Store<X>, headers: &HeaderMap, fields: &Fields) -> Result<String, Reply> {
    let refused = || {
        oauth_error(
            401,
            "unauthorized_client",
            "Missing valid authorization header",
        )
    };
    if let Some((client_id, secret)) = basic_credentials(headers) {
        return store
            .oauth
            .authenticate(&client_id, Some(&secret))
            .map(|client| client.client_id.clone())
            .ok_or_else(refused);
    }
    let client_id = fields.get("client_id").unwrap_or_default();
    match store.oauth.clients.get(client_id) {
        Some(client) if client.client_secret.is_none() => Ok(client_id.to_owned()),
        _ => Err(refused()),
    }
}

/// `POST /2/oauth2/token`: `authorization_code` (with `code_verifier`) or `refresh_token`.
async fn token(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let fields = Fields::from_form(&body);
    let mut store = shared.lock();
    settle(grant_token(&mut store, &headers, &fields))
}

fn grant_token(store: &mut Store<X>, headers: &HeaderMap, fields: &Fields) -> Result<Reply, Reply> {
    let client_id = calling_client(store, headers, fields)?;
    let now = store.now;
    let issued = match fields.get("grant_type") {
        Some("authorization_code") => {
            let grant = store
                .oauth
                .redeem(
                    fields.get("code").unwrap_or_default(),
                    &client_id,
                    fields.get("redirect_uri"),
                    fields.get("code_verifier"),
                    now,
                )
                .map_err(|_| {
                    oauth_error(
                        400,
                        "invalid_request",
                        "Value passed for the authorization code was invalid.",
                    )
                })?;
            store.oauth.issue(
                &grant.user_id,
                &client_id,
                &grant.scopes,
                X::token_policy(&grant.scopes),
                now,
            )
        }
        Some("refresh_token") => {
            let refresh_token = fields.get("refresh_token").unwrap_or_default();
            let policy = X::token_policy(&["offline.access".to_owned()]);
            store
                .oauth
                .rotate(refresh_token, &client_id, policy, now)
                .ok_or_else(|| {
                    oauth_error(
                        400,
                        "invalid_request",
                        "Value passed for the token was invalid.",
                    )
                })?
        }
        _ => {
            return Err(oauth_error(
                400,
                "unsupported_grant_type",
                "Grant type not supported.",
            ));
        }
    };
    Ok(Reply::json(200, &token_json(&issued)))
}

fn token_json(issued: &IssuedToken) -> Value {
    let mut body = json!({
        "token_type": "bearer", "expires_in": 7200,
        "access_token": issued.access_token, "scope": issued.scopes.join(" "),
    });
    if let Some(refresh_token) = &issued.refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    body
}

/// `POST /2/oauth2/revoke`: form `token` (+ `token_type_hint`).
async fn revoke(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let fields = Fields::from_form(&body);
    let mut store = shared.lock();
    settle(calling_client(&store, &headers, &fields).map(|client_id| {
        store
            .oauth
            .revoke(fields.get("token").unwrap_or_default(), Some(&client_id));
        Reply::json(200, &json!({"revoked": true}))
    }))
}

/// The caller's live token, counted against the endpoint's window for the user.
fn authenticated(
    store: &mut Store<X>,
    headers: &HeaderMap,
    endpoint: &str,
    limit: u32,
    window: TimeDelta,
) -> Result<(AccessToken, Quota), Reply> {
    let access = store
        .oauth
        .check(bearer(headers).as_deref(), store.now)
        .map_err(|_| unauthorized())?;
    let quota = store.hit(&format!("{endpoint}:{}", access.user_id), limit, window);
    if !quota.allowed {
        return Err(too_many_requests(&quota));
    }
    Ok((access, quota))
}

fn forbidden(quota: &Quota) -> Reply {
    with_rate(problem(403, "Forbidden", "Forbidden"), quota)
}

/// `GET /2/users/me` (needs `tweet.read` and `users.read`).
async fn me(State(shared): Ctx, headers: HeaderMap) -> Reply {
    let mut store = shared.lock();
    let limit = store.settings.me_per_window;
    settle(
        authenticated(&mut store, &headers, "me", limit, TimeDelta::minutes(15)).and_then(
            |(access, quota)| {
                if !(access.has_scope("tweet.read") && access.has_scope("users.read")) {
                    return Err(forbidden(&quota));
                }
                let user = store.oauth.user(&access.user_id).ok_or_else(unauthorized)?;
                let body =
                    json!({"data": {"id": user.id, "name": user.name, "username": user.username}});
                Ok(with_rate(Reply::json(200, &body), &quota))
            },
        ),
    )
}
