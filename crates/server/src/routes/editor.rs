//! The editors' area: content items, their workflow, review comments and history.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::content::{ItemForm, ItemInput};
use chorus_editorial::store::{items, settings, topics};
use chorus_editorial::workflow::{self, Action, State};
use chorus_editorial::{EditorialError, Network};
use chorus_policy::{ItemId, TopicId};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::auth::roles::Editor;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::views::Ctx;

mod announce;
mod form;
mod live;
mod preview;
mod revisions;

use form::{FormPage, render_form};
pub use preview::{fetch_preview, fetch_preview_existing, fetch_preview_new};
pub use revisions::{RestoreForm, restore, revision, revisions};

/// The editor's list query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
}

/// `GET /editor`: every item, newest change first, filterable by state.
pub async fn list(ctx: Ctx, _: Editor, Query(query): Query<ListQuery>) -> AppResult<Response> {
    let state = query.state.as_deref().and_then(|s| s.parse::<State>().ok());
    let rows = items::list(&ctx.app.db, state).await?;
    let names = store::users::names(&ctx.app.db).await?;
    let zone = ctx.zone().await?;
    let name_of = |id: Option<i32>| id.and_then(|id| names.get(&id)).cloned();
    let items = rows
        .into_iter()
        .map(|row| ListRow {
            id: row.id,
            state: row.state.as_str(),
            language: row.language,
            updated_at: ctx.when(zone, row.updated_at),
            updated_by: name_of(row.updated_by).unwrap_or_else(|| "Chorus".to_owned()),
            origin: row.origin,
            suggested_by: name_of(row.suggested_by).unwrap_or_default(),
            title: row.title,
        })
        .collect();
    let view = ListView {
        items,
        state: state.map(State::as_str),
        states: State::ALL.map(State::as_str),
    };
    Ok(ctx.page("editor/list.html", &view)?.into_response())
}

/// The editor's list of items.
#[derive(Serialize)]
struct ListView {
    items: Vec<ListRow>,
    state: Option<&'static str>,
    states: [&'static str; State::ALL.len()],
}

/// One item of the editor's list.
#[derive(Serialize)]
struct ListRow {
    id: i32,
    title: String,
    state: &'static str,
    language: String,
    updated_at: String,
    updated_by: String,
    origin: Option<String>,
    suggested_by: String,
}

/// Reads the item form from its fields: repeated `topic`, one `copy_<network>` per network.
fn form_from_pairs(pairs: &[(String, String)]) -> (ItemForm, Option<i32>, Option<String>) {
    let mut form = ItemForm::default();
    let mut version = None;
    let mut action = None;
    for (key, value) in pairs {
        let value = value.clone();
        match key.as_str() {
            "title" => form.title = value,
            "body" => form.body = value,
            "why" => form.why = value,
            "link" => form.link = value,
            "preview_title" => form.preview_title = value,
            "preview_description" => form.preview_description = value,
            "preview_image" => form.preview_image = value,
            "language" => form.language = value,
            "campaign" => form.campaign = value,
            "available_from" => form.available_from = value,
            "available_until" => form.available_until = value,
            "topic" => form.topics.extend(value.parse::<TopicId>().ok()),
            "version" => version = value.parse().ok(),
            "action" => action = Some(value),
            other => {
                if let Some(network) = other.strip_prefix("copy_") {
                    form.copy.insert(network.to_owned(), value);
                }
            }
        }
    }
    (form, version, action)
}

fn field_errors(
    ctx: &Ctx,
    errors: Vec<chorus_editorial::content::FieldError>,
) -> BTreeMap<String, String> {
    errors
        .into_iter()
        .map(|e| (e.field, ctx.t(e.message_key)))
        .collect()
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    image_error: Option<String>,
}

/// `GET /editor/items/new`.
pub async fn new_item(ctx: Ctx, Editor(user): Editor) -> AppResult<Response> {
    let form = ItemForm {
        language: ctx.locale.tag().to_owned(),
        ..ItemForm::default()
    };
    render_form(
        &ctx,
        &user,
        StatusCode::OK,
        FormPage {
            form: &form,
            errors: BTreeMap::new(),
            item: None,
            version: None,
            notice: None,
            conflict: None,
            image_error: None,
        },
    )
    .await
}

/// `POST /editor/items`: creates a draft.
pub async fn create(
    ctx: Ctx,
    Editor(user): Editor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (form, _, _) = form_from_pairs(&pairs);
    let errors = match ItemInput::parse(&form) {
        Ok(input) => match items::create(&ctx.app.db, &input, user.user_id()).await {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/editor/items/{id}?done=created")).into_response()
                );
            }
            Err(EditorialError::Invalid(errors)) => errors,
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    let errors = field_errors(&ctx, errors);
    render_form(
        &ctx,
        &user,
        StatusCode::UNPROCESSABLE_ENTITY,
        FormPage {
            form: &form,
            errors,
            item: None,
            version: None,
            notice: None,
            conflict: None,
            image_error: None,
        },
    )
    .await
}

/// `GET /editor/items/{id}`.
pub async fn edit(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let item = items::get(&ctx.app.db, ItemId(id)).await?;
    let form = item.input.to_form();
    let notice = query
        .done
        .as_deref()
        .map(|done| ctx.t(&format!("editor.done_{}", notice_key(done))));
    render_form(
        &ctx,
        &user,
        StatusCode::OK,
        FormPage {
            form: &form,
            errors: BTreeMap::new(),
            item: Some(&item),
            version: Some(item.version),
            notice,
            conflict: None,
            image_error: image_error_reason(query.image_error.as_deref()),
        },
    )
    .await
}

fn notice_key(done: &str) -> &'static str {
    match done {
        "created" => "created",
        "restored" => "restored",
        "commented" => "commented",
        "submit" => "submit",
        "publish" => "publish",
        "return_to_draft" => "return_to_draft",
        "archive" => "archive",
        "reopen" => "reopen",
        "image" => "image",
        "image_removed" => "image_removed",
        _ => "saved",
    }
}

