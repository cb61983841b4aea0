//! What each person chose (`notification_prefs`): per kind of message, by email and in their
//! own chat, the digest's frequency, and where their own chat is (sealed).

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::app::App;
use crate::store::StoreError;

use super::*;

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
    pub(super) fn period(self) -> Duration {
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

/// Which of `people` chose to hear about what concerns them (by email or chat), read at once:
/// the worker asks only them about each settled share.
///
/// # Errors
/// Database failure.
pub async fn hearing_events(
    db: &impl ConnectionTrait,
    people: &[i32],
) -> Result<std::collections::HashSet<i32>, StoreError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
    let column = |name: &str| Expr::col(Alias::new(name));
    let query = Query::select()
        .column(Alias::new("user_id"))
        .from(Alias::new("notification_prefs"))
        .and_where(column("user_id").is_in(people.iter().copied()))
        .and_where(column("email_events").or(column("chat_events")))
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i32>("", "user_id")?))
        .collect()
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
pub(super) async fn ways_of(app: &App, user: i32, topic: Topic) -> Result<Vec<Via>, StoreError> {
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
