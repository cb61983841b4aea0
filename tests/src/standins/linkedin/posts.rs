//! LinkedIn posts (Posts API): `POST /rest/posts` with its required fields and enums, the
//! author's own URN, "little" commentary cut at the first unescaped reserved character, an
//! article or one of the author's uploaded images as content (not both), duplicates and the
//! daily throttle; `GET` and `DELETE /rest/posts/{urn}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::TimeDelta;
use serde_json::{Value, json};

use super::{Ctx, LinkedIn, access_denied, images, rest_call, throttled, unprocessable};
use crate::standins::ReceivedPost;
use crate::standins::store::{Reply, Store, settle};
use crate::standins::text::{little_text_kept, utf16_len};

/// A member's post as stored.
pub(super) struct Share {
    urn: String,
    author: String,
    /// The commentary as sent, for duplicate detection.
    sent: String,
    /// The commentary as kept (cut at the first unescaped reserved character).
    stored: String,
    /// The image's URN and alt text, when the post carries one.
    media: Option<(String, String)>,
}

/// `POST /rest/posts`: 201, empty body, `x-restli-id: urn:li:share:…`.
pub(super) async fn create_post(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let mut store = shared.lock();
    settle(publish(&mut store, &headers, &body))
}

fn publish(store: &mut Store<LinkedIn>, headers: &HeaderMap, body: &[u8]) -> Result<Reply, Reply> {
    let (version, access) = rest_call(store, headers)?;
    if !access.has_scope("w_member_social") {
        return Err(access_denied(&format!(
            "partnerApiPostsExternal.CREATE.{version}"
        )));
    }
    let post: Value = serde_json::from_slice(body).map_err(|_| {
        Reply::json(
            400,
            &json!({"status": 400, "message": "Unable to parse the request body as JSON"}),
        )
    })?;
    for field in ["author", "lifecycleState", "visibility", "distribution"] {
        if post.get(field).is_none() {
            return Err(unprocessable(&format!(
                "ERROR :: /{field} :: field is required but not found and has no default value\n"
            )));
        }
    }
    let author = format!("urn:li:person:{}", access.user_id);
    if post["author"] != json!(author) {
        return Err(access_denied(&format!(
            "partnerApiPostsExternal.CREATE.{version} as {}",
            post["author"]
        )));
    }
    check_enum(&post, "/lifecycleState", &["PUBLISHED", "DRAFT"])?;
    check_enum(
        &post,
        "/visibility",
        &["PUBLIC", "CONNECTIONS", "LOGGED_IN"],
    )?;
    check_enum(
        &post,
        "/distribution/feedDistribution",
        &["MAIN_FEED", "NONE"],
    )?;
    if post.pointer("/content/article").is_some() && post.pointer("/content/media").is_some() {
        // The exact body LinkedIn sends for both is unverified [?]; a post holds one content.
        return Err(Reply::json(
            400,
            &json!({"status": 400, "message": "/content may hold an article or media, not both"}),
        ));
    }
    let image = post
        .pointer("/content/media")
        .map(|media| images::attached(store, &author, media))
        .transpose()?;
    if let Some(article) = post.pointer("/content/article") {
        for field in ["source", "title"] {
            if !article.get(field).is_some_and(Value::is_string) {
                return Err(unprocessable(&format!(
                    "ERROR :: /content/article/{field} :: field is required but not found and has no default value\n"
                )));
            }
        }
    }
    let commentary = post["commentary"].as_str().unwrap_or_default().to_owned();
    if utf16_len(&commentary) > 3000 {
        return Err(unprocessable(
            "ERROR :: /commentary :: length of String is greater than the maximum allowed 3000\n",
        ));
    }
    let duplicate =
        store.net.shares.iter().find(|share| {
            share.author == author && !commentary.is_empty() && share.sent == commentary
        });
    if let Some(original) = duplicate {
        return Err(Reply::json(
            422,
            &json!({"message": format!("Unprocessable entity: Content is a duplicate of {}", original.urn),
                    "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}]},
                    "status": 422}),
        ));
    }
    let limit = store.settings.daily_post_limit;
    if !store
        .hit(&format!("posts:{author}"), limit, TimeDelta::days(1))
        .allowed
    {
        return Err(throttled());
    }
    let urn = format!(
        "urn:li:share:{}",
        7_300_000_000_000_000_000_u64 + store.next_serial()
    );
    let stored = little_text_kept(&commentary).to_owned();
    let at = store.now;
    store.posts.push(ReceivedPost {
        id: urn.clone(),
        account: access.user_id,
        text: stored.clone(),
        idempotency_key: None,
        at,
        images: image.iter().map(|(_, image)| image.clone()).collect(),
    });
    store.net.shares.push(Share {
        urn: urn.clone(),
        author,
        sent: commentary,
        stored,
        media: image.map(|(image_urn, image)| (image_urn, image.alt)),
    });
    Ok(Reply::empty(201).with_header("x-restli-id", &urn))
}

fn check_enum(post: &Value, pointer: &str, symbols: &[&str]) -> Result<(), Reply> {
    match post.pointer(pointer).and_then(Value::as_str) {
        Some(symbol) if symbols.contains(&symbol) => Ok(()),
        Some(symbol) => Err(unprocessable(&format!(
            "ERROR :: {pointer} :: \"{symbol}\" is not an enum symbol\n"
        ))),
        None => Err(unprocessable(&format!(
            "ERROR :: {pointer} :: field is required but not found and has no default value\n"
        ))),
    }
}

/// `GET /rest/posts/{urn}`: the post as kept, so a connector can read back its commentary.
pub(super) async fn show_post(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Reply {
    let store = shared.lock();
    settle(rest_call(&store, &headers).map(|_| {
        match store.net.shares.iter().find(|share| share.urn == urn) {
            Some(share) => {
                let mut body = json!({"id": share.urn, "author": share.author, "commentary": share.stored,
                    "visibility": "PUBLIC", "lifecycleState": "PUBLISHED"});
                if let Some((image, alt)) = &share.media {
                    body["content"] = json!({"media": {"id": image, "altText": alt}});
                }
                Reply::json(200, &body)
            }
            None => Reply::json(
                404,
                &json!({"status": 404, "message": format!("Post {urn} not found")}),
            ),
        }
    }))
}

/// `DELETE /rest/posts/{url-encoded urn}` with the same headers as every `/rest` call and
/// `w_member_social`: 204 with an empty body; another member's post 403 `ACCESS_DENIED`; an
/// unknown (or already deleted) URN 404.
pub(super) async fn delete_post(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Reply {
    let mut store = shared.lock();
    settle(remove_post(&mut store, &headers, &urn))
}

fn remove_post(
    store: &mut Store<LinkedIn>,
    headers: &HeaderMap,
    urn: &str,
) -> Result<Reply, Reply> {
    let (version, access) = rest_call(store, headers)?;
    if !access.has_scope("w_member_social") {
        return Err(access_denied(&format!(
            "partnerApiPostsExternal.DELETE.{version}"
        )));
    }
    let position = store
        .net
        .shares
        .iter()
        .position(|share| share.urn == urn)
        .ok_or_else(|| {
            Reply::json(
                404,
                &json!({"status": 404, "message": format!("Post {urn} not found")}),
            )
        })?;
    if store.net.shares[position].author != format!("urn:li:person:{}", access.user_id) {
        return Err(access_denied(&format!(
            "partnerApiPostsExternal.DELETE.{version}"
        )));
    }
    store.net.shares.remove(position);
    store.record_deletion(urn, &access.user_id);
    Ok(Reply::empty(204))
}
