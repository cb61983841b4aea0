//! Voluntary share statistics: what the platform itself did (shares it published, clicks on its
//! own links), read from the daily roll-up and shown only through `chorus_policy`'s minimum
//! group size.
//!
//! A [`Filter`] (period, topic, campaign, network, team, item) selects roll-up rows of people who
//! are currently opted in; [`dashboard`] turns them into [`AggregateTable`]s, one per grouping,
//! so every figure has at least `k` distinct people behind it or is not shown. The rows are read
//! once per day into memory ([`rollup`]) and grouped in one pass ([`scan`]). Two views can
//! still give someone away by difference ("January" next to "January without its last day"):
//! before a view is shown, it is compared with the viewer's views of the last 24 hours
//! ([`Memory`]), row by row, and any figure whose people differ from the earlier
//! view's by 1 to `k - 1` is withheld (the whole view is refused when its total would be). Every
//! view and export is written to the audit log with its filter and the people it included, so
//! each person sees on their transparency page who looked at figures that include them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub mod rollup;
mod scan;

pub use rollup::Rollup;

use chorus_ambassador::activity::{date_of_day, day_number, week_of_day};
use chorus_policy::{
    AggregateTable, Contribution, DifferenceGuard, Measure, MinGroupSize, Network, PersonId,
    VisibilityChoices,
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

impl Filter {
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
    /// A memory of these earlier views (newest first), as [`Memory::of`] reads them.
    #[must_use]
    pub fn remembering(filters: Vec<Filter>) -> Memory {
        Memory { filters }
    }

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

/// Builds a view: every grouping through the minimum group size, groups too close to the
/// viewer's earlier views withheld, participation, and named figures for people who chose it.
/// The rows come from `rollup`, the roll-up held in memory; the grouping runs off the async
/// threads.
///
/// # Errors
/// Database failure.
pub async fn dashboard(
    db: &DatabaseConnection,
    rollup: &Rollup,
    k: MinGroupSize,
    filter: &Filter,
    memory: &Memory,
) -> Result<Dashboard, DbErr> {
    let earlier: Vec<Filter> = memory
        .filters
        .iter()
        .filter(|f| !same_rows(f, filter))
        .cloned()
        .collect();
    let first = earlier
        .iter()
        .map(|f| f.from)
        .fold(filter.from, NaiveDate::min);
    let last = earlier.iter().map(|f| f.to).fold(filter.to, NaiveDate::max);
    let first = day_number(start_of(first));
    let today = day_number(Utc::now());
    let (context, days) = tokio::try_join!(
        scan::Context::read(db),
        rollup.days(db, first, day_number(start_of(last)), today),
    )?;
    let view = {
        let filter = filter.clone();
        tokio::task::spawn_blocking(move || {
            let earlier: Vec<&Filter> = earlier.iter().collect();
            let scan = scan::Scan::new(&context, &days, first, k);
            let withheld = scan.too_close(&filter, &earlier)?;
            let view = scan.view(&filter, &withheld);
            Some((view, withheld, context))
        })
        .await
        .map_err(|e| DbErr::Custom(format!("statistics: {e}")))?
    };
    let Some((view, withheld, context)) = view else {
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
    let per_person = view.per_person;
    let ambassadors = context.ambassadors(filter.team.as_deref());
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
    let mut people: BTreeSet<i32> = per_person.keys().copied().collect();
    people.extend(ambassadors.iter().copied());
    Ok(Dashboard {
        k: k.get(),
        tables: view.tables,
        participation,
        named,
        refused: false,
        withheld_by_memory: withheld.values().map(BTreeSet::len).sum(),
        people: people.into_iter().collect(),
    })
}

fn person(id: i32) -> PersonId {
    PersonId(u64::try_from(id).unwrap_or_default())
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
