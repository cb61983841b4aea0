//! The ambassadors' hub: available content, newest first, with its meaning and suggested copy.

use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::hub::{self, HubQuery};
use chorus_editorial::markdown::render_html;
use chorus_editorial::store::items::ItemRecord;
use chorus_editorial::store::topics;
use chorus_editorial::{Network, measure};
use serde::Deserialize;
use tera::Context;

use crate::auth::roles::Ambassador;
use crate::error::AppResult;
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
    passed: Option<i32>,
}

/// What a hub card shows besides the item: how many colleagues shared it (through the minimum
/// group size, rounded down), and its first image.
#[derive(Default)]
struct Around {
    shared_by: Option<usize>,
    image: Option<(i32, String)>,
}

fn card(
    item: &ItemRecord,
    topic_names: &[(i32, String, String)],
    around: &Around,
) -> serde_json::Value {
    let topics: Vec<_> = topic_names
        .iter()
        .filter(|(id, _, _)| item.input.topic_ids.contains(id))
        .map(|(_, name, slug)| serde_json::json!({"name": name, "slug": slug}))
        .collect();
    serde_json::json!({
        "id": item.id,
        "title": item.input.title,
        "language": item.input.language,
        "why_html": render_html(&item.input.why_md).as_str(),
        "link": item.input.link_url,
        "preview_title": item.input.preview_title,
        "preview_description": item.input.preview_description,
        "preview_image": item.input.preview_image_url,
        "topics": topics,
        "published_at": item.published_at.map(|t| t.format("%Y-%m-%d").to_string()),
        "shared_by": around.shared_by,
        "image": around.image.as_ref().map(|(id, alt)| serde_json::json!({"id": id, "alt": alt})),
    })
}

/// Social proof and images for the cards of `items`.
async fn around(
    db: &sea_orm::DatabaseConnection,
    items: &[ItemRecord],
) -> AppResult<std::collections::HashMap<i32, Around>> {
    let k = chorus_editorial::store::settings::load(db)
        .await?
        .min_group_size;
    let ids: Vec<i32> = items.iter().map(|i| i.id).collect();
    let sharers = chorus_ambassador::shares::sharers_per_item(db, &ids)
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
                image: images.remove(&item.id),
            };
            (item.id, around)
        })
        .collect())
}

/// `GET /hub`.
pub async fn list(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Query(params): Query<HubParams>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let all_topics = topics::topics(db).await?;
    let followed = topics::followed(db, user.id).await?;
    let topic = params
        .topic
        .as_deref()
        .and_then(|slug| all_topics.iter().find(|t| t.slug == slug));
    let language = params.lang.clone().filter(|l| !l.is_empty());
    let only_followed =
        topic.is_none() && !followed.is_empty() && params.show.as_deref() != Some("all");
    let query = HubQuery {
        topic_id: topic.map(|t| t.id),
        language: language.clone(),
        followed_by: only_followed.then_some(user.id),
        passed_by: Some(user.id),
        page: params.page.unwrap_or(1),
    };
    let page = hub::page(db, &query).await?;
    let topic_names: Vec<(i32, String, String)> = all_topics
        .iter()
        .map(|t| (t.id, t.name.clone(), t.slug.clone()))
        .collect();
    let around = around(db, &page.items).await?;
    let none = Around::default();
    let card_of = |i: &ItemRecord| card(i, &topic_names, around.get(&i.id).unwrap_or(&none));
    let mut context = Context::new();
    context.insert("items", &page.items.iter().map(card_of).collect::<Vec<_>>());
    context.insert("page", &page.page);
    context.insert("pages", &page.pages);
    context.insert("total", &page.total);
    context.insert(
        "topics",
        &all_topics
            .iter()
            .map(|t| serde_json::json!({"slug": t.slug, "name": t.name}))
            .collect::<Vec<_>>(),
    );
    context.insert("languages", &hub::languages(db).await?);
    context.insert("topic", &topic.map(|t| t.slug.clone()));
    context.insert("lang_filter", &language);
    context.insert("only_followed", &only_followed);
    context.insert("follows_any", &!followed.is_empty());
    let just_welcomed = params.welcome.as_deref() == Some("done");
    context.insert(
        "first",
        &page.items.first().filter(|_| just_welcomed).map(card_of),
    );
    context.insert("just_welcomed", &just_welcomed);
    let passed = match params.passed {
        Some(id) => hub::item(db, id)
            .await
            .ok()
            .map(|i| serde_json::json!({"id": i.id, "title": i.input.title})),
        None => None,
    };
    context.insert("passed", &passed);
    context.insert(
        "topics_saved",
        &(params.done.as_deref() == Some("topics")).then_some(followed.len()),
    );
    Ok(ctx.render("hub/list.html", context)?.into_response())
}

/// `GET /hub/items/{id}`: the item with its meaning card, preview and copy per network.
pub async fn item(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let item = hub::item(db, id).await?;
    let topic_names: Vec<(i32, String, String)> = topics::topics(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name, t.slug))
        .collect();
    let copies: Vec<_> = Network::ALL
        .iter()
        .map(|network| {
            let text = item.input.copy.get(network).cloned().unwrap_or_default();
            serde_json::json!({
                "name": network.as_str(),
                "label": network.display_name(),
                "measure": measure::measure(*network, &text),
                "text": text,
            })
        })
        .collect();
    let around = around(db, std::slice::from_ref(&item)).await?;
    let mut context = Context::new();
    context.insert(
        "item",
        &card(
            &item,
            &topic_names,
            around.get(&item.id).unwrap_or(&Around::default()),
        ),
    );
    context.insert("body_html", render_html(&item.input.body_md).as_str());
    context.insert("copies", &copies);
    let images: Vec<_> = chorus_editorial::store::media::for_item(db, item.id)
        .await?
        .into_iter()
        .map(|m| serde_json::json!({"id": m.id, "alt": m.alt}))
        .collect();
    context.insert("images", &images);
    context.insert(
        "passed",
        &crate::store::passes::reason(db, item.id, user.id).await?,
    );
    context.insert("pass_reasons", &crate::store::passes::REASONS);
    Ok(ctx.render("hub/item.html", context)?.into_response())
}

/// `GET /hub/topics`: choose the topics that shape one's hub.
pub async fn follow_page(ctx: Ctx, Ambassador(user): Ambassador) -> AppResult<Response> {
    let db = &ctx.app.db;
    let followed = topics::followed(db, user.id).await?;
    let mut context = Context::new();
    context.insert(
        "topics",
        &topics::topics(db).await?.iter().map(|t| serde_json::json!({"id": t.id, "name": t.name, "followed": followed.contains(&t.id)})).collect::<Vec<_>>(),
    );
    Ok(ctx.render("hub/topics.html", context)?.into_response())
}

/// `POST /hub/topics`: the ticked topics (repeated `topic` fields).
pub async fn follow(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let ids: Vec<i32> = pairs
        .iter()
        .filter(|(k, _)| k == "topic")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    topics::set_followed(&ctx.app.db, user.id, &ids).await?;
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
        .route("/items/{id}/share", get(shares::page).post(shares::submit))
        .route("/items/{id}/advice", post(shares::advice))
        .route("/items/{id}/pass", post(stats::pass))
        .route("/shares", get(shares::history))
        .route("/shares/ready", get(shares::ready))
        .route("/shares/status", get(shares::status))
        .route("/shares/{id}/delete", post(shares::delete))
        .route("/shares/{id}/{action}", post(shares::act))
        .route("/stats", get(stats::mine))
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
