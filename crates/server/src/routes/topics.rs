//! Topics and campaigns, managed by editors.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::EditorialError;
use chorus_editorial::store::topics;
use chorus_policy::{CampaignId, TopicId};
use serde::{Deserialize, Serialize};

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

/// The topics and campaigns page.
#[derive(Serialize)]
struct TopicsView<'a> {
    topics: Vec<TopicRow>,
    campaigns: Vec<CampaignRow>,
    name: &'a str,
    description: &'a str,
    error: Option<String>,
    notice: Option<String>,
}

/// One topic of the list.
#[derive(Serialize)]
struct TopicRow {
    id: i32,
    name: String,
    slug: String,
}

/// One campaign of the list.
#[derive(Serialize)]
struct CampaignRow {
    id: i32,
    name: String,
    description: String,
    archived: bool,
}

async fn page(
    ctx: &Ctx,
    status: StatusCode,
    form: &NameForm,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let topics = topics::topics(db)
        .await?
        .into_iter()
        .map(|t| TopicRow {
            id: t.id,
            name: t.name,
            slug: t.slug,
        })
        .collect();
    let campaigns = topics::campaigns(db)
        .await?
        .into_iter()
        .map(|c| CampaignRow {
            id: c.id,
            name: c.name,
            description: c.description,
            archived: c.archived,
        })
        .collect();
    let view = TopicsView {
        topics,
        campaigns,
        name: &form.name,
        description: &form.description,
        error,
        notice,
    };
    ctx.page_status(status, "editor/topics.html", &view)
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
    topics::delete_topic(&ctx.app.db, TopicId(id)).await?;
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
    Path(id): Path<CampaignId>,
    Form(form): Form<ArchiveForm>,
) -> AppResult<Response> {
    topics::set_campaign_archived(&ctx.app.db, id, form.archived).await?;
    Ok(Redirect::to("/editor/topics?done=campaign").into_response())
}
