//! Notifications, only as each person chooses (`/account/notifications`; nothing is on by
//! default): email about their own shares (published, failed, to check). Messages are jobs in
//! the database, queued once (a unique dedupe key), sent by whichever worker claims them with
//! a lease, retried with back-off, and checked again when sent: never to a person who turned
//! them off since, or was deactivated. No tracking pixel and no tracked link: messages link to
//! Chorus pages only, and carry a one-click unsubscribe (RFC 8058) that works without signing
//! in.

pub mod email;

use chorus_policy::ShareId;
use chrono::{DateTime, Duration, Utc};
use hmac::Mac as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::app::App;
use crate::i18n::Locale;
use crate::store::StoreError;

/// What a person chose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prefs {
    /// Email about their shares (published, failed, to check).
    pub email_events: bool,
}

/// A person's choices (all off until they turn something on).
///
/// # Errors
/// Database failure.
pub async fn prefs(db: &impl ConnectionTrait, user: i32) -> Result<Prefs, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT email_events FROM notification_prefs WHERE user_id = $1",
            [user.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Prefs {
            email_events: row.try_get("", "email_events")?,
        },
        None => Prefs::default(),
    })
}

/// Stores a person's choices.
///
/// # Errors
/// Database failure.
pub async fn save_prefs(
    db: &impl ConnectionTrait,
    user: i32,
    prefs: Prefs,
) -> Result<(), StoreError> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO notification_prefs (user_id, email_events, digest, updated_at) \
         VALUES ($1, $2, 'never', $3) \
         ON CONFLICT (user_id) DO UPDATE SET email_events = excluded.email_events, \
         updated_at = excluded.updated_at",
        [user.into(), prefs.email_events.into(), Utc::now().into()],
    ))
    .await?;
    Ok(())
}

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A share went live.
    SharePublished,
    /// A share could not be sent.
    ShareFailed,
    /// A share may or may not have gone out: its owner decides.
    ShareToCheck,
}

impl Kind {
    /// Its stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SharePublished => "share_published",
            Kind::ShareFailed => "share_failed",
            Kind::ShareToCheck => "share_to_check",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Kind::SharePublished, Kind::ShareFailed, Kind::ShareToCheck]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Queues the message about a share that reached `kind`, when its owner chose email about
/// their shares. Queued once whatever the number of workers (the dedupe key is unique).
///
/// # Errors
/// Database failure.
pub async fn share_settled(
    app: &App,
    user: i32,
    share: ShareId,
    kind: Kind,
) -> Result<bool, StoreError> {
    if app.config.mail.is_none() || !prefs(&app.db, user).await?.email_events {
        return Ok(false);
    }
    let now = Utc::now();
    let queued = app
        .db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "INSERT INTO notification_jobs (user_id, kind, ref_id, dedupe, state, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
             ON CONFLICT (dedupe) DO NOTHING",
            [
                user.into(),
                kind.as_str().into(),
                share.get().into(),
                format!("{}:{}", kind.as_str(), share.get()).into(),
                now.into(),
            ],
        ))
        .await?
        .rows_affected();
    Ok(queued == 1)
}

