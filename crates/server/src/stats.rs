//! Voluntary share statistics: what the platform itself did (shares it published, clicks on its
//! own links), read from the daily roll-up and shown only through `chorus_policy`'s minimum
//! group size.
//!
//! A [`Filter`] (period, topic, campaign, network, team, item) selects roll-up rows of people who
//! are currently opted in; [`dashboard`] turns them into [`AggregateTable`]s, one per grouping,
//! so every figure has at least `k` distinct people behind it or is not shown. Two views can
//! still give someone away by difference ("January" next to "January without its last day"):
//! before a view is shown, it is compared with the viewer's views of the last 24 hours
//! ([`Memory`]), in SQL, record by record, and any figure whose people differ from the earlier
//! view's by 1 to `k - 1` is withheld (the whole view is refused when its total would be). Every
//! view and export is written to the audit log with its filter and the people it included, so
//! each person sees on their transparency page who looked at figures that include them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chorus_ambassador::activity::{date_of_day, day_number, week_of_day};
use chorus_policy::{
    AggregateTable, Contribution, DifferenceGuard, GroupCount, Measure, MinGroupSize, Network,
    PersonId, VisibilityChoices,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};
use serde::{Deserialize, Serialize};

/// The longest period a view may cover.
pub const MAX_DAYS: i64 = 800;
/// How far back a viewer's earlier views are remembered for the difference check.
pub const MEMORY_HOURS: i64 = 24;
/// How many distinct earlier views are compared with a new one.
pub const MEMORY_VIEWS: usize = 12;

/// Shares and human clicks: the measure summed into every figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Shares published.
    pub shares: u64,
    /// Clicks by people (robots apart) on the shares' tracked links.
    pub clicks: u64,
}

impl Measure for Activity {
    fn plus(self, other: Self) -> Self {
        Activity {
            shares: self.shares.saturating_add(other.shares),
            clicks: self.clicks.saturating_add(other.clicks),
        }
    }
}

/// Days or weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// One bar per day.
    Day,
    /// One bar per week (starting on Monday).
    Week,
}

/// What a view selects. Serialised into the audit log, and read back from there to compare a
/// new view with earlier ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// First day, included.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Only items under this topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<i32>,
    /// Only items of this campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<i32>,
    /// Only this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// Only people of this team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only this item (the editors' view of one item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<i32>,
    /// Bars per day or per week.
    pub every: Every,
}

/// The filter form as typed; every field is kept to show the form again.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FilterForm {
    /// `YYYY-MM-DD`.
    pub from: String,
    /// `YYYY-MM-DD`.
    pub to: String,
    /// A topic id, or empty.
    pub topic: String,
    /// A campaign id, or empty.
    pub campaign: String,
    /// A network name, or empty.
    pub network: String,
    /// A team name, or empty.
    pub team: String,
    /// `day`, `week`, or empty for the natural one.
    pub every: String,
}

