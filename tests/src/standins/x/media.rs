//! X media as API v2 takes it for a post: `POST /2/media/upload` (multipart form data with
//! `media_category=tweet_image`, the declared `media_type` and the `media` file; scope
//! `media.write`; JPEG, PNG, WebP or GIF as read from the bytes, up to 5 MB) answers 200 with the
//! media id, its key and size; `POST /2/media/metadata` gives it alt text (≤ 1,000 characters,
//! the uploader's media only); `POST /2/tweets` takes up to 4 of the caller's ids, for 24 hours.
//! Both media calls count against a per-user window and carry the `x-rate-limit-*` headers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::{Ctx, X, authenticated, forbidden, invalid_request, with_rate};
use crate::standins::ReceivedImage;
use crate::standins::store::{Reply, Store, delta, is_json, settle};
use crate::standins::uploads::{dimensions, multipart, sniff, text_part};

/// The largest image (`tweet_image`): 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The longest alt text.
pub const MAX_ALT_TEXT: usize = 1000;
/// The most images in a post.
pub const MAX_MEDIA_PER_POST: usize = 4;
/// How long an uploaded image may be attached to a post.
const MEDIA_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// An uploaded image.
pub(super) struct Upload {
    id: String,
    owner: String,
    mime: String,
    bytes: Vec<u8>,
    alt: String,
    uploaded_at: DateTime<Utc>,
}

impl Upload {
    fn usable_by(&self, user_id: &str, now: DateTime<Utc>) -> bool {
        self.owner == user_id && now < self.uploaded_at + MEDIA_LIFETIME
    }
}

/// `POST /2/media/upload`.
pub(super) async fn upload(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let mut store = shared.lock();
    settle(upload_media(&mut store, &headers, &body))
}

fn upload_media(store: &mut Store<X>, headers: &HeaderMap, body: &[u8]) -> Result<Reply, Reply> {
    let (limit, window) = (
        store.settings.media_per_window,
        delta(store.settings.media_window),
    );
    let (access, quota) = authenticated(store, headers, "media", limit, window)?;
    let rated = |reply: Reply| with_rate(reply, &quota);
    if !access.has_scope("media.write") {
        return Err(forbidden(&quota));
    }
    let parts = multipart(headers, body).ok_or_else(|| {
        rated(invalid_request(
            "The request body must be multipart/form-data.",
        ))
    })?;
    match text_part(&parts, "media_category") {
        Some("tweet_image") => {}
        Some(other) => {
            return Err(rated(invalid_request(&format!(
                "$.media_category: {other} is not taken by this stand-in (tweet_image only)"
            ))));
        }
        None => {
            return Err(rated(invalid_request(
                "$.media_category: is missing but it is required",
            )));
        }
    }
    let media = parts
        .iter()
        .find(|part| part.name == "media")
        .filter(|part| !part.data.is_empty())
        .ok_or_else(|| rated(invalid_request("$.media: is missing but it is required")))?;
    if media.data.len() > MAX_IMAGE_BYTES {
        return Err(rated(invalid_request(&format!(
            "$.media: the image is {} bytes; tweet_image takes at most {MAX_IMAGE_BYTES} bytes",
            media.data.len()
        ))));
    }
    let mime = sniff(&media.data).ok_or_else(|| {
        rated(invalid_request(
            "$.media: unsupported media type (JPEG, PNG, WEBP or GIF)",
        ))
    })?;
    let declared = text_part(&parts, "media_type")
        .or(media.content_type.as_deref())
        .filter(|declared| *declared != "application/octet-stream");
    if let Some(declared) = declared.filter(|declared| *declared != mime) {
        return Err(rated(invalid_request(&format!(
            "$.media_type: {declared} does not match the media, which is {mime}"
        ))));
    }
    let (width, height) = dimensions(&media.data).unwrap_or_default();
    let id = (1_890_000_000_000_000_000_u64 + store.next_serial()).to_string();
    let size = media.data.len();
    store.net.media.push(Upload {
        id: id.clone(),
        owner: access.user_id,
        mime: mime.to_owned(),
        bytes: media.data.clone(),
        alt: String::new(),
        uploaded_at: store.now,
    });
    let body = json!({"data": {
        "id": id, "media_key": format!("3_{id}"), "size": size,
        "expires_after_secs": MEDIA_LIFETIME.num_seconds(),
        "image": {"image_type": mime, "w": width, "h": height},
    }});
    Ok(rated(Reply::json(200, &body)))
}

