//! Queueing messages, once each (a unique dedupe key per message and way): events that concern
//! a person, the digests that are due, and the reconnect notices.

use chorus_policy::ShareId;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::app::App;
use crate::store::StoreError;

use super::*;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A share went live.
    SharePublished,
    /// A share could not be sent.
    ShareFailed,
    /// A share may or may not have gone out: its owner decides.
    ShareToCheck,
    /// A network account whose access ends soon (or ended) and that Chorus cannot renew.
    ReconnectSoon,
    /// An item the person suggested was published.
    SuggestionAccepted,
    /// What is new in the topics they follow.
    Digest,
    /// An editor announced a published item.
    Announcement,
    /// An announcement posted to one of the organisation's chat channels.
    Chat(chat::Channel),
}

impl Kind {
    /// Its stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SharePublished => "share_published",
            Kind::ShareFailed => "share_failed",
            Kind::ShareToCheck => "share_to_check",
            Kind::ReconnectSoon => "reconnect_soon",
            Kind::SuggestionAccepted => "suggestion_accepted",
            Kind::Digest => "digest",
            Kind::Announcement => "announcement",
            Kind::Chat(chat::Channel::Slack) => "chat_slack",
            Kind::Chat(chat::Channel::Teams) => "chat_teams",
            Kind::Chat(chat::Channel::Matrix) => "chat_matrix",
        }
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        [
            Kind::SharePublished,
            Kind::ShareFailed,
            Kind::ShareToCheck,
            Kind::ReconnectSoon,
            Kind::SuggestionAccepted,
            Kind::Digest,
            Kind::Announcement,
            Kind::Chat(chat::Channel::Slack),
            Kind::Chat(chat::Channel::Teams),
            Kind::Chat(chat::Channel::Matrix),
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// Queues the message about a share that reached `kind`, by each way its owner chose for
/// what concerns them. Queued once whatever the number of workers (the dedupe key is unique).
///
/// # Errors
/// Database failure.
pub async fn share_settled(
    app: &App,
    user: i32,
    share: ShareId,
    kind: Kind,
) -> Result<bool, StoreError> {
    event(
        app,
        user,
        kind,
        share.get(),
        &format!("{}:{}", kind.as_str(), share.get()),
    )
    .await
}

/// Queues an event that concerns `user` (about `ref_id`) by each way they chose, once per
/// `key`. Whether anything was queued.
async fn event(
    app: &App,
    user: i32,
    kind: Kind,
    ref_id: i32,
    key: &str,
) -> Result<bool, StoreError> {
    let mut queued = false;
    for via in ways_of(app, user, Topic::Events).await? {
        queued |= enqueue(
            &app.db,
            &NewJob {
                user,
                kind,
                via,
                ref_id: Some(ref_id),
                key,
                window_start: None,
            },
        )
        .await?;
    }
    Ok(queued)
}

/// Queues "your suggestion is published" to whoever suggested `item`, when someone did.
///
/// # Errors
/// Database failure.
pub async fn suggestion_accepted(app: &App, item: i32) -> Result<bool, StoreError> {
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT c.suggested_by AS suggested_by FROM content_items c \
             JOIN users u ON u.id = c.suggested_by \
             WHERE c.id = $1 AND c.state = 'published' AND u.active",
            [item.into()],
        ))
        .await?;
    let Some(user) = row
        .map(|row| row.try_get::<Option<i32>>("", "suggested_by"))
        .transpose()?
        .flatten()
    else {
        return Ok(false);
    };
    event(
        app,
        user,
        Kind::SuggestionAccepted,
        item,
        &format!("suggestion_accepted:{item}"),
    )
    .await
}

/// How long before a token Chorus cannot renew ends its owner is told.
pub const RECONNECT_NOTICE: Duration = Duration::days(7);

/// Queues "reconnect this account" to the owners of accounts whose access ends within
/// [`RECONNECT_NOTICE`] without a refresh token (LinkedIn's 60 days), or that were marked to
/// reconnect in the last two days (revoked, or refused on refresh): once per expiry and per
/// incident. Returns how many were queued.
///
/// # Errors
/// Database failure.
pub async fn queue_reconnect_notices(app: &App, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let rows = app
        .db
        .query_all_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT a.id AS id, a.user_id AS user_id, a.expires_at AS expires_at, \
             a.needs_reconnect AS needs_reconnect, a.updated_at AS updated_at \
             FROM connected_accounts a JOIN users u ON u.id = a.user_id \
             JOIN notification_prefs p ON p.user_id = a.user_id \
             WHERE u.active AND (p.email_events OR p.chat_events) AND ( \
               (a.needs_reconnect AND a.updated_at > $1) OR \
               (NOT a.needs_reconnect AND a.refresh_token IS NULL \
                AND a.expires_at > $2 AND a.expires_at <= $3))",
            [
                (now - Duration::days(2)).into(),
                now.into(),
                (now + RECONNECT_NOTICE).into(),
            ],
        ))
        .await?;
    let mut queued = 0;
    for row in rows {
        let account: i32 = row.try_get("", "id")?;
        let user: i32 = row.try_get("", "user_id")?;
        let key = if row.try_get::<bool>("", "needs_reconnect")? {
            let at: DateTime<Utc> = row.try_get("", "updated_at")?;
            format!("reconnect:{account}:r{}", at.timestamp())
        } else {
            let at: Option<DateTime<Utc>> = row.try_get("", "expires_at")?;
            format!("reconnect:{account}:e{}", at.map_or(0, |at| at.timestamp()))
        };
        if event(app, user, Kind::ReconnectSoon, account, &key).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// A message to queue.
pub(super) struct NewJob<'a> {
    pub(super) user: i32,
    pub(super) kind: Kind,
    pub(super) via: Via,
    pub(super) ref_id: Option<i32>,
    /// What makes it one message (the way is added to it).
    pub(super) key: &'a str,
    /// Where a digest's period began.
    pub(super) window_start: Option<DateTime<Utc>>,
}

