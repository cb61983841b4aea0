//! Topics and campaigns, managed by editors.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::EditorialError;
use chorus_editorial::store::topics;
use serde::Deserialize;
use tera::Context;

use crate::auth::roles::Editor;
use crate::error::AppResult;
use crate::views::Ctx;

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The new topic or campaign form.
#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn page(
    ctx: &Ctx,
    status: StatusCode,
    form: &NameForm,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let mut context = Context::new();
    context.insert(
        "topics",
        &topics::topics(db)
            .await?
            .iter()
            .map(|t| serde_json::json!({"id": t.id, "name": t.name, "slug": t.slug}))
            .collect::<Vec<_>>(),
    );
    context.insert("campaigns", &topics::campaigns(db).await?.iter().map(|c| serde_json::json!({"id": c.id, "name": c.name, "description": c.description, "archived": c.archived})).collect::<Vec<_>>());
    context.insert("name", &form.name);
    context.insert("description", &form.description);
    context.insert("error", &error);
    context.insert("notice", &notice);
    ctx.render_status(status, "editor/topics.html", context)
}

/// `GET /editor/topics`: topics and campaigns.
pub async fn show(ctx: Ctx, _: Editor, Query(query): Query<DoneQuery>) -> AppResult<Response> {
    let notice = query.done.map(|_| ctx.t("editor.done_saved"));
    page(&ctx, StatusCode::OK, &NameForm::default(), None, notice).await
}

fn name_error(ctx: &Ctx, error: &EditorialError) -> Option<String> {
    match error {
        EditorialError::NameTaken => Some(ctx.t("editor.error_name_taken")),
        EditorialError::Invalid(errors) => errors.first().map(|e| ctx.t(e.message_key)),
        _ => None,
    }
}

/// `POST /editor/topics`.
pub async fn create_topic(ctx: Ctx, _: Editor, Form(form): Form<NameForm>) -> AppResult<Response> {
    match topics::create_topic(&ctx.app.db, &form.name).await {
        Ok(_) => Ok(Redirect::to("/editor/topics?done=topic").into_response()),
        Err(e) => match name_error(&ctx, &e) {
            Some(message) => {
                page(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form,
                    Some(message),
                    None,
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /editor/topics/{id}/delete`.
pub async fn delete_topic(ctx: Ctx, _: Editor, Path(id): Path<i32>) -> AppResult<Response> {
    topics::delete_topic(&ctx.app.db, id).await?;
    Ok(Redirect::to("/editor/topics?done=deleted").into_response())
}

/// `POST /editor/campaigns`.
pub async fn create_campaign(
    ctx: Ctx,
    _: Editor,
    Form(form): Form<NameForm>,
) -> AppResult<Response> {
    match topics::create_campaign(&ctx.app.db, &form.name, &form.description).await {
        Ok(_) => Ok(Redirect::to("/editor/topics?done=campaign").into_response()),
        Err(e) => match name_error(&ctx, &e) {
            Some(message) => {
                page(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form,
                    Some(message),
                    None,
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}

/// Archive or reopen.
#[derive(Debug, Deserialize)]
pub struct ArchiveForm {
    archived: bool,
}

/// `POST /editor/campaigns/{id}/archive`.
pub async fn archive_campaign(
    ctx: Ctx,
    _: Editor,
    Path(id): Path<i32>,
    Form(form): Form<ArchiveForm>,
) -> AppResult<Response> {
    topics::set_campaign_archived(&ctx.app.db, id, form.archived).await?;
    Ok(Redirect::to("/editor/topics?done=campaign").into_response())
}
