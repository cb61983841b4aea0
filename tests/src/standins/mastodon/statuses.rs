//! Mastodon statuses and the calls that need a token: `verify_credentials`, creating and
//! reading and deleting statuses, `X-RateLimit-*` headers, and the instance's limits.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

use super::{Ctx, Mastodon};
use crate::standins::ReceivedPost;
use crate::standins::User;
use crate::standins::oauth::{AccessToken, TokenProblem};
use crate::standins::store::{Fields, Quota, Reply, Store, bearer, delta, header_text, settle};
use crate::standins::text::mastodon_length;

/// How long an `Idempotency-Key` replays the status it created.
const IDEMPOTENCY_TTL: TimeDelta = TimeDelta::hours(1);

/// A status as stored.
pub(super) struct Status {
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) text: String,
    pub(super) spoiler_text: String,
    pub(super) visibility: String,
    pub(super) language: Option<String>,
    pub(super) created_at: DateTime<Utc>,
}

pub(super) fn token_refused(problem: TokenProblem) -> Reply {
    let message = match problem {
        TokenProblem::Expired => "The access token expired",
        TokenProblem::Revoked => "The access token was revoked",
        TokenProblem::Missing | TokenProblem::Unknown => "The access token is invalid",
    };
    Reply::json(401, &json!({"error": message}))
}

fn with_rate(reply: Reply, quota: &Quota) -> Reply {
    reply
        .with_header("x-ratelimit-limit", &quota.limit.to_string())
        .with_header("x-ratelimit-remaining", &quota.remaining.to_string())
        .with_header(
            "x-ratelimit-reset",
            &quota.reset.to_rfc3339_opts(SecondsFormat::Micros, true),
        )
}

pub(super) fn too_many_requests(quota: &Quota) -> Reply {
    with_rate(
        Reply::json(429, &json!({"error": "Too many requests"})),
        quota,
    )
}

/// The caller's live token, counted against its API window.
pub(super) fn authenticated(
    store: &mut Store<Mastodon>,
    headers: &HeaderMap,
) -> Result<(AccessToken, Quota), Reply> {
    let token = bearer(headers);
    let access = store
        .oauth
        .check(token.as_deref(), store.now)
        .map_err(token_refused)?;
    let (limit, window) = (store.settings.api_limit, delta(store.settings.api_window));
    let quota = store.hit(&format!("api:{}", token.unwrap_or_default()), limit, window);
    if !quota.allowed {
        return Err(too_many_requests(&quota));
    }
    Ok((access, quota))
}

fn outside_scopes(quota: &Quota) -> Reply {
    with_rate(
        Reply::json(
            403,
            &json!({"error": "This action is outside the authorized scopes"}),
        ),
        quota,
    )
}

pub(super) async fn verify_credentials(State(shared): Ctx, headers: HeaderMap) -> Reply {
    let mut store = shared.lock();
    settle(
        authenticated(&mut store, &headers).and_then(|(access, quota)| {
            if !(access.has_scope("read:accounts") || access.has_scope("profile")) {
                return Err(outside_scopes(&quota));
            }
            let user = store
                .oauth
                .user(&access.user_id)
                .cloned()
                .unwrap_or_else(|| unknown_user(&access.user_id));
            Ok(with_rate(
                Reply::json(200, &account_json(&store.base_url, &user)),
                &quota,
            ))
        }),
    )
}

fn unknown_user(id: &str) -> User {
    User {
        id: id.to_owned(),
        username: id.to_owned(),
        name: id.to_owned(),
    }
}

fn account_json(base_url: &str, user: &User) -> Value {
    json!({
        "id": user.id, "username": user.username, "acct": user.username,
        "display_name": user.name, "url": format!("{base_url}/@{}", user.username),
        "locked": false, "bot": false, "note": "", "avatar": format!("{base_url}/avatars/original/missing.png"),
        "followers_count": 0, "following_count": 0, "statuses_count": 0,
    })
}

/// `POST /api/v1/statuses` (JSON or form).
pub(super) async fn create_status(State(shared): Ctx, headers: HeaderMap, body: Bytes) -> Reply {
    let mut store = shared.lock();
    settle(post_status(&mut store, &headers, &body))
}