/// Queues one message, once: a second call with the same key and way (another worker, or the
/// same event seen twice) queues nothing. Whether it was queued.
pub(super) async fn enqueue(
    db: &impl ConnectionTrait,
    job: &NewJob<'_>,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    let dedupe = match job.via {
        Via::Email => job.key.to_owned(),
        Via::Chat => format!("{}@chat", job.key),
    };
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO notification_jobs (user_id, kind, via, ref_id, dedupe, window_start, \
             state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) \
             ON CONFLICT (dedupe) DO NOTHING",
            [
                job.user.into(),
                job.kind.as_str().into(),
                job.via.as_str().into(),
                job.ref_id.into(),
                dedupe.into(),
                job.window_start.into(),
                now.into(),
            ],
        ))
        .await?
        .rows_affected()
        == 1)
}

/// Queues the digest of each person whose digest is due: daily from 08:00 in their time zone,
/// weekly from Monday 08:00; one per period and per way (its key is the person and the period),
/// whichever worker gets there first. The digest covers what was published since the last one
/// was queued (or one period back); whether it holds anything is decided when it is sent.
///
/// # Errors
/// Database failure.
pub async fn queue_digests(app: &App, now: DateTime<Utc>) -> Result<u64, StoreError> {
    use chrono::{Datelike as _, Timelike as _};
    // One query: the person's time zone joined, and nobody whose digest is already waiting
    // (so a tick writes only for people whose period just began).
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT p.user_id AS user_id, p.digest AS digest, p.digest_sent_at AS sent_at, \
             o.time_zone AS time_zone FROM notification_prefs p \
             JOIN users u ON u.id = p.user_id \
             LEFT JOIN onboarding o ON o.user_id = p.user_id \
             WHERE u.active AND p.digest <> 'never' AND (p.email_digest OR p.chat_digest) \
             AND NOT EXISTS (SELECT 1 FROM notification_jobs j WHERE j.user_id = p.user_id \
             AND j.kind = 'digest' AND j.state IN ('pending', 'sending'))",
        ))
        .await?;
    let mut queued = 0;
    for row in rows {
        let user: i32 = row.try_get("", "user_id")?;
        let digest = Digest::parse(&row.try_get::<String>("", "digest")?);
        let zone = row
            .try_get::<Option<String>>("", "time_zone")?
            .and_then(|z| chorus_ambassador::onboarding::parse_time_zone(&z).ok())
            .unwrap_or(chrono_tz::Tz::UTC);
        let sent_at: Option<DateTime<Utc>> = row.try_get("", "sent_at")?;
        let local = now.with_timezone(&zone);
        if local.hour() < 8 {
            continue;
        }
        let period_of = |at: DateTime<chrono_tz::Tz>| match digest {
            Digest::Never => None,
            Digest::Daily => Some(at.format("%Y-%m-%d").to_string()),
            Digest::Weekly => {
                let week = at.iso_week();
                Some(format!("{}-W{:02}", week.year(), week.week()))
            }
        };
        let Some(period) = period_of(local) else {
            continue;
        };
        // This period's digest went out already: nothing to write.
        if sent_at.and_then(|at| period_of(at.with_timezone(&zone))) == Some(period.clone()) {
            continue;
        }
        let key = format!("digest:{user}:{period}");
        let since = sent_at.unwrap_or(now - digest.period());
        for via in ways_of(app, user, Topic::Digest).await? {
            let job = NewJob {
                user,
                kind: Kind::Digest,
                via,
                ref_id: None,
                key: &key,
                window_start: Some(since),
            };
            if enqueue(&app.db, &job).await? {
                queued += 1;
            }
        }
        // The next digest starts here, whichever way this one goes (or if it goes nowhere).
        app.db
            .execute_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                "UPDATE notification_prefs SET digest_sent_at = $1 WHERE user_id = $2",
                [now.into(), user.into()],
            ))
            .await?;
    }
    Ok(queued)
}