impl FilterForm {
    /// The filter, or the message keys of what is wrong (by field).
    ///
    /// # Errors
    /// `(field, message key)` pairs.
    pub fn parse(&self, today: NaiveDate) -> Result<Filter, Vec<(&'static str, &'static str)>> {
        let mut errors = Vec::new();
        let date = |text: &str, default: NaiveDate, field, errors: &mut Vec<_>| {
            let text = text.trim();
            if text.is_empty() {
                return default;
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| {
                errors.push((field, "stats.error_date"));
                default
            })
        };
        let to = date(&self.to, today, "to", &mut errors);
        let from = date(&self.from, to - Duration::days(27), "from", &mut errors);
        if errors.is_empty() && from > to {
            errors.push(("from", "stats.error_order"));
        }
        if errors.is_empty() && (to - from).num_days() >= MAX_DAYS {
            errors.push(("from", "stats.error_too_long"));
        }
        let id = |text: &str, field, errors: &mut Vec<_>| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            if let Ok(id) = text.parse::<i32>() {
                Some(id)
            } else {
                errors.push((field, "stats.error_choice"));
                None
            }
        };
        let topic = id(&self.topic, "topic", &mut errors);
        let campaign = id(&self.campaign, "campaign", &mut errors);
        let network = match self.network.trim() {
            "" => None,
            name => {
                if let Ok(network) = name.parse::<Network>() {
                    Some(network)
                } else {
                    errors.push(("network", "stats.error_choice"));
                    None
                }
            }
        };
        let team = Some(self.team.trim().to_owned()).filter(|t| !t.is_empty());
        let every = match self.every.trim() {
            "day" => Every::Day,
            "" if (to - from).num_days() <= 62 => Every::Day,
            "week" | "" => Every::Week,
            _ => {
                errors.push(("every", "stats.error_choice"));
                Every::Day
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            from,
            to,
            topic,
            campaign,
            network,
            team,
            item: None,
            every,
        })
    }

    /// The form of a filter, to show it (and to link to the CSV of the same view).
    #[must_use]
    pub fn of(filter: &Filter) -> FilterForm {
        FilterForm {
            from: filter.from.to_string(),
            to: filter.to.to_string(),
            topic: filter.topic.map(|t| t.to_string()).unwrap_or_default(),
            campaign: filter.campaign.map(|c| c.to_string()).unwrap_or_default(),
            network: filter
                .network
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            team: filter.team.clone().unwrap_or_default(),
            every: match filter.every {
                Every::Day => "day".into(),
                Every::Week => "week".into(),
            },
        }
    }
}

/// A query under construction: SQL text with `$n` placeholders and their values.
#[derive(Default)]
struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        let placeholder = format!("${}", self.values.len());
        self.text.push_str(&placeholder);
        self
    }

    fn statement(&self, db: &impl ConnectionTrait) -> Statement {
        Statement::from_sql_and_values(
            db.get_database_backend(),
            self.text.clone(),
            self.values.clone(),
        )
    }
}

/// Rows of people currently opted in: the only rows any statistic reads.
const OPTED_IN: &str = "a.user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL)";

impl Filter {
    /// Appends this filter as one parenthesised condition on `a` (the roll-up).
    fn condition(&self, sql: &mut Sql) {
        sql.push("(a.day >= ")
            .bind(day_number(start_of(self.from)))
            .push(" AND a.day <= ")
            .bind(day_number(start_of(self.to)));
        if let Some(network) = self.network {
            sql.push(" AND a.network = ").bind(network.as_str());
        }
        if let Some(team) = &self.team {
            sql.push(" AND a.user_id IN (SELECT id FROM users WHERE COALESCE(team, '') = ")
                .bind(team.clone())
                .push(")");
        }
        if let Some(topic) = self.topic {
            sql.push(
                " AND a.item_id IN (SELECT item_id FROM content_item_topics WHERE topic_id = ",
            )
            .bind(topic)
            .push(")");
        }
        if let Some(campaign) = self.campaign {
            sql.push(" AND a.item_id IN (SELECT id FROM content_items WHERE campaign_id = ")
                .bind(campaign)
                .push(")");
        }
        if let Some(item) = self.item {
            sql.push(" AND a.item_id = ").bind(item);
        }
        sql.push(")");
    }

    /// The SQL expression of a row's bar (its day, or the Monday of its week).
    fn bucket(&self) -> &'static str {
        match self.every {
            Every::Day => "a.day",
            Every::Week => "(a.day - ((a.day + 3) % 7))",
        }
    }

    /// The days of the bars, first to last, so that empty ones are drawn too.
    #[must_use]
    pub fn buckets(&self) -> Vec<i32> {
        let first = day_number(start_of(self.from));
        let last = day_number(start_of(self.to));
        match self.every {
            Every::Day => (first..=last).collect(),
            Every::Week => (week_of_day(first)..=last).step_by(7).collect(),
        }
    }
}

fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// A grouping of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Day or week.
    Time,
    /// Network.
    Network,
    /// Topic (an item can be under several).
    Topic,
    /// Campaign (0: none).
    Campaign,
    /// Content item.
    Item,
}