/// A job claimed for sending.
#[derive(Debug, Clone)]
struct Job {
    id: i32,
    user_id: i32,
    kind: String,
    ref_id: Option<i32>,
    attempts: i32,
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
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    // A message whose lease expired (its worker stopped mid-send) is claimed again: email is
    // sent at least once, and twice only if a worker died between the SMTP answer and this row.
    let sql = format!(
        "UPDATE notification_jobs SET state = 'sending', lease_owner = $1, lease_until = $2, \
         attempts = attempts + 1 WHERE id = (SELECT id FROM notification_jobs WHERE \
         (state = 'pending' AND next_attempt_at <= $3) OR (state = 'sending' AND lease_until < $3) \
         ORDER BY id LIMIT 1{lock}) RETURNING id, user_id, kind, ref_id, attempts"
    );
    let Some(row) = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [owner.into(), (now + LEASE).into(), now.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Job {
        id: row.try_get("", "id")?,
        user_id: row.try_get("", "user_id")?,
        kind: row.try_get("", "kind")?,
        ref_id: row.try_get("", "ref_id")?,
        attempts: row.try_get("", "attempts")?,
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
    let Some(mail) = &app.config.mail else {
        return;
    };
    for _ in 0..20 {
        let job = match claim(&app.db, owner, Utc::now()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a notification");
                return;
            }
        };
        let outcome = match message(app, &job).await {
            Ok(Some(message)) => email::send(mail, &app.views, &message)
                .await
                .map(|()| "sent")
                .map_err(|e| e.to_string()),
            Ok(None) => Ok("skipped"),
            Err(e) => Err(e.to_string()),
        };
        let settled = match outcome {
            Ok(state) => {
                tracing::info!(job = job.id, kind = %job.kind, state, "notification settled");
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

/// The message a job sends now, or `None` when it must not go (the person turned it off since,
/// was deactivated or erased, or the share is gone).
async fn message(app: &App, job: &Job) -> Result<Option<email::Message>, StoreError> {
    let Some(kind) = Kind::parse(&job.kind) else {
        return Ok(None);
    };
    let Some(person) = crate::store::users::by_id(&app.db, job.user_id).await? else {
        return Ok(None);
    };
    if !person.active || !prefs(&app.db, person.id).await?.email_events {
        return Ok(None);
    }
    let Some(share_id) = job.ref_id else {
        return Ok(None);
    };
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT s.network AS network, c.title AS title FROM shares s \
             LEFT JOIN content_items c ON c.id = s.item_id WHERE s.id = $1 AND s.user_id = $2",
            [share_id.into(), person.id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let network: String = row.try_get("", "network")?;
    let network = network
        .parse::<chorus_policy::Network>()
        .map_or(network.clone(), |n| n.display_name().to_owned());
    let title: Option<String> = row.try_get("", "title")?;
    let locale = person
        .locale
        .as_deref()
        .and_then(Locale::from_tag)
        .unwrap_or(Locale::En);
    let key = kind.as_str();
    let text = |name: &str| {
        app.views.i18n.text(
            locale,
            &format!("notify.{key}_{name}"),
            &[
                ("network", network.as_str()),
                ("title", title.as_deref().unwrap_or("—")),
            ],
        )
    };
    Ok(Some(email::Message {
        to: person.email.clone(),
        name: person.display_name.clone(),
        locale,
        subject: text("subject"),
        lede: text("lede"),
        action: text("action"),
        action_url: app.public_url(&format!("/hub/shares/{share_id}")),
        why: app.views.i18n.text(locale, "notify.why_events", &[]),
        prefs_url: app.public_url("/account/notifications"),
        unsubscribe_url: app.public_url(&format!(
            "/unsubscribe/{}",
            unsubscribe_token(app.config.secret_key.bytes(), person.id)
        )),
    }))
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn unsubscribe_mac(secret: &[u8; 32], user: i32) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(b"chorus-unsubscribe:");
    mac.update(&user.to_be_bytes());
    mac
}

/// The token of a person's unsubscribe link: their id and a MAC under the server's key, so the
/// link works without signing in and cannot be made for someone else.
#[must_use]
pub fn unsubscribe_token(secret: &[u8; 32], user: i32) -> String {
    use base64::Engine as _;
    let mac = unsubscribe_mac(secret, user).finalize().into_bytes();
    format!(
        "{user}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..16])
    )
}

/// The person an unsubscribe token names, when it is genuine.
#[must_use]
pub fn unsubscribe_person(secret: &[u8; 32], token: &str) -> Option<i32> {
    use base64::Engine as _;
    let (user, mac) = token.split_once('.')?;
    let user: i32 = user.parse().ok()?;
    let given = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(mac)
        .ok()?;
    // Compared in constant time, on the 16 bytes the link carries.
    (given.len() == 16
        && unsubscribe_mac(secret, user)
            .verify_truncated_left(&given)
            .is_ok())
    .then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_name_one_person_and_cannot_be_forged() {
        let key = [7u8; 32];
        let token = unsubscribe_token(&key, 42);
        assert_eq!(unsubscribe_person(&key, &token), Some(42));
        assert_eq!(unsubscribe_person(&[8u8; 32], &token), None, "another key");
        let other = token.replacen("42.", "43.", 1);
        assert_eq!(unsubscribe_person(&key, &other), None, "another person");
        for bad in ["", "42", "42.", "x.y", "42.AAAA"] {
            assert_eq!(unsubscribe_person(&key, bad), None, "{bad:?}");
        }
    }
}
