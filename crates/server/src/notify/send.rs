//! Sending: a worker claims a due message with a lease, sends it by email or chat, and records
//! the outcome (retried with back-off, given up after five attempts).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::app::App;
use crate::i18n::Locale;
use crate::store::StoreError;

use super::*;

/// A job claimed for sending.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub(super) id: i32,
    pub(super) user_id: i32,
    pub(super) kind: String,
    pub(super) via: Via,
    pub(super) ref_id: Option<i32>,
    pub(super) window_start: Option<DateTime<Utc>>,
    pub(super) attempts: i32,
    pub(super) created_at: DateTime<Utc>,
}

/// How long a worker holds a message while the SMTP server answers.
const LEASE: Duration = Duration::seconds(60);
/// Attempts before a message is given up.
const MAX_ATTEMPTS: i32 = 5;

async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Option<Job>, sea_orm::DbErr> {
    // A message whose lease expired (its worker stopped mid-send) is claimed again: email is
    // sent at least once, and twice only if a worker died between the SMTP answer and this row.
    let queue = crate::store::queue::Queue {
        table: "notification_jobs",
        returning: "id, user_id, kind, via, ref_id, window_start, attempts, created_at",
    };
    let Some(row) = queue.claim(db, owner, now, LEASE).await? else {
        return Ok(None);
    };
    Ok(Some(Job {
        id: row.try_get("", "id")?,
        user_id: row.try_get("", "user_id")?,
        kind: row.try_get("", "kind")?,
        via: if row.try_get::<String>("", "via")? == "chat" {
            Via::Chat
        } else {
            Via::Email
        },
        ref_id: row.try_get("", "ref_id")?,
        window_start: row.try_get("", "window_start")?,
        attempts: row.try_get("", "attempts")?,
        created_at: row.try_get("", "created_at")?,
    }))
}

async fn settle(
    db: &DatabaseConnection,
    job: &Job,
    owner: &str,
    state: &str,
    error: Option<&str>,
    next: Option<DateTime<Utc>>,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    let sent_at = (state == "sent").then_some(now);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE notification_jobs SET state = $1, last_error = $2, next_attempt_at = $3, \
         sent_at = $4, lease_owner = NULL, lease_until = NULL \
         WHERE id = $5 AND lease_owner = $6 AND state = 'sending'",
        [
            state.into(),
            error.map(str::to_owned).into(),
            next.unwrap_or(now).into(),
            sent_at.into(),
            job.id.into(),
            owner.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Sends the messages that are due, a bounded batch per call.
pub async fn send_due(app: &App, owner: &str) {
    let mut client = None;
    for _ in 0..20 {
        let job = match claim(&app.db, owner, Utc::now()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a notification");
                return;
            }
        };
        let outcome = match Kind::parse(&job.kind) {
            Some(Kind::Chat(channel)) => {
                let client = match &client {
                    Some(client) => client,
                    None => client.insert(chat_client(app)),
                };
                chat_post(app, client, &job, channel).await
            }
            _ => match (job.via, message(app, &job).await) {
                (Via::Email, Ok(Some(message))) => match &app.config.mail {
                    Some(mail) => email::send(mail, &app.views, &message)
                        .await
                        .map(|()| "sent")
                        .map_err(|e| e.to_string()),
                    // No email server any more.
                    None => Ok("skipped"),
                },
                (Via::Chat, Ok(Some(message))) => {
                    let client = match &client {
                        Some(client) => client,
                        None => client.insert(chat_client(app)),
                    };
                    personal_post(app, client, &job, &message).await
                }
                // Nothing to send.
                (_, Ok(None)) => Ok("skipped"),
                (_, Err(e)) => Err(e.to_string()),
            },
        };
        let settled = match outcome {
            Ok(state) => {
                tracing::info!(job = job.id, kind = %job.kind, via = job.via.as_str(), state, "notification settled");
                settle(&app.db, &job, owner, state, None, None).await
            }
            Err(error) if job.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(job = job.id, %error, "notification given up");
                settle(&app.db, &job, owner, "failed", Some(&error), None).await
            }
            Err(error) => {
                // 5 s, 10 s, 20 s, 40 s: a busy server has time to recover.
                let wait = Duration::seconds(
                    5 * 2_i64.pow((job.attempts - 1).clamp(0, 10).unsigned_abs()),
                );
                tracing::info!(job = job.id, %error, retry_in = wait.num_seconds(), "notification will be retried");
                settle(
                    &app.db,
                    &job,
                    owner,
                    "pending",
                    Some(&error),
                    Some(Utc::now() + wait),
                )
                .await
            }
        };
        if let Err(e) = settled {
            tracing::warn!(job = job.id, error = %e, "could not record a notification's outcome");
        }
    }
}

/// The client that posts to chat services: no redirect, timeouts, and only the addresses the
/// address guard permits (a webhook address cannot point Chorus at its own network).
fn chat_client(app: &App) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(20))
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(
            chorus_editorial::preview::GuardedResolver::new(address_guard(app)),
        ))
        .build()
        .unwrap_or_default()
}

/// The address guard of the configuration.
#[must_use]
pub fn address_guard(app: &App) -> chorus_editorial::preview::AddressGuard {
    if app.config.unsafe_allow_private_fetch {
        chorus_editorial::preview::AddressGuard::allow_private_for_tests()
    } else {
        chorus_editorial::preview::AddressGuard::public_only()
    }
}

