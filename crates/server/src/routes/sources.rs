//! Curated feeds (editors) and suggestions (ambassadors): drafts that come from outside.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::EditorialError;
use chorus_editorial::sources;
use chorus_editorial::store::{feeds, items};
use chorus_policy::FeedId;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::auth::roles::{Ambassador, Editor};
use crate::error::AppResult;
use crate::views::Ctx;

/// The add-a-feed form.
#[derive(Debug, Default, Deserialize)]
pub struct FeedForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    language: String,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    imported: Option<usize>,
}

/// The feeds page.
#[derive(Serialize)]
struct FeedsView<'a> {
    feeds: Vec<FeedRow>,
    form: FeedFormView<'a>,
    error: Option<String>,
    notice: Option<String>,
}

/// One feed and how its last fetch went.
#[derive(Serialize)]
struct FeedRow {
    id: i32,
    url: String,
    title: String,
    language: String,
    last_polled_at: Option<String>,
    last_error: Option<String>,
    /// Entries imported so far.
    imported: i32,
}

/// The add-a-feed form as shown again, its language defaulting to the page's.
#[derive(Serialize)]
struct FeedFormView<'a> {
    url: &'a str,
    title: &'a str,
    language: &'a str,
}

async fn feeds_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &FeedForm,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let zone = ctx.zone().await?;
    let list = feeds::list(&ctx.app.db)
        .await?
        .into_iter()
        .map(|f| FeedRow {
            id: f.id,
            url: f.url,
            title: f.title,
            language: f.language,
            last_polled_at: f.last_polled_at.map(|t| ctx.when(zone, t)),
            last_error: f.last_error,
            imported: f.entries_imported,
        })
        .collect();
    let view = FeedsView {
        feeds: list,
        form: FeedFormView {
            url: &form.url,
            title: &form.title,
            language: if form.language.is_empty() {
                ctx.locale.tag()
            } else {
                form.language.as_str()
            },
        },
        error,
        notice,
    };
    ctx.page_status(status, "editor/feeds.html", &view)
}

/// `GET /editor/feeds`.
pub async fn show_feeds(
    ctx: Ctx,
    _: Editor,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let notice = match query.done.as_deref() {
        Some("polled") => Some(ctx.app.views.i18n.text(
            ctx.locale,
            "editor.feed_polled",
            &[("count", &query.imported.unwrap_or(0).to_string())],
        )),
        Some(_) => Some(ctx.t("editor.done_saved")),
        None => None,
    };
    feeds_page(&ctx, StatusCode::OK, &FeedForm::default(), None, notice).await
}

/// `POST /editor/feeds`.
pub async fn add_feed(
    ctx: Ctx,
    Editor(user): Editor,
    Form(form): Form<FeedForm>,
) -> AppResult<Response> {
    let feed = match chorus_editorial::sources::NewFeed::parse(
        &form.url,
        &form.title,
        &form.language,
        ctx.locale.tag(),
    ) {
        Ok(feed) => feed,
        Err(EditorialError::Invalid(errors)) => {
            let message = errors
                .iter()
                .map(|e| ctx.t(e.message_key))
                .collect::<Vec<_>>()
                .join(" ");
            return feeds_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(message),
                None,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    match feeds::add(
        &ctx.app.db,
        &feed.url,
        &feed.title,
        &feed.language,
        user.user_id(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/editor/feeds?done=added").into_response()),
        Err(EditorialError::NameTaken) => {
            let message = ctx.t("editor.feed_exists");
            feeds_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(message),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /editor/feeds/{id}/poll`: fetch now rather than wait for the worker.
pub async fn poll_feed(ctx: Ctx, _: Editor, Path(id): Path<i32>) -> AppResult<Response> {
    let outcome = sources::poll_feed(&ctx.app.db, &ctx.app.fetcher, FeedId(id)).await?;
    Ok(Redirect::to(&format!(
        "/editor/feeds?done=polled&imported={}",
        outcome.imported
    ))
    .into_response())
}

/// `POST /editor/feeds/{id}/delete`.
pub async fn remove_feed(ctx: Ctx, _: Editor, Path(id): Path<i32>) -> AppResult<Response> {
    feeds::remove(&ctx.app.db, FeedId(id)).await?;
    Ok(Redirect::to("/editor/feeds?done=removed").into_response())
}

/// The suggestion form.
#[derive(Debug, Default, Deserialize)]
pub struct SuggestForm {
    #[serde(default)]
    link: String,
    #[serde(default)]
    idea: String,
}

/// The suggestion page: the form, and what became of earlier suggestions.
#[derive(Serialize)]
struct SuggestView<'a> {
    link: &'a str,
    idea: &'a str,
    errors: std::collections::BTreeMap<String, String>,
    notice: Option<String>,
    suggestions: Vec<SuggestionRow>,
}

/// One earlier suggestion: `waiting`, `published` or `declined`.
#[derive(Serialize)]
struct SuggestionRow {
    id: i32,
    title: String,
    outcome: &'static str,
    at: String,
}

async fn suggest_page(
    ctx: &Ctx,
    user: &CurrentUser,
    status: StatusCode,
    form: &SuggestForm,
    errors: std::collections::BTreeMap<String, String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let mine = items::suggested_by(&ctx.app.db, user.user_id())
        .await?
        .into_iter()
        .map(|item| {
            let outcome = match item.state.as_str() {
                "published" => "published",
                "archived" => "declined",
                _ => "waiting",
            };
            SuggestionRow {
                id: item.id,
                title: item.title,
                outcome,
                at: item.created_at.format("%Y-%m-%d").to_string(),
            }
        })
        .collect();
    let view = SuggestView {
        link: &form.link,
        idea: &form.idea,
        errors,
        notice,
        suggestions: mine,
    };
    ctx.page_status(status, "hub/suggest.html", &view)
}

/// `GET /hub/suggest`: suggest a link or an idea, and see what became of earlier ones.
pub async fn show_suggest(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let notice = query.done.map(|_| ctx.t("hub.suggest_thanks"));
    suggest_page(
        &ctx,
        &user,
        StatusCode::OK,
        &SuggestForm::default(),
        std::collections::BTreeMap::new(),
        notice,
    )
    .await
}

/// `POST /hub/suggest`.
pub async fn suggest(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Form(form): Form<SuggestForm>,
) -> AppResult<Response> {
    match sources::suggest(
        &ctx.app.db,
        user.user_id(),
        &form.link,
        &form.idea,
        ctx.locale.tag(),
    )
    .await
    {
        Ok(id) => {
            // Who suggested it is not said: the editors see it in their list.
            crate::webhooks::emit(
                &ctx.app,
                crate::webhooks::Event::SuggestionReceived,
                serde_json::json!({
                    "item": {
                        "id": id.get(),
                        "link_url": form.link.trim(),
                        "url": ctx.app.public_url(&format!("/editor/items/{id}")),
                    }
                }),
            )
            .await;
            Ok(Redirect::to("/hub/suggest?done=sent").into_response())
        }
        Err(EditorialError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| (e.field, ctx.t(e.message_key)))
                .collect();
            suggest_page(
                &ctx,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
