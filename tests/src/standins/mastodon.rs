//! Mastodon stand-in (one instance): app registration, OAuth with optional S256 PKCE and tokens
//! that never expire, revocation, `verify_credentials`, and `POST /api/v1/statuses` with its
//! counted-character limit, `Idempotency-Key` replay and `X-RateLimit-*` headers (ISO 8601 reset),
//! `DELETE /api/v1/statuses/:id` by the status's author, and images ([`media`]: uploaded,
//! processed, then attached to a status, each post recording the images it carries).

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

use super::oauth::{AuthorizeRules, Pkce, TokenKind, TokenPolicy, TokenProblem};
use super::store::{
    Fields, Quota, Reply, Shared, Store, basic_credentials, random_string, reason, settle,
};
use super::{Fault, Network, OAuthClient};

pub mod media;
mod statuses;

use statuses::{
    Status, create_status, delete_status, instance, show_status, token_refused, too_many_requests,
    verify_credentials,
};

type Ctx = State<Arc<Shared<Mastodon>>>;

/// The knobs of the Mastodon stand-in.
#[derive(Debug, Clone)]
pub struct MastodonSettings {
    /// `configuration.statuses.max_characters` (500).
    pub max_characters: usize,
    /// API calls per token per window (300 per 5 minutes).
    pub api_limit: u32,
    pub api_window: Duration,
}

impl Default for MastodonSettings {
    fn default() -> Self {
        Self {
            max_characters: 500,
            api_limit: 300,
            api_window: Duration::from_secs(5 * 60),
        }
    }
}

/// The instance's statuses and idempotency keys.
#[derive(Default)]
pub struct Mastodon {
    statuses: Vec<Status>,
    /// Uploaded attachments.
    media: Vec<media::Attachment>,
    /// (account id, key) → (status id, when first used).
    idempotency: HashMap<(String, String), (String, DateTime<Utc>)>,
}

impl Network for Mastodon {
    type Settings = MastodonSettings;
    const SCOPES: &'static [&'static str] = &[
        "read",
        "write",
        "follow",
        "push",
        "profile",
        "read:accounts",
        "read:statuses",
        "write:statuses",
        "write:media",
    ];

    fn routes() -> Router<Arc<Shared<Self>>> {
        Router::new()
            .route("/api/v1/apps", post(create_app))
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/token", post(token))
            .route("/oauth/revoke", post(revoke))
            .route("/.well-known/oauth-authorization-server", get(metadata))
            .route(
                "/api/v1/accounts/verify_credentials",
                get(verify_credentials),
            )
            .route("/api/v1/statuses", post(create_status))
            .route(
                "/api/v1/statuses/{id}",
                get(show_status).delete(delete_status),
            )
            .route("/api/v2/instance", get(instance))
            .route("/api/v2/media", post(media::upload))
            .route("/api/v1/media/{id}", get(media::show))
            .fallback(async || Reply::json(404, &json!({"error": "Record not found"})))
    }

    fn user_id(serial: u64) -> String {
        (109_000_000_000_000_000 + serial).to_string()
    }

    fn token_policy(_scopes: &[String]) -> TokenPolicy {
        TokenPolicy {
            lifetime: None,
            refresh: false,
            kind: TokenKind::Standard,
        }
    }

    fn fault_reply(store: &mut Store<Self>, fault: &Fault) -> Reply {
        match fault {
            Fault::RateLimited { reset_after_secs } => {
                let quota = Quota {
                    allowed: false,
                    limit: store.settings.api_limit,
                    remaining: 0,
                    reset: store.now
                        + TimeDelta::seconds(i64::try_from(*reset_after_secs).unwrap_or(i64::MAX)),
                };
                too_many_requests(&quota)
            }
            Fault::ExpiredToken => token_refused(TokenProblem::Expired),
            Fault::Status(status) => Reply::json(*status, &json!({"error": reason(*status)})),
            _ => Reply::json(500, &json!({"error": reason(500)})),
        }
    }
}

fn authorize_rules() -> AuthorizeRules {
    AuthorizeRules {
        scope_separator: ' ',
        default_scope: "read",
        pkce: Pkce::OptionalS256,
        require_state: false,
        code_lifetime: TimeDelta::minutes(10),
        invalid_scope_error: "invalid_scope",
    }
}

