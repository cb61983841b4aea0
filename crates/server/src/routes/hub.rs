//! The ambassadors' hub: available content, newest first, with its meaning and suggested copy.

use crate::i18n::Locale;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::hub::{self, HubQuery};
use chorus_editorial::markdown::render_html;
use chorus_editorial::measure::Measure;
use chorus_editorial::store::items::ItemRecord;
use chorus_editorial::store::topics::{self, Topic};
use chorus_editorial::{Network, measure};
use chorus_policy::{ItemId, MediaId, TopicId};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::auth::roles::Ambassador;
use crate::error::AppResult;
use crate::memo::{Generation, Kind};
use crate::views::Ctx;

/// The hub's filters.
#[derive(Debug, Default, Deserialize)]
pub struct HubParams {
    topic: Option<String>,
    lang: Option<String>,
    page: Option<u64>,
    /// `all` shows every topic even when the person follows some.
    show: Option<String>,
    /// `done` right after the welcome step: the first item is offered to share.
    welcome: Option<String>,
    /// `topics` right after choosing topics.
    done: Option<String>,
    /// The item just said to be "not for me": confirmed, with a way to take it back.
    passed: Option<ItemId>,
}

/// What a hub card shows besides the item: how many colleagues shared it (through the minimum
/// group size, rounded down), and its first image.
#[derive(Default)]
struct Around {
    shared_by: Option<usize>,
    named: Vec<String>,
    image: Option<(MediaId, String)>,
}

/// How many names a "shared by" line shows before "and N more".
const NAMED_SHOWN: usize = 3;

/// One item as the hub shows it: on a card of the list, and atop its own page.
#[derive(Serialize)]
struct Card<'a> {
    id: ItemId,
    title: &'a str,
    language: &'a str,
    why_html: String,
    link: Option<&'a str>,
    preview_title: Option<&'a str>,
    preview_description: Option<&'a str>,
    preview_image: Option<&'a str>,
    topics: Vec<TopicTag<'a>>,
    /// `YYYY-MM-DD`, for the `<time>` element.
    published_at: Option<String>,
    /// The same day as the person's language writes it.
    published_on: Option<String>,
    shared_by: Option<usize>,
    /// Colleagues who chose to show their name on what they shared (at most three), and how
    /// many more did.
    named: &'a [String],
    named_more: usize,
    image: Option<ImageRow<'a>>,
}

/// A topic as a tag or a filter option.
#[derive(Serialize)]
struct TopicTag<'a> {
    name: &'a str,
    slug: &'a str,
}

/// An image of an item.
#[derive(Serialize)]
struct ImageRow<'a> {
    id: MediaId,
    alt: &'a str,
}

fn card<'a>(
    locale: Locale,
    item: &'a ItemRecord,
    all_topics: &'a [Topic],
    around: &'a Around,
) -> Card<'a> {
    let input = &item.input;
    Card {
        id: item.id,
        title: &input.title,
        language: &input.language,
        why_html: render_html(&input.why_md).to_string(),
        link: input.link_url.as_deref(),
        preview_title: input.preview_title.as_deref(),
        preview_description: input.preview_description.as_deref(),
        preview_image: input.preview_image_url.as_deref(),
        topics: all_topics
            .iter()
            .filter(|t| input.topic_ids.contains(&TopicId(t.id)))
            .map(TopicTag::of)
            .collect(),
        published_at: item.published_at.map(|t| t.format("%Y-%m-%d").to_string()),
        published_on: item.published_at.map(|t| locale.date(t.date_naive())),
        shared_by: around.shared_by,
        named: &around.named[..around.named.len().min(NAMED_SHOWN)],
        named_more: around.named.len().saturating_sub(NAMED_SHOWN),
        image: around
            .image
            .as_ref()
            .map(|(id, alt)| ImageRow { id: *id, alt }),
    }
}

impl<'a> TopicTag<'a> {
    fn of(topic: &'a Topic) -> Self {
        TopicTag {
            name: &topic.name,
            slug: &topic.slug,
        }
    }
}

/// Social proof and images for the cards of `items`.
async fn around(
    db: &sea_orm::DatabaseConnection,
    items: &[ItemRecord],
) -> AppResult<std::collections::HashMap<ItemId, Around>> {
    let k = chorus_editorial::store::settings::load(db)
        .await?
        .min_group_size;
    let ids: Vec<ItemId> = items.iter().map(|i| i.id).collect();
    let sharers = chorus_ambassador::shares::sharers_per_item(db, &ids)
        .await
        .map_err(crate::store::StoreError::from)?;
    let mut named = chorus_ambassador::shares::named_sharers_per_item(db, &ids)
        .await
        .map_err(crate::store::StoreError::from)?;
    let mut images = chorus_editorial::store::media::first_of_items(db, &ids).await?;
    Ok(items
        .iter()
        .map(|item| {
            let around = Around {
                shared_by: sharers
                    .get(&item.id)
                    .and_then(|people| k.social_proof(*people)),
                named: named.remove(&item.id).unwrap_or_default(),
                image: images.remove(&item.id),
            };
            (item.id, around)
        })
        .collect())
}

