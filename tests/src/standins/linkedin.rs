//! LinkedIn stand-in: the OAuth 2.0 code flow (secret in the form body, 60-day tokens, optionally
//! without `token_type`), `/v2/userinfo`, and the Posts API ([`posts`]: `POST /rest/posts`) with
//! its version headers, `x-restli-id`, silent truncation at unescaped "little" text, duplicate and
//! throttle bodies, an article or an image as content; `DELETE /rest/posts/{urn}` by the post's
//! author (204); the Images API ([`images`]: `initializeUpload` for the member, then the bytes
//! `PUT` to the upload URL, JPEG, PNG or GIF as read from them).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use base64::Engine as _;
use chrono::TimeDelta;
use serde_json::{Value, json};

use super::oauth::{AccessToken, AuthorizeRules, Pkce, TokenKind, TokenPolicy};
use super::store::{
    Fields, Reply, Shared, Store, bearer, header_text, random_string, reason, settle,
};
use super::{Fault, Network};

pub mod images;
mod posts;

use posts::{Share, create_post, delete_post, show_post};

type Ctx = State<Arc<Shared<LinkedIn>>>;

/// Access tokens live 60 days.
const TOKEN_LIFETIME: TimeDelta = TimeDelta::days(60);

/// The knobs of the LinkedIn stand-in.
#[derive(Debug, Clone)]
pub struct LinkedInSettings {
    /// Active `LinkedIn-Version` values (`YYYYMM`); others get 426 `NONEXISTENT_VERSION`.
    pub accepted_versions: Vec<String>,
    /// Answer the token request without `token_type`, as LinkedIn sometimes does.
    pub omit_token_type: bool,
    /// Posts per member per 24 h before 429 (unpublished; ~150 cited).
    pub daily_post_limit: u32,
}

impl Default for LinkedInSettings {
    fn default() -> Self {
        let accepted_versions = (2025..=2026)
            .flat_map(|year| (1..=12).map(move |month| format!("{year}{month:02}")))
            .filter(|version| ("202505".."202607").contains(&version.as_str()))
            .collect();
        Self {
            accepted_versions,
            omit_token_type: false,
            daily_post_limit: 150,
        }
    }
}

/// The members' posts and images.
#[derive(Default)]
pub struct LinkedIn {
    shares: Vec<Share>,
    images: Vec<images::Image>,
}

impl Network for LinkedIn {
    type Settings = LinkedInSettings;
    const SCOPES: &'static [&'static str] = &["openid", "profile", "email", "w_member_social"];

    fn routes() -> Router<Arc<Shared<Self>>> {
        Router::new()
            .route("/oauth/v2/authorization", get(authorize))
            .route("/oauth/v2/accessToken", post(access_token))
            .route("/oauth/v2/revoke", post(revoke))
            .route("/v2/userinfo", get(userinfo))
            .route("/rest/posts", post(create_post))
            .route("/rest/posts/{urn}", get(show_post).delete(delete_post))
            .route("/rest/images", post(images::initialize_upload))
            .route("/dms-uploads/{token}", put(images::upload))
            .fallback(|| async {
                Reply::json(
                    404,
                    &json!({"message": "No virtual resource found", "status": 404}),
                )
            })
    }

    fn user_id(_serial: u64) -> String {
        random_string(10)
    }

    fn token_policy(_scopes: &[String]) -> TokenPolicy {
        TokenPolicy {
            lifetime: Some(TOKEN_LIFETIME),
            refresh: false,
            kind: TokenKind::Standard,
        }
    }

    fn fault_reply(_store: &mut Store<Self>, fault: &Fault) -> Reply {
        match fault {
            Fault::RateLimited { .. } => throttled(),
            Fault::ExpiredToken => invalid_token(),
            Fault::Status(status) => Reply::json(
                *status,
                &json!({"status": status, "message": reason(*status)}),
            ),
            _ => Reply::json(500, &json!({"status": 500, "message": reason(500)})),
        }
    }
}

/// 429 with the code-101 body and, as LinkedIn does, no rate headers nor `Retry-After`.
fn throttled() -> Reply {
    Reply::json(
        429,
        &json!({"serviceErrorCode": 101, "status": 429,
                "message": "Resource level throttle limit for calls to this resource is reached."}),
    )
}

fn invalid_token() -> Reply {
    Reply::json(
        401,
        &json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"}),
    )
}

fn access_denied(resource: &str) -> Reply {
    Reply::json(
        403,
        &json!({"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                "message": format!("Not enough permissions to access: {resource}")}),
    )
}

fn unprocessable(message: &str) -> Reply {
    Reply::json(422, &json!({"message": message, "status": 422}))
}

/// `GET /oauth/v2/authorization`: approved at once by the current approver.
async fn authorize(State(shared): Ctx, RawQuery(query): RawQuery) -> Reply {
    let rules = AuthorizeRules {
        scope_separator: ' ',
        default_scope: "",
        pkce: Pkce::Ignored,
        require_state: false,
        code_lifetime: TimeDelta::minutes(30),
        invalid_scope_error: "unauthorized_scope_error",
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
                "<h1>The redirect_uri does not match the registered value, or the client_id is invalid</h1>",
            ),
        },
    }
}

/// `POST /oauth/v2/accessToken`: form with `client_id` and `client_secret` in the body.
async fn access_token(State(shared): Ctx, body: Bytes) -> Reply {
    let fields = Fields::from_form(&body);
    let mut store = shared.lock();
    settle(exchange_code(&mut store, &fields))
}

