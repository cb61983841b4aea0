//! The editors' area: content items, their workflow, review comments and history.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::content::{ItemForm, ItemInput};
use chorus_editorial::store::{items, settings, topics};
use chorus_editorial::workflow::{self, Action, State};
use chorus_editorial::{EditorialError, Network, measure};
use serde::Deserialize;
use tera::Context;

use crate::auth::CurrentUser;
use crate::auth::roles::Editor;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::views::Ctx;

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
    let items: Vec<_> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "id": row.id,
                "title": row.title,
                "state": row.state,
                "language": row.language,
                "updated_at": row.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                "updated_by": row.updated_by.and_then(|id| names.get(&id)).cloned().unwrap_or_else(|| "Chorus".to_owned()),
                "origin": row.origin,
                "suggested_by": row.suggested_by.and_then(|id| names.get(&id)).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("items", &items);
    context.insert("state", &state.map(State::as_str));
    context.insert("states", &State::ALL.map(State::as_str));
    Ok(ctx.render("editor/list.html", context)?.into_response())
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
            "topic" => form.topics.extend(value.parse::<i32>().ok()),
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

/// Everything the item form needs besides the form itself.
struct FormPage<'a> {
    form: &'a ItemForm,
    errors: BTreeMap<String, String>,
    item: Option<&'a items::ItemRecord>,
    version: Option<i32>,
    notice: Option<String>,
    conflict: Option<i32>,
    image_error: Option<&'static str>,
}