/// `POST /editor/items/{id}`: saves over the version the editor opened, or shows a conflict.
pub async fn save(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let (form, version, _) = form_from_pairs(&pairs);
    let version = version.ok_or_else(|| AppError::BadRequest("the form has no version".into()))?;
    // A form with errors, or naming a topic or campaign that no longer exists, comes back
    // with every character kept.
    let errors = match ItemInput::parse(&form) {
        Err(errors) => errors,
        Ok(input) => {
            match chorus_editorial::items::save(db, ItemId(id), version, &input, user.user_id())
                .await
            {
                Ok(_) => {
                    return Ok(
                        Redirect::to(&format!("/editor/items/{id}?done=saved")).into_response()
                    );
                }
                Err(EditorialError::Conflict { current_version }) => {
                    // Nothing is lost: the editor's text comes back with the conflict explained.
                    let item = items::get(db, ItemId(id)).await?;
                    return render_form(
                        &ctx,
                        &user,
                        StatusCode::CONFLICT,
                        FormPage {
                            form: &form,
                            errors: BTreeMap::new(),
                            item: Some(&item),
                            version: Some(version),
                            notice: None,
                            conflict: Some(current_version),
                            image_error: None,
                        },
                    )
                    .await;
                }
                Err(EditorialError::Invalid(errors)) => errors,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let item = items::get(db, ItemId(id)).await?;
    let errors = field_errors(&ctx, errors);
    render_form(
        &ctx,
        &user,
        StatusCode::UNPROCESSABLE_ENTITY,
        FormPage {
            form: &form,
            errors,
            item: Some(&item),
            version: Some(version),
            notice: None,
            conflict: None,
            image_error: None,
        },
    )
    .await
}

/// A workflow action.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    action: String,
    version: i32,
}

/// What follows a workflow action, from the pages or the API: the subscribed addresses hear
/// that an item reached the hub or left it, and whoever suggested a published item hears it
/// is in the hub, if they chose to (once per item).
pub(crate) async fn after_action(
    app: &crate::app::App,
    id: ItemId,
    action: Action,
    state: chorus_editorial::workflow::State,
) {
    if action == Action::Publish
        && let Err(e) = crate::notify::suggestion_accepted(app, id.get()).await
    {
        tracing::warn!(item = id.get(), error = %e, "could not queue the suggestion's notice");
    }
    item_event(app, id, state).await;
}

/// Tells the subscribed addresses that an item reached the hub or left it.
async fn item_event(app: &crate::app::App, id: ItemId, state: chorus_editorial::workflow::State) {
    use crate::webhooks::{Event, emit};
    use chorus_editorial::workflow::State;
    let event = match state {
        State::Published => Event::ItemPublished,
        State::Archived => Event::ItemArchived,
        _ => return,
    };
    let Ok(item) = chorus_editorial::store::items::get(&app.db, id).await else {
        return;
    };
    let data = serde_json::json!({
        "item": {
            "id": id.get(),
            "title": item.input.title,
            "language": item.input.language,
            "link_url": item.input.link_url,
            "published_at": item.published_at,
            "url": app.public_url(&format!("/hub/items/{id}")),
        }
    });
    emit(app, event, data).await;
}

/// `POST /editor/items/{id}/action`: submit, publish, return to draft, archive, reopen.
pub async fn act(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let action: Action = form
        .action
        .parse()
        .map_err(|_| AppError::BadRequest("unknown action".into()))?;
    let state = chorus_editorial::items::apply_action(
        &ctx.app.db,
        ItemId(id),
        form.version,
        action,
        user.user_id(),
    )
    .await?;
    tracing::info!(
        item = id,
        action = action.as_str(),
        by = user.id,
        "workflow action"
    );
    after_action(&ctx.app, ItemId(id), action, state).await;
    Ok(Redirect::to(&format!("/editor/items/{id}?done={}", action.as_str())).into_response())
}

/// A review comment.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

/// `POST /editor/items/{id}/comments`.
pub async fn comment(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    Form(form): Form<CommentForm>,
) -> AppResult<Response> {
    items::get(&ctx.app.db, ItemId(id)).await?;
    let body = form.body.trim();
    if body.is_empty() || body.chars().count() > 5000 {
        return Err(AppError::BadRequest(
            "a comment has 1 to 5000 characters".into(),
        ));
    }
    items::add_comment(&ctx.app.db, chorus_policy::ItemId(id), user.user_id(), body).await?;
    Ok(Redirect::to(&format!("/editor/items/{id}?done=commented#comments")).into_response())
}

fn image_error_reason(reason: Option<&str>) -> Option<&'static str> {
    match reason? {
        "too_large" => Some("too_large"),
        "unsupported" => Some("unsupported"),
        "corrupt" => Some("corrupt"),
        "alt" => Some("alt"),
        _ => Some("missing"),
    }
}

/// The editors' area, under `/editor`: items, their images, revisions and figures, topics and
/// campaigns, the guidelines, and feeds.
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};

    use super::{media, participation, programme, sources, stats, topics as topic_pages};
    let image_limit =
        axum::extract::DefaultBodyLimit::max(chorus_editorial::media::MAX_BYTES + 64 * 1024);
    axum::Router::new()
        .route("/", get(list))
        .route("/items", post(create))
        .route("/items/new", get(new_item))
        .route("/items/preview", post(fetch_preview_new))
        .route("/items/live/display", post(live::display))
        .route("/items/live/render", post(live::render))
        .route("/items/{id}/preview", post(fetch_preview_existing))
        .route("/items/{id}", get(edit).post(save))
        .route("/items/{id}/action", post(act))
        .route("/items/{id}/comments", post(comment))
        .route("/items/{id}/images", post(media::upload).layer(image_limit))
        .route("/items/{id}/images/{media}/delete", post(media::remove))
        .route("/items/{id}/revisions", get(revisions))
        .route("/items/{id}/revisions/{version}", get(revision))
        .route("/items/{id}/revisions/{version}/restore", post(restore))
        .route("/items/{id}/stats", get(stats::item))
        .route(
            "/items/{id}/announce",
            get(announce::page).post(announce::send),
        )
        .route(
            "/topics",
            get(topic_pages::show).post(topic_pages::create_topic),
        )
        .route("/topics/{id}/delete", post(topic_pages::delete_topic))
        .route("/campaigns", post(topic_pages::create_campaign))
        .route(
            "/campaigns/{id}/archive",
            post(topic_pages::archive_campaign),
        )
        .route(
            "/guidelines",
            get(participation::guidelines_page).post(participation::publish_guidelines),
        )
        .route("/programme", get(programme::edit).post(programme::publish))
        .route("/programme/cap", post(programme::set_cap))
        .route("/feeds", get(sources::show_feeds).post(sources::add_feed))
        .route("/feeds/{id}/poll", post(sources::poll_feed))
        .route("/feeds/{id}/delete", post(sources::remove_feed))
}