impl Dimension {
    /// Every grouping.
    pub const ALL: [Dimension; 5] = [
        Dimension::Time,
        Dimension::Network,
        Dimension::Topic,
        Dimension::Campaign,
        Dimension::Item,
    ];

    /// The group expression (as text, so every grouping has one key type) and the joins it needs.
    fn group(self, filter: &Filter) -> (String, &'static str) {
        match self {
            Dimension::Time => (format!("CAST({} AS TEXT)", filter.bucket()), ""),
            Dimension::Network => ("a.network".into(), ""),
            Dimension::Topic => (
                "CAST(t.topic_id AS TEXT)".into(),
                " JOIN content_item_topics t ON t.item_id = a.item_id",
            ),
            Dimension::Campaign => (
                "CAST(COALESCE(i.campaign_id, 0) AS TEXT)".into(),
                " LEFT JOIN content_items i ON i.id = a.item_id",
            ),
            Dimension::Item => ("CAST(a.item_id AS TEXT)".into(), ""),
        }
    }

    /// The stored name, for the audit log and the CSV.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Time => "time",
            Dimension::Network => "network",
            Dimension::Topic => "topic",
            Dimension::Campaign => "campaign",
            Dimension::Item => "item",
        }
    }
}

/// One person's activity in one group.
struct Row {
    group: String,
    person: i32,
    record: u64,
    activity: Activity,
}

/// Each person's activity per topic and item: an item can be under two topics, so the item is
/// the record and the policy can compare overlapping topic figures.
async fn topic_rows(db: &impl ConnectionTrait, filter: &Filter) -> Result<Vec<Row>, DbErr> {
    let (group, joins) = Dimension::Topic.group(filter);
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {group} AS g, a.user_id AS u, a.item_id AS r, \
         CAST(SUM(a.shares) AS BIGINT) AS s, CAST(SUM(a.humans) AS BIGINT) AS h \
         FROM activity_daily a{joins} WHERE {OPTED_IN} AND "
    ));
    filter.condition(&mut sql);
    sql.push(&format!(" GROUP BY {group}, a.user_id, a.item_id"));
    let mut out = Vec::new();
    for row in db.query_all_raw(sql.statement(db)).await? {
        let item: i32 = row.try_get("", "r")?;
        let shares: i64 = row.try_get("", "s")?;
        let clicks: i64 = row.try_get("", "h")?;
        out.push(Row {
            group: row.try_get("", "g")?,
            person: row.try_get("", "u")?,
            record: u64::try_from(item).unwrap_or_default(),
            activity: Activity {
                shares: u64::try_from(shares).unwrap_or_default(),
                clicks: u64::try_from(clicks).unwrap_or_default(),
            },
        });
    }
    Ok(out)
}

fn person(id: i32) -> PersonId {
    PersonId(u64::try_from(id).unwrap_or_default())
}

/// Whether people shared, among the ambassadors in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Participation {
    /// Shared at least once in the period.
    Shared,
    /// Did not share in the period.
    NotYet,
}

/// A named person's figure: only for people who chose to be named.
#[derive(Debug, Clone, Serialize)]
pub struct NamedFigure {
    /// Their name.
    pub name: String,
    /// Their shares and clicks in the view.
    pub activity: Activity,
}

/// Everything a dashboard view shows, built only from policy types.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// The minimum group size applied.
    pub k: usize,
    /// Figures per grouping.
    pub tables: BTreeMap<Dimension, AggregateTable<String, Activity>>,
    /// People who shared and who did not, among ambassadors in scope.
    pub participation: AggregateTable<Participation, u64>,
    /// Named figures of people who chose to be named, most shares first.
    pub named: Vec<NamedFigure>,
    /// Whether the view was refused because its total is too close to an earlier view's.
    pub refused: bool,
    /// How many figures were withheld because of earlier views.
    pub withheld_by_memory: usize,
    /// The ids of everyone behind a figure: their activity, or their place among the
    /// ambassadors counted for participation (for the audit log).
    #[serde(skip)]
    pub people: Vec<i32>,
}

