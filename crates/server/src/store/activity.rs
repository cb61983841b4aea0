//! One person's own rows of the daily roll-up, for their own statistics page.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Statement};

use super::StoreError;
use crate::stats::Activity;

/// A day's shares and clicks on one network.
#[derive(Debug, Clone)]
pub struct DayRow {
    /// Days since 1970-01-01.
    pub day: i32,
    /// The network's stored name.
    pub network: String,
    /// Shares and human clicks.
    pub activity: Activity,
}

/// The person's rows since `from`.
///
/// # Errors
/// Database failure.
pub async fn of_person(
    db: &impl ConnectionTrait,
    user_id: i32,
    from: NaiveDate,
) -> Result<Vec<DayRow>, StoreError> {
    let first = chorus_ambassador::activity::day_number(
        from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT day, network, CAST(SUM(shares) AS BIGINT) AS s, CAST(SUM(humans) AS BIGINT) AS h \
             FROM activity_daily WHERE user_id = $1 AND day >= $2 GROUP BY day, network ORDER BY day",
            [user_id.into(), first.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let shares: i64 = row.try_get("", "s")?;
        let clicks: i64 = row.try_get("", "h")?;
        out.push(DayRow {
            day: row.try_get("", "day")?,
            network: row.try_get("", "network")?,
            activity: Activity {
                shares: u64::try_from(shares).unwrap_or_default(),
                clicks: u64::try_from(clicks).unwrap_or_default(),
            },
        });
    }
    Ok(out)
}
