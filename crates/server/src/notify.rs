//! Notifications, only as each person chooses (`/account/notifications`; nothing is on by
//! default): email about their own shares (published, failed, to check), a digest of what is
//! new in the topics they follow (daily or weekly), and editors' announcements of published
//! items to their topics' followers. Messages are jobs in
//! the database, queued once (a unique dedupe key), sent by whichever worker claims them with
//! a lease, retried with back-off, and checked again when sent: never to a person who turned
//! them off since, or was deactivated. No tracking pixel and no tracked link: messages link to
//! Chorus pages only, and carry a one-click unsubscribe (RFC 8058) that works without signing
//! in.

pub mod chat;
pub mod email;

use chorus_policy::ShareId;
use chrono::{DateTime, Duration, Utc};
use hmac::Mac as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::app::App;
use crate::i18n::Locale;
use crate::store::StoreError;

/// How often a person wants the digest of new content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Digest {
    /// No digest.
    #[default]
    Never,
    /// Each morning (08:00 in their time zone), when something is new.
    Daily,
    /// Each Monday morning, when something is new.
    Weekly,
}

impl Digest {
    /// Its stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Digest::Never => "never",
            Digest::Daily => "daily",
            Digest::Weekly => "weekly",
        }
    }

    /// Reads a stored or submitted name (anything else is `never`).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text {
            "daily" => Digest::Daily,
            "weekly" => Digest::Weekly,
            _ => Digest::Never,
        }
    }

    /// How far back a first digest looks.
    fn period(self) -> Duration {
        match self {
            Digest::Weekly => Duration::days(7),
            _ => Duration::days(1),
        }
    }
}

/// What a person chose: for each kind of message, by email and in their own chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "six independent boxes a person ticks, one column each"
)]
pub struct Prefs {
    /// Email about what concerns them (their shares, an account to reconnect, a suggestion
    /// accepted).
    pub email_events: bool,
    /// Email when an editor announces an item in a topic they follow.
    pub email_announcements: bool,
    /// The digest by email.
    pub email_digest: bool,
    /// The same events in their chat.
    pub chat_events: bool,
    /// Announcements in their chat.
    pub chat_announcements: bool,
    /// The digest in their chat.
    pub chat_digest: bool,
    /// How often the digest goes.
    pub digest: Digest,
}

/// Which messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// What concerns the person.
    Events,
    /// Editors' announcements.
    Announcements,
    /// The digest.
    Digest,
}

/// The way a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// By email.
    Email,
    /// In the person's own chat.
    Chat,
}

impl Via {
    /// Its stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Email => "email",
            Via::Chat => "chat",
        }
    }
}

impl Prefs {
    /// Whether the person wants `topic` by `via`.
    #[must_use]
    pub fn wants(&self, topic: Topic, via: Via) -> bool {
        match (topic, via) {
            (Topic::Events, Via::Email) => self.email_events,
            (Topic::Events, Via::Chat) => self.chat_events,
            (Topic::Announcements, Via::Email) => self.email_announcements,
            (Topic::Announcements, Via::Chat) => self.chat_announcements,
            (Topic::Digest, via) => {
                self.digest != Digest::Never
                    && match via {
                        Via::Email => self.email_digest,
                        Via::Chat => self.chat_digest,
                    }
            }
        }
    }

    /// The same choices with every email turned off (what an unsubscribe link does).
    #[must_use]
    pub fn without_email(self) -> Self {
        Prefs {
            email_events: false,
            email_announcements: false,
            email_digest: false,
            ..self
        }
    }
}

