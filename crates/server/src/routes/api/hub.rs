//! The hub as its owner sees it (an ambassador's personal token with `hub:read`, opted in):
//! the items available now, minus those they said were not for them, page by page.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chorus_editorial::hub::{self, HubQuery};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{HubRead, Need};
use super::problem::{ApiResult, Problem};
use crate::app::AppState;

/// An item of the hub.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubItem {
    /// Id.
    pub id: i32,
    /// Title.
    pub title: String,
    /// Body in Markdown.
    pub body_md: String,
    /// "Why it matters" in Markdown: the vision, what sharing brings, one's role.
    pub why_md: String,
    /// The link it promotes.
    pub link_url: Option<String>,
    /// Language tag.
    pub language: String,
    /// Topics.
    pub topic_ids: Vec<i32>,
    /// When it reached the hub.
    pub published_at: Option<DateTime<Utc>>,
    /// Suggested copy per network, to rewrite in one's own words.
    pub copy: BTreeMap<String, String>,
    /// The item's images, to post with a share (`image_id`): all of them on `GET /hub/{id}`,
    /// the first one on a page of the hub.
    pub images: Vec<HubImage>,
}

/// An image of an item, with the editors' description.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubImage {
    /// Id (a share's `image_id`).
    pub id: i32,
    /// The description posted with it (alt text).
    pub alt: String,
    /// Where to fetch it (signed in), relative to the server.
    pub url: String,
}

impl HubImage {
    fn of(id: chorus_policy::MediaId, alt: &str) -> HubImage {
        HubImage {
            id: id.get(),
            alt: alt.to_owned(),
            url: format!("/media/{}", id.get()),
        }
    }
}

impl HubItem {
    fn of(record: &chorus_editorial::store::ItemRecord, images: Vec<HubImage>) -> HubItem {
        HubItem {
            images,
            id: record.id.get(),
            title: record.input.title.clone(),
            body_md: record.input.body_md.clone(),
            why_md: record.input.why_md.clone(),
            link_url: record.input.link_url.clone(),
            language: record.input.language.clone(),
            topic_ids: record.input.topic_ids.iter().map(|id| id.get()).collect(),
            published_at: record.published_at,
            copy: record
                .input
                .copy
                .iter()
                .map(|(network, text)| (network.as_str().to_owned(), text.clone()))
                .collect(),
        }
    }
}

/// Which page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HubParams {
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
    /// Only items under this topic (its id, see `GET /topics` with an editor's token, or the
    /// hub's topic links).
    topic: Option<i32>,
    /// Only items in this language (`en`, `fr`...).
    language: Option<String>,
    /// Items per page, 1 to 50 (20 when left out).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u64>,
}

/// One page of the hub, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubPage {
    /// The items.
    pub items: Vec<HubItem>,
    /// The cursor of the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// The hub: items available now, newest first.
#[utoipa::path(
    get,
    path = "/hub",
    tag = "hub",
    params(HubParams),
    security(("token" = ["hub:read"])),
    responses(
        (status = 200, description = "A page of the hub", body = HubPage),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks hub:read, or its owner is not opted in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn page(
    State(state): State<AppState>,
    Need(caller, _): Need<HubRead>,
    super::ApiQuery(params): super::ApiQuery<HubParams>,
) -> ApiResult<Json<HubPage>> {
    let mut errors = Vec::new();
    let after: Option<hub::HubCursor> = super::cursor_of(params.cursor.as_deref(), &mut errors);
    let limit = super::limit_of(params.limit, hub::PAGE_SIZE, 50, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors).into());
    }
    let (items, next) = hub::slice(
        &state.db,
        &HubQuery {
            passed_by: Some(caller.user.user_id()),
            topic_id: params.topic.map(chorus_policy::TopicId),
            language: params
                .language
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_ascii_lowercase),
            ..HubQuery::default()
        },
        after,
        limit,
    )
    .await?;
    let next_cursor = next.map(|c| c.to_string());
    let ids: Vec<chorus_policy::ItemId> = items.iter().map(|i| i.id).collect();
    let mut first = chorus_editorial::store::media::first_of_items(&state.db, &ids).await?;
    Ok(Json(HubPage {
        items: items
            .iter()
            .map(|record| {
                let images = first
                    .remove(&record.id)
                    .map(|(id, alt)| HubImage::of(id, &alt))
                    .into_iter()
                    .collect();
                HubItem::of(record, images)
            })
            .collect(),
        next_cursor,
    }))
}

/// One item of the hub, while it is available.
#[utoipa::path(
    get,
    path = "/hub/{id}",
    tag = "hub",
    params(("id" = i32, Path, description = "The item's id")),
    security(("token" = ["hub:read"])),
    responses(
        (status = 200, description = "The item", body = HubItem),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks hub:read, or its owner is not opted in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item in the hub now", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn item(
    State(state): State<AppState>,
    _: Need<HubRead>,
    super::ApiPath(id): super::ApiPath<i32>,
) -> ApiResult<Json<HubItem>> {
    let record = hub::item(&state.db, chorus_policy::ItemId(id)).await?;
    let images = chorus_editorial::store::media::for_item(&state.db, record.id)
        .await?
        .iter()
        .map(|m| HubImage::of(m.id, &m.alt))
        .collect();
    Ok(Json(HubItem::of(&record, images)))
}

/// One's own figures: shares and clicks on them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyFigures {
    /// First day counted.
    pub from: chrono::NaiveDate,
    /// Last day counted.
    pub to: chrono::NaiveDate,
    /// Shares published in the period.
    pub shares: u64,
    /// Clicks by people on them.
    pub clicks: u64,
    /// By network.
    pub per_network: Vec<NetworkFigures>,
    /// By item, most clicked first.
    pub per_item: Vec<ItemFigures>,
}

/// One's shares and clicks on one network.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkFigures {
    /// `bluesky`, `mastodon`, `linkedin`, `x` or `threads`.
    pub network: String,
    /// Shares published.
    pub shares: u64,
    /// Clicks by people on them.
    pub clicks: u64,
}

/// One's shares and clicks for one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemFigures {
    /// The item.
    pub item_id: i32,
    /// Shares published.
    pub shares: u64,
    /// Clicks by people on them.
    pub clicks: u64,
}

/// One's own figures over the last twelve weeks (for one's eyes only: no one else's).
#[utoipa::path(
    get,
    path = "/me/figures",
    tag = "shares",
    security(("token" = ["shares:read"])),
    responses(
        (status = 200, description = "One's own figures", body = MyFigures),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks shares:read", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn figures(
    State(state): State<AppState>,
    Need(caller, _): Need<super::caller::SharesRead>,
) -> ApiResult<Json<MyFigures>> {
    let to = chrono::Utc::now().date_naive();
    let from = to - chrono::Duration::weeks(12);
    let figures =
        chorus_statistics::personal::figures(&state.db, caller.user.user_id(), from, to).await?;
    Ok(Json(MyFigures {
        from,
        to,
        shares: figures.total.shares,
        clicks: figures.total.clicks,
        per_network: figures
            .per_network
            .iter()
            .map(|(n, a)| NetworkFigures {
                network: n.as_str().to_owned(),
                shares: a.shares,
                clicks: a.clicks,
            })
            .collect(),
        per_item: figures
            .per_item
            .iter()
            .map(|(i, a)| ItemFigures {
                item_id: i.get(),
                shares: a.shares,
                clicks: a.clicks,
            })
            .collect(),
    }))
}
