//! The item form following the typing: each network's counter and post preview by the same
//! rules as publishing, and the body and "why it matters" card as the hub will show them.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use chorus_editorial::measure::{self, Measure, display::Display};
use serde::{Deserialize, Serialize};

use super::{AppError, AppResult, Editor, Network};
use crate::routes::api::json_rejection;

/// One network's suggested copy being typed.
#[derive(Debug, Deserialize)]
pub struct DisplayRequest {
    network: String,
    text: String,
}

/// Its counter and how the network shows it.
#[derive(Debug, Serialize)]
pub struct DisplayAnswer {
    measure: Measure,
    display: Display,
}

/// `POST /editor/items/live/display`.
///
/// # Errors
/// The body is not the request above, or names no network Chorus knows.
pub async fn display(
    _: Editor,
    body: Result<Json<DisplayRequest>, JsonRejection>,
) -> AppResult<Json<DisplayAnswer>> {
    let Json(request) = body.map_err(json_rejection)?;
    let network: Network = request
        .network
        .parse()
        .map_err(|e: chorus_policy::UnknownNetwork| AppError::BadRequest(e.to_string()))?;
    let text = request.text.replace("\r\n", "\n");
    Ok(Json(DisplayAnswer {
        measure: measure::measure(network, &text),
        display: measure::display::display(network, &text),
    }))
}

/// The body and the card being typed, in Markdown.
#[derive(Debug, Deserialize)]
pub struct RenderRequest {
    #[serde(default)]
    body: String,
    #[serde(default)]
    why: String,
}

/// Both as sanitised HTML, exactly as the hub renders them.
#[derive(Debug, Serialize)]
pub struct RenderAnswer {
    body_html: String,
    why_html: String,
}

/// `POST /editor/items/live/render`.
///
/// # Errors
/// The body is not the request above.
pub async fn render(
    _: Editor,
    body: Result<Json<RenderRequest>, JsonRejection>,
) -> AppResult<Json<RenderAnswer>> {
    let Json(request) = body.map_err(json_rejection)?;
    let html = |markdown: &str| {
        chorus_editorial::markdown::render_html(markdown)
            .as_str()
            .to_owned()
    };
    Ok(Json(RenderAnswer {
        body_html: html(&request.body),
        why_html: html(&request.why),
    }))
}
