//! X posts: `POST /2/tweets` (weighted length, duplicates, scopes, images by media id),
//! `GET /2/tweets/:id` and `DELETE /2/tweets/:id` by the post's author.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::TimeDelta;
use serde_json::{Value, json};

use super::{
    Ctx, X, authenticated, forbidden, invalid_request, media, problem, unauthorized, with_rate,
};
use crate::standins::ReceivedPost;
use crate::standins::store::{Reply, Store, bearer, delta, is_json, settle};
use crate::standins::text::{x_text_invalid, x_weighted_length};

/// The longest weighted text of a post.
const MAX_WEIGHTED_LENGTH: usize = 280;

/// A post as stored.
pub(super) struct Tweet {
    id: String,
    author: String,
    text: String,
    /// The `media_key`s of its images.
    media_keys: Vec<String>,
}

/// `POST /2/tweets` (JSON; needs `tweet.read`, `tweet.write` and `users.read`).
pub(super) async fn create_tweet(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let mut store = shared.lock();
    settle(post_tweet(&mut store, &headers, &body))
}

fn post_tweet(store: &mut Store<X>, headers: &HeaderMap, body: &[u8]) -> Result<Reply, Reply> {
    let (limit, window) = (
        store.settings.posts_per_window,
        delta(store.settings.post_window),
    );
    let (access, quota) = authenticated(store, headers, "tweets", limit, window)?;
    let rated = |reply: Reply| with_rate(reply, &quota);
    if !["tweet.read", "tweet.write", "users.read"]
        .iter()
        .all(|scope| access.has_scope(scope))
    {
        return Err(forbidden(&quota));
    }
    let post = is_json(headers)
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten()
        .filter(Value::is_object)
        .ok_or_else(|| rated(invalid_request("The request body must be a JSON object.")))?;
    let images = match post.get("media") {
        Some(attached) => media::attached(store, &access.user_id, attached).map_err(rated)?,
        None => Vec::new(),
    };
    // A post with images may go without text.
    let text = match post["text"].as_str() {
        Some(text) => text.to_owned(),
        None if !images.is_empty() => String::new(),
        None => {
            return Err(rated(invalid_request(
                "$.text: is missing but it is required",
            )));
        }
    };
    let image_only = text.is_empty() && !images.is_empty();
    if !image_only && x_text_invalid(&text) {
        return Err(rated(invalid_request(
            "$.text: text is empty or contains invalid characters",
        )));
    }
    let weighted = x_weighted_length(&text);
    if weighted > MAX_WEIGHTED_LENGTH {
        return Err(rated(invalid_request(&format!(
            "$.text: weighted length {weighted} is longer than {MAX_WEIGHTED_LENGTH}"
        ))));
    }
    if store
        .net
        .tweets
        .iter()
        .any(|tweet| tweet.author == access.user_id && !text.is_empty() && tweet.text == text)
    {
        return Err(rated(problem(
            403,
            "Forbidden",
            "You are not allowed to create a Tweet with duplicate content.",
        )));
    }
    let media_keys = post
        .pointer("/media/media_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|id| format!("3_{id}"))
        .collect();
    let id = (1_880_000_000_000_000_000_u64 + store.next_serial()).to_string();
    let at = store.now;
    store.posts.push(ReceivedPost {
        id: id.clone(),
        account: access.user_id.clone(),
        text: text.clone(),
        idempotency_key: None,
        at,
        images,
    });
    store.net.tweets.push(Tweet {
        id: id.clone(),
        author: access.user_id,
        text: text.clone(),
        media_keys,
    });
    let body = json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}});
    Ok(rated(Reply::json(201, &body)))
}

/// `GET /2/tweets/:id` (any live token).
pub(super) async fn show_tweet(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let store = shared.lock();
    if store
        .oauth
        .check(bearer(&headers).as_deref(), store.now)
        .is_err()
    {
        return unauthorized();
    }
    match store.net.tweets.iter().find(|tweet| tweet.id == id) {
        Some(tweet) => {
            let mut data = json!({"id": tweet.id, "text": tweet.text, "author_id": tweet.author, "edit_history_tweet_ids": [tweet.id]});
            if !tweet.media_keys.is_empty() {
                data["attachments"] = json!({"media_keys": tweet.media_keys});
            }
            Reply::json(200, &json!({"data": data}))
        }
        None => Reply::json(
            200,
            &json!({"errors": [{"value": id, "detail": format!("Could not find tweet with id: [{id}]."),
                "title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found"}]}),
        ),
    }
}

/// `DELETE /2/tweets/:id` (needs `tweet.read`, `tweet.write` and `users.read`): 200
/// `{"data":{"deleted":true}}`. Another user's post is refused with 403 and an unknown id with
/// 404 in the problem shape; the exact details X sends for both are unverified [?].
pub(super) async fn delete_tweet(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let mut store = shared.lock();
    settle(remove_tweet(&mut store, &headers, &id))
}

fn remove_tweet(store: &mut Store<X>, headers: &HeaderMap, id: &str) -> Result<Reply, Reply> {
    let limit = store.settings.deletes_per_window;
    let (access, quota) = authenticated(store, headers, "delete", limit, TimeDelta::minutes(15))?;
    let rated = |reply: Reply| with_rate(reply, &quota);
    if !["tweet.read", "tweet.write", "users.read"]
        .iter()
        .all(|scope| access.has_scope(scope))
    {
        return Err(forbidden(&quota));
    }
    let position = store
        .net
        .tweets
        .iter()
        .position(|tweet| tweet.id == id)
        .ok_or_else(|| {
            rated(Reply::json(
                404,
                &json!({"title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found",
                        "status": 404, "detail": format!("Could not find tweet with id: [{id}].")}),
            ))
        })?;
    if store.net.tweets[position].author != access.user_id {
        return Err(rated(problem(
            403,
            "Forbidden",
            "You are not allowed to delete a Tweet you did not create.",
        )));
    }
    store.net.tweets.remove(position);
    store.record_deletion(id, &access.user_id);
    Ok(rated(Reply::json(200, &json!({"data": {"deleted": true}}))))
}
