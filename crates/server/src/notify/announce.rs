//! Editors' announcements of a published item: once per item, to the followers who asked for
//! them, and to the organisation's chat channels.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::app::App;
use crate::store::StoreError;

use super::*;

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