/// Posts an announcement to a channel; skipped when the item or the announcement is gone.
async fn chat_post(
    app: &App,
    client: &reqwest::Client,
    job: &Job,
    channel: chat::Channel,
) -> Result<&'static str, String> {
    let Some(item) = job.ref_id else {
        return Ok("skipped");
    };
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT a.message AS message, c.title AS title, c.language AS language, \
             u.display_name AS author FROM announcements a \
             JOIN content_items c ON c.id = a.item_id LEFT JOIN users u ON u.id = a.author_id \
             WHERE a.item_id = $1 AND c.state = 'published'",
            [item.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    let Some(row) = row else {
        return Ok("skipped");
    };
    let get = |name: &str| {
        row.try_get::<Option<String>>("", name)
            .map_err(|e| e.to_string())
    };
    let locale = get("language")?
        .as_deref()
        .and_then(Locale::from_tag)
        .unwrap_or(Locale::En);
    let post = chat::Post {
        title: get("title")?.unwrap_or_default(),
        message: get("message")?.unwrap_or_default(),
        author: get("author")?
            .unwrap_or_else(|| app.views.i18n.text(locale, "notify.the_editors", &[])),
        url: app.public_url(&format!("/hub/items/{item}")),
        action: app.views.i18n.text(locale, "notify.see_item", &[]),
    };
    let channels = chat::channels(&app.db, &app.vault)
        .await
        .map_err(|e| e.to_string())?;
    let guard = address_guard(app);
    let target = match channel {
        chat::Channel::Slack => channels.slack.clone(),
        chat::Channel::Teams => channels.teams.clone(),
        chat::Channel::Matrix => channels.matrix.as_ref().map(|m| m.homeserver.clone()),
    };
    if let Some(target) = &target
        && guard.check_url(target).is_err()
    {
        return Err(format!("{} points at a private address", channel.as_str()));
    }
    match chat::post(
        client,
        &channels,
        channel,
        &post,
        &format!("chorus-{}", job.id),
    )
    .await
    {
        Ok(()) => Ok("sent"),
        Err(chat::ChatError::NotConnected) => Ok("skipped"),
        Err(e) => Err(e.to_string()),
    }
}

/// Posts a message in the person's own chat; skipped when they removed it or the organisation
/// no longer connects that service. A Matrix room is opened with them the first time.
async fn personal_post(
    app: &App,
    client: &reqwest::Client,
    job: &Job,
    message: &email::Message,
) -> Result<&'static str, String> {
    let failed = |e: StoreError| e.to_string();
    let Some(personal) = personal_chat(&app.db, &app.vault, job.user_id)
        .await
        .map_err(failed)?
    else {
        return Ok("skipped");
    };
    let channels = chat::channels(&app.db, &app.vault).await.map_err(failed)?;
    if !channels.has(personal.service) {
        return Ok("skipped");
    }
    let mut text = message.lede.clone();
    for line in &message.items {
        text = format!("{text}\n• {} — {}", line.title, line.url);
    }
    let post = chat::Post {
        title: message.subject.clone(),
        message: text,
        author: message.why.clone(),
        url: message.action_url.clone(),
        action: message.action.clone(),
    };
    let guard = address_guard(app);
    let txn = format!("chorus-{}", job.id);
    let sent = match (&personal.service, &channels.matrix) {
        (chat::Channel::Matrix, Some(matrix)) => {
            if guard.check_url(&matrix.homeserver).is_err() {
                return Err("matrix points at a private address".into());
            }
            let room = match &personal.room {
                Some(room) => room.clone(),
                None => open_room(app, client, matrix, job.user_id, &personal.address).await?,
            };
            let target = chat::Target::Matrix {
                homeserver: &matrix.homeserver,
                token: &matrix.token,
                room: &room,
            };
            chat::send(client, target, &post, &txn).await
        }
        (chat::Channel::Matrix, None) => return Ok("skipped"),
        (service, _) => {
            let url = url::Url::parse(&personal.address).map_err(|e| e.to_string())?;
            if guard.check_url(&url).is_err() {
                return Err(format!("{} points at a private address", service.as_str()));
            }
            chat::send(client, chat::Target::Webhook(*service, &url), &post, &txn).await
        }
    };
    sent.map(|()| "sent").map_err(|e| e.to_string())
}

/// Opens the direct Matrix room with a person and keeps it (when two workers open one at once,
/// the first stored is used by both).
async fn open_room(
    app: &App,
    client: &reqwest::Client,
    matrix: &chat::Matrix,
    user: i32,
    person: &str,
) -> Result<String, String> {
    let room = chat::open_direct_room(client, matrix, person, "Chorus")
        .await
        .map_err(|e| e.to_string())?;
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "UPDATE notification_prefs SET chat_room = $1 WHERE user_id = $2 \
             AND chat_room IS NULL",
            [room.clone().into(), user.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    Ok(personal_chat(&app.db, &app.vault, user)
        .await
        .map_err(|e| e.to_string())?
        .and_then(|p| p.room)
        .unwrap_or(room))
}

/// Removes messages sent (or given up) more than 30 days ago.
///
/// # Errors
/// Database failure.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM notification_jobs WHERE state IN ('sent', 'skipped', 'failed') \
             AND created_at < $1",
            [(now - Duration::days(30)).into()],
        ))
        .await?
        .rows_affected())
}
