//! `/editor/items/{id}/announce`: an editor tells the followers of a published item's topics
//! about it, once, in their own words, through the channels each follower chose.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::store::items;
use chorus_editorial::workflow::State;
use chorus_policy::ItemId;
use serde::{Deserialize, Serialize};

use crate::auth::roles::Editor;
use crate::error::AppResult;
use crate::notify::{self, AnnounceError};
use crate::views::Ctx;

/// The page.
#[derive(Serialize)]
struct AnnounceView {
    id: i32,
    title: String,
    published: bool,
    done: Option<String>,
    message: String,
    error: Option<String>,
    notice: Option<String>,
    email_available: bool,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn render(
    ctx: &Ctx,
    id: i32,
    status: StatusCode,
    message: String,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let item = items::get(&ctx.app.db, ItemId(id)).await?;
    let done = match notify::announcement(&ctx.app.db, id).await? {
        Some(a) => {
            let at = ctx.when(ctx.zone().await?, a.created_at);
            Some(ctx.app.views.i18n.text(
                ctx.locale,
                "notify.announce_done",
                &[
                    ("at", &at),
                    ("count", &a.recipients.to_string()),
                    ("message", &a.message),
                ],
            ))
        }
        None => None,
    };
    let view = AnnounceView {
        id,
        title: item.input.title.clone(),
        published: item.state == State::Published,
        done,
        message,
        error,
        notice,
        email_available: ctx.app.config.mail.is_some(),
    };
    ctx.page_status(status, "editor/announce.html", &view)
}

/// `GET /editor/items/{id}/announce`.
pub async fn page(
    ctx: Ctx,
    _: Editor,
    Path(id): Path<i32>,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let notice = (query.done.as_deref() == Some("sent")).then(|| ctx.t("notify.announce_sent"));
    render(&ctx, id, StatusCode::OK, String::new(), None, notice).await
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct AnnounceForm {
    #[serde(default)]
    message: String,
}

/// `POST /editor/items/{id}/announce`.
pub async fn send(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    Form(form): Form<AnnounceForm>,
) -> AppResult<Response> {
    match notify::announce(&ctx.app, id, user.id, &form.message).await {
        Ok(count) => {
            tracing::info!(
                item = id,
                by = user.id,
                recipients = count,
                "item announced"
            );
            Ok(Redirect::to(&format!("/editor/items/{id}/announce?done=sent")).into_response())
        }
        Err(AnnounceError::Store(e)) => Err(e.into()),
        Err(e) => {
            // Announced already: the page shows when and to how many.
            let (status, error) = match e {
                AnnounceError::NotPublished => (
                    StatusCode::CONFLICT,
                    Some(ctx.t("notify.announce_not_published")),
                ),
                AnnounceError::AlreadyAnnounced => (StatusCode::CONFLICT, None),
                _ => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(ctx.t("notify.announce_bad_message")),
                ),
            };
            render(&ctx, id, status, form.message, error, None).await
        }
    }
}