/// The earlier views of one viewer.
#[derive(Debug, Default)]
pub struct Memory {
    filters: Vec<Filter>,
}

/// Audit actions that show statistics.
pub const VIEW_ACTIONS: [&str; 3] = ["stats.view", "stats.export", "stats.item"];

impl Memory {
    /// The viewer's distinct views of the last [`MEMORY_HOURS`], newest first, from the audit log.
    ///
    /// # Errors
    /// Database failure.
    pub async fn of(
        db: &impl ConnectionTrait,
        viewer: i32,
        now: DateTime<Utc>,
    ) -> Result<Memory, DbErr> {
        let mut sql = Sql::default();
        sql.push("SELECT detail FROM audit_log WHERE actor_id = ")
            .bind(viewer)
            .push(" AND at >= ")
            .bind(now - Duration::hours(MEMORY_HOURS))
            .push(" AND action IN (");
        for (index, action) in VIEW_ACTIONS.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(*action);
        }
        sql.push(") ORDER BY id DESC LIMIT 200");
        let mut filters: Vec<Filter> = Vec::new();
        for row in db.query_all_raw(sql.statement(db)).await? {
            let detail: String = row.try_get("", "detail")?;
            if let Ok(filter) = serde_json::from_str::<Filter>(&detail)
                && !filters.iter().any(|f| same_rows(f, &filter))
            {
                filters.push(filter);
            }
            if filters.len() == MEMORY_VIEWS {
                break;
            }
        }
        Ok(Memory { filters })
    }
}

/// Whether two filters select the same rows (the bars may differ).
fn same_rows(a: &Filter, b: &Filter) -> bool {
    Filter {
        every: b.every,
        ..a.clone()
    } == *b
}

/// For each grouping, the groups whose people differ by 1 to `k - 1` between `filter` and an
/// earlier view; `None` when the totals themselves do.
async fn too_close_to_memory(
    db: &impl ConnectionTrait,
    k: MinGroupSize,
    filter: &Filter,
    memory: &Memory,
) -> Result<Option<HashMap<Dimension, BTreeSet<String>>>, DbErr> {
    let mut withheld: HashMap<Dimension, BTreeSet<String>> = HashMap::new();
    for earlier in memory.filters.iter().filter(|f| !same_rows(f, filter)) {
        let mut sql = Sql::default();
        let parts = [None]
            .into_iter()
            .chain(Dimension::ALL.into_iter().map(Some));
        for (index, dimension) in parts.enumerate() {
            if index > 0 {
                sql.push(" UNION ALL ");
            }
            let (group, joins) = dimension.map_or((String::from("''"), ""), |d| d.group(filter));
            let name = dimension.map_or("all", Dimension::as_str);
            sql.push(&format!(
                "SELECT '{name}' AS d, {group} AS g, COUNT(DISTINCT a.user_id) AS n \
                 FROM activity_daily a{joins} WHERE {OPTED_IN} AND (("
            ));
            filter.condition(&mut sql);
            sql.push(" AND NOT ");
            earlier.condition(&mut sql);
            sql.push(") OR (");
            earlier.condition(&mut sql);
            sql.push(" AND NOT ");
            filter.condition(&mut sql);
            sql.push("))");
            if dimension.is_some() {
                sql.push(&format!(" GROUP BY {group}"));
            }
        }
        for row in db.query_all_raw(sql.statement(db)).await? {
            let dimension: String = row.try_get("", "d")?;
            let apart: i64 = row.try_get("", "n")?;
            if !k.reveals_by_difference(usize::try_from(apart).unwrap_or_default()) {
                continue;
            }
            let Some(dimension) = Dimension::ALL.into_iter().find(|d| d.as_str() == dimension)
            else {
                return Ok(None);
            };
            withheld
                .entry(dimension)
                .or_default()
                .insert(row.try_get("", "g")?);
        }
    }
    Ok(Some(withheld))
}

