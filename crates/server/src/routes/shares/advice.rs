//! The live advice of the share page: the counter, the post as its network shows it and the
//! advice for a text as the person types it, by the same rules as when they submit.

use axum::extract::Path;
use chorus_editorial::{hub, measure};
use chorus_policy::advice::blocks_publishing;
use chorus_policy::{ItemId, Network};
use serde::Deserialize;

use super::{Colleagues, Editor, Target, advice_text};
use crate::auth::roles::Ambassador;
use crate::error::{AppError, AppResult};
use crate::views::Ctx;

/// A text being written in one editor of the share page.
#[derive(Debug, Deserialize)]
pub struct AdviceRequest {
    network: String,
    text: String,
}

/// `POST /hub/items/{id}/advice`: the counter and the advice for a text as the person types
/// it, by the same rules as when they submit (identical to the suggestion, too long, missing
/// disclosure), in their language.
pub async fn advice(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(id): Path<i32>,
    body: Result<axum::Json<AdviceRequest>, axum::extract::rejection::JsonRejection>,
) -> AppResult<axum::Json<serde_json::Value>> {
    let axum::Json(request) = body.map_err(crate::routes::api::json_rejection)?;
    let network: Network = request
        .network
        .parse()
        .map_err(|e: chorus_policy::UnknownNetwork| AppError::BadRequest(e.to_string()))?;
    let item = hub::item(&ctx.app.db, ItemId(id)).await?;
    let settings = chorus_editorial::store::settings::load(&ctx.app.db).await?;
    let disclosure = settings.disclosure_for(&item.input.language).cloned();
    let colleagues = Colleagues::load(
        &ctx,
        item.id,
        user.user_id(),
        &[network],
        settings.min_group_size,
    )
    .await?;
    let text = request.text.replace("\r\n", "\n");
    let editor = Editor::new(
        Target::Composer(network),
        &item,
        disclosure.as_ref(),
        &colleagues,
        text,
        true,
    );
    Ok(axum::Json(serde_json::json!({
        "measure": measure::measure(network, &editor.text),
        "display": measure::display::display(network, &editor.text),
        "advice": editor.advice.iter().map(|a| advice_text(&ctx, a)).collect::<Vec<_>>(),
        "blocks": blocks_publishing(&editor.advice),
    })))
}