/// A person's choices (all off until they turn something on).
///
/// # Errors
/// Database failure.
pub async fn prefs(db: &impl ConnectionTrait, user: i32) -> Result<Prefs, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT email_events, email_announcements, email_digest, chat_events, \
             chat_announcements, chat_digest, digest FROM notification_prefs WHERE user_id = $1",
            [user.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Prefs {
            email_events: row.try_get("", "email_events")?,
            email_announcements: row.try_get("", "email_announcements")?,
            email_digest: row.try_get("", "email_digest")?,
            chat_events: row.try_get("", "chat_events")?,
            chat_announcements: row.try_get("", "chat_announcements")?,
            chat_digest: row.try_get("", "chat_digest")?,
            digest: Digest::parse(&row.try_get::<String>("", "digest")?),
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
        "INSERT INTO notification_prefs (user_id, email_events, email_announcements, \
         email_digest, chat_events, chat_announcements, chat_digest, digest, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (user_id) DO UPDATE SET email_events = excluded.email_events, \
         email_announcements = excluded.email_announcements, \
         email_digest = excluded.email_digest, chat_events = excluded.chat_events, \
         chat_announcements = excluded.chat_announcements, chat_digest = excluded.chat_digest, \
         digest = excluded.digest, updated_at = excluded.updated_at",
        [
            user.into(),
            prefs.email_events.into(),
            prefs.email_announcements.into(),
            prefs.email_digest.into(),
            prefs.chat_events.into(),
            prefs.chat_announcements.into(),
            prefs.chat_digest.into(),
            prefs.digest.as_str().into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Where a person's own chat is: their Slack or Teams webhook address (posting to a direct
/// conversation with themselves), or their Matrix ID (Chorus opens a direct room with them
/// from the organisation's Matrix account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalChat {
    /// The service.
    pub service: chat::Channel,
    /// The webhook address or Matrix ID.
    pub address: String,
    /// The direct Matrix room, once opened.
    pub room: Option<String>,
}

pub(crate) fn chat_place(user: i32) -> chorus_ambassador::vault::Place<'static> {
    chorus_ambassador::vault::Place {
        table: "notification_prefs",
        column: "chat_address",
        row: i64::from(user),
    }
}

/// A person's own chat, when they gave one (an address that no longer opens counts as none).
///
/// # Errors
/// Database failure.
pub async fn personal_chat(
    db: &impl ConnectionTrait,
    vault: &chorus_ambassador::vault::Vault,
    user: i32,
) -> Result<Option<PersonalChat>, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT chat_service, chat_address, chat_room FROM notification_prefs \
             WHERE user_id = $1",
            [user.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let service: Option<String> = row.try_get("", "chat_service")?;
    let sealed: Option<String> = row.try_get("", "chat_address")?;
    let (Some(service), Some(sealed)) = (service.as_deref().and_then(chat::Channel::parse), sealed)
    else {
        return Ok(None);
    };
    let Ok(address) = vault.open(chat_place(user), &sealed) else {
        return Ok(None);
    };
    Ok(Some(PersonalChat {
        service,
        address,
        room: row.try_get("", "chat_room")?,
    }))
}

/// Stores (sealed) or removes a person's own chat; a new address forgets the room opened for
/// the old one. The person's choices row must exist ([`save_prefs`] first).
///
/// # Errors
/// Database failure.
pub async fn save_personal_chat(
    db: &impl ConnectionTrait,
    vault: &chorus_ambassador::vault::Vault,
    user: i32,
    chat: Option<(chat::Channel, &str)>,
) -> Result<(), StoreError> {
    let current = personal_chat(db, vault, user).await?;
    let unchanged = match (&current, chat) {
        (Some(current), Some((service, address))) => {
            current.service == service && current.address == address
        }
        (None, None) => true,
        _ => false,
    };
    if unchanged {
        return Ok(());
    }
    let (service, sealed) = match chat {
        Some((service, address)) => (
            Some(service.as_str()),
            Some(vault.seal(chat_place(user), address)),
        ),
        None => (None, None),
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE notification_prefs SET chat_service = $1, chat_address = $2, chat_room = NULL \
         WHERE user_id = $3",
        [service.into(), sealed.into(), user.into()],
    ))
    .await?;
    Ok(())
}

