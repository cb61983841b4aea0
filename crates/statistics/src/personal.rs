//! A person's own figures, for their eyes only: their rows of the daily roll-up, by week and by
//! network. A person always sees their own figures, so no group size applies here.

use std::collections::BTreeMap;

use chorus_editorial::store::NetworkColumn;
use chorus_policy::{Measure as _, Network};
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::{Activity, Every, Filter, day_number, start_of, week_of_day};

/// One person's figures over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonalFigures {
    /// Every week of the period (its Monday, as days since 1970-01-01), first to last, with
    /// zero for weeks without activity.
    pub per_week: Vec<(i32, Activity)>,
    /// Each network the person shared on, by its order in [`Network::ALL`].
    pub per_network: Vec<(Network, Activity)>,
    /// The whole period.
    pub total: Activity,
}

/// The person's figures from `from` to `to`, by week and by network.
///
/// # Errors
/// Database failure, or a network name in the roll-up that Chorus does not know.
pub async fn figures(
    db: &impl ConnectionTrait,
    user_id: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<PersonalFigures, DbErr> {
    let total_of = |column: &'static str| Func::cast_as(Func::sum(Expr::col(column)), "BIGINT");
    let query = Query::select()
        .columns(["day", "network"])
        .expr_as(total_of("shares"), "s")
        .expr_as(total_of("humans"), "h")
        .from("activity_daily")
        .and_where(Expr::col("user_id").eq(user_id))
        .and_where(Expr::col("day").gte(day_number(start_of(from))))
        .and_where(Expr::col("day").lte(day_number(start_of(to))))
        .group_by_columns(["day", "network"])
        .to_owned();
    let mut per_week: BTreeMap<i32, Activity> = BTreeMap::new();
    let mut per_network: BTreeMap<Network, Activity> = BTreeMap::new();
    for row in db.query_all(&query).await? {
        let day: i32 = row.try_get("", "day")?;
        let network: NetworkColumn = row.try_get("", "network")?;
        let shares: i64 = row.try_get("", "s")?;
        let clicks: i64 = row.try_get("", "h")?;
        let activity = Activity {
            shares: u64::try_from(shares).unwrap_or_default(),
            clicks: u64::try_from(clicks).unwrap_or_default(),
        };
        let week = per_week.entry(week_of_day(day)).or_default();
        *week = week.plus(activity);
        let on_network = per_network.entry(network.get()).or_default();
        *on_network = on_network.plus(activity);
    }
    let weeks = Filter {
        from,
        to,
        topic: None,
        campaign: None,
        network: None,
        team: None,
        item: None,
        every: Every::Week,
    }
    .buckets();
    let total = per_network
        .values()
        .fold(Activity::default(), |sum, a| sum.plus(*a));
    Ok(PersonalFigures {
        per_week: weeks
            .into_iter()
            .map(|week| (week, per_week.get(&week).copied().unwrap_or_default()))
            .collect(),
        per_network: per_network.into_iter().collect(),
        total,
    })
}
