//! A person's own figures, for their eyes only: their rows of the daily roll-up, by week and by
//! network. A person always sees their own figures, so no group size applies here.

use crate::StatisticsError;
use std::collections::BTreeMap;

use chorus_editorial::store::NetworkColumn;
use chorus_policy::{ItemId, Measure as _, Network, UserId};
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
    /// Each item the person's shares supported (its id), most clicked first.
    pub per_item: Vec<(ItemId, Activity)>,
    /// The whole period.
    pub total: Activity,
}

/// The person's figures from `from` to `to`, by week and by network.
///
/// # Errors
/// Database failure, or a network name in the roll-up that Chorus does not know.
pub async fn figures(
    db: &impl ConnectionTrait,
    user_id: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<PersonalFigures, StatisticsError> {
    let user_id = user_id.get();
    let total_of = |column: &'static str| Func::cast_as(Func::sum(Expr::col(column)), "BIGINT");
    let query = Query::select()
        .columns(["day", "network", "item_id"])
        .expr_as(total_of("shares"), "s")
        .expr_as(total_of("humans"), "h")
        .from("activity_daily")
        .and_where(Expr::col("user_id").eq(user_id))
        .and_where(Expr::col("day").gte(day_number(start_of(from))))
        .and_where(Expr::col("day").lte(day_number(start_of(to))))
        .group_by_columns(["day", "network", "item_id"])
        .to_owned();
    let mut per_week: BTreeMap<i32, Activity> = BTreeMap::new();
    let mut per_network: BTreeMap<Network, Activity> = BTreeMap::new();
    let mut per_item: BTreeMap<ItemId, Activity> = BTreeMap::new();
    for row in db.query_all(&query).await? {
        let day: i32 = row.try_get("", "day")?;
        let item: i32 = row.try_get("", "item_id")?;
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
        let on_item = per_item.entry(ItemId(item)).or_default();
        *on_item = on_item.plus(activity);
    }
    let mut per_item: Vec<(ItemId, Activity)> = per_item.into_iter().collect();
    per_item.sort_by(|a, b| {
        (b.1.clicks, b.1.shares)
            .cmp(&(a.1.clicks, a.1.shares))
            .then(a.0.cmp(&b.0))
    });
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
        per_item,
        total,
    })
}

/// What everyone opted in did together from `from` to `to`: how many people have shares or
/// clicks in the period, and their shares and clicks. The caller shows it only through the minimum group size, rounded down
/// (see `MinGroupSize::social_proof`), so that it never tells what one colleague did.
///
/// # Errors
/// Database failure.
pub async fn together(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(usize, Activity), StatisticsError> {
    let total_of = |column: &'static str| Func::cast_as(Func::sum(Expr::col(column)), "BIGINT");
    let opted_in = Query::select()
        .column("user_id")
        .from("consents")
        .and_where(Expr::col("withdrawn_at").is_null())
        .to_owned();
    let query = Query::select()
        .expr_as(
            Func::cast_as(Func::count_distinct(Expr::col("user_id")), "BIGINT"),
            "p",
        )
        .expr_as(total_of("shares"), "s")
        .expr_as(total_of("humans"), "h")
        .from("activity_daily")
        .and_where(Expr::col("day").gte(day_number(start_of(from))))
        .and_where(Expr::col("day").lte(day_number(start_of(to))))
        .and_where(Expr::col("user_id").in_subquery(opted_in))
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Ok((0, Activity::default()));
    };
    let number = |column: &str| -> Result<u64, DbErr> {
        let value: Option<i64> = row.try_get("", column)?;
        Ok(u64::try_from(value.unwrap_or_default()).unwrap_or_default())
    };
    Ok((
        usize::try_from(number("p")?).unwrap_or_default(),
        Activity {
            shares: number("s")?,
            clicks: number("h")?,
        },
    ))
}