/// The ways `topic` reaches a person with these choices: email when the server sends email,
/// chat when they gave their own and the organisation still connects that service.
#[must_use]
pub fn ways(
    prefs: &Prefs,
    topic: Topic,
    mail: bool,
    personal: Option<&PersonalChat>,
    channels: &chat::Channels,
) -> Vec<Via> {
    let mut ways = Vec::new();
    if mail && prefs.wants(topic, Via::Email) {
        ways.push(Via::Email);
    }
    if prefs.wants(topic, Via::Chat) && personal.is_some_and(|p| channels.has(p.service)) {
        ways.push(Via::Chat);
    }
    ways
}

/// The ways `topic` reaches `user` now.
async fn ways_of(app: &App, user: i32, topic: Topic) -> Result<Vec<Via>, StoreError> {
    let prefs = prefs(&app.db, user).await?;
    if !prefs.wants(topic, Via::Email) && !prefs.wants(topic, Via::Chat) {
        return Ok(Vec::new());
    }
    let personal = personal_chat(&app.db, &app.vault, user).await?;
    let channels = if prefs.wants(topic, Via::Chat) && personal.is_some() {
        chat::channels(&app.db, &app.vault).await?
    } else {
        chat::Channels::default()
    };
    Ok(ways(
        &prefs,
        topic,
        app.config.mail.is_some(),
        personal.as_ref(),
        &channels,
    ))
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

    fn parse(text: &str) -> Option<Self> {
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
struct NewJob<'a> {
    user: i32,
    kind: Kind,
    via: Via,
    ref_id: Option<i32>,
    /// What makes it one message (the way is added to it).
    key: &'a str,
    /// Where a digest's period began.
    window_start: Option<DateTime<Utc>>,
}

/// Queues one message, once: a second call with the same key and way (another worker, or the
/// same event seen twice) queues nothing. Whether it was queued.
async fn enqueue(db: &impl ConnectionTrait, job: &NewJob<'_>) -> Result<bool, StoreError> {
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

/// Why an announcement was not sent.
#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    /// The item was announced already (once per item).
    #[error("this item was announced already")]
    AlreadyAnnounced,
    /// Only a published item can be announced.
    #[error("only a published item can be announced")]
    NotPublished,
    /// The words are empty or too long.
    #[error("the message is 1 to 500 characters")]
    BadMessage,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for AnnounceError {
    fn from(e: sea_orm::DbErr) -> Self {
        AnnounceError::Store(e.into())
    }
}

/// An item's announcement, when it was made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Announcement {
    /// The editor's words.
    pub message: String,
    /// How many people it went to.
    pub recipients: i32,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The announcement of an item, if any.
///
/// # Errors
/// Database failure.
pub async fn announcement(
    db: &impl ConnectionTrait,
    item: i32,
) -> Result<Option<Announcement>, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT message, recipients, created_at FROM announcements WHERE item_id = $1",
            [item.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Some(Announcement {
            message: row.try_get("", "message")?,
            recipients: row.try_get("", "recipients")?,
            created_at: row.try_get("", "created_at")?,
        }),
        None => None,
    })
}