fn post_status(
    store: &mut Store<Mastodon>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, Reply> {
    let (access, quota) = authenticated(store, headers)?;
    if !access.has_scope("write:statuses") {
        return Err(outside_scopes(&quota));
    }
    let fields = Fields::from_body(headers, body).ok_or_else(|| {
        with_rate(
            Reply::json(
                400,
                &json!({"error": "Error occurred while parsing request parameters"}),
            ),
            &quota,
        )
    })?;
    let now = store.now;
    let key = header_text(headers, "idempotency-key").map(str::to_owned);
    if let Some(key) = &key {
        let earlier = store
            .net
            .idempotency
            .get(&(access.user_id.clone(), key.clone()));
        if let Some((id, _)) = earlier.filter(|(_, at)| now < *at + IDEMPOTENCY_TTL) {
            let status = store.net.statuses.iter().find(|status| &status.id == id);
            if let Some(status) = status {
                return Ok(with_rate(
                    Reply::json(200, &status_json(store, status)),
                    &quota,
                ));
            }
        }
    }
    let invalid = |message: String| with_rate(Reply::json(422, &json!({"error": message})), &quota);
    let text = fields.get("status").unwrap_or_default().to_owned();
    let spoiler_text = fields.get("spoiler_text").unwrap_or_default().to_owned();
    let mut media_ids = fields.all("media_ids");
    media_ids.extend(fields.all("media_ids[]"));
    if text.trim().is_empty() && media_ids.is_empty() {
        return Err(invalid("Validation failed: Text can't be blank".to_owned()));
    }
    let max = store.settings.max_characters;
    if mastodon_length(&text) + mastodon_length(&spoiler_text) > max {
        return Err(invalid(format!(
            "Validation failed: Text character limit of {max} exceeded"
        )));
    }
    let visibility = fields.get("visibility").unwrap_or("public").to_owned();
    if !["public", "unlisted", "private", "direct"].contains(&visibility.as_str()) {
        return Err(invalid(format!("'{visibility}' is not a valid visibility")));
    }
    let id = (113_000_000_000_000_000 + store.next_serial()).to_string();
    let images = if media_ids.is_empty() {
        Vec::new()
    } else {
        super::media::attach(store, &access.user_id, &media_ids, &id).map_err(invalid)?
    };
    let status = Status {
        id: id.clone(),
        account_id: access.user_id.clone(),
        text: text.clone(),
        spoiler_text,
        visibility,
        language: fields.get("language").map(str::to_owned),
        created_at: now,
    };
    let reply = Reply::json(200, &status_json(store, &status));
    store.net.statuses.push(status);
    if let Some(key) = &key {
        store
            .net
            .idempotency
            .insert((access.user_id.clone(), key.clone()), (id.clone(), now));
    }
    store.posts.push(ReceivedPost {
        id,
        account: access.user_id,
        text,
        idempotency_key: key,
        at: now,
        images,
    });
    Ok(with_rate(reply, &quota))
}

/// `GET /api/v1/statuses/:id` (public statuses need no token).
pub(super) async fn show_status(State(shared): Ctx, Path(id): Path<String>) -> Reply {
    let store = shared.lock();
    match store.net.statuses.iter().find(|status| status.id == id) {
        Some(status) => Reply::json(200, &status_json(&store, status)),
        None => Reply::json(404, &json!({"error": "Record not found"})),
    }
}

/// `DELETE /api/v1/statuses/:id` (needs `write:statuses`): 200 with the deleted status and its
/// source `text` (for "delete and redraft"); 404 `Record not found` for an unknown id and for
/// another account's status, as Mastodon does not tell them apart.
pub(super) async fn delete_status(
    State(shared): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let mut store = shared.lock();
    settle(remove_status(&mut store, &headers, &id))
}

fn remove_status(
    store: &mut Store<Mastodon>,
    headers: &HeaderMap,
    id: &str,
) -> Result<Reply, Reply> {
    let (access, quota) = authenticated(store, headers)?;
    if !access.has_scope("write:statuses") {
        return Err(outside_scopes(&quota));
    }
    let position = store
        .net
        .statuses
        .iter()
        .position(|status| status.id == id && status.account_id == access.user_id)
        .ok_or_else(|| {
            with_rate(
                Reply::json(404, &json!({"error": "Record not found"})),
                &quota,
            )
        })?;
    let mut body = status_json(store, &store.net.statuses[position]);
    body["text"] = json!(store.net.statuses[position].text);
    store.net.statuses.remove(position);
    store.record_deletion(id, &access.user_id);
    Ok(with_rate(Reply::json(200, &body), &quota))
}

fn status_json(store: &Store<Mastodon>, status: &Status) -> Value {
    let base = &store.base_url;
    let author = store
        .oauth
        .user(&status.account_id)
        .cloned()
        .unwrap_or_else(|| unknown_user(&status.account_id));
    let escaped = status
        .text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "<br />");
    json!({
        "id": status.id, "created_at": status.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "uri": format!("{base}/users/{}/statuses/{}", author.username, status.id),
        "url": format!("{base}/@{}/{}", author.username, status.id),
        "content": format!("<p>{escaped}</p>"), "spoiler_text": status.spoiler_text,
        "sensitive": !status.spoiler_text.is_empty(), "visibility": status.visibility, "language": status.language,
        "in_reply_to_id": null, "reblog": null, "card": null, "poll": null,
        "media_attachments": store.net.media.iter().filter(|m| m.status_id.as_deref() == Some(status.id.as_str())).map(|m| json!({"id": m.id, "type": "image", "description": m.description})).collect::<Vec<_>>(),
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
        "mentions": [], "tags": [], "emojis": [],
        "account": account_json(base, &author),
    })
}

pub(super) async fn instance(State(shared): Ctx) -> Reply {
    let store = shared.lock();
    let domain = store.base_url.trim_start_matches("http://").to_owned();
    Reply::json(
        200,
        &json!({
            "domain": domain, "title": "Chorus stand-in", "version": "4.3.0",
            "configuration": {"statuses": {"max_characters": store.settings.max_characters,
                "max_media_attachments": 4, "characters_reserved_per_url": 23}},
        }),
    )
}