/// The hub's list.
#[derive(Serialize)]
struct HubView<'a> {
    items: Vec<Card<'a>>,
    page: u64,
    pages: u64,
    total: u64,
    topics: Vec<TopicTag<'a>>,
    languages: Vec<String>,
    topic: Option<&'a str>,
    lang_filter: Option<&'a str>,
    only_followed: bool,
    follows_any: bool,
    /// The first item, offered to share right after the welcome.
    first: Option<Card<'a>>,
    just_welcomed: bool,
    passed: Option<PassedItem>,
    /// How many topics the person now follows, right after choosing them.
    topics_saved: Option<usize>,
}

/// The item just said to be "not for me".
#[derive(Serialize)]
struct PassedItem {
    id: ItemId,
    title: String,
}

/// How long a remembered hub page is served at most, even when nothing changes: a safety net,
/// since every write and every availability window already ends it.
const HUB_PAGE_KEPT: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// `GET /hub`: served from memory while the database has not changed (see [`remembered`]).
pub async fn list(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    generation: Option<axum::Extension<Generation>>,
    uri: axum::http::Uri,
    Query(params): Query<HubParams>,
) -> AppResult<Response> {
    remembered(
        &ctx,
        &user,
        generation,
        &uri,
        list_page(&ctx, &user, params),
    )
    .await
}

/// A hub page made by `make`, good until the next availability window opens or closes (ten
/// minutes at most): served from memory by [`crate::memo::serve`] while nothing changes.
async fn remembered(
    ctx: &Ctx,
    user: &CurrentUser,
    generation: Option<axum::Extension<Generation>>,
    uri: &axum::http::Uri,
    make: impl Future<Output = AppResult<String>>,
) -> AppResult<Response> {
    let generation = generation.map(|axum::Extension(g)| g);
    let page_and_time = async {
        let now = chrono::Utc::now();
        let html = make.await?;
        let next = hub::next_window_change(&ctx.app.db, now).await?;
        let until = next.map_or(now + HUB_PAGE_KEPT, |at| at.min(now + HUB_PAGE_KEPT));
        Ok((html, until))
    };
    crate::memo::serve(
        ctx,
        user.id,
        generation,
        Kind::Content,
        uri.to_string(),
        page_and_time,
    )
    .await
}

/// The hub's page as the database has it now.
async fn list_page(ctx: &Ctx, user: &CurrentUser, params: HubParams) -> AppResult<String> {
    let db = &ctx.app.db;
    let all_topics = topics::topics(db).await?;
    let followed = topics::followed(db, user.user_id()).await?;
    let topic = params
        .topic
        .as_deref()
        .and_then(|slug| all_topics.iter().find(|t| t.slug == slug));
    let language = params.lang.clone().filter(|l| !l.is_empty());
    let only_followed =
        topic.is_none() && !followed.is_empty() && params.show.as_deref() != Some("all");
    let query = HubQuery {
        topic_id: topic.map(|t| TopicId(t.id)),
        language: language.clone(),
        followed_by: only_followed.then_some(user.user_id()),
        passed_by: Some(user.user_id()),
        page: params.page.unwrap_or(1),
    };
    let page = hub::page(db, &query).await?;
    let around = around(db, &page.items).await?;
    let none = Around::default();
    let card_of = |i| {
        card(
            ctx.locale,
            i,
            &all_topics,
            around.get(&i.id).unwrap_or(&none),
        )
    };
    let just_welcomed = params.welcome.as_deref() == Some("done");
    let passed = match params.passed {
        Some(id) => hub::item(db, id).await.ok().map(|i| PassedItem {
            id: i.id,
            title: i.input.title,
        }),
        None => None,
    };
    let view = HubView {
        items: page.items.iter().map(card_of).collect(),
        page: page.page,
        pages: page.pages,
        total: page.total,
        topics: all_topics.iter().map(TopicTag::of).collect(),
        languages: hub::languages(db).await?,
        topic: topic.map(|t| t.slug.as_str()),
        lang_filter: language.as_deref(),
        only_followed,
        follows_any: !followed.is_empty(),
        first: page.items.first().filter(|_| just_welcomed).map(card_of),
        just_welcomed,
        passed,
        topics_saved: (params.done.as_deref() == Some("topics")).then_some(followed.len()),
    };
    Ok(ctx.page("hub/list.html", &view)?.0)
}

/// An item's own page.
#[derive(Serialize)]
struct ItemView<'a> {
    item: Card<'a>,
    body_html: String,
    copies: Vec<CopyRow>,
    images: Vec<ImageRow<'a>>,
    /// The reason the person gave when they said "not for me", if they did.
    passed: Option<String>,
    pass_reasons: &'static [&'static str],
}

/// The suggested copy for one network, measured as the network counts it.
#[derive(Serialize)]
struct CopyRow {
    name: &'static str,
    label: &'static str,
    measure: Measure,
    text: String,
}

