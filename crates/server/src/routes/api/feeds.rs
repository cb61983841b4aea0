//! Curated feeds, for an editor's integration: the RSS and Atom feeds whose new entries become
//! drafts (never published without an editor), as the editors' feeds page lists them.

use axum::Json;
use axum::extract::State;
use chorus_editorial::EditorialError;
use chorus_editorial::sources::NewFeed;
use chorus_editorial::store::feeds;
use chorus_policy::FeedId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{ItemsRead, ItemsWrite, Need};
use super::problem::{ApiError, ApiResult, Problem};
use super::{ApiJson, ApiPath};
use crate::app::AppState;

/// A feed followed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    /// Id.
    pub id: i32,
    /// Its address.
    pub url: String,
    /// Its title.
    pub title: String,
    /// The language of the drafts made from it.
    pub language: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When the worker last read it.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// What went wrong at the last reading, if anything.
    pub last_error: Option<String>,
    /// Entries imported as drafts so far.
    pub entries_imported: i32,
}

impl Feed {
    fn of(row: feeds::Feed) -> Feed {
        Feed {
            id: row.id,
            url: row.url,
            title: row.title,
            language: row.language,
            created_at: row.created_at,
            last_polled_at: row.last_polled_at,
            last_error: row.last_error,
            entries_imported: row.entries_imported,
        }
    }
}

/// The feeds followed, by title.
#[utoipa::path(
    get,
    path = "/feeds",
    tag = "items",
    security(("token" = ["items:read"])),
    responses(
        (status = 200, description = "Every feed", body = Vec<Feed>),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:read", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(State(state): State<AppState>, _: Need<ItemsRead>) -> ApiResult<Json<Vec<Feed>>> {
    let all = feeds::list(&state.db).await?;
    Ok(Json(all.into_iter().map(Feed::of).collect()))
}

/// A feed to follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedBody {
    /// Its address (`https://` or `http://`).
    #[schema(min_length = 1, max_length = 2000)]
    pub url: String,
    /// Its title, at most 200 characters; the address when left out.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub title: String,
    /// The language of its entries (`en`, `fr`, `pt-br`...); English when left out.
    #[serde(default)]
    pub language: String,
}

/// Follows a feed: the worker reads it and makes a draft of each new entry.
#[utoipa::path(
    post,
    path = "/feeds",
    tag = "items",
    request_body = NewFeedBody,
    security(("token" = ["items:write"])),
    responses(
        (status = 201, description = "The feed", body = Feed),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The feed is followed already", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Need(caller, _): Need<ItemsWrite>,
    ApiJson(body): ApiJson<NewFeedBody>,
) -> ApiResult<(axum::http::StatusCode, Json<Feed>)> {
    let problem = |error: EditorialError| -> ApiError {
        super::problem::editorial(
            &state.views.i18n,
            error,
            ("feed_exists", "this feed is followed already"),
            "no such feed: check its id",
        )
    };
    let feed = NewFeed::parse(&body.url, &body.title, &body.language, "en").map_err(problem)?;
    let row = feeds::add(
        &state.db,
        &feed.url,
        &feed.title,
        &feed.language,
        caller.user.user_id(),
    )
    .await
    .map_err(problem)?;
    Ok((axum::http::StatusCode::CREATED, Json(Feed::of(row))))
}

/// Stops following a feed; the drafts already made from it stay.
#[utoipa::path(
    delete,
    path = "/feeds/{id}",
    tag = "items",
    params(("id" = i32, Path, description = "The feed's id")),
    security(("token" = ["items:write"])),
    responses(
        (status = 204, description = "No longer followed"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such feed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    _: Need<ItemsWrite>,
    ApiPath(id): ApiPath<i32>,
) -> ApiResult<axum::http::StatusCode> {
    feeds::remove(&state.db, FeedId(id)).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