fn exchange_code(store: &mut Store<LinkedIn>, fields: &Fields) -> Result<Reply, Reply> {
    let oauth_error = |status, error: &str, description: &str| {
        Reply::json(
            status,
            &json!({"error": error, "error_description": description}),
        )
    };
    if fields.get("grant_type") != Some("authorization_code") {
        return Err(oauth_error(
            400,
            "unsupported_grant_type",
            "Only authorization_code is supported here",
        ));
    }
    let client_id = fields.get("client_id").unwrap_or_default();
    if store
        .oauth
        .authenticate(client_id, fields.get("client_secret"))
        .is_none()
    {
        return Err(oauth_error(
            401,
            "invalid_client",
            "Client authentication failed",
        ));
    }
    let now = store.now;
    let code = fields.get("code").unwrap_or_default();
    let grant = store
        .oauth
        .redeem(code, client_id, fields.get("redirect_uri"), None, now)
        .map_err(|_| oauth_error(400, "invalid_request", "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists"))?;
    let issued = store.oauth.issue(
        &grant.user_id,
        client_id,
        &grant.scopes,
        LinkedIn::token_policy(&grant.scopes),
        now,
    );
    let mut body = json!({
        "access_token": issued.access_token,
        "expires_in": TOKEN_LIFETIME.num_seconds(),
        "scope": grant.scopes.join(","),
    });
    if !store.settings.omit_token_type {
        body["token_type"] = json!("Bearer");
    }
    if grant.scopes.iter().any(|scope| scope == "openid") {
        let user = store.oauth.user(&grant.user_id).cloned();
        let claims = json!({
            "iss": "https://www.linkedin.com/oauth", "aud": client_id, "sub": grant.user_id,
            "iat": now.timestamp(), "exp": (now + TimeDelta::hours(1)).timestamp(),
            "name": user.map(|user| user.name),
        });
        body["id_token"] = json!(unsigned_jwt(&claims));
    }
    Ok(Reply::json(200, &body))
}

/// An ID token shaped like LinkedIn's (RS256 header); the signature is not real.
fn unsigned_jwt(claims: &Value) -> String {
    let encode =
        |value: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let header = json!({"alg": "RS256", "kid": "stand-in", "typ": "JWT"});
    format!(
        "{}.{}.{}",
        encode(&header),
        encode(claims),
        random_string(43)
    )
}

/// `POST /oauth/v2/revoke`: form `client_id`, `client_secret`, `token`.
async fn revoke(State(shared): Ctx, body: Bytes) -> Reply {
    let fields = Fields::from_form(&body);
    let mut store = shared.lock();
    let client_id = fields.get("client_id").unwrap_or_default();
    if store
        .oauth
        .authenticate(client_id, fields.get("client_secret"))
        .is_none()
    {
        return Reply::json(
            401,
            &json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
        );
    }
    store
        .oauth
        .revoke(fields.get("token").unwrap_or_default(), Some(client_id));
    Reply::empty(200)
}

fn authenticated(store: &Store<LinkedIn>, headers: &HeaderMap) -> Result<AccessToken, Reply> {
    store
        .oauth
        .check(bearer(headers).as_deref(), store.now)
        .map_err(|_| invalid_token())
}

/// `GET /v2/userinfo` (OpenID Connect; needs `openid`).
async fn userinfo(State(shared): Ctx, headers: HeaderMap) -> Reply {
    let store = shared.lock();
    settle(authenticated(&store, &headers).and_then(|access| {
        if !access.has_scope("openid") {
            return Err(access_denied("userinfo.GET.NO_VERSION"));
        }
        let user = store
            .oauth
            .user(&access.user_id)
            .ok_or_else(invalid_token)?;
        let (given_name, family_name) = user.name.split_once(' ').unwrap_or((&user.name, ""));
        let mut body = json!({
            "sub": user.id, "name": user.name, "given_name": given_name, "family_name": family_name,
            "picture": format!("https://media.licdn.com/dms/image/{}", user.id),
            "locale": {"country": "US", "language": "en"},
        });
        if access.has_scope("email") {
            body["email"] = json!(format!("{}@example.com", user.username));
            body["email_verified"] = json!(true);
        }
        Ok(Reply::json(200, &body))
    }))
}

/// The checks every versioned `/rest` call passes first: `LinkedIn-Version`, then
/// `X-Restli-Protocol-Version`, then the token. Returns the version and the token.
fn rest_call(store: &Store<LinkedIn>, headers: &HeaderMap) -> Result<(String, AccessToken), Reply> {
    let Some(version) = header_text(headers, "linkedin-version") else {
        return Err(Reply::json(
            400,
            &json!({"status": 400, "code": "VERSION_MISSING",
                    "message": "A version must be present. Please specify a version by adding the LinkedIn-Version header."}),
        ));
    };
    let month = version.split('.').next().unwrap_or_default();
    if !store
        .settings
        .accepted_versions
        .iter()
        .any(|accepted| accepted == month)
    {
        return Err(Reply::json(
            426,
            &json!({"status": 426, "code": "NONEXISTENT_VERSION", "message": format!("Requested version {version} is not active")}),
        ));
    }
    // The exact body for a missing protocol header is unverified [?]; the status is 400.
    if header_text(headers, "x-restli-protocol-version") != Some("2.0.0") {
        return Err(Reply::json(
            400,
            &json!({"status": 400, "message": "The request must use Rest.li protocol version 2.0.0 (X-Restli-Protocol-Version)"}),
        ));
    }
    Ok((version.to_owned(), authenticated(store, headers)?))
}
