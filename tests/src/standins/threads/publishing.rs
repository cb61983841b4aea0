//! Threads publishing: TEXT and IMAGE containers and their life (an IMAGE container's image is
//! fetched from `image_url`, see [`super::images`]: IN_PROGRESS for the first status reads,
//! then FINISHED, or ERROR when the image could not be taken), `threads_publish`, node reads
//! (`/me`, container status, permalinks) and the publishing quota.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::images::{self, MAX_ALT_TEXT};
use super::{Ctx, Threads, authenticated, graph_error, params};
use crate::standins::oauth::AccessToken;
use crate::standins::store::{Fields, Reply, Store, delta, random_string, settle};
use crate::standins::text::{distinct_links, threads_length};
use crate::standins::{ReceivedImage, ReceivedPost};

const CONTAINER_LIFETIME: TimeDelta = TimeDelta::hours(24);
const MAX_TEXT_CHARS: usize = 500;
const MAX_LINKS: usize = 5;

/// A post waiting to be published.
pub(super) struct Container {
    owner: String,
    text: String,
    /// An IMAGE container's image as fetched, or why it could not be taken (`error_message`).
    image: Option<Result<ReceivedImage, String>>,
    created_at: DateTime<Utc>,
    ready_at: DateTime<Utc>,
    /// Status reads that still answer IN_PROGRESS (an image being processed).
    polls_left: u32,
    published_as: Option<String>,
}

impl Container {
    fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.published_as.is_some() {
            "PUBLISHED"
        } else if now >= self.created_at + CONTAINER_LIFETIME {
            "EXPIRED"
        } else if matches!(self.image, Some(Err(_))) {
            "ERROR"
        } else if now >= self.ready_at && self.polls_left == 0 {
            "FINISHED"
        } else {
            "IN_PROGRESS"
        }
    }

    fn error_message(&self, now: DateTime<Utc>) -> Option<&str> {
        match (self.status(now), &self.image) {
            ("EXPIRED", _) => Some("The container expired before it was published"),
            ("ERROR", Some(Err(message))) => Some(message),
            _ => None,
        }
    }
}

/// A published post.
pub(super) struct Media {
    owner: String,
    text: String,
    image: Option<ReceivedImage>,
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
    let mut store = shared.lock();
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
                .get_mut(&id)
                .filter(|container| container.owner == access.user_id)
            {
                let status = container.status(now);
                let error_message = container.error_message(now).map(str::to_owned);
                // Each read of a container is a status poll: the image's processing moves on.
                container.polls_left = container.polls_left.saturating_sub(1);
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
            let media_type = if media.image.is_some() {
                "IMAGE"
            } else {
                "TEXT_POST"
            };
            let image_url = media
                .image
                .as_ref()
                .map(|_| format!("https://scontent.cdninstagram.com/v/t51.2885-15/{id}.jpg"));
            let available = [
                ("id", json!(id)),
                ("media_product_type", json!("THREADS")),
                ("media_type", json!(media_type)),
                ("media_url", json!(image_url)),
                (
                    "alt_text",
                    json!(media.image.as_ref().map(|image| image.alt.clone())),
                ),
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

/// What a container creation asks for, checked.
struct Draft {
    text: String,
    /// IMAGE: `image_url` and `alt_text`.
    image: Option<(String, String)>,
}

/// `POST /v1.0/{user-id}/threads` with `media_type=TEXT&text=…` or
/// `media_type=IMAGE&image_url=…&alt_text=…` → `{"id": container}`. The image is fetched with
/// the store unlocked; a container whose image could not be taken is still created, in ERROR.
pub(super) async fn create_container(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let fields = params(query.as_deref(), &body);
    let checked = {
        let store = shared.lock();
        publisher(&store, &headers, &id, query.as_deref(), &body)
            .and_then(|access| Ok((access, draft(&fields)?)))
    };
    let (access, draft) = match checked {
        Ok(checked) => checked,
        Err(refusal) => return refusal,
    };
    let image = match &draft.image {
        Some((url, alt)) => Some(images::fetch(url, alt).await),
        None => None,
    };
    let mut store = shared.lock();
    let now = store.now;
    let ready_at = now + delta(store.settings.container_ready_after);
    let polls_left = match &image {
        Some(Ok(_)) => store.settings.image_processing_polls,
        _ => 0,
    };
    let container_id = (18_000_000_000_000_000 + store.next_serial()).to_string();
    let container = Container {
        owner: access.user_id,
        text: draft.text,
        image,
        created_at: now,
        ready_at,
        polls_left,
        published_as: None,
    };
    store.net.containers.insert(container_id.clone(), container);
    Reply::json(200, &json!({"id": container_id}))
}

/// The parameters of a container creation, checked as Meta does at creation time.
fn draft(fields: &Fields) -> Result<Draft, Reply> {
    let invalid = |message: &str| graph_error(400, 100, None, message);
    let is_image = match fields.get("media_type") {
        Some("TEXT") => false,
        Some("IMAGE") => true,
        Some(other) => {
            return Err(invalid(&format!(
                "(#100) media_type {other} is not supported by this stand-in (TEXT and IMAGE only)"
            )));
        }
        None => return Err(invalid("(#100) The parameter media_type is required")),
    };
    let text = fields.get("text").unwrap_or_default().to_owned();
    if !is_image && text.trim().is_empty() {
        return Err(invalid(
            "(#100) Param text must be non-empty for a TEXT post",
        ));
    }
    if threads_length(&text) > MAX_TEXT_CHARS {
        return Err(invalid(
            "(#100) Param text must be at most 500 characters long",
        ));
    }
    let mut links = distinct_links(&text);
    if is_image && fields.get("link_attachment").is_some() {
        return Err(invalid(
            "(#100) Param link_attachment is only for TEXT posts",
        ));
    }
    links.extend(fields.get("link_attachment").map(str::to_ascii_lowercase));
    if links.len() > MAX_LINKS {
        return Err(invalid(
            "THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most 5 distinct links",
        ));
    }
    if !is_image {
        return Ok(Draft { text, image: None });
    }
    let url = fields
        .get("image_url")
        .filter(|url| !url.trim().is_empty())
        .ok_or_else(|| invalid("(#100) The parameter image_url is required"))?;
    let alt = fields.get("alt_text").unwrap_or_default();
    if alt.chars().count() > MAX_ALT_TEXT {
        return Err(invalid(&format!(
            "(#100) Param alt_text must be at most {MAX_ALT_TEXT} characters long"
        )));
    }
    Ok(Draft {
        text,
        image: Some((url.to_owned(), alt.to_owned())),
    })
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
        "ERROR" => {
            // The code and words Meta uses for publishing a failed container are unverified [?].
            return Err(graph_error(
                400,
                100,
                None,
                &format!(
                    "(#100) The container is in ERROR and cannot be published: {}",
                    container.error_message(now).unwrap_or_default()
                ),
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
    let image = container.image.clone().and_then(Result::ok);
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
            image: image.clone(),
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
        images: image.into_iter().collect(),
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
