//! Tracked links: each share gets its own opaque short link `/l/{code}` that redirects to the
//! content link with UTM parameters. The redirect is the hottest path: codes resolve from an
//! in-memory cache, and clicks are counted in memory and flushed to the database as increments
//! per link and hour (humans and robots apart). Nothing about the visitor is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chorus_policy::{LinkId, ShareId, UserId};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use rand::Rng as _;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    EntityTrait as _, QueryFilter as _, Statement,
};
use url::Url;

use crate::store::entities::tracked_link;

const CODE_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A random, opaque code: 10 characters from 57, about 58 bits; not guessable from another.
#[must_use]
pub fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// The target with UTM parameters; `None` unless it is an http(s) URL.
#[must_use]
pub fn target_with_utm(link: &str, source: &str, medium: &str, campaign: &str) -> Option<String> {
    let mut url = Url::parse(link).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("utm_"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut pairs = url.query_pairs_mut();
        pairs.clear();
        for (k, v) in &kept {
            pairs.append_pair(k, v);
        }
        pairs
            .append_pair("utm_source", source)
            .append_pair("utm_medium", medium)
            .append_pair("utm_campaign", campaign);
    }
    Some(url.to_string())
}

/// Creates a tracked link (its share is attached once created): returns its id and code.
///
/// # Errors
/// Database failure.
pub async fn create(
    db: &impl ConnectionTrait,
    target: &str,
) -> Result<(LinkId, String), sea_orm::DbErr> {
    let code = new_code();
    let row = tracked_link::ActiveModel {
        code: Set(code.clone()),
        share_id: Set(None),
        target_url: Set(target.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((LinkId(row.id), code))
}

/// Attaches a tracked link to its share.
///
/// # Errors
/// Database failure.
pub async fn attach(
    db: &impl ConnectionTrait,
    link_id: LinkId,
    share_id: ShareId,
) -> Result<(), sea_orm::DbErr> {
    tracked_link::Entity::update_many()
        .col_expr(
            tracked_link::Column::ShareId,
            sea_orm::sea_query::Expr::value(share_id.get()),
        )
        .filter(tracked_link::Column::Id.eq(link_id.get()))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a user agent is a link-preview robot or crawler rather than a person.
#[must_use]
pub fn is_robot(user_agent: &str) -> bool {
    const MARKERS: [&str; 14] = [
        "bot",
        "crawler",
        "spider",
        "facebookexternalhit",
        "slackbot",
        "twitterbot",
        "linkedinbot",
        "mastodon",
        "bluesky",
        "cardyb",
        "embedly",
        "preview",
        "whatsapp",
        "skypeuripreview",
    ];
    let ua = user_agent.to_ascii_lowercase();
    ua.is_empty() || MARKERS.iter().any(|m| ua.contains(m))
}

/// A link and the hour its clicks fall in.
type HourKey = (LinkId, DateTime<Utc>);
/// Human and robot clicks.
type Counts = (i64, i64);

/// The redirect's state: resolved codes and clicks not yet flushed.
#[derive(Debug, Default)]
pub struct Redirects {
    cache: RwLock<HashMap<String, (LinkId, Arc<str>)>>,
    pending: Mutex<HashMap<HourKey, Counts>>,
}

impl Redirects {
    /// The link id and target of `code`, from the cache or the database.
    ///
    /// # Errors
    /// Database failure.
    pub async fn resolve(
        &self,
        db: &impl ConnectionTrait,
        code: &str,
    ) -> Result<Option<(LinkId, Arc<str>)>, sea_orm::DbErr> {
        if let Some(found) = self.cache.read().ok().and_then(|c| c.get(code).cloned()) {
            return Ok(Some(found));
        }
        // Only a code Chorus could have made is looked up (no NUL or other byte the database
        // would refuse).
        if code.len() > 32 || !code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
            return Ok(None);
        }
        let Some(row) = tracked_link::Entity::find()
            .filter(tracked_link::Column::Code.eq(code))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let found = (LinkId(row.id), Arc::<str>::from(row.target_url));
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(code.to_owned(), found.clone());
        }
        Ok(Some(found))
    }

    /// Counts one click in memory.
    pub fn count(&self, link_id: LinkId, robot: bool, now: DateTime<Utc>) {
        let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
        if let Ok(mut pending) = self.pending.lock() {
            let entry = pending.entry((link_id, hour)).or_insert((0, 0));
            if robot {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
    }

    /// Writes pending clicks as increments; returns how many clicks were written. On failure
    /// the counts go back into memory for the next flush.
    ///
    /// # Errors
    /// Database failure.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
        let batch: Vec<(HourKey, Counts)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(0),
        };
        let mut written = 0;
        for (index, ((link_id, hour), (humans, robots))) in batch.iter().enumerate() {
            let statement = Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO click_counts (link_id, hour, humans, robots) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (link_id, hour) DO UPDATE SET humans = click_counts.humans + excluded.humans, \
                 robots = click_counts.robots + excluded.robots",
                [
                    link_id.get().into(),
                    (*hour).into(),
                    (*humans).into(),
                    (*robots).into(),
                ],
            );
            let written_both = async {
                let txn = chorus_editorial::store::begin_write(db).await?;
                txn.execute_raw(statement).await?;
                crate::activity::count_clicks(&txn, *link_id, *hour, *humans, *robots).await?;
                txn.commit().await
            };
            if let Err(e) = written_both.await {
                if let Ok(mut pending) = self.pending.lock() {
                    for (key, counts) in &batch[index..] {
                        let entry = pending.entry(*key).or_insert((0, 0));
                        entry.0 += counts.0;
                        entry.1 += counts.1;
                    }
                }
                return Err(e);
            }
            written += humans + robots;
        }
        Ok(written)
    }
}