/// Announces a published item, once, with the editor's words, to the followers of its topics
/// who chose announcements (active and taking part); returns how many it goes to.
///
/// # Errors
/// [`AnnounceError`].
pub async fn announce(
    app: &App,
    item: i32,
    author: i32,
    message: &str,
) -> Result<i32, AnnounceError> {
    let message = message.trim();
    if message.is_empty() || message.chars().count() > 500 {
        return Err(AnnounceError::BadMessage);
    }
    let db = &app.db;
    let backend = db.get_database_backend();
    let published = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT id FROM content_items WHERE id = $1 AND state = 'published'",
            [item.into()],
        ))
        .await?;
    if published.is_none() {
        return Err(AnnounceError::NotPublished);
    }
    let followers = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT DISTINCT f.user_id AS user_id FROM topic_follows f \
             JOIN content_item_topics t ON t.topic_id = f.topic_id \
             JOIN notification_prefs p ON p.user_id = f.user_id \
             JOIN users u ON u.id = f.user_id \
             WHERE t.item_id = $1 AND (p.email_announcements OR p.chat_announcements) \
             AND u.active ORDER BY f.user_id",
            [item.into()],
        ))
        .await?;
    let channels = chat::channels(db, &app.vault).await?;
    let mut recipients = Vec::new();
    for row in followers {
        let user: i32 = row.try_get("", "user_id")?;
        if !matches!(
            crate::store::policy::consent_state(db, user).await?,
            chorus_policy::consent::ConsentState::Accepted { .. }
        ) {
            continue;
        }
        let personal = personal_chat(db, &app.vault, user).await?;
        let ways = ways(
            &prefs(db, user).await?,
            Topic::Announcements,
            app.config.mail.is_some(),
            personal.as_ref(),
            &channels,
        );
        if !ways.is_empty() {
            recipients.push((user, ways));
        }
    }
    let txn = chorus_editorial::store::begin_write(db).await?;
    let inserted = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO announcements (item_id, author_id, message, recipients, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (item_id) DO NOTHING",
            [
                item.into(),
                author.into(),
                message.into(),
                i32::try_from(recipients.len()).unwrap_or(i32::MAX).into(),
                Utc::now().into(),
            ],
        ))
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(AnnounceError::AlreadyAnnounced);
    }
    // The organisation's channels: one post each, in the editor's name (the job is theirs).
    let key = format!("chat:{item}");
    for channel in chat::Channel::ALL.into_iter().filter(|c| channels.has(*c)) {
        let key = format!("{key}:{}", channel.as_str());
        let job = NewJob {
            user: author,
            kind: Kind::Chat(channel),
            // The way is the channel itself.
            via: Via::Email,
            ref_id: Some(item),
            key: &key,
            window_start: None,
        };
        enqueue(&txn, &job).await?;
    }
    let key = format!("announcement:{item}");
    for (user, ways) in &recipients {
        let key = format!("{key}:{user}");
        for via in ways {
            let job = NewJob {
                user: *user,
                kind: Kind::Announcement,
                via: *via,
                ref_id: Some(item),
                key: &key,
                window_start: None,
            };
            enqueue(&txn, &job).await?;
        }
    }
    txn.commit().await?;
    Ok(i32::try_from(recipients.len()).unwrap_or(i32::MAX))
}

/// A job claimed for sending.
#[derive(Debug, Clone)]
struct Job {
    id: i32,
    user_id: i32,
    kind: String,
    via: Via,
    ref_id: Option<i32>,
    window_start: Option<DateTime<Utc>>,
    attempts: i32,
    created_at: DateTime<Utc>,
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
         ORDER BY id LIMIT 1{lock}) \
         RETURNING id, user_id, kind, via, ref_id, window_start, attempts, created_at"
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

