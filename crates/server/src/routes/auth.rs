//! Signing in and out.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::{self, SignInError};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::views::Ctx;

/// Query of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    done: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// The sign-in page.
#[derive(Serialize)]
struct SignInView<'a> {
    email: &'a str,
    /// Where to go after signing in (a local path only).
    next: Option<&'a str>,
    error: Option<String>,
    notice: Option<String>,
    /// Where "sign in with your company account" leads, when the company's identity provider
    /// is configured.
    sso: Option<String>,
    /// Passwords are turned off but for the break-glass admin: the form folds away.
    passwords_off: bool,
}

pub(super) async fn page(
    ctx: &Ctx,
    status: StatusCode,
    email: &str,
    next: Option<&str>,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let next = next.filter(|n| super::is_local_path(n));
    let view = SignInView {
        email,
        next,
        error,
        notice,
        sso: crate::sso::config(&ctx.app.db, &ctx.app.vault)
            .await?
            .map(|_| match next {
                Some(next) => {
                    let next: String =
                        url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                    format!("/sign-in/oidc?next={next}")
                }
                None => "/sign-in/oidc".to_owned(),
            }),
        passwords_off: crate::sso::break_glass(&ctx.app.db).await?.is_some(),
    };
    ctx.page_status(status, "auth/sign_in.html", &view)
}

/// `GET /sign-in`.
pub async fn show(ctx: Ctx, Query(query): Query<SignInQuery>) -> AppResult<Response> {
    if ctx.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = match query.done.as_deref() {
        Some("signed_out") => Some(ctx.t("sign_in.signed_out")),
        Some("erased") => Some(ctx.t("sign_in.erased")),
        _ => None,
    };
    page(
        &ctx,
        StatusCode::OK,
        "",
        query.next.as_deref(),
        None,
        notice,
    )
    .await
}

/// `POST /sign-in`.
pub async fn submit(
    ctx: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> AppResult<Response> {
    let app = &ctx.app;
    let address = app
        .config
        .trusted_proxies
        .client_address(peer.ip(), &headers)
        .to_string();
    // Once passwords are turned off, only the break-glass admin may use one.
    if let Some(only) = crate::sso::break_glass(&app.db).await?
        && !form.email.trim().eq_ignore_ascii_case(&only)
    {
        return page(
            &ctx,
            StatusCode::FORBIDDEN,
            &form.email,
            form.next.as_deref(),
            Some(ctx.t("sso.passwords_off")),
            None,
        )
        .await;
    }
    let secret = app.config.secret_key.bytes();
    match accounts::authenticate(&app.db, secret, &form.email, &form.password, &address).await {
        Ok(row) => {
            let previous = ctx.user.as_ref().map(|u| u.session_hash.as_str());
            let cookie = crate::auth::session::start(&ctx.app, row.id, previous).await?;
            crate::store::users::record_sign_in(&app.db, row.id, chrono::Utc::now()).await?;
            tracing::info!(user_id = row.id, "signed in");
            let target = form
                .next
                .as_deref()
                .filter(|n| super::is_local_path(n))
                .unwrap_or("/");
            let mut response = super::redirect_with_cookie(target, &cookie);
            if let Ok(value) = HeaderValue::from_str(&crate::auth::csrf::fresh_cookie(&ctx.app)) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(SignInError::Invalid) => {
            page(
                &ctx,
                StatusCode::UNAUTHORIZED,
                &form.email,
                form.next.as_deref(),
                Some(ctx.t("sign_in.invalid")),
                None,
            )
            .await
        }
        Err(SignInError::Throttled { minutes }) => {
            let message = ctx.app.views.i18n.text(
                ctx.locale,
                "sign_in.throttled",
                &[("minutes", &minutes.to_string())],
            );
            page(
                &ctx,
                StatusCode::TOO_MANY_REQUESTS,
                &form.email,
                form.next.as_deref(),
                Some(message),
                None,
            )
            .await
        }
        Err(SignInError::Store(e)) => Err(AppError::Store(e)),
    }
}

/// `POST /sign-out`.
pub async fn sign_out(ctx: Ctx, user: CurrentUser) -> AppResult<Response> {
    let cookie = crate::auth::session::end(&ctx.app, &user.session_hash).await?;
    let target = match super::sso::sign_out_at_provider(&ctx, user.id).await {
        Some(url) => url,
        None => "/sign-in?done=signed_out".to_owned(),
    };
    Ok(super::redirect_with_cookie(&target, &cookie))
}