/// Builds a view: every grouping through the minimum group size, groups too close to the
/// viewer's earlier views withheld, participation, and named figures for people who chose it.
///
/// # Errors
/// Database failure.
pub async fn dashboard(
    db: &DatabaseConnection,
    k: MinGroupSize,
    filter: &Filter,
    memory: &Memory,
) -> Result<Dashboard, DbErr> {
    let Some(withheld) = too_close_to_memory(db, k, filter, memory).await? else {
        return Ok(Dashboard {
            k: k.get(),
            tables: BTreeMap::new(),
            participation: k.aggregate(Vec::new()),
            named: Vec::new(),
            refused: true,
            withheld_by_memory: 0,
            people: Vec::new(),
        });
    };
    let mut tables = BTreeMap::new();
    // Each grouping is one independent query, run side by side on the pool. Groupings that put
    // each row in one group are counted by the database (distinct people and sums per group,
    // with the members of groups under k); topics, where an item can be under two, are built
    // from each person's rows so the policy can compare overlapping figures.
    let (per_person, time, network, campaign, item, topic) = tokio::try_join!(
        per_person(db, filter),
        counts(db, k, filter, Dimension::Time),
        counts(db, k, filter, Dimension::Network),
        counts(db, k, filter, Dimension::Campaign),
        counts(db, k, filter, Dimension::Item),
        topic_rows(db, filter),
    )?;
    let none = BTreeSet::new();
    let withheld_in = |dimension: Dimension| withheld.get(&dimension).unwrap_or(&none);
    for (dimension, groups) in [
        (Dimension::Time, time),
        (Dimension::Network, network),
        (Dimension::Campaign, campaign),
        (Dimension::Item, item),
    ] {
        let table = k.aggregate_counts(groups, per_person.len(), withheld_in(dimension));
        tables.insert(dimension, table);
    }
    let contributions = topic.into_iter().map(|row| Contribution {
        group: row.group,
        person: person(row.person),
        record: row.record,
        value: row.activity,
    });
    tables.insert(
        Dimension::Topic,
        k.aggregate_withholding(contributions, withheld_in(Dimension::Topic)),
    );
    let mut people: BTreeSet<i32> = per_person.keys().copied().collect();
    let ambassadors = ambassadors_in_scope(db, filter).await?;
    let participation = k.aggregate(ambassadors.iter().map(|&id| Contribution {
        group: if per_person.get(&id).is_some_and(|a| a.shares > 0) {
            Participation::Shared
        } else {
            Participation::NotYet
        },
        person: person(id),
        record: 0,
        value: 1,
    }));
    let named = named_figures(db, k, &per_person).await?;
    people.extend(ambassadors.iter().copied());
    Ok(Dashboard {
        k: k.get(),
        tables,
        participation,
        named,
        refused: false,
        withheld_by_memory: withheld.values().map(BTreeSet::len).sum(),
        people: people.into_iter().collect(),
    })
}

