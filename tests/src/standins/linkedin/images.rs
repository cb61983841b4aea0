//! LinkedIn images (Images API): `POST /rest/images?action=initializeUpload` with the headers of
//! every `/rest` call and `w_member_social`, for the caller as `owner` only, gives an upload URL
//! on this stand-in and an `urn:li:image:…`; the bytes then go once by `PUT` to that URL with the
//! same member's token (JPEG, PNG or GIF as read from the bytes, at most 36,152,320 pixels; no
//! WebP) → 201. A post may then carry the image (`content.media`, `altText` ≤ 4,086 characters)
//! once its bytes are in, and only its owner's.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::{Ctx, LinkedIn, access_denied, authenticated, rest_call, unprocessable};
use crate::standins::ReceivedImage;
use crate::standins::store::{Fields, Reply, Store, random_string, settle};
use crate::standins::uploads::{dimensions, sniff};

/// The longest `altText`.
pub const MAX_ALT_TEXT: usize = 4086;
/// The most pixels (width × height) of an image.
pub const MAX_PIXELS: u64 = 36_152_320;
/// How long an upload URL takes the bytes (the figure LinkedIn uses is unverified [?]).
const UPLOAD_URL_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// An image a member initialized, with its bytes once uploaded.
pub(super) struct Image {
    urn: String,
    /// `urn:li:person:…`.
    owner: String,
    /// The last segment of the upload URL.
    upload_token: String,
    upload_expires_at: DateTime<Utc>,
    /// The type read from the bytes, and the bytes, once `PUT`.
    uploaded: Option<(String, Vec<u8>)>,
}

fn bad_request(message: &str) -> Reply {
    Reply::json(400, &json!({"status": 400, "message": message}))
}

/// `POST /rest/images?action=initializeUpload`.
pub(super) async fn initialize_upload(
    State(shared): Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let mut store = shared.lock();
    settle(initialize(&mut store, &headers, query.as_deref(), &body))
}

fn initialize(
    store: &mut Store<LinkedIn>,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Reply, Reply> {
    let (version, access) = rest_call(store, headers)?;
    if Fields::from_query(query).get("action") != Some("initializeUpload") {
        return Err(bad_request(
            "The images resource takes POST only as ?action=initializeUpload",
        ));
    }
    if !access.has_scope("w_member_social") {
        return Err(access_denied(&format!("partnerApiImages.ACTION.{version}")));
    }
    let request: Value = serde_json::from_slice(body)
        .map_err(|_| bad_request("Unable to parse the request body as JSON"))?;
    let owner = request
        .pointer("/initializeUploadRequest/owner")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            unprocessable(
                "ERROR :: /initializeUploadRequest/owner :: field is required but not found and has no default value\n",
            )
        })?;
    if owner != format!("urn:li:person:{}", access.user_id) {
        return Err(access_denied(&format!(
            "partnerApiImages.ACTION.{version} as {owner}"
        )));
    }
    let image = Image {
        urn: format!("urn:li:image:D4E10AQ{}", random_string(16)),
        owner: owner.to_owned(),
        upload_token: random_string(32),
        upload_expires_at: store.now + UPLOAD_URL_LIFETIME,
        uploaded: None,
    };
    let body = json!({"value": {
        "uploadUrlExpiresAt": image.upload_expires_at.timestamp_millis(),
        "uploadUrl": format!("{}/dms-uploads/{}", store.base_url, image.upload_token),
        "image": image.urn,
    }});
    store.net.images.push(image);
    Ok(Reply::json(200, &body))
}

/// `PUT /dms-uploads/{token}` with `Authorization: Bearer` and the image's bytes: 201, empty.
pub(super) async fn upload(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Reply {
    let mut store = shared.lock();
    settle(receive(&mut store, &headers, &token, &body))
}

fn receive(
    store: &mut Store<LinkedIn>,
    headers: &HeaderMap,
    token: &str,
    body: &[u8],
) -> Result<Reply, Reply> {
    let access = authenticated(store, headers)?;
    let now = store.now;
    let image = store
        .net
        .images
        .iter_mut()
        .find(|image| image.upload_token == token)
        .ok_or_else(|| {
            Reply::json(
                404,
                &json!({"status": 404, "message": "No upload is expected at this address"}),
            )
        })?;
    if image.owner != format!("urn:li:person:{}", access.user_id) {
        return Err(access_denied(&format!("upload of {}", image.urn)));
    }
    if image.uploaded.is_some() {
        return Err(bad_request(&format!(
            "The bytes of {} have already been uploaded",
            image.urn
        )));
    }
    if now >= image.upload_expires_at {
        return Err(bad_request("The upload URL has expired"));
    }
    let mime = sniff(body)
        .filter(|mime| ["image/jpeg", "image/png", "image/gif"].contains(mime))
        .ok_or_else(|| bad_request("Unsupported image type: JPEG, PNG or GIF only"))?;
    let (width, height) = dimensions(body).unwrap_or_default();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(bad_request(&format!(
            "The image is {width}x{height} pixels; at most {MAX_PIXELS} pixels are taken"
        )));
    }
    image.uploaded = Some((mime.to_owned(), body.to_vec()));
    Ok(Reply::empty(201))
}

/// The image of a post's `content.media` (`{"id": "urn:li:image:…", "altText": …}`): known,
/// its bytes uploaded, owned by `author`; otherwise the post's refusal (422).
pub(super) fn attached(
    store: &Store<LinkedIn>,
    author: &str,
    media: &Value,
) -> Result<(String, ReceivedImage), Reply> {
    let urn = media["id"].as_str().ok_or_else(|| {
        unprocessable(
            "ERROR :: /content/media/id :: field is required but not found and has no default value\n",
        )
    })?;
    let alt = match media.get("altText") {
        None | Some(Value::Null) => "",
        Some(Value::String(alt)) => alt,
        Some(_) => {
            return Err(unprocessable(
                "ERROR :: /content/media/altText :: field is not a string\n",
            ));
        }
    };
    if alt.chars().count() > MAX_ALT_TEXT {
        return Err(unprocessable(&format!(
            "ERROR :: /content/media/altText :: length of String is greater than the maximum allowed {MAX_ALT_TEXT}\n"
        )));
    }
    let image = store
        .net
        .images
        .iter()
        .find(|image| image.urn == urn)
        .ok_or_else(|| {
            unprocessable(&format!(
                "ERROR :: /content/media/id :: {urn} does not exist\n"
            ))
        })?;
    if image.owner != author {
        return Err(unprocessable(&format!(
            "ERROR :: /content/media/id :: {urn} is not owned by the author {author}\n"
        )));
    }
    let (mime, bytes) = image.uploaded.clone().ok_or_else(|| {
        unprocessable(&format!(
            "ERROR :: /content/media/id :: {urn} is WAITING_UPLOAD: its bytes have not been uploaded\n"
        ))
    })?;
    Ok((
        urn.to_owned(),
        ReceivedImage {
            mime,
            bytes,
            alt: alt.to_owned(),
        },
    ))
}