/// The message a job sends now, or `None` when it must not go (the person turned it off since,
/// was deactivated, erased or stopped taking part, the share is gone, or a digest has nothing
/// new).
async fn message(app: &App, job: &Job) -> Result<Option<email::Message>, StoreError> {
    let Some(kind) = Kind::parse(&job.kind) else {
        return Ok(None);
    };
    let Some(person) = crate::store::users::by_id(&app.db, job.user_id).await? else {
        return Ok(None);
    };
    if !person.active {
        return Ok(None);
    }
    let chosen = prefs(&app.db, person.id).await?;
    let locale = person
        .locale
        .as_deref()
        .and_then(Locale::from_tag)
        .unwrap_or(Locale::En);
    let i18n = &app.views.i18n;
    let mut message = email::Message {
        to: person.email.clone(),
        name: person.display_name.clone(),
        locale,
        subject: String::new(),
        lede: String::new(),
        items: Vec::new(),
        action: String::new(),
        action_url: String::new(),
        why: String::new(),
        prefs_url: app.public_url("/account/notifications"),
        unsubscribe_url: app.public_url(&format!(
            "/unsubscribe/{}",
            unsubscribe_token(app.config.secret_key.bytes(), person.id)
        )),
    };
    let taking_part = || async {
        Ok::<_, StoreError>(matches!(
            crate::store::policy::consent_state(&app.db, person.id).await?,
            chorus_policy::consent::ConsentState::Accepted { .. }
        ))
    };
    match kind {
        // Posted by `chat_post`, never emailed.
        Kind::Chat(_) => return Ok(None),
        Kind::SharePublished | Kind::ShareFailed | Kind::ShareToCheck => {
            let Some(share_id) = job.ref_id.filter(|_| chosen.wants(Topic::Events, job.via)) else {
                return Ok(None);
            };
            let row = app
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    app.db.get_database_backend(),
                    "SELECT s.network AS network, c.title AS title FROM shares s \
                     LEFT JOIN content_items c ON c.id = s.item_id \
                     WHERE s.id = $1 AND s.user_id = $2",
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
            let key = kind.as_str();
            let args = [
                ("network", network.as_str()),
                ("title", title.as_deref().unwrap_or("—")),
            ];
            message.subject = i18n.text(locale, &format!("notify.{key}_subject"), &args);
            message.lede = i18n.text(locale, &format!("notify.{key}_lede"), &args);
            message.action = i18n.text(locale, &format!("notify.{key}_action"), &args);
            message.action_url = app.public_url(&format!("/hub/shares/{share_id}"));
            message.why = i18n.text(locale, "notify.why_events", &[]);
        }
        Kind::ReconnectSoon => {
            let Some(account) = job.ref_id.filter(|_| chosen.wants(Topic::Events, job.via)) else {
                return Ok(None);
            };
            let row = app
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    app.db.get_database_backend(),
                    "SELECT network, handle, expires_at, needs_reconnect, \
                     refresh_token IS NULL AS cannot_renew FROM connected_accounts \
                     WHERE id = $1 AND user_id = $2",
                    [account.into(), person.id.into()],
                ))
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let needs_reconnect: bool = row.try_get("", "needs_reconnect")?;
            let expires_at: Option<DateTime<Utc>> = row.try_get("", "expires_at")?;
            let ends_soon = row.try_get::<bool>("", "cannot_renew")?
                && expires_at.is_some_and(|at| at <= Utc::now() + RECONNECT_NOTICE);
            // Reconnected since: nothing to say.
            if !needs_reconnect && !ends_soon {
                return Ok(None);
            }
            let network: String = row.try_get("", "network")?;
            let network = network
                .parse::<chorus_policy::Network>()
                .map_or(network.clone(), |n| n.display_name().to_owned());
            let handle: String = row.try_get("", "handle")?;
            let zone = chorus_ambassador::onboarding::load(&app.db, person.id)
                .await?
                .zone();
            let date = expires_at
                .map(|at| chorus_ambassador::onboarding::local_text(zone, at))
                .unwrap_or_default();
            let args = [
                ("network", network.as_str()),
                ("handle", handle.as_str()),
                ("date", date.as_str()),
            ];
            let lede = if needs_reconnect {
                "notify.reconnect_soon_lede_now"
            } else {
                "notify.reconnect_soon_lede"
            };
            message.subject = i18n.text(locale, "notify.reconnect_soon_subject", &args);
            message.lede = i18n.text(locale, lede, &args);
            message.action = i18n.text(locale, "notify.reconnect_soon_action", &args);
            message.action_url = app.public_url("/hub/accounts");
            message.why = i18n.text(locale, "notify.why_events", &[]);
        }
        Kind::SuggestionAccepted => {
            let Some(item) = job.ref_id.filter(|_| chosen.wants(Topic::Events, job.via)) else {
                return Ok(None);
            };
            let row = app
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    app.db.get_database_backend(),
                    "SELECT title FROM content_items WHERE id = $1 AND suggested_by = $2 \
                     AND state = 'published'",
                    [item.into(), person.id.into()],
                ))
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let title: String = row.try_get("", "title")?;
            let args = [("title", title.as_str())];
            message.subject = i18n.text(locale, "notify.suggestion_accepted_subject", &args);
            message.lede = i18n.text(locale, "notify.suggestion_accepted_lede", &args);
            message.items = vec![email::Line {
                title,
                url: app.public_url(&format!("/hub/items/{item}")),
            }];
            message.action = i18n.text(locale, "notify.see_item", &[]);
            message.action_url = app.public_url(&format!("/hub/items/{item}"));
            message.why = i18n.text(locale, "notify.why_events", &[]);
        }
        Kind::Digest => {
            if !chosen.wants(Topic::Digest, job.via) || !taking_part().await? {
                return Ok(None);
            }
            // What was published between the previous digest and this one's queueing.
            let since = job
                .window_start
                .unwrap_or_else(|| job.created_at - chosen.digest.period());
            let items = new_items(&app.db, person.id, since, job.created_at).await?;
            if items.is_empty() {
                return Ok(None);
            }
            let count = items.len().to_string();
            let key = chosen.digest.as_str();
            message.subject = i18n.text(
                locale,
                &format!("notify.digest_{key}_subject"),
                &[("count", &count)],
            );
            message.lede = i18n.text(locale, "notify.digest_lede", &[("count", &count)]);
            message.items = items
                .into_iter()
                .map(|(id, title)| email::Line {
                    title,
                    url: app.public_url(&format!("/hub/items/{id}")),
                })
                .collect();
            message.action = i18n.text(locale, "notify.open_hub", &[]);
            message.action_url = app.public_url("/hub");
            message.why = i18n.text(locale, &format!("notify.why_digest_{key}"), &[]);
        }
        Kind::Announcement => {
            let Some(item) = job
                .ref_id
                .filter(|_| chosen.wants(Topic::Announcements, job.via))
            else {
                return Ok(None);
            };
            if !taking_part().await? {
                return Ok(None);
            }
            let row = app
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    app.db.get_database_backend(),
                    "SELECT a.message AS message, c.title AS title, u.display_name AS author \
                     FROM announcements a JOIN content_items c ON c.id = a.item_id \
                     LEFT JOIN users u ON u.id = a.author_id \
                     WHERE a.item_id = $1 AND c.state = 'published'",
                    [item.into()],
                ))
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let title: String = row.try_get("", "title")?;
            let author: Option<String> = row.try_get("", "author")?;
            let author = author.unwrap_or_else(|| i18n.text(locale, "notify.the_editors", &[]));
            message.subject = i18n.text(
                locale,
                "notify.announcement_subject",
                &[("title", &title), ("author", &author)],
            );
            message.lede = i18n.text(
                locale,
                "notify.announcement_lede",
                &[
                    ("author", &author),
                    ("message", &row.try_get::<String>("", "message")?),
                ],
            );
            message.items = vec![email::Line {
                title,
                url: app.public_url(&format!("/hub/items/{item}")),
            }];
            message.action = i18n.text(locale, "notify.see_item", &[]);
            message.action_url = app.public_url(&format!("/hub/items/{item}"));
            message.why = i18n.text(locale, "notify.why_announcements", &[]);
        }
    }
    Ok(Some(message))
}

/// Items published in `(since, until]` in the topics the person follows (every topic when they
/// follow none, as their hub shows), still available, newest first, at most 20.
async fn new_items(
    db: &DatabaseConnection,
    user: i32,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(i32, String)>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT c.id AS id, c.title AS title FROM content_items c \
             WHERE c.state = 'published' AND c.published_at > $2 AND c.published_at <= $3 \
             AND (c.available_until IS NULL OR c.available_until > $3) \
             AND (NOT EXISTS (SELECT 1 FROM topic_follows f WHERE f.user_id = $1) \
                  OR EXISTS (SELECT 1 FROM topic_follows f JOIN content_item_topics t \
                             ON t.topic_id = f.topic_id WHERE f.user_id = $1 AND t.item_id = c.id)) \
             ORDER BY c.published_at DESC LIMIT 20",
            [user.into(), since.into(), until.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "title")?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(StoreError::from)
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
