//! The daily roll-up the statistics read (`activity_daily`): per day, person, item and network,
//! the shares the platform published and the clicks on their tracked links. It is written in
//! the same transaction as the fact it counts: a share becoming `published`, a batch of clicks.
//!
//! A day is the number of whole days since 1970-01-01 UTC ([`day_number`]), the same on SQLite
//! and PostgreSQL; weeks start on Monday ([`week_of_day`]).

use chorus_policy::{LinkId, ShareId};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};

/// The day number (days since 1970-01-01, UTC) of `at`.
#[must_use]
pub fn day_number(at: DateTime<Utc>) -> i32 {
    i32::try_from(at.timestamp().div_euclid(86_400)).unwrap_or(i32::MAX)
}

/// The first day (a Monday) of the week holding `day`. 1970-01-01 was a Thursday.
#[must_use]
pub fn week_of_day(day: i32) -> i32 {
    day - (day + 3).rem_euclid(7)
}

/// The UTC date of a day number.
#[must_use]
pub fn date_of_day(day: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_num_days_from_ce_opt(day + 719_163).unwrap_or_default()
}

/// Counts share `share_id` as published at `at`: sets its `published_at` and adds one share to
/// its person's day. Call it once, where the share's state became `published`, in the same
/// transaction.
///
/// # Errors
/// Database failure.
pub async fn count_published(
    db: &impl ConnectionTrait,
    share_id: ShareId,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE shares SET published_at = $1 WHERE id = $2",
        [at.into(), share_id.get().into()],
    ))
    .await?;
    count_in_day(db, share_id, at).await
}

/// Adds share `share_id`, published at `at`, to its person's day: [`count_published`] for a
/// share whose `published_at` was set by the statement that made it published (the worker's).
///
/// # Errors
/// Database failure.
pub async fn count_in_day(
    db: &impl ConnectionTrait,
    share_id: ShareId,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let share_id = share_id.get();
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
         SELECT $1, user_id, COALESCE(item_id, 0), network, 1, 0, 0 FROM shares WHERE id = $2 \
         ON CONFLICT (day, user_id, item_id, network) DO UPDATE SET shares = activity_daily.shares + 1",
        [day_number(at).into(), share_id.into()],
    ))
    .await?;
    Ok(())
}

/// Adds clicks on link `link_id` during `hour` to the day of the share the link belongs to.
///
/// # Errors
/// Database failure.
pub async fn count_clicks(
    db: &impl ConnectionTrait,
    link_id: LinkId,
    hour: DateTime<Utc>,
    humans: i64,
    robots: i64,
) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
         SELECT $1, s.user_id, COALESCE(s.item_id, 0), s.network, 0, $2, $3 \
         FROM tracked_links l JOIN shares s ON s.id = l.share_id WHERE l.id = $4 \
         ON CONFLICT (day, user_id, item_id, network) DO UPDATE SET \
         humans = activity_daily.humans + excluded.humans, robots = activity_daily.robots + excluded.robots",
        [
            day_number(hour).into(),
            humans.into(),
            robots.into(),
            link_id.get().into(),
        ],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_weeks_are_counted_in_utc_from_1970() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = day_number(at);
        assert_eq!(date_of_day(day).to_string(), "2026-11-27");
        assert_eq!(day_number(at + chrono::Duration::seconds(1)), day + 1);
        // 2026-11-27 is a Friday; its week starts on Monday the 23rd.
        assert_eq!(date_of_day(week_of_day(day)).to_string(), "2026-11-23");
        assert_eq!(week_of_day(week_of_day(day)), week_of_day(day));
        assert_eq!(date_of_day(0).to_string(), "1970-01-01");
        assert_eq!(date_of_day(week_of_day(0)).to_string(), "1969-12-29");
    }
}
