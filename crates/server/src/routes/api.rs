//! The JSON API under `/api/v1`. Errors answer `{"error": "code", "message": "..."}`.

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
