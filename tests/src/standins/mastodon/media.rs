//! Mastodon media as the API takes it: `POST /api/v2/media` (multipart form data with `file`
//! and `description`, scope `write:media`; images of the types Mastodon takes up to 16 MB,
//! descriptions up to 1,500 characters) answers 202 with `url: null` while the attachment is
//! processed, `GET /api/v1/media/:id` answers 206 until it is ready then 200 (404 for another
//! account's), and a status may attach only ready attachments of its own account, once.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Ctx, Mastodon};
use crate::standins::ReceivedImage;
use crate::standins::store::{Reply, Store, settle};
use crate::standins::uploads::{multipart, text_part};

/// The largest image the stand-in takes (Mastodon's default, 16 MB).
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
/// The longest description.
pub const MAX_DESCRIPTION: usize = 1500;
/// How many `GET /api/v1/media/:id` answer 206 before the attachment is ready.
const PROCESSING_POLLS: u32 = 2;

/// An uploaded attachment.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its id.
    pub id: String,
    /// The account that uploaded it.
    pub account_id: String,
    /// Its description (alt text).
    pub description: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Polls left before it is ready.
    pub(super) polls_left: u32,
    /// The status it is attached to.
    pub status_id: Option<String>,
}

fn attachment_json(base: &str, media: &Attachment) -> Value {
    let ready = media.polls_left == 0;
    json!({
        "id": media.id, "type": "image",
        "url": ready.then(|| format!("{base}/system/media/{}.png", media.id)),
        "preview_url": format!("{base}/system/media/{}-small.png", media.id),
        "description": media.description, "blurhash": null, "meta": null,
    })
}

/// `POST /api/v2/media`.
pub(super) async fn upload(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let mut store = shared.lock();
    settle(upload_media(&mut store, &headers, &body))
}

fn upload_media(
    store: &mut Store<Mastodon>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, Reply> {
    let (access, _) = super::statuses::authenticated(store, headers)?;
    if !(access.has_scope("write:media") || access.has_scope("write")) {
        return Err(Reply::json(
            403,
            &json!({"error": "This action is outside the authorized scopes"}),
        ));
    }
    let invalid = |message: &str| Reply::json(422, &json!({"error": message}));
    let parts = multipart(headers, body).ok_or_else(|| {
        Reply::json(
            400,
            &json!({"error": "Error occurred while parsing request parameters"}),
        )
    })?;
    let file = parts
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| invalid("Validation failed: File can't be blank"))?;
    let content_type = file.content_type.clone().unwrap_or_default();
    if !["image/jpeg", "image/png", "image/gif", "image/webp"].contains(&content_type.as_str()) {
        return Err(invalid("Validation failed: File content type is invalid"));
    }
    if file.data.len() > MAX_IMAGE_BYTES {
        return Err(invalid(
            "Validation failed: File file size must be less than 16 MB",
        ));
    }
    let description = text_part(&parts, "description")
        .unwrap_or_default()
        .to_owned();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "Validation failed: Description is too long (maximum is 1500 characters)",
        ));
    }
    let media = Attachment {
        id: (111_000_000_000_000_000 + store.next_serial()).to_string(),
        account_id: access.user_id.clone(),
        description,
        content_type,
        bytes: file.data.clone(),
        polls_left: PROCESSING_POLLS,
        status_id: None,
    };
    let reply = Reply::json(202, &attachment_json(&store.base_url, &media));
    store.net.media.push(media);
    Ok(reply)
}

/// `GET /api/v1/media/:id`.
pub(super) async fn show(State(shared): Ctx, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    let mut store = shared.lock();
    settle(show_media(&mut store, &headers, &id))
}

fn show_media(store: &mut Store<Mastodon>, headers: &HeaderMap, id: &str) -> Result<Reply, Reply> {
    let (access, _) = super::statuses::authenticated(store, headers)?;
    let base = store.base_url.clone();
    let media = store
        .net
        .media
        .iter_mut()
        .find(|m| m.id == id && m.account_id == access.user_id)
        .ok_or_else(|| Reply::json(404, &json!({"error": "Record not found"})))?;
    if media.polls_left > 0 {
        media.polls_left -= 1;
        return Ok(Reply::json(206, &attachment_json(&base, media)));
    }
    Ok(Reply::json(200, &attachment_json(&base, media)))
}

/// Attaches `ids` to a new status of `account`: each must be the account's, ready, and not
/// attached yet; the error is Mastodon's. Gives the images in the order of `ids`.
pub(super) fn attach(
    store: &mut Store<Mastodon>,
    account: &str,
    ids: &[&str],
    status_id: &str,
) -> Result<Vec<ReceivedImage>, String> {
    if ids.len() > 4 {
        return Err("Validation failed: Media attachments cannot be more than 4".to_owned());
    }
    for id in ids {
        let Some(media) = store
            .net
            .media
            .iter()
            .find(|m| m.id == *id && m.account_id == account && m.status_id.is_none())
        else {
            return Err(format!("Could not find media attachments: {id}"));
        };
        if media.polls_left > 0 {
            return Err(
                "Cannot attach files that have not finished processing. Try again in a moment!"
                    .to_owned(),
            );
        }
    }
    let mut images = Vec::new();
    for id in ids {
        if let Some(media) = store
            .net
            .media
            .iter_mut()
            .find(|m| m.id == *id && m.status_id.is_none())
        {
            media.status_id = Some(status_id.to_owned());
            images.push(ReceivedImage {
                mime: media.content_type.clone(),
                bytes: media.bytes.clone(),
                alt: media.description.clone(),
            });
        }
    }
    Ok(images)
}
