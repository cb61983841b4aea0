//! Threads publishing: containers and their life, `threads_publish`, node reads (`/me`,
//! container status, permalinks) and the publishing quota.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::{Ctx, Threads, authenticated, graph_error, params};
use crate::standins::ReceivedPost;
use crate::standins::oauth::AccessToken;
use crate::standins::store::{Fields, Reply, Store, delta, random_string, settle};
use crate::standins::text::distinct_links;

const CONTAINER_LIFETIME: TimeDelta = TimeDelta::hours(24);
const MAX_TEXT_CHARS: usize = 500;
const MAX_LINKS: usize = 5;

/// A post waiting to be published.
pub(super) struct Container {
    owner: String,
    text: String,
    created_at: DateTime<Utc>,
    ready_at: DateTime<Utc>,
    published_as: Option<String>,
}

impl Container {
    fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.published_as.is_some() {
            "PUBLISHED"
        } else if now >= self.created_at + CONTAINER_LIFETIME {
            "EXPIRED"
        } else if now >= self.ready_at {
            "FINISHED"
        } else {
            "IN_PROGRESS"
        }
    }
}

/// A published post.
pub(super) struct Media {
    owner: String,
    text: String,
    shortcode: String,
    at: DateTime<Utc>,
}

/// The `fields=` a node read asks for, from those it has (`id` when none asked).
fn select(fields: &Fields, available: &[(&str, Value)], node_type: &str) -> Result<Value, Reply> {
    let asked = fields.get("fields").unwrap_or("id");
    let mut selected = Map::new();
    for name in asked
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let (_, value) = available.iter().find(|(field, _)| *field == name).ok_or_else(|| {
            graph_error(400, 100, None, &format!("(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"))
        })?;
        selected.insert(name.to_owned(), value.clone());
    }
    let id = available
        .iter()
        .find(|(field, _)| *field == "id")
        .map(|(_, id)| id.clone());
    selected.insert("id".to_owned(), id.unwrap_or(Value::Null));
    Ok(Value::Object(selected))
}

fn unsupported(method: &str, id: &str) -> Reply {
    graph_error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        ),
    )
}

/// `GET /v1.0/{id}?fields=…`: the user (`me`), a container (status) or a published post.
pub(super) async fn node(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let fields = Fields::from_query(query.as_deref());
    let store = shared.lock();
    settle(
        authenticated(&store, &headers, query.as_deref(), &[]).and_then(|access| {
            let now = store.now;
            if id == "me" || id == access.user_id {
                if !access.has_scope("threads_basic") {
                    return Err(graph_error(
                        400,
                        10,
                        None,
                        "(#10) Application does not have permission for this action",
                    ));
                }
                let user = store
                    .oauth
                    .user(&access.user_id)
                    .ok_or_else(|| unsupported("get", &id))?;
                let available = [
                    ("id", json!(user.id)),
                    ("username", json!(user.username)),
                    ("name", json!(user.name)),
                    (
                        "threads_profile_picture_url",
                        json!(format!("https://scontent.cdninstagram.com/{}.jpg", user.id)),
                    ),
                    ("threads_biography", json!("")),
                ];
                return Ok(Reply::json(
                    200,
                    &select(&fields, &available, "ThreadsUser")?,
                ));
            }
            if let Some(container) = store
                .net
                .containers
                .get(&id)
                .filter(|container| container.owner == access.user_id)
            {
                let status = container.status(now);
                let error_message = (status == "EXPIRED")
                    .then_some("The container expired before it was published");
                let available = [
                    ("id", json!(id)),
                    ("status", json!(status)),
                    ("error_message", json!(error_message)),
                ];
                return Ok(Reply::json(
                    200,
                    &select(&fields, &available, "ThreadsMediaContainer")?,
                ));
            }
            let media = store
                .net
                .media
                .get(&id)
                .ok_or_else(|| unsupported("get", &id))?;
            let username = store
                .oauth
                .user(&media.owner)
                .map(|user| user.username.clone())
                .unwrap_or_default();
            let available = [
                ("id", json!(id)),
                ("media_product_type", json!("THREADS")),
                ("media_type", json!("TEXT_POST")),
                (
                    "permalink",
                    json!(format!(
                        "https://www.threads.net/@{username}/post/{}",
                        media.shortcode
                    )),
                ),
                ("shortcode", json!(media.shortcode)),
                ("text", json!(media.text)),
                ("username", json!(username)),
                ("owner", json!({"id": media.owner})),
                ("is_quote_post", json!(false)),
                (
                    "timestamp",
                    json!(
                        media
                            .at
                            .to_rfc3339_opts(SecondsFormat::Secs, true)
                            .replace('Z', "+0000")
                    ),
                ),
            ];
            Ok(Reply::json(
                200,
                &select(&fields, &available, "ThreadsMedia")?,
            ))
        }),
    )
}

