//! `GET /l/{code}`: the public redirect of a tracked link. Counted in memory (people and robots
//! apart), flushed every second; nothing about the visitor is stored, not even a cookie.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::{AppError, AppResult};

/// `GET /l/{code}`. It runs outside the page layers (sessions, CSRF, request log): see
/// [`crate::router::build`].
pub async fn redirect(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let started = std::time::Instant::now();
    let Some((link_id, target)) = app.redirects.resolve(&app.db, &code).await? else {
        app.metrics.link(false, started);
        return Err(AppError::NotFound);
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    app.redirects.count(
        link_id,
        chorus_ambassador::links::is_robot(user_agent),
        chrono::Utc::now(),
    );
    let location = HeaderValue::from_str(&target)?;
    app.metrics.link(true, started);
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
    )
        .into_response())
}