/// `POST /2/media/metadata` with `{"id", "metadata": {"alt_text": {"text"}}}`.
pub(super) async fn metadata(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let mut store = shared.lock();
    settle(describe(&mut store, &headers, &body))
}

fn describe(store: &mut Store<X>, headers: &HeaderMap, body: &[u8]) -> Result<Reply, Reply> {
    let (limit, window) = (
        store.settings.media_per_window,
        delta(store.settings.media_window),
    );
    let (access, quota) = authenticated(store, headers, "media_metadata", limit, window)?;
    let rated = |reply: Reply| with_rate(reply, &quota);
    if !access.has_scope("media.write") {
        return Err(forbidden(&quota));
    }
    let request = is_json(headers)
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten()
        .filter(Value::is_object)
        .ok_or_else(|| rated(invalid_request("The request body must be a JSON object.")))?;
    let id = request["id"]
        .as_str()
        .ok_or_else(|| rated(invalid_request("$.id: is missing but it is required")))?
        .to_owned();
    let alt = request
        .pointer("/metadata/alt_text/text")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            rated(invalid_request(
                "$.metadata.alt_text.text: is missing but it is required",
            ))
        })?
        .to_owned();
    let length = alt.chars().count();
    if length > MAX_ALT_TEXT {
        return Err(rated(invalid_request(&format!(
            "$.metadata.alt_text.text: length {length} is longer than {MAX_ALT_TEXT}"
        ))));
    }
    let now = store.now;
    // Another user's media is not told apart from an unknown id [?].
    let media = store
        .net
        .media
        .iter_mut()
        .find(|media| media.id == id && media.usable_by(&access.user_id, now))
        .ok_or_else(|| {
            rated(Reply::json(
                404,
                &json!({"title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found",
                        "status": 404, "detail": format!("Could not find media with id: [{id}].")}),
            ))
        })?;
    media.alt.clone_from(&alt);
    let body = json!({"data": {"id": id, "associated_metadata": {"alt_text": {"text": alt}}}});
    Ok(rated(Reply::json(200, &body)))
}

/// The images of a post's `media.media_ids`: 1 to 4 ids of media the author uploaded less than
/// 24 hours ago; otherwise the post's refusal (400 invalid request).
pub(super) fn attached(
    store: &Store<X>,
    author: &str,
    media: &Value,
) -> Result<Vec<ReceivedImage>, Reply> {
    let ids = media["media_ids"]
        .as_array()
        .ok_or_else(|| invalid_request("$.media.media_ids: is missing but it is required"))?;
    if ids.is_empty() || ids.len() > MAX_MEDIA_PER_POST {
        return Err(invalid_request(&format!(
            "$.media.media_ids: size must be between 1 and {MAX_MEDIA_PER_POST}"
        )));
    }
    ids.iter()
        .map(|id| {
            store
                .net
                .media
                .iter()
                .find(|upload| {
                    id.as_str() == Some(upload.id.as_str()) && upload.usable_by(author, store.now)
                })
                .map(|upload| ReceivedImage {
                    mime: upload.mime.clone(),
                    bytes: upload.bytes.clone(),
                    alt: upload.alt.clone(),
                })
                .ok_or_else(|| invalid_request("$.media.media_ids: media ids were not found."))
        })
        .collect()
}
