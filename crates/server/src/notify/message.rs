//! What a message says, built when it is sent (so a choice changed since, a deactivation or a
//! withdrawn consent stops it).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};

use crate::app::App;
use crate::i18n::Locale;
use crate::store::StoreError;

use super::*;

/// The message a job sends now, or `None` when it must not go (the person turned it off since,
/// was deactivated, erased or stopped taking part, the share is gone, or a digest has nothing
/// new).
pub(super) async fn message(app: &App, job: &Job) -> Result<Option<email::Message>, StoreError> {
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
            let zone =
                chorus_ambassador::onboarding::load(&app.db, chorus_policy::UserId(person.id))
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