/// The checks of both publishing steps: token, `{user-id}` is the token's user (or `me`), scope.
fn publisher(
    store: &Store<Threads>,
    headers: &HeaderMap,
    id: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<AccessToken, Reply> {
    let access = authenticated(store, headers, query, body)?;
    if id != "me" && id != access.user_id {
        return Err(unsupported("post", id));
    }
    if !access.has_scope("threads_content_publish") {
        return Err(graph_error(
            400,
            10,
            None,
            "(#10) Application does not have permission for this action",
        ));
    }
    Ok(access)
}

/// `POST /v1.0/{user-id}/threads` with `media_type=TEXT&text=…` → `{"id": container}`.
pub(super) async fn create_container(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let fields = params(query.as_deref(), &body);
    let mut store = shared.lock();
    settle(publisher(&store, &headers, &id, query.as_deref(), &body).and_then(|access| {
        match fields.get("media_type") {
            Some("TEXT") => {}
            Some(other) => return Err(graph_error(400, 100, None, &format!("(#100) media_type {other} is not supported by this stand-in (TEXT only)"))),
            None => return Err(graph_error(400, 100, None, "(#100) The parameter media_type is required")),
        }
        let text = fields.get("text").unwrap_or_default().to_owned();
        if text.trim().is_empty() {
            return Err(graph_error(400, 100, None, "(#100) Param text must be non-empty for a TEXT post"));
        }
        if threads_length(&text) > MAX_TEXT_CHARS {
            return Err(graph_error(400, 100, None, "(#100) Param text must be at most 500 characters long"));
        }
        let mut links = distinct_links(&text);
        links.extend(fields.get("link_attachment").map(str::to_ascii_lowercase));
        if links.len() > MAX_LINKS {
            return Err(graph_error(400, 100, None, "THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most 5 distinct links"));
        }
        let now = store.now;
        let ready_at = now + delta(store.settings.container_ready_after);
        let container_id = (18_000_000_000_000_000 + store.next_serial()).to_string();
        let container = Container { owner: access.user_id, text, created_at: now, ready_at, published_as: None };
        store.net.containers.insert(container_id.clone(), container);
        Ok(Reply::json(200, &json!({"id": container_id})))
    }))
}

/// `POST /v1.0/{user-id}/threads_publish?creation_id=…` → `{"id": media}`.
pub(super) async fn publish(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let fields = params(query.as_deref(), &body);
    let mut store = shared.lock();
    settle(
        publisher(&store, &headers, &id, query.as_deref(), &body)
            .and_then(|access| publish_container(&mut store, &access, &fields)),
    )
}

fn publish_container(
    store: &mut Store<Threads>,
    access: &AccessToken,
    fields: &Fields,
) -> Result<Reply, Reply> {
    let now = store.now;
    let creation_id = fields.get("creation_id").unwrap_or_default().to_owned();
    let container = store
        .net
        .containers
        .get(&creation_id)
        .filter(|container| container.owner == access.user_id)
        .ok_or_else(|| {
            graph_error(
                400,
                100,
                None,
                &format!("(#100) Param creation_id {creation_id} is not a container of this user"),
            )
        })?;
    match container.status(now) {
        "PUBLISHED" => {
            return Err(graph_error(
                400,
                100,
                None,
                "(#100) This container has already been published",
            ));
        }
        "EXPIRED" => {
            return Err(graph_error(
                400,
                100,
                None,
                "(#100) The container has expired (24 h); create a new one",
            ));
        }
        "IN_PROGRESS" => {
            return Err(graph_error(
                400,
                9007,
                Some(2_207_027),
                "The media is not ready for publishing, please wait for a moment",
            ));
        }
        _ => {}
    }
    let day_ago = now - TimeDelta::hours(24);
    let used = store
        .net
        .publishes
        .iter()
        .filter(|(owner, at)| *owner == access.user_id && *at > day_ago)
        .count();
    if used >= usize::try_from(store.settings.publish_limit).unwrap_or(usize::MAX) {
        // The publishing quota, as the Content Publishing API words it [?].
        return Err(graph_error(
            400,
            9,
            Some(2_207_042),
            "You reached maximum number of posts that is allowed to be published by Content Publishing API.",
        ));
    }
    let text = container.text.clone();
    let media_id = (18_100_000_000_000_000 + store.next_serial()).to_string();
    // A shortcode looks nothing like the numeric media id.
    let shortcode = format!("D{}", random_string(10));
    if let Some(container) = store.net.containers.get_mut(&creation_id) {
        container.published_as = Some(media_id.clone());
    }
    store.net.media.insert(
        media_id.clone(),
        Media {
            owner: access.user_id.clone(),
            text: text.clone(),
            shortcode,
            at: now,
        },
    );
    store.net.publishes.push((access.user_id.clone(), now));
    store.posts.push(ReceivedPost {
        id: media_id.clone(),
        account: access.user_id.clone(),
        text,
        idempotency_key: None,
        at: now,
    });
    Ok(Reply::json(200, &json!({"id": media_id})))
}

/// `GET /v1.0/{user-id}/threads_publishing_limit?fields=quota_usage,config`.
pub(super) async fn publishing_limit(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let store = shared.lock();
    settle(publisher(&store, &headers, &id, query.as_deref(), &[]).map(|access| {
        let day_ago = store.now - TimeDelta::hours(24);
        let used = store.net.publishes.iter().filter(|(owner, at)| *owner == access.user_id && *at > day_ago).count();
        Reply::json(
            200,
            &json!({"data": [{"quota_usage": used,
                "config": {"quota_total": store.settings.publish_limit, "quota_duration": 86_400}}]}),
        )
    }))
}

/// Threads' length as Meta documents it: characters, emoji counted as their UTF-8 bytes (the
/// pictographic blocks, flags, the joiner and the emoji variation selector; a rough cut of its
/// own, independent of Chorus's counter).
fn threads_length(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x200D | 0xFE0F | 0x20E3 | 0xE0020..=0xE007F => {
                c.len_utf8()
            }
            _ => 1,
        })
        .sum()
}
