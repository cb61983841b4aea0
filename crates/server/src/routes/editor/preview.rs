//! Fetching an item link's preview card from the editor's form, through the address guard;
//! a refusal comes back on the form with the editor's text kept.

// The parent module's imports and its form helpers.
use super::*;

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
        Some(Path(id)) => Some(items::get(&ctx.app.db, ItemId(id)).await?),
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
