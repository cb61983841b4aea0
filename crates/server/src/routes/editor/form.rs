//! The item form: its view (every field, the topics and campaigns to choose from, each
//! network's copy with its post preview, the item as the hub will show it) and, for a saved
//! item, its workflow, comments and images.

// The parent module's imports.
use super::*;

use crate::routes::post_preview::{LinkCard, PostPreview};
use chorus_policy::MediaId;

/// Everything the item form needs besides the form itself.
pub(super) struct FormPage<'a> {
    pub(super) form: &'a ItemForm,
    pub(super) errors: BTreeMap<String, String>,
    pub(super) item: Option<&'a items::ItemRecord>,
    pub(super) version: Option<i32>,
    pub(super) notice: Option<String>,
    pub(super) conflict: Option<i32>,
    pub(super) image_error: Option<&'static str>,
}

/// The item form.
#[derive(Serialize)]
struct FormView<'a> {
    form: &'a ItemForm,
    errors: BTreeMap<String, String>,
    topics: Vec<TopicChoice>,
    campaigns: Vec<CampaignChoice>,
    languages: Vec<LanguageChoice>,
    /// Each network's suggested copy with its counter and post preview.
    networks: Vec<PostPreview>,
    card: Option<LinkCard>,
    /// The body and the "why it matters" card as the hub will show them.
    body_html: String,
    why_html: String,
    version: Option<i32>,
    notice: Option<String>,
    conflict: Option<i32>,
    item: Option<ItemView>,
    comments: Vec<CommentView>,
    images: Vec<ImageView>,
    image_error: Option<String>,
}

/// A topic the item may be filed under.
#[derive(Serialize)]
struct TopicChoice {
    id: i32,
    name: String,
    checked: bool,
}

/// A campaign the item may belong to.
#[derive(Serialize)]
struct CampaignChoice {
    id: String,
    name: String,
}

/// A language an item may be written in, by its own name.
#[derive(Serialize)]
struct LanguageChoice {
    tag: String,
    name: &'static str,
}

/// The languages offered for an item, by their own names; a language stored before stays
/// offered under its tag.
const LANGUAGES: [(&str, &str); 8] = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("pl", "Polski"),
];

fn language_choices(current: &str) -> Vec<LanguageChoice> {
    let mut choices: Vec<LanguageChoice> = LANGUAGES
        .iter()
        .map(|(tag, name)| LanguageChoice {
            tag: (*tag).to_owned(),
            name,
        })
        .collect();
    if !current.is_empty() && !LANGUAGES.iter().any(|(tag, _)| *tag == current) {
        choices.push(LanguageChoice {
            tag: current.to_owned(),
            name: "",
        });
    }
    choices
}

/// A saved item: its workflow and what may be done with it.
#[derive(Serialize)]
struct ItemView {
    id: ItemId,
    state: &'static str,
    version: i32,
    editable: bool,
    actions: Vec<&'static str>,
    second_approval: bool,
    body_html: String,
}

/// A review comment.
#[derive(Serialize)]
struct CommentView {
    author: String,
    body: String,
    at: String,
}

/// An image uploaded for the item.
#[derive(Serialize)]
struct ImageView {
    id: MediaId,
    alt: String,
    size_kb: i64,
}

pub(super) async fn render_form(
    ctx: &Ctx,
    user: &CurrentUser,
    status: StatusCode,
    page: FormPage<'_>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let form = page.form;
    let topics = topics::topics(db)
        .await?
        .into_iter()
        .map(|t| TopicChoice {
            checked: form.topics.contains(&TopicId(t.id)),
            id: t.id,
            name: t.name,
        })
        .collect();
    let campaigns = topics::campaigns(db)
        .await?
        .into_iter()
        .filter(|c| !c.archived || form.campaign == c.id.to_string())
        .map(|c| CampaignChoice {
            id: c.id.to_string(),
            name: c.name,
        })
        .collect();
    let networks = Network::ALL
        .into_iter()
        .map(|network| {
            let text = form.copy.get(network.as_str()).cloned().unwrap_or_default();
            PostPreview::new(network, text, format!("copy_{}", network.as_str()))
        })
        .collect();
    let mut view = FormView {
        form,
        errors: page.errors,
        topics,
        campaigns,
        languages: language_choices(&form.language),
        networks,
        card: LinkCard::of(
            Some(&form.link),
            Some(&form.preview_title),
            &form.title,
            Some(&form.preview_image),
        ),
        body_html: chorus_editorial::markdown::render_html(&form.body)
            .as_str()
            .to_owned(),
        why_html: chorus_editorial::markdown::render_html(&form.why)
            .as_str()
            .to_owned(),
        version: page.version,
        notice: page.notice,
        conflict: page.conflict,
        item: None,
        comments: Vec::new(),
        images: Vec::new(),
        image_error: page
            .image_error
            .map(|reason| ctx.t(&format!("editor.image_error_{reason}"))),
    };
    if let Some(item) = page.item {
        let rules = settings::workflow_rules(db).await?;
        let actions = workflow::available(
            item.state,
            rules,
            workflow::Context {
                actor: user.user_id(),
                last_editor: item.updated_by,
            },
        );
        let names = store::users::names(db).await?;
        let zone = ctx.zone().await?;
        view.comments = items::comments(db, item.id)
            .await?
            .into_iter()
            .map(|c| CommentView {
                author: c
                    .author_id
                    .and_then(|id| names.get(&id.get()))
                    .cloned()
                    .unwrap_or_default(),
                body: c.body,
                at: ctx.when(zone, c.created_at),
            })
            .collect();
        view.images = chorus_editorial::store::media::for_item(db, item.id)
            .await?
            .into_iter()
            .map(|m| ImageView {
                id: m.id,
                alt: m.alt,
                size_kb: i64::from(m.size) / 1024,
            })
            .collect();
        view.item = Some(ItemView {
            id: item.id,
            state: item.state.as_str(),
            version: item.version,
            editable: workflow::editable(item.state),
            actions: actions.iter().map(|a| a.as_str()).collect(),
            second_approval: rules.require_second_approval,
            body_html: chorus_editorial::markdown::render_html(&item.input.body_md)
                .as_str()
                .to_owned(),
        });
    }
    ctx.page_status(status, "editor/form.html", &view)
}
