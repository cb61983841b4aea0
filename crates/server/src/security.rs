//! Security headers on every response. The Content-Security-Policy allows no inline script and
//! no framing; assets come from Chorus itself.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

/// The policy: scripts and styles only from Chorus, no inline script, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: https:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers.
pub async fn headers(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    if app.config.secure_cookies() {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        );
    }
    response
}

/// `%00`, the NUL character, is never meaningful in what people type or in an address, and
/// PostgreSQL refuses it in text (the request would fail with a 5xx, where SQLite would store
/// it): it is dropped from the address and from url-encoded forms before any handler sees
/// them, so the same input reads the same on both databases.
pub async fn strip_nul(request: Request, next: Next) -> Response {
    use axum::response::IntoResponse as _;

    let (mut parts, body) = request.into_parts();
    let address = parts.uri.to_string();
    if address.contains("%00")
        && let Ok(uri) = address.replace("%00", "").parse()
    {
        parts.uri = uri;
    }
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = if is_form {
        let Ok(bytes) = axum::body::to_bytes(body, crate::auth::csrf::MAX_FORM_BYTES).await else {
            return crate::error::AppError::PayloadTooLarge.into_response();
        };
        if bytes.windows(3).any(|w| w == b"%00") {
            let text = String::from_utf8_lossy(&bytes).replace("%00", "");
            axum::body::Body::from(text)
        } else {
            axum::body::Body::from(bytes)
        }
    } else {
        body
    };
    next.run(Request::from_parts(parts, body)).await
}