/// `GET /hub/items/{id}`: the item with its meaning card, preview and copy per network.
pub async fn item(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    generation: Option<axum::Extension<Generation>>,
    uri: axum::http::Uri,
    Path(id): Path<ItemId>,
) -> AppResult<Response> {
    remembered(&ctx, &user, generation, &uri, item_page(&ctx, &user, id)).await
}

/// An item's page as the database has it now.
async fn item_page(ctx: &Ctx, user: &CurrentUser, id: ItemId) -> AppResult<String> {
    let db = &ctx.app.db;
    let item = hub::item(db, id).await?;
    let all_topics = topics::topics(db).await?;
    let copies = Network::ALL
        .iter()
        .map(|network| {
            let text = item.input.copy.get(network).cloned().unwrap_or_default();
            CopyRow {
                name: network.as_str(),
                label: network.display_name(),
                measure: measure::measure(*network, &text),
                text,
            }
        })
        .collect();
    let around = around(db, std::slice::from_ref(&item)).await?;
    let none = Around::default();
    let media = chorus_editorial::store::media::for_item(db, item.id).await?;
    let view = ItemView {
        item: card(
            ctx.locale,
            &item,
            &all_topics,
            around.get(&item.id).unwrap_or(&none),
        ),
        body_html: render_html(&item.input.body_md).to_string(),
        copies,
        images: media
            .iter()
            .map(|m| ImageRow {
                id: m.id,
                alt: &m.alt,
            })
            .collect(),
        passed: crate::store::passes::reason(db, item.id.get(), user.id).await?,
        pass_reasons: &crate::store::passes::REASONS,
    };
    Ok(ctx.page("hub/item.html", &view)?.0)
}

/// The page to choose the topics one follows.
#[derive(Serialize)]
struct FollowView<'a> {
    topics: Vec<FollowRow<'a>>,
}

/// One topic, ticked when followed.
#[derive(Serialize)]
struct FollowRow<'a> {
    id: TopicId,
    name: &'a str,
    followed: bool,
}

/// `GET /hub/topics`: choose the topics that shape one's hub.
pub async fn follow_page(ctx: Ctx, Ambassador(user): Ambassador) -> AppResult<Response> {
    let db = &ctx.app.db;
    let followed = topics::followed(db, user.user_id()).await?;
    let all_topics = topics::topics(db).await?;
    let view = FollowView {
        topics: all_topics
            .iter()
            .map(|t| FollowRow {
                id: TopicId(t.id),
                name: &t.name,
                followed: followed.contains(&TopicId(t.id)),
            })
            .collect(),
    };
    Ok(ctx.page("hub/topics.html", &view)?.into_response())
}

/// `POST /hub/topics`: the ticked topics (repeated `topic` fields).
pub async fn follow(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let ids: Vec<TopicId> = pairs
        .iter()
        .filter(|(k, _)| k == "topic")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    topics::set_followed(&ctx.app.db, user.user_id(), &ids).await?;
    Ok(Redirect::to("/hub?done=topics").into_response())
}

/// The ambassadors' area, under `/hub`: the items, joining and the welcome, topics followed,
/// suggestions, sharing and its history, one's own figures, and connected accounts.
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};

    use super::{connections, participation, shares, sources, stats, welcome};
    axum::Router::new()
        .route("/", get(list))
        .route("/items/{id}", get(item))
        .route(
            "/join",
            get(participation::join_page).post(participation::join),
        )
        .route("/welcome", get(welcome::page).post(welcome::finish))
        .route("/topics", get(follow_page).post(follow))
        .route(
            "/suggest",
            get(sources::show_suggest).post(sources::suggest),
        )
        .route(
            "/items/{id}/share",
            get(shares::page).post(shares::submit).layer(
                // The form may carry the person's own image (at most 5 MB).
                axum::extract::DefaultBodyLimit::max(
                    chorus_editorial::media::MAX_BYTES + 256 * 1024,
                ),
            ),
        )
        .route("/items/{id}/advice", post(shares::advice))
        .route("/items/{id}/pass", post(stats::pass))
        .route("/shares", get(shares::history))
        .route("/shares/ready", get(shares::ready))
        .route("/shares/status", get(shares::status))
        .route("/shares/{id}/delete", post(shares::delete))
        .route("/shares/{id}/{action}", post(shares::act))
        .route("/stats", get(stats::mine))
        .route("/impact", get(stats::mine))
        .route("/accounts", get(connections::list))
        .route(
            "/accounts/connect/bluesky",
            post(connections::connect_bluesky),
        )
        .route(
            "/accounts/connect/bluesky/oauth",
            post(connections::connect_bluesky_oauth),
        )
        .route(
            "/accounts/connect/{network}",
            get(connections::connect_page).post(connections::connect),
        )
        .route(
            "/accounts/callback/mastodon/{instance}",
            get(connections::mastodon_callback),
        )
        .route("/accounts/callback/{network}", get(connections::callback))
        .route("/accounts/{id}/disconnect", post(connections::disconnect))
}