async fn render_form(
    ctx: &Ctx,
    user: &CurrentUser,
    status: StatusCode,
    page: FormPage<'_>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let all_topics = topics::topics(db).await?;
    let campaigns = topics::campaigns(db).await?;
    let networks: Vec<_> = Network::ALL
        .iter()
        .map(|network| {
            let text = page
                .form
                .copy
                .get(network.as_str())
                .cloned()
                .unwrap_or_default();
            serde_json::json!({
                "name": network.as_str(),
                "label": network.display_name(),
                "text": text,
                "measure": measure::measure(*network, &text),
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("form", page.form);
    context.insert("errors", &page.errors);
    context.insert("topics", &all_topics.iter().map(|t| serde_json::json!({"id": t.id, "name": t.name, "checked": page.form.topics.contains(&t.id)})).collect::<Vec<_>>());
    context.insert(
        "campaigns",
        &campaigns
            .iter()
            .filter(|c| !c.archived || page.form.campaign == c.id.to_string())
            .map(|c| serde_json::json!({"id": c.id.to_string(), "name": c.name}))
            .collect::<Vec<_>>(),
    );
    context.insert("networks", &networks);
    context.insert("version", &page.version);
    context.insert("notice", &page.notice);
    context.insert("conflict", &page.conflict);
    if let Some(item) = page.item {
        let rules = settings::workflow_rules(db).await?;
        let actions = workflow::available(
            item.state,
            rules,
            workflow::Context {
                actor: user.id,
                last_editor: item.updated_by,
            },
        );
        let names = store::users::names(db).await?;
        let comments: Vec<_> = items::comments(db, item.id)
            .await?
            .into_iter()
            .map(|c| serde_json::json!({
                "author": c.author_id.and_then(|id| names.get(&id)).cloned().unwrap_or_default(),
                "body": c.body,
                "at": c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            }))
            .collect();
        context.insert(
            "item",
            &serde_json::json!({
                "id": item.id,
                "state": item.state.as_str(),
                "version": item.version,
                "editable": workflow::editable(item.state),
                "actions": actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                "second_approval": rules.require_second_approval,
                "body_html": chorus_editorial::markdown::render_html(&item.input.body_md).as_str(),
                "why_html": chorus_editorial::markdown::render_html(&item.input.why_md).as_str(),
            }),
        );
        context.insert("comments", &comments);
        let images: Vec<_> = chorus_editorial::store::media::for_item(db, item.id)
            .await?
            .into_iter()
            .map(|m| serde_json::json!({"id": m.id, "alt": m.alt, "size_kb": m.size / 1024}))
            .collect();
        context.insert("images", &images);
    }
    context.insert(
        "image_error",
        &page
            .image_error
            .map(|reason| ctx.t(&format!("editor.image_error_{reason}"))),
    );
    ctx.render_status(status, "editor/form.html", context)
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
        Ok(input) => match items::create(&ctx.app.db, &input, user.id).await {
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
    let item = items::get(&ctx.app.db, id).await?;
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
    let item = items::get(db, id).await?;
    let version = version.ok_or_else(|| AppError::BadRequest("the form has no version".into()))?;
    if !workflow::editable(item.state) {
        return Err(EditorialError::NotEditable.into());
    }
    let input = match ItemInput::parse(&form) {
        Ok(input) => input,
        Err(errors) => {
            let errors = field_errors(&ctx, errors);
            return render_form(
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
            .await;
        }
    };
    let changed = input.changed_fields(&item.input);
    if changed.is_empty() && version == item.version {
        return Ok(Redirect::to(&format!("/editor/items/{id}?done=saved")).into_response());
    }
    let rules = settings::workflow_rules(db).await?;
    let state = workflow::after_edit(item.state, rules);
    let summary = if changed.is_empty() {
        "saved".to_owned()
    } else {
        format!("changed {}", changed.join(", "))
    };
    match items::update(db, id, version, &input, state, user.id, &summary).await {
        Ok(_) => Ok(Redirect::to(&format!("/editor/items/{id}?done=saved")).into_response()),
        Err(EditorialError::Conflict { current_version }) => {
            // Nothing is lost: the editor's text comes back with the conflict explained.
            let item = items::get(db, id).await?;
            render_form(
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
            .await
        }
        Err(EditorialError::Invalid(errors)) => {
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
        Err(e) => Err(e.into()),
    }
}

/// A workflow action.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    action: String,
    version: i32,
}

/// `POST /editor/items/{id}/action`: submit, publish, return to draft, archive, reopen.
pub async fn act(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let action: Action = form
        .action
        .parse()
        .map_err(|_| AppError::BadRequest("unknown action".into()))?;
    let item = items::get(db, id).await?;
    if item.version != form.version {
        return Err(EditorialError::Conflict {
            current_version: item.version,
        }
        .into());
    }
    let rules = settings::workflow_rules(db).await?;
    let next = workflow::apply(
        item.state,
        action,
        rules,
        workflow::Context {
            actor: user.id,
            last_editor: item.updated_by,
        },
    )
    .map_err(EditorialError::from)?;
    items::set_state(
        db,
        id,
        form.version,
        next,
        user.id,
        &format!("state {} → {}", item.state, next),
    )
    .await?;
    tracing::info!(
        item = id,
        action = action.as_str(),
        by = user.id,
        "workflow action"
    );
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
    items::get(&ctx.app.db, id).await?;
    let body = form.body.trim();
    if body.is_empty() || body.chars().count() > 5000 {
        return Err(AppError::BadRequest(
            "a comment has 1 to 5000 characters".into(),
        ));
    }
    items::add_comment(&ctx.app.db, id, user.id, body).await?;
    Ok(Redirect::to(&format!("/editor/items/{id}?done=commented#comments")).into_response())
}

fn names_of(names: &HashMap<i32, String>, id: Option<i32>) -> String {
    id.and_then(|id| names.get(&id))
        .cloned()
        .unwrap_or_default()
}

/// `GET /editor/items/{id}/revisions`.
pub async fn revisions(ctx: Ctx, _: Editor, Path(id): Path<i32>) -> AppResult<Response> {
    let item = items::get(&ctx.app.db, id).await?;
    let names = store::users::names(&ctx.app.db).await?;
    let revisions: Vec<_> = items::revisions(&ctx.app.db, id)
        .await?
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "version": r.version,
                "author": names_of(&names, r.author_id),
                "summary": r.summary,
                "at": r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert(
        "item",
        &serde_json::json!({"id": item.id, "title": item.input.title, "version": item.version}),
    );
    context.insert("revisions", &revisions);
    Ok(ctx
        .render("editor/revisions.html", context)?
        .into_response())
}

/// `GET /editor/items/{id}/revisions/{version}`.
pub async fn revision(
    ctx: Ctx,
    _: Editor,
    Path((id, version)): Path<(i32, i32)>,
) -> AppResult<Response> {
    let item = items::get(&ctx.app.db, id).await?;
    let revision = items::revision(&ctx.app.db, id, version).await?;
    let names = store::users::names(&ctx.app.db).await?;
    let mut context = Context::new();
    context.insert("item", &serde_json::json!({"id": item.id, "version": item.version, "editable": workflow::editable(item.state)}));
    context.insert("revision", &serde_json::json!({
        "version": revision.version,
        "author": names_of(&names, revision.author_id),
        "summary": revision.summary,
        "at": revision.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        "form": revision.snapshot.to_form(),
        "body_html": chorus_editorial::markdown::render_html(&revision.snapshot.body_md).as_str(),
        "why_html": chorus_editorial::markdown::render_html(&revision.snapshot.why_md).as_str(),
    }));
    Ok(ctx.render("editor/revision.html", context)?.into_response())
}

/// The version the editor is looking at when restoring.
#[derive(Debug, Deserialize)]
pub struct RestoreForm {
    version: i32,
}

/// `POST /editor/items/{id}/revisions/{version}/restore`: a new version with the old content.
pub async fn restore(
    ctx: Ctx,
    Editor(user): Editor,
    Path((id, from)): Path<(i32, i32)>,
    Form(form): Form<RestoreForm>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let item = items::get(db, id).await?;
    if !workflow::editable(item.state) {
        return Err(EditorialError::NotEditable.into());
    }
    let revision = items::revision(db, id, from).await?;
    let rules = settings::workflow_rules(db).await?;
    let state = workflow::after_edit(item.state, rules);
    items::update(
        db,
        id,
        form.version,
        &revision.snapshot,
        state,
        user.id,
        &format!("restored version {from}"),
    )
    .await?;
    Ok(Redirect::to(&format!("/editor/items/{id}?done=restored")).into_response())
}

fn preview_error_message(ctx: &Ctx, error: &chorus_editorial::preview::PreviewError) -> String {
    use chorus_editorial::preview::PreviewError as E;
    let i18n = &ctx.app.views.i18n;
    match error {
        E::InvalidUrl => ctx.t("editor.preview_error_invalid"),
        E::NotHttp => ctx.t("editor.preview_error_not_http"),
        E::ForbiddenAddress { host } => i18n.text(
            ctx.locale,
            "editor.preview_error_forbidden",
            &[("host", host)],
        ),
        E::TooManyRedirects => ctx.t("editor.preview_error_redirects"),
        E::TooLarge { .. } => ctx.t("editor.preview_error_too_large"),
        E::Timeout => ctx.t("editor.preview_error_timeout"),
        E::Status(status) => i18n.text(
            ctx.locale,
            "editor.preview_error_status",
            &[("status", &status.to_string())],
        ),
        E::NotHtml { .. } | E::NotAFeed { .. } | E::NotAnImage { .. } => {
            ctx.t("editor.preview_error_not_html")
        }
        E::Network(_) => ctx.t("editor.preview_error_network"),
    }
}

/// `POST /editor/items/preview` and `POST /editor/items/{id}/preview`: fetches the link's
/// preview and shows the same form again, filled in but not saved, so nothing typed is lost.
pub async fn fetch_preview(
    ctx: Ctx,
    Editor(user): Editor,
    id: Option<Path<i32>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (mut form, version, _) = form_from_pairs(&pairs);
    let item = match id {
        Some(Path(id)) => Some(items::get(&ctx.app.db, id).await?),
        None => None,
    };
    let mut errors = BTreeMap::new();
    let mut notice = None;
    if form.link.trim().is_empty() {
        errors.insert("link".to_owned(), ctx.t("editor.preview_needs_link"));
    } else {
        match ctx.app.fetcher.fetch(form.link.trim()).await {
            Ok(preview) => {
                form.preview_title = preview.title.unwrap_or_default();
                form.preview_description = preview.description.unwrap_or_default();
                form.preview_image = preview.image_url.unwrap_or_default();
                notice = Some(ctx.t("editor.preview_fetched"));
            }
            Err(e) => {
                tracing::info!(error = %e, "link preview failed");
                errors.insert("link".to_owned(), preview_error_message(&ctx, &e));
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_form(
        &ctx,
        &user,
        status,
        FormPage {
            form: &form,
            errors,
            item: item.as_ref(),
            version,
            notice,
            conflict: None,
            image_error: None,
        },
    )
    .await
}

/// `POST /editor/items/preview` (new items).
pub async fn fetch_preview_new(
    ctx: Ctx,
    user: Editor,
    form: Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    fetch_preview(ctx, user, None, form).await
}

/// `POST /editor/items/{id}/preview`.
pub async fn fetch_preview_existing(
    ctx: Ctx,
    user: Editor,
    id: Path<i32>,
    form: Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    fetch_preview(ctx, user, Some(id), form).await
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