/// `POST /api/v1/apps`: registers a client for this instance.
async fn create_app(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let Some(fields) = Fields::from_body(&headers, &body) else {
        return Reply::json(
            400,
            &json!({"error": "Error occurred while parsing request parameters"}),
        );
    };
    let invalid = |message: &str| {
        Reply::json(
            422,
            &json!({"error": format!("Validation failed: {message}")}),
        )
    };
    let name = fields.get("client_name").unwrap_or_default();
    if name.trim().is_empty() {
        return invalid("Application name can't be blank");
    }
    let redirect_uris: Vec<String> = fields
        .all("redirect_uris")
        .iter()
        .flat_map(|uris| uris.split_whitespace())
        .map(str::to_owned)
        .collect();
    if redirect_uris.is_empty() {
        return invalid("Redirect URI can't be blank");
    }
    let absolute = |uri: &String| {
        uri == "urn:ietf:wg:oauth:2.0:oob"
            || url::Url::parse(uri).is_ok_and(|url| url.has_host() && url.fragment().is_none())
    };
    if !redirect_uris.iter().all(absolute) {
        return invalid("Redirect URI must be an absolute URI.");
    }
    let scopes: Vec<String> = fields
        .get("scopes")
        .unwrap_or("read")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !scopes
        .iter()
        .all(|scope| Mastodon::SCOPES.contains(&scope.as_str()))
    {
        return invalid("Scopes doesn't match configured on the server.");
    }
    let client = OAuthClient {
        client_id: random_string(43),
        client_secret: Some(random_string(43)),
        redirect_uris: redirect_uris.clone(),
        scopes: scopes.clone(),
    };
    let mut store = shared.lock();
    let id = store.next_serial();
    store
        .oauth
        .clients
        .insert(client.client_id.clone(), client.clone());
    Reply::json(
        200,
        &json!({
            "id": id.to_string(), "name": name, "website": fields.get("website"),
            "scopes": scopes, "redirect_uri": redirect_uris.join("\n"), "redirect_uris": redirect_uris,
            "vapid_key": "", "client_id": client.client_id, "client_secret": client.client_secret,
            "client_secret_expires_at": 0,
        }),
    )
}

/// `GET /oauth/authorize`: approved at once by the current approver.
async fn authorize(State(shared): Ctx, RawQuery(query): RawQuery) -> Reply {
    let fields = Fields::from_query(query.as_deref());
    let mut store = shared.lock();
    let now = store.now;
    match store.oauth.authorize(&fields, &authorize_rules(), now) {
        Ok(location) => Reply::redirect(&location),
        Err(problem) => match problem.location() {
            Some(location) => Reply::redirect(&location),
            None => Reply::text(
                400,
                "<h1>The redirect uri included is not valid, or the client is unknown.</h1>",
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

/// The client of a token or revoke request: `client_secret_post` or `client_secret_basic`.
fn client_credentials(headers: &HeaderMap, fields: &Fields) -> (String, Option<String>) {
    basic_credentials(headers).map_or_else(
        || {
            let id = fields.get("client_id").unwrap_or_default().to_owned();
            (id, fields.get("client_secret").map(str::to_owned))
        },
        |(id, secret)| (id, Some(secret)),
    )
}

/// `POST /oauth/token`: authorization code → a token that never expires.
async fn token(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let fields = Fields::from_body(&headers, &body).unwrap_or_default();
    let mut store = shared.lock();
    settle(exchange_code(&mut store, &headers, &fields))
}

fn exchange_code(
    store: &mut Store<Mastodon>,
    headers: &HeaderMap,
    fields: &Fields,
) -> Result<Reply, Reply> {
    if fields.get("grant_type") != Some("authorization_code") {
        return Err(oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ));
    }
    let (client_id, secret) = client_credentials(headers, fields);
    if store
        .oauth
        .authenticate(&client_id, secret.as_deref())
        .is_none()
    {
        return Err(oauth_error(
            401,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        ));
    }
    let now = store.now;
    let grant = store
        .oauth
        .redeem(fields.get("code").unwrap_or_default(), &client_id, fields.get("redirect_uri"), fields.get("code_verifier"), now)
        .map_err(|_| oauth_error(400, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."))?;
    let issued = store.oauth.issue(
        &grant.user_id,
        &client_id,
        &grant.scopes,
        Mastodon::token_policy(&grant.scopes),
        now,
    );
    Ok(Reply::json(
        200,
        &json!({"access_token": issued.access_token, "token_type": "Bearer",
                "scope": grant.scopes.join(" "), "created_at": now.timestamp()}),
    ))
}

/// `POST /oauth/revoke` (RFC 7009): 200 `{}` even for an unknown token.
async fn revoke(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let fields = Fields::from_body(&headers, &body).unwrap_or_default();
    let (client_id, secret) = client_credentials(&headers, &fields);
    let mut store = shared.lock();
    if store
        .oauth
        .authenticate(&client_id, secret.as_deref())
        .is_none()
    {
        return oauth_error(
            403,
            "unauthorized_client",
            "You are not authorized to revoke this token",
        );
    }
    store
        .oauth
        .revoke(fields.get("token").unwrap_or_default(), Some(&client_id));
    Reply::json(200, &json!({}))
}

async fn metadata(State(shared): Ctx) -> Reply {
    let base = shared.lock().base_url.clone();
    Reply::json(
        200,
        &json!({
            "issuer": format!("{base}/"), "authorization_endpoint": format!("{base}/oauth/authorize"),
            "token_endpoint": format!("{base}/oauth/token"), "revocation_endpoint": format!("{base}/oauth/revoke"),
            "app_registration_endpoint": format!("{base}/api/v1/apps"), "scopes_supported": Mastodon::SCOPES,
            "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
        }),
    )
}

impl super::StandIn<Mastodon> {
    /// Every attachment uploaded, with the status it went to.
    pub fn attachments(&self) -> Vec<media::Attachment> {
        self.shared.lock().net.media.clone()
    }
}
