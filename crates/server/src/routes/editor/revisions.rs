//! An item's history: every saved version, one version shown, and restoring one (itself a
//! new version, so nothing is lost).

// The parent module's imports and its form helpers.
use super::*;

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
    chorus_editorial::items::restore(&ctx.app.db, id, from, form.version, user.id).await?;
    Ok(Redirect::to(&format!("/editor/items/{id}?done=restored")).into_response())
}
