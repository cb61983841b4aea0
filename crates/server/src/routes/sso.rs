//! Signing in with the company's identity provider (`/sign-in/oidc`, its callback), and the
//! admins' page that configures it (`/admin/sso`).

use axum::Form;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::oidc::{Expected, OidcError, Provider};
use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::sso::{self, SsoConfig, SsoError};
use crate::views::Ctx;

/// The cookie that ties a sign-in's answer to the browser that started it.
const COOKIE: &str = "chorus_sso";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

fn redirect_uri(ctx: &Ctx) -> String {
    ctx.app.public_url("/sign-in/oidc/callback")
}

fn state_cookie(ctx: &Ctx, value: &str, max_age: i64) -> String {
    let secure = if ctx.app.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={value}; Path=/sign-in/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )
}

/// Query of the start of a sign-in.
#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /sign-in/oidc`: off to the provider, with state, nonce and a PKCE challenge.
pub async fn start(ctx: Ctx, Query(query): Query<StartQuery>) -> AppResult<Response> {
    let Some(config) = sso::config(&ctx.app.db, &ctx.app.vault).await? else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let provider = match Provider::discover(&http(), &config.issuer).await {
        Ok(provider) => provider,
        Err(e) => return refused(&ctx, StatusCode::BAD_GATEWAY, &SsoError::Oidc(e)).await,
    };
    let next = query.next.filter(|n| super::is_local_path(n));
    let login = sso::begin(&ctx.app.db, next.as_deref()).await?;
    let mut to = url::Url::parse(&provider.discovery.authorization_endpoint)
        .map_err(|_| crate::error::AppError::BadRequest("authorization endpoint".into()))?;
    to.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &redirect_uri(&ctx))
        .append_pair("scope", "openid email profile")
        .append_pair("state", &login.state)
        .append_pair("nonce", &login.nonce)
        .append_pair("code_challenge", &login.challenge())
        .append_pair("code_challenge_method", "S256");
    let mut response = Redirect::to(to.as_str()).into_response();
    if let Ok(value) = HeaderValue::from_str(&state_cookie(
        &ctx,
        &login.state,
        sso::LOGIN_LIFETIME.num_seconds(),
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// What the provider sends back.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The sign-in page again, saying why the company's sign-in did not sign the person in.
async fn refused(ctx: &Ctx, status: StatusCode, error: &SsoError) -> AppResult<Response> {
    tracing::warn!(error = %error, "single sign-on refused");
    let key = match error {
        SsoError::Oidc(OidcError::Provider(_)) => "sso.error_provider",
        SsoError::Oidc(_) => "sso.error_token",
        SsoError::NoEmail(_) => "sso.error_no_email",
        SsoError::Unverified => "sso.error_unverified",
        SsoError::Deactivated => "sso.error_deactivated",
        SsoError::Store(_) | SsoError::Account(_) => "error.database_help",
    };
    let mut response = super::auth::page(ctx, status, "", None, Some(ctx.t(key)), None).await?;
    if let Ok(value) = HeaderValue::from_str(&state_cookie(ctx, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn cookie_state(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `GET /sign-in/oidc/callback`: the provider's answer. The state must be the one this browser
/// started (its cookie) and still waiting (a replayed answer finds it used); the code is
/// exchanged with the PKCE verifier; the ID token is checked in full; then the person is found,
/// linked or created, and signed in.
pub async fn callback(
    ctx: Ctx,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> AppResult<Response> {
    // A state that does not match leaves the browser's own sign-in in progress untouched.
    let state_error = async || {
        super::auth::page(
            &ctx,
            StatusCode::BAD_REQUEST,
            "",
            None,
            Some(ctx.t("sso.error_state")),
            None,
        )
        .await
    };
    let Some(state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return state_error().await;
    };
    if cookie_state(&headers).as_deref() != Some(state) {
        return state_error().await;
    }
    let Some(login) = sso::take(&ctx.app.db, state, chrono::Utc::now()).await? else {
        return state_error().await;
    };
    if query.error.is_some() {
        return refused(
            &ctx,
            StatusCode::UNAUTHORIZED,
            &SsoError::Oidc(OidcError::Provider(query.error.unwrap_or_default())),
        )
        .await;
    }
    let Some(config) = sso::config(&ctx.app.db, &ctx.app.vault).await? else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let Some(code) = query.code.as_deref() else {
        return state_error().await;
    };
    let identity = match exchange(&ctx, &config, code, &login).await {
        Ok(identity) => identity,
        Err(e) => return refused(&ctx, StatusCode::UNAUTHORIZED, &SsoError::Oidc(e)).await,
    };
    let row = match sso::person(&ctx.app.db, &config, &identity).await {
        Ok(row) => row,
        Err(SsoError::Store(e)) => return Err(e.into()),
        Err(SsoError::Account(e)) => return Err(e.into()),
        Err(e) => return refused(&ctx, StatusCode::FORBIDDEN, &e).await,
    };
    let previous = ctx.user.as_ref().map(|u| u.session_hash.as_str());
    let cookie = crate::auth::session::start(&ctx.app, row.id, previous).await?;
    crate::store::users::record_sign_in(&ctx.app.db, row.id, chrono::Utc::now()).await?;
    tracing::info!(user_id = row.id, "signed in through the identity provider");
    let target = login.next.as_deref().unwrap_or("/");
    let mut response = super::redirect_with_cookie(target, &cookie);
    for value in [
        crate::auth::csrf::fresh_cookie(&ctx.app),
        state_cookie(&ctx, "", 0),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// The code for tokens (client secret in HTTP Basic, PKCE verifier), then the ID token checked.
async fn exchange(
    ctx: &Ctx,
    config: &SsoConfig,
    code: &str,
    login: &sso::Login,
) -> Result<crate::auth::oidc::Identity, OidcError> {
    let http = http();
    let provider = Provider::discover(&http, &config.issuer).await?;
    let encode =
        |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let answer = http
        .post(&provider.discovery.token_endpoint)
        .basic_auth(
            encode(&config.client_id),
            Some(encode(&config.client_secret)),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri(ctx)),
            ("code_verifier", &login.verifier),
        ])
        .send()
        .await
        .map_err(|e| OidcError::Provider(e.to_string()))?;
    let status = answer.status();
    let body: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| OidcError::Provider(e.to_string()))?;
    if !status.is_success() {
        return Err(OidcError::Provider(format!(
            "token endpoint answered {status}: {}",
            body["error"].as_str().unwrap_or("?")
        )));
    }
    let token = body["id_token"]
        .as_str()
        .ok_or(OidcError::Malformed("no id_token in the token answer"))?;
    provider
        .verify(
            &http,
            token,
            &Expected {
                issuer: &config.issuer,
                client_id: &config.client_id,
                nonce: &login.nonce,
                now: chrono::Utc::now(),
            },
        )
        .await
}

/// Where to send a person signing out who came through the provider (RP-initiated logout):
/// its end-session address, coming back to Chorus's sign-in page. `None` when single sign-on is
/// off, the person never used it, or the provider offers no such address (or cannot be
/// reached: signing out of Chorus never waits on it).
pub async fn sign_out_at_provider(ctx: &Ctx, user_id: i32) -> Option<String> {
    let linked = crate::store::users::by_id(&ctx.app.db, user_id)
        .await
        .ok()
        .flatten()
        .and_then(|row| row.oidc_subject)
        .is_some();
    if !linked {
        return None;
    }
    let config = sso::config(&ctx.app.db, &ctx.app.vault)
        .await
        .ok()
        .flatten()?;
    let provider = Provider::discover(&http(), &config.issuer).await.ok()?;
    let mut url = url::Url::parse(provider.discovery.end_session_endpoint.as_deref()?).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair(
            "post_logout_redirect_uri",
            &ctx.app.public_url("/sign-in?done=signed_out"),
        );
    Some(url.to_string())
}

/// The admins' form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SsoForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default, skip_serializing)]
    client_secret: String,
    #[serde(default)]
    email_claim: String,
    /// "Turn off passwords for everyone but the break-glass admin" ticked.
    #[serde(default)]
    passwords_off: Option<String>,
    /// The break-glass admin's email.
    #[serde(default)]
    break_glass: String,
    /// The claim listing groups (empty: roles are managed in Chorus).
    #[serde(default)]
    groups_claim: String,
    /// `group = role, role` per line.
    #[serde(default)]
    role_map: String,
    /// The claim holding the team (empty: teams are managed in Chorus).
    #[serde(default)]
    team_claim: String,
}

/// The admins' page.
#[derive(Serialize)]
struct SsoView<'a> {
    form: &'a SsoForm,
    has_secret: bool,
    redirect_uri: String,
    error: Option<String>,
    notice: Option<String>,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /admin/sso`.
pub async fn settings(ctx: Ctx, _: Admin, Query(query): Query<DoneQuery>) -> AppResult<Response> {
    let (issuer, client_id, has_secret, email_claim) = sso::stored(&ctx.app.db).await?;
    let only = sso::break_glass(&ctx.app.db).await?;
    let (groups_claim, role_map, team_claim) = sso::stored_mapping(&ctx.app.db).await?;
    let form = SsoForm {
        groups_claim,
        role_map,
        team_claim,
        issuer,
        client_id,
        client_secret: String::new(),
        email_claim,
        passwords_off: only.as_ref().map(|_| "on".to_owned()),
        break_glass: only.unwrap_or_else(|| {
            ctx.user
                .as_ref()
                .map(|u| u.email.clone())
                .unwrap_or_default()
        }),
    };
    let view = SsoView {
        form: &form,
        has_secret,
        redirect_uri: redirect_uri(&ctx),
        error: None,
        notice: query.done.map(|_| ctx.t("sso.saved")),
    };
    ctx.page_status(StatusCode::OK, "admin/sso.html", &view)
}

/// `POST /admin/sso`: the provider is looked up before anything is saved; a provider that
/// cannot be reached or does not say it is this issuer shows the form again, as typed.
pub async fn save(ctx: Ctx, Admin(user): Admin, Form(form): Form<SsoForm>) -> AppResult<Response> {
    let (_, _, has_secret, _) = sso::stored(&ctx.app.db).await?;
    let issuer = form.issuer.trim().trim_end_matches('/').to_owned();
    let again = |error: String| {
        let view = SsoView {
            form: &form,
            has_secret,
            redirect_uri: redirect_uri(&ctx),
            error: Some(error),
            notice: None,
        };
        ctx.page_status(StatusCode::UNPROCESSABLE_ENTITY, "admin/sso.html", &view)
    };
    let scheme_ok = url::Url::parse(&issuer).is_ok_and(|u| {
        u.scheme() == "https" || (u.scheme() == "http" && ctx.app.config.unsafe_allow_private_fetch)
    });
    if !scheme_ok {
        return again(ctx.t("sso.error_issuer"));
    }
    if form.client_id.trim().is_empty() || (form.client_secret.is_empty() && !has_secret) {
        return again(ctx.t("sso.error_client"));
    }
    if let Err(e) = sso::GroupMap::parse(&form.role_map) {
        return again(ctx.app.views.i18n.text(
            ctx.locale,
            "sso.error_role_map",
            &[("line", &e.line.to_string())],
        ));
    }
    let break_glass = if form.passwords_off.is_some() {
        let email = form.break_glass.trim().to_lowercase();
        let admin = crate::store::users::by_email(&ctx.app.db, &email)
            .await?
            .filter(|u| u.active && u.roles.0.has(chorus_policy::Role::Admin));
        if admin.is_none() {
            return again(ctx.t("sso.error_break_glass"));
        }
        Some(email)
    } else {
        None
    };
    if let Err(e) = Provider::discover(&http(), &issuer).await {
        tracing::info!(error = %e, "identity provider not usable");
        return again(ctx.app.views.i18n.text(
            ctx.locale,
            "sso.error_discovery",
            &[("detail", &e.to_string())],
        ));
    }
    let claim = form.email_claim.trim();
    sso::save(
        &ctx.app.db,
        &ctx.app.vault,
        &issuer,
        form.client_id.trim(),
        &form.client_secret,
        if claim.is_empty() { "email" } else { claim },
    )
    .await?;
    sso::set_break_glass(&ctx.app.db, break_glass.as_deref()).await?;
    sso::save_mapping(
        &ctx.app.db,
        &form.groups_claim,
        &form.role_map,
        &form.team_claim,
    )
    .await?;
    tracing::info!(
        admin = user.id,
        %issuer,
        passwords_off = break_glass.is_some(),
        "single sign-on configured"
    );
    Ok(Redirect::to("/admin/sso?done=saved").into_response())
}