/// Human clicks per share of one person.
///
/// # Errors
/// Database failure.
pub async fn clicks_per_share(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<HashMap<ShareId, i64>, sea_orm::DbErr> {
    let user_id = user_id.get();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT l.share_id AS share_id, CAST(COALESCE(SUM(c.humans), 0) AS BIGINT) AS humans FROM tracked_links l \
             JOIN shares s ON s.id = l.share_id LEFT JOIN click_counts c ON c.link_id = l.id \
             WHERE s.user_id = $1 GROUP BY l.share_id",
            [user_id.into()],
        ))
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let share: i32 = row.try_get("", "share_id")?;
        let humans: i64 = row.try_get("", "humans")?;
        out.insert(ShareId(share), humans);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_opaque_and_distinct() {
        let codes: std::collections::HashSet<String> = (0..1000).map(|_| new_code()).collect();
        assert_eq!(codes.len(), 1000);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 10 && c.bytes().all(|b| CODE_ALPHABET.contains(&b)))
        );
    }

    #[test]
    fn utm_parameters_replace_any_earlier_ones_and_keep_the_rest() {
        let target = target_with_utm(
            "https://example.com/a?ref=x&utm_source=old",
            "x",
            "employee_advocacy",
            "plan-2030",
        )
        .unwrap();
        assert_eq!(
            target,
            "https://example.com/a?ref=x&utm_source=x&utm_medium=employee_advocacy&utm_campaign=plan-2030"
        );
        assert!(target_with_utm("javascript:alert(1)", "x", "m", "c").is_none());
        assert!(target_with_utm("ftp://example.com", "x", "m", "c").is_none());
    }

    #[test]
    fn robots_are_told_apart_from_people() {
        for robot in [
            "LinkedInBot/1.0",
            "Twitterbot/1.0",
            "facebookexternalhit/1.1",
            "Slackbot-LinkExpanding 1.0",
            "Mastodon/4.3 (http.rb; +https://x)",
            "Bluesky Cardyb/1.1",
            "",
        ] {
            assert!(is_robot(robot), "{robot}");
        }
        assert!(!is_robot(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156 Safari/537.36"
        ));
    }
}
