//! CSRF protection for every state-changing request.
//!
//! Each browser gets a random `chorus_csrf` cookie (HttpOnly, SameSite=Lax); forms carry
//! `csrf_token`, an HMAC of that cookie under the server key, and scripts send it in the
//! `X-CSRF-Token` header. A cross-site page can neither read the cookie nor compute the HMAC.
//! As a second wall, a request whose `Origin` names another host is refused outright.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::app::AppState;
use crate::error::AppError;
use crate::views::error_response;

/// The CSRF cookie's name.
pub const COOKIE: &str = "chorus_csrf";
/// The form field and header that carry the token.
pub const FIELD: &str = "csrf_token";
const HEADER: &str = "x-csrf-token";
/// Larger url-encoded bodies are refused; uploads use multipart and the header or query.
pub(crate) const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// The token to put in this request's forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn token_for(key: &[u8; 32], cookie: &str) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(b"csrf:");
    mac.update(cookie.as_bytes());
    Some(crate::auth::to_hex(&mac.finalize().into_bytes()))
}

fn matches(key: &[u8; 32], cookie: &str, token: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(b"csrf:");
    mac.update(cookie.as_bytes());
    let Some(bytes) = crate::auth::hex_decode(token) else {
        return false;
    };
    mac.verify_slice(&bytes).is_ok()
}

fn same_origin(request: &Request) -> bool {
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return true;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = url::Url::parse(origin).ok().map(|u| match u.port() {
        Some(port) => format!("{}:{port}", u.host_str().unwrap_or_default()),
        None => u.host_str().unwrap_or_default().to_owned(),
    });
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// A `Set-Cookie` value that gives the browser a new CSRF cookie: sent at sign-in, so that a
/// token learnt before signing in (a shared computer, a planted cookie) is worth nothing after.
#[must_use]
pub fn fresh_cookie(app: &AppState) -> String {
    crate::auth::set_cookie(
        COOKIE,
        &crate::auth::random_token(),
        60 * 60 * 24 * 365,
        app.config.secure_cookies(),
    )
}

/// Checks state-changing requests and hands every request its token.
pub async fn protect(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let key = app.config.secret_key.bytes();
    let existing = crate::auth::cookie(request.headers(), COOKIE).map(str::to_owned);
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );

    // The unsubscribe link of an email is posted by mail clients (RFC 8058 one-click), without
    // cookies: its token, a MAC under the server's key, is what authorises it.
    let one_click = request.uri().path().starts_with("/unsubscribe/");
    let mut request = request;
    if !safe && !one_click {
        let reject = |request: &Request, error: AppError| error_response(&app, request, &error);
        if !same_origin(&request) {
            return reject(&request, AppError::CsrfRejected);
        }
        let Some(cookie) = existing.as_deref() else {
            return reject(&request, AppError::CsrfRejected);
        };
        match presented_token(request).await {
            Ok((rebuilt, Some(token))) if matches(key, cookie, &token) => request = rebuilt,
            Ok((rebuilt, _)) => return reject(&rebuilt, AppError::CsrfRejected),
            Err((rebuilt, error)) => return reject(&rebuilt, error),
        }
    }

    let (cookie, fresh) = match existing {
        Some(cookie) => (cookie, false),
        None => (crate::auth::random_token(), true),
    };
    let token = token_for(key, &cookie).unwrap_or_default();
    request.extensions_mut().insert(CsrfToken(token));
    // Tracked-link visitors are not Chorus users: they never get a cookie.
    let tracked_link = request.uri().path().starts_with("/l/");
    let mut response = next.run(request).await;
    if fresh && !tracked_link {
        let value = crate::auth::set_cookie(
            COOKIE,
            &cookie,
            60 * 60 * 24 * 365,
            app.config.secure_cookies(),
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Finds the token in the header, the query string, or an url-encoded form body (which is
/// read and put back for the handler).
async fn presented_token(
    request: Request,
) -> Result<(Request, Option<String>), (Request, AppError)> {
    if let Some(token) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        let token = token.to_owned();
        return Ok((request, Some(token)));
    }
    let from_query = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    });
    if from_query.is_some() {
        return Ok((request, from_query));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return Err((
            Request::from_parts(parts, Body::empty()),
            AppError::PayloadTooLarge,
        ));
    };
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_its_cookie_and_key() {
        let key = [7u8; 32];
        let token = token_for(&key, "cookie-a").unwrap();
        assert!(matches(&key, "cookie-a", &token));
        assert!(!matches(&key, "cookie-b", &token));
        assert!(!matches(&[8u8; 32], "cookie-a", &token));
        assert!(!matches(&key, "cookie-a", "not-hex"));
        assert!(!matches(&key, "cookie-a", ""));
    }
}
