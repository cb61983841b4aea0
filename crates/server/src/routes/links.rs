//! `GET /l/{code}`: the public redirect of a tracked link. Counted in memory (people and robots
//! apart), flushed every second; nothing about the visitor is stored, not even a cookie.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, AppResult};
use crate::views::Ctx;

/// `GET /l/{code}`.
pub async fn redirect(
    ctx: Ctx,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((link_id, target)) = ctx
        .app
        .redirects
        .resolve(&ctx.app.db, &code)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    else {
        return Err(AppError::NotFound);
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    ctx.app.redirects.count(
        link_id,
        chorus_ambassador::links::is_robot(user_agent),
        chrono::Utc::now(),
    );
    let location = HeaderValue::from_str(&target).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
