//! An item's history: every saved version, one version shown, and restoring one (itself a
//! new version, so nothing is lost).

// The parent module's imports and its form helpers.
use super::*;
use chorus_policy::UserId;

fn names_of(names: &HashMap<i32, String>, id: Option<UserId>) -> String {
    id.and_then(|id| names.get(&id.get()))
        .cloned()
        .unwrap_or_default()
}

/// An item's history.
#[derive(Serialize)]
struct RevisionsView<'a> {
    item: RevisionsItem<'a>,
    revisions: Vec<RevisionRow>,
}

/// The item whose history is shown.
#[derive(Serialize)]
struct RevisionsItem<'a> {
    id: ItemId,
    title: &'a str,
    version: i32,
}

/// One saved version: who, when, what.
#[derive(Serialize)]
struct RevisionRow {
    version: i32,
    author: String,
    summary: String,
    at: String,
}

/// One version shown whole.
#[derive(Serialize)]
struct RevisionView {
    item: RevisionItem,
    revision: RevisionShown,
}

/// The item now, to say whether the version shown can be restored.
#[derive(Serialize)]
struct RevisionItem {
    id: ItemId,
    version: i32,
    editable: bool,
}

/// The version shown, with its content.
#[derive(Serialize)]
struct RevisionShown {
    #[serde(flatten)]
    row: RevisionRow,
    form: ItemForm,
    body_html: String,
    why_html: String,
}

/// `GET /editor/items/{id}/revisions`.
pub async fn revisions(ctx: Ctx, _: Editor, Path(id): Path<ItemId>) -> AppResult<Response> {
    let item = items::get(&ctx.app.db, id).await?;
    let names = store::users::names(&ctx.app.db).await?;
    let zone = ctx.zone().await?;
    let revisions = items::revisions(&ctx.app.db, id)
        .await?
        .into_iter()
        .map(|r| RevisionRow {
            version: r.version,
            author: names_of(&names, r.author_id),
            summary: r.summary,
            at: ctx.when(zone, r.created_at),
        })
        .collect();
    let view = RevisionsView {
        item: RevisionsItem {
            id: item.id,
            title: &item.input.title,
            version: item.version,
        },
        revisions,
    };
    Ok(ctx.page("editor/revisions.html", &view)?.into_response())
}

/// `GET /editor/items/{id}/revisions/{version}`.
pub async fn revision(
    ctx: Ctx,
    _: Editor,
    Path((id, version)): Path<(ItemId, i32)>,
) -> AppResult<Response> {
    let item = items::get(&ctx.app.db, id).await?;
    let revision = items::revision(&ctx.app.db, id, version).await?;
    let names = store::users::names(&ctx.app.db).await?;
    let view = RevisionView {
        item: RevisionItem {
            id: item.id,
            version: item.version,
            editable: workflow::editable(item.state),
        },
        revision: RevisionShown {
            row: RevisionRow {
                version: revision.version,
                author: names_of(&names, revision.author_id),
                summary: revision.summary,
                at: ctx.when(ctx.zone().await?, revision.created_at),
            },
            form: revision.snapshot.to_form(),
            body_html: chorus_editorial::markdown::render_html(&revision.snapshot.body_md)
                .as_str()
                .to_owned(),
            why_html: chorus_editorial::markdown::render_html(&revision.snapshot.why_md)
                .as_str()
                .to_owned(),
        },
    };
    Ok(ctx.page("editor/revision.html", &view)?.into_response())
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
    chorus_editorial::items::restore(&ctx.app.db, ItemId(id), from, form.version, user.user_id())
        .await?;
    Ok(Redirect::to(&format!("/editor/items/{id}?done=restored")).into_response())
}