/// Each person's shares and clicks in the view.
async fn per_person(
    db: &impl ConnectionTrait,
    filter: &Filter,
) -> Result<BTreeMap<i32, Activity>, DbErr> {
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT a.user_id AS u, CAST(SUM(a.shares) AS BIGINT) AS s, CAST(SUM(a.humans) AS BIGINT) AS h \
         FROM activity_daily a WHERE {OPTED_IN} AND "
    ));
    filter.condition(&mut sql);
    sql.push(" GROUP BY a.user_id");
    let mut out = BTreeMap::new();
    for row in db.query_all_raw(sql.statement(db)).await? {
        let shares: i64 = row.try_get("", "s")?;
        let clicks: i64 = row.try_get("", "h")?;
        out.insert(
            row.try_get("", "u")?,
            Activity {
                shares: u64::try_from(shares).unwrap_or_default(),
                clicks: u64::try_from(clicks).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// Distinct people and sums per group, counted by the database, with the members of the groups
/// of fewer than `k` people (to fold them into "other").
async fn counts(
    db: &impl ConnectionTrait,
    k: MinGroupSize,
    filter: &Filter,
    dimension: Dimension,
) -> Result<Vec<GroupCount<String, Activity>>, DbErr> {
    let (group, joins) = dimension.group(filter);
    let from = format!("FROM activity_daily a{joins} WHERE {OPTED_IN} AND ");
    // Two levels (per group and person, then per group) rather than COUNT(DISTINCT): both
    // databases hash them instead of sorting every row.
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT g, COUNT(*) AS p, CAST(SUM(s) AS BIGINT) AS s, CAST(SUM(h) AS BIGINT) AS h FROM \
         (SELECT {group} AS g, a.user_id AS u, SUM(a.shares) AS s, SUM(a.humans) AS h {from}"
    ));
    filter.condition(&mut sql);
    sql.push(&format!(
        " GROUP BY {group}, a.user_id) per_person GROUP BY g"
    ));
    let mut out = Vec::new();
    let mut small: Vec<String> = Vec::new();
    for row in db.query_all_raw(sql.statement(db)).await? {
        let people: i64 = row.try_get("", "p")?;
        let shares: i64 = row.try_get("", "s")?;
        let clicks: i64 = row.try_get("", "h")?;
        let people = usize::try_from(people).unwrap_or_default();
        let group: String = row.try_get("", "g")?;
        if people < k.get() {
            small.push(group.clone());
        }
        out.push(GroupCount {
            group,
            people,
            value: Activity {
                shares: u64::try_from(shares).unwrap_or_default(),
                clicks: u64::try_from(clicks).unwrap_or_default(),
            },
            members: Vec::new(),
        });
    }
    for chunk in small.chunks(500) {
        let mut sql = Sql::default();
        sql.push(&format!(
            "SELECT DISTINCT {group} AS g, a.user_id AS u {from}"
        ));
        filter.condition(&mut sql);
        sql.push(&format!(" AND {group} IN ("));
        for (index, key) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(key.clone());
        }
        sql.push(")");
        let mut members: HashMap<String, Vec<PersonId>> = HashMap::new();
        for row in db.query_all_raw(sql.statement(db)).await? {
            let id: i32 = row.try_get("", "u")?;
            members
                .entry(row.try_get("", "g")?)
                .or_default()
                .push(person(id));
        }
        for group in &mut out {
            if let Some(list) = members.remove(&group.group) {
                group.members = list;
            }
        }
    }
    Ok(out)
}

async fn ambassadors_in_scope(
    db: &impl ConnectionTrait,
    filter: &Filter,
) -> Result<Vec<i32>, DbErr> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT u.id AS id FROM users u WHERE u.id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL)",
    );
    if let Some(team) = &filter.team {
        sql.push(" AND COALESCE(u.team, '') = ").bind(team.clone());
    }
    let mut out = Vec::new();
    for row in db.query_all_raw(sql.statement(db)).await? {
        out.push(row.try_get("", "id")?);
    }
    Ok(out)
}

/// Figures naming people who chose to be named (and are opted in), checked by the difference
/// guard against the view's total so that naming them never singles out the others.
async fn named_figures(
    db: &impl ConnectionTrait,
    k: MinGroupSize,
    per_person: &BTreeMap<i32, Activity>,
) -> Result<Vec<NamedFigure>, DbErr> {
    let sql = Sql {
        text: "SELECT u.id AS id, u.display_name AS name FROM users u \
               JOIN visibility_choices v ON v.user_id = u.id \
               WHERE v.be_named_in_statistics = $1 \
               AND u.id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL)"
            .into(),
        values: vec![true.into()],
    };
    let mut guard = DifferenceGuard::new(k);
    guard.remember(chorus_policy::Population::of_people(
        per_person.keys().map(|&id| person(id)),
    ));
    let choices = VisibilityChoices {
        be_named_in_statistics: true,
        show_name_on_shared_content: false,
    };
    let mut candidates: Vec<(i32, String, Activity)> = Vec::new();
    for row in db.query_all_raw(sql.statement(db)).await? {
        let id: i32 = row.try_get("", "id")?;
        if let Some(activity) = per_person.get(&id) {
            candidates.push((id, row.try_get("", "name")?, *activity));
        }
    }
    candidates.sort_by(|a, b| b.2.shares.cmp(&a.2.shares).then(a.1.cmp(&b.1)));
    let mut named = Vec::new();
    for (id, name, activity) in candidates {
        if let Ok(figure) = guard.named(person(id), &choices, activity) {
            named.push(NamedFigure {
                name,
                activity: *figure.value(),
            });
        }
    }
    Ok(named)
}

