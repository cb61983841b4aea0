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

/// What a person chose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prefs {
    /// Email about their shares (published, failed, to check).
    pub email_events: bool,
    /// Email when an editor announces an item in a topic they follow.
    pub email_announcements: bool,
    /// The digest of new content.
    pub digest: Digest,
}

/// A person's choices (all off until they turn something on).
///
/// # Errors
/// Database failure.
pub async fn prefs(db: &impl ConnectionTrait, user: i32) -> Result<Prefs, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT email_events, email_announcements, digest FROM notification_prefs \
             WHERE user_id = $1",
            [user.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Prefs {
            email_events: row.try_get("", "email_events")?,
            email_announcements: row.try_get("", "email_announcements")?,
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
        "INSERT INTO notification_prefs (user_id, email_events, email_announcements, digest, \
         updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET email_events = excluded.email_events, \
         email_announcements = excluded.email_announcements, digest = excluded.digest, \
         updated_at = excluded.updated_at",
        [
            user.into(),
            prefs.email_events.into(),
            prefs.email_announcements.into(),
            prefs.digest.as_str().into(),
            Utc::now().into(),
        ],
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
    enqueue(
        &app.db,
        user,
        kind,
        Some(share.get()),
        &format!("{}:{}", kind.as_str(), share.get()),
    )
    .await
}

/// Queues one message, once: a second call with the same `dedupe` key (another worker, or the
/// same event seen twice) queues nothing. Whether it was queued.
async fn enqueue(
    db: &impl ConnectionTrait,
    user: i32,
    kind: Kind,
    ref_id: Option<i32>,
    dedupe: &str,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO notification_jobs (user_id, kind, ref_id, dedupe, state, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
             ON CONFLICT (dedupe) DO NOTHING",
            [
                user.into(),
                kind.as_str().into(),
                ref_id.into(),
                dedupe.into(),
                now.into(),
            ],
        ))
        .await?
        .rows_affected()
        == 1)
}

/// Queues the digest of each person whose digest is due: daily from 08:00 in their time zone,
/// weekly from Monday 08:00; one per period (its key is the person and the period), whichever
/// worker gets there first. Whether it holds anything is decided when it is sent.
///
/// # Errors
/// Database failure.
pub async fn queue_digests(app: &App, now: DateTime<Utc>) -> Result<u64, StoreError> {
    use chrono::{Datelike as _, Timelike as _};
    if app.config.mail.is_none() {
        return Ok(0);
    }
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
             WHERE u.active AND p.digest <> 'never' AND NOT EXISTS (SELECT 1 FROM \
             notification_jobs j WHERE j.user_id = p.user_id AND j.kind = 'digest' \
             AND j.state IN ('pending', 'sending'))",
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
        if enqueue(
            &app.db,
            user,
            Kind::Digest,
            None,
            &format!("digest:{user}:{period}"),
        )
        .await?
        {
            queued += 1;
        }
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
             WHERE t.item_id = $1 AND p.email_announcements AND u.active ORDER BY f.user_id",
            [item.into()],
        ))
        .await?;
    let mut recipients = Vec::new();
    for row in followers {
        let user: i32 = row.try_get("", "user_id")?;
        if matches!(
            crate::store::policy::consent_state(db, user).await?,
            chorus_policy::consent::ConsentState::Accepted { .. }
        ) {
            recipients.push(user);
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
    let channels = chat::channels(&txn, &app.vault).await?;
    for channel in chat::Channel::ALL.into_iter().filter(|c| channels.has(*c)) {
        enqueue(
            &txn,
            author,
            Kind::Chat(channel),
            Some(item),
            &format!("chat:{}:{item}", channel.as_str()),
        )
        .await?;
    }
    if app.config.mail.is_some() {
        for user in &recipients {
            enqueue(
                &txn,
                *user,
                Kind::Announcement,
                Some(item),
                &format!("announcement:{item}:{user}"),
            )
            .await?;
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
            _ => match (&app.config.mail, message(app, &job).await) {
                (Some(mail), Ok(Some(message))) => email::send(mail, &app.views, &message)
                    .await
                    .map(|()| "sent")
                    .map_err(|e| e.to_string()),
                // No email server (any more), or nothing to send.
                (None, Ok(Some(_))) | (_, Ok(None)) => Ok("skipped"),
                (_, Err(e)) => Err(e.to_string()),
            },
        };
        let settled = match outcome {
            Ok(state) => {
                tracing::info!(job = job.id, kind = %job.kind, state, "notification settled");
                if job.kind == Kind::Digest.as_str()
                    && let Err(e) = digest_done(&app.db, job.user_id, Utc::now()).await
                {
                    tracing::warn!(job = job.id, error = %e, "could not record the digest");
                }
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
            let Some(share_id) = job.ref_id.filter(|_| chosen.email_events) else {
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
        Kind::Digest => {
            if chosen.digest == Digest::Never || !taking_part().await? {
                return Ok(None);
            }
            let sent_at: Option<DateTime<Utc>> = app
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    app.db.get_database_backend(),
                    "SELECT digest_sent_at FROM notification_prefs WHERE user_id = $1",
                    [person.id.into()],
                ))
                .await?
                .map(|row| row.try_get("", "digest_sent_at"))
                .transpose()?
                .flatten();
            let since = sent_at.unwrap_or_else(|| Utc::now() - chosen.digest.period());
            let items = new_items(&app.db, person.id, since, Utc::now()).await?;
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
            let Some(item) = job.ref_id.filter(|_| chosen.email_announcements) else {
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

/// Records that a person's digest went out (or had nothing), so the next one starts here.
async fn digest_done(
    db: &DatabaseConnection,
    user: i32,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE notification_prefs SET digest_sent_at = $1 WHERE user_id = $2",
        [at.into(), user.into()],
    ))
    .await?;
    Ok(())
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
