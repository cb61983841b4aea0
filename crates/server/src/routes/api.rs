//! The REST API under `/api/v1`, for integrations: called with a token (`Authorization:
//! Bearer`), no session or CSRF token, answered in JSON, its errors as RFC 9457 problem
//! details ([`problem`]), documented by an OpenAPI 3.1 document generated from the handlers
//! ([`openapi`]). Each handler says in its signature which scope it needs ([`caller`]).
//!
//! `POST /api/v1/text/measure` is older and different: the composer's live counter calls it
//! with the page's session and CSRF token, and its errors answer `{"error": "code",
//! "message": "..."}`.

pub mod caller;
pub mod feeds;
pub mod hub;
pub mod items;
pub mod limits;
pub mod openapi;
pub mod people;
pub mod problem;
pub mod shares;
pub mod stats;
pub mod topics;

pub use problem::{ApiError, ApiResult, Problem};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use chorus_editorial::Network;
use chorus_editorial::measure::{self, Measure};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};

/// A JSON body that could not be read: too large (413, whatever layer noticed it first), or
/// a bad request saying what is wrong with it.
pub(crate) fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(rejection.body_text())
    }
}

/// A JSON body the API could not read: too large, or what is wrong with it, as a problem.
pub(crate) fn body_rejection(rejection: JsonRejection) -> ApiError {
    if let JsonRejection::JsonDataError(error) = &rejection {
        // "Failed to deserialize the JSON body into the target type: title: invalid type..."
        let text = error.body_text();
        let detail = text
            .split_once("target type: ")
            .map_or(text.as_str(), |(_, rest)| rest);
        if let Some((field, what)) = detail.split_once(": ")
            && field != "."
        {
            return Problem::invalid(vec![problem::FieldProblem {
                field: field.to_owned(),
                detail: what.to_owned(),
            }])
            .into();
        }
    }
    let status = rejection.status();
    let code = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        "payload_too_large"
    } else {
        "bad_request"
    };
    Problem::new(status, code, rejection.body_text()).into()
}

/// The `cursor` of a page as the previous page gave it (`None`: the first page); one that does
/// not read is the caller's mistake, named.
pub(crate) fn cursor_of<T: std::str::FromStr>(
    cursor: Option<&str>,
    errors: &mut Vec<problem::FieldProblem>,
) -> Option<T> {
    let cursor = cursor.filter(|c| !c.is_empty())?;
    let parsed = cursor.parse().ok();
    if parsed.is_none() {
        errors.push(problem::FieldProblem {
            field: "cursor".into(),
            detail: "send back the next_cursor of the previous page as it was".into(),
        });
    }
    parsed
}

/// A page's `limit`, from 1 to `max` (`default` when left out); another is named.
pub(crate) fn limit_of(
    limit: Option<u64>,
    default: u64,
    max: u64,
    errors: &mut Vec<problem::FieldProblem>,
) -> u64 {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        errors.push(problem::FieldProblem {
            field: "limit".into(),
            detail: format!("expected 1 to {max}"),
        });
    }
    limit
}

/// A JSON body, refused as a problem ([`body_rejection`]).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| ApiJson(value))
            .map_err(body_rejection)
    }
}

/// A query string, refused as a problem naming the parameter at fault.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| {
                // "Failed to deserialize query string: limit: invalid digit found in string"
                let text = rejection.body_text();
                let detail = text
                    .split_once("query string: ")
                    .map_or(text.as_str(), |(_, rest)| rest);
                let (field, what) = detail.split_once(": ").unwrap_or(("query", detail));
                Problem::invalid(vec![problem::FieldProblem {
                    field: field.to_owned(),
                    detail: what.to_owned(),
                }])
                .into()
            })
    }
}

/// A resource's id in the path: one that cannot be an id (not a number, out of range) names
/// no resource (404).
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|_| {
                Problem::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "not_found",
                    "no such resource: check its id",
                )
                .into()
            })
    }
}

/// The API's routes (without the session, CSRF and error-page layers of the pages).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/items", get(items::list).post(items::create))
        .route("/api/v1/items/{id}", get(items::read).put(items::update))
        .route("/api/v1/hub", get(hub::page))
        .route("/api/v1/hub/{id}", get(hub::item))
        .route("/api/v1/me/figures", get(hub::figures))
        .route("/api/v1/people", get(people::list).post(people::create))
        .route(
            "/api/v1/people/{id}",
            get(people::read).patch(people::change),
        )
        .route("/api/v1/stats", get(stats::figures))
        .route("/api/v1/me/shares", get(shares::list).post(shares::create))
        .route(
            "/api/v1/me/shares/{id}/cancel",
            axum::routing::post(shares::cancel),
        )
        .route(
            "/api/v1/items/{id}/actions",
            axum::routing::post(items::act),
        )
        .route(
            "/api/v1/topics",
            get(topics::topics).post(topics::create_topic),
        )
        .route(
            "/api/v1/campaigns",
            get(topics::campaigns).post(topics::create_campaign),
        )
        .route(
            "/api/v1/topics/{id}",
            axum::routing::patch(topics::rename_topic).delete(topics::delete_topic),
        )
        .route(
            "/api/v1/campaigns/{id}",
            axum::routing::patch(topics::change_campaign),
        )
        .route("/api/v1/feeds", get(feeds::list).post(feeds::create))
        .route("/api/v1/feeds/{id}", axum::routing::delete(feeds::remove))
        .route(
            "/api/v1/me/shares/{id}/actions",
            axum::routing::post(shares::act),
        )
}

/// A text to measure, for one network or (without `network`) for all.
#[derive(Debug, Deserialize)]
pub struct MeasureRequest {
    network: Option<String>,
    text: String,
}

/// `POST /api/v1/text/measure`: how long `text` is for the network and whether it fits.
pub async fn measure_text(
    _user: CurrentUser,
    body: Result<Json<MeasureRequest>, JsonRejection>,
) -> AppResult<Json<serde_json::Value>> {
    let Json(request) = body.map_err(json_rejection)?;
    match request.network.as_deref() {
        Some(name) => {
            let network: Network = name
                .parse()
                .map_err(|e: chorus_policy::UnknownNetwork| AppError::BadRequest(e.to_string()))?;
            Ok(Json(serde_json::to_value(measure::measure(
                network,
                &request.text,
            ))?))
        }
        None => {
            let all: Vec<Measure> = Network::ALL
                .iter()
                .map(|n| measure::measure(*n, &request.text))
                .collect();
            Ok(Json(serde_json::to_value(all)?))
        }
    }
}