/// Writes a view to the audit log: who, what (the filter), and whose activity it included.
///
/// # Errors
/// Database failure.
pub async fn audit(
    db: &impl ConnectionTrait,
    viewer: i32,
    action: &str,
    filter: &Filter,
    people: &[i32],
) -> Result<(), crate::store::StoreError> {
    let detail = serde_json::to_string(filter).unwrap_or_default();
    crate::store::policy::audit(db, Some(viewer), action, &detail, people).await
}

/// The label of a bar: its date (the Monday, for weeks).
#[must_use]
pub fn bucket_label(day: i32) -> String {
    date_of_day(day).to_string()
}

/// Names of topics, campaigns and items, to label groups.
///
/// # Errors
/// Database failure.
pub async fn labels(
    db: &impl ConnectionTrait,
    dimension: Dimension,
) -> Result<HashMap<String, String>, DbErr> {
    let text = match dimension {
        Dimension::Topic => "SELECT CAST(id AS TEXT) AS k, name AS v FROM topics",
        Dimension::Campaign => "SELECT CAST(id AS TEXT) AS k, name AS v FROM campaigns",
        Dimension::Item => "SELECT CAST(id AS TEXT) AS k, title AS v FROM content_items",
        Dimension::Time | Dimension::Network => return Ok(HashMap::new()),
    };
    let sql = Sql {
        text: text.into(),
        values: Vec::new(),
    };
    let mut out = HashMap::new();
    for row in db.query_all_raw(sql.statement(db)).await? {
        out.insert(row.try_get("", "k")?, row.try_get("", "v")?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn an_empty_form_is_the_last_four_weeks_by_day() {
        let filter = FilterForm::default().parse(today()).unwrap();
        assert_eq!(filter.to, today());
        assert_eq!(filter.from.to_string(), "2026-10-31");
        assert_eq!(filter.every, Every::Day);
        assert_eq!(filter.buckets().len(), 28);
    }

    #[test]
    fn long_periods_go_by_week_and_bad_fields_are_named() {
        let form = FilterForm {
            from: "2026-01-01".into(),
            ..FilterForm::default()
        };
        let filter = form.parse(today()).unwrap();
        assert_eq!(filter.every, Every::Week);
        assert_eq!(bucket_label(filter.buckets()[0]), "2025-12-29");
        let bad = FilterForm {
            from: "yesterday".into(),
            network: "myspace".into(),
            topic: "x".into(),
            ..FilterForm::default()
        };
        let errors = bad.parse(today()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["from", "topic", "network"]);
        let backwards = FilterForm {
            from: "2026-11-20".into(),
            to: "2026-11-01".into(),
            ..FilterForm::default()
        };
        assert_eq!(
            backwards.parse(today()).unwrap_err(),
            [("from", "stats.error_order")]
        );
    }

    #[test]
    fn filters_round_trip_through_the_audit_detail() {
        let filter = FilterForm {
            team: "Lyon".into(),
            network: "mastodon".into(),
            ..FilterForm::default()
        }
        .parse(today())
        .unwrap();
        let detail = serde_json::to_string(&filter).unwrap();
        assert_eq!(serde_json::from_str::<Filter>(&detail).unwrap(), filter);
        assert_eq!(FilterForm::of(&filter).parse(today()).unwrap(), filter);
    }
}
