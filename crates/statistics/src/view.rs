//! One dashboard view: every grouping through the minimum group size, the comparison with the
//! viewer's earlier views, participation, and the figures of people who chose to be named.

use crate::StatisticsError;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chorus_policy::{
    AggregateTable, Contribution, DifferenceGuard, MinGroupSize, PersonId, UserId,
    VisibilityChoices,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use serde::Serialize;

use crate::{
    Activity, Dimension, Filter, MEMORY_HOURS, MEMORY_VIEWS, Rollup, day_number, scan, start_of,
};

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
    pub people: Vec<UserId>,
}

/// The earlier views of one viewer.
#[derive(Debug, Default, Clone)]
pub struct Memory {
    filters: Vec<Filter>,
}

/// Audit actions that show statistics (`stats.previous`: the totals of the period before a
/// dashboard view, which its key figures are compared with).
pub const VIEW_ACTIONS: [&str; 4] = ["stats.view", "stats.export", "stats.item", "stats.previous"];

impl Memory {
    /// A memory of these earlier views (newest first), as [`Memory::of`] reads them.
    #[must_use]
    pub fn remembering(filters: Vec<Filter>) -> Memory {
        Memory { filters }
    }

    /// The earlier views, newest first.
    #[must_use]
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// This memory once `filter` is viewed (and written to the audit log) after it: what
    /// [`Memory::of`] then reads.
    #[must_use]
    pub fn then(&self, filter: &Filter) -> Memory {
        let mut filters = vec![filter.clone()];
        for earlier in &self.filters {
            if filters.len() == MEMORY_VIEWS {
                break;
            }
            if !filters.iter().any(|f| same_rows(f, earlier)) {
                filters.push(earlier.clone());
            }
        }
        Memory { filters }
    }

    /// The viewer's distinct views of the last [`MEMORY_HOURS`], newest first, from the audit log.
    ///
    /// # Errors
    /// Database failure.
    pub async fn of(
        db: &impl ConnectionTrait,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> Result<Memory, StatisticsError> {
        use crate::audit::entry;
        let details: Vec<String> = entry::Entity::find()
            .select_only()
            .column(entry::Column::Detail)
            .filter(entry::Column::ActorId.eq(viewer.get()))
            .filter(entry::Column::At.gte(now - Duration::hours(MEMORY_HOURS)))
            .filter(entry::Column::Action.is_in(VIEW_ACTIONS))
            .order_by_desc(entry::Column::Id)
            .limit(200)
            .into_tuple()
            .all(db)
            .await?;
        let mut filters: Vec<Filter> = Vec::new();
        let mut read: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for detail in &details {
            // A view seen again (a page reloaded) is parsed once.
            if !read.insert(detail.as_str()) {
                continue;
            }
            if let Ok(filter) = serde_json::from_str::<Filter>(detail)
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

/// What a view reads besides the roll-up: who is opted in (and their team), what each item is
/// filed under, and who chose to be named. A few thousand rows at most, read in three queries;
/// the server keeps it between views while nothing it comes from changes.
#[derive(Debug)]
pub struct Sources {
    context: scan::Context,
    /// People opted in who chose to be named in statistics: id and name.
    named: Vec<(i32, String)>,
}

impl Sources {
    /// Reads them.
    ///
    /// # Errors
    /// Database failure.
    pub async fn read(db: &impl ConnectionTrait) -> Result<Sources, StatisticsError> {
        let (context, named) = tokio::try_join!(scan::Context::read(db), named_by_choice(db))?;
        Ok(Sources { context, named })
    }
}

/// Builds a view: every grouping through the minimum group size, groups too close to the
/// viewer's earlier views withheld, participation, and named figures for people who chose it.
/// The rows come from `rollup`, the roll-up held in memory (its open days kept under
/// `activity`, see [`Rollup::days_at`]); the grouping runs off the async threads.
///
/// # Errors
/// Database failure.
pub async fn dashboard(
    db: &DatabaseConnection,
    rollup: &Rollup,
    sources: Arc<Sources>,
    k: MinGroupSize,
    filter: &Filter,
    memory: &Memory,
    activity: Option<i64>,
) -> Result<Dashboard, StatisticsError> {
    let earlier: Vec<Filter> = memory
        .filters
        .iter()
        .filter(|f| !same_rows(f, filter))
        .cloned()
        .collect();
    let first = earlier.iter().map(|f| f.from).fold(filter.from, Ord::min);
    let last = earlier.iter().map(|f| f.to).fold(filter.to, Ord::max);
    let first = day_number(start_of(first));
    let last = day_number(start_of(last));
    let today = day_number(Utc::now());
    // The closed days are held in memory: their rows are counted while the open ones are read
    // from the database (at ten times `bench scale`, both took about 70 ms for a year).
    let open_first = Ord::min(Rollup::first_open_day(today), last + 1);
    let first = Ord::min(first, open_first);
    let closed = rollup
        .days_at(db, first, open_first - 1, today, activity)
        .await?;
    let counting = {
        let (filter, sources) = (filter.clone(), Arc::clone(&sources));
        tokio::task::spawn_blocking(move || {
            let counted = scan::Scan::new(&sources.context, &closed, first, k).count_part(&filter);
            (closed, counted)
        })
    };
    let open = rollup.days_at(db, open_first, last, today, activity).await;
    let (mut days, mut counted) = counting
        .await
        .map_err(|e| StatisticsError::Interrupted(e.to_string()))?;
    days.extend(open?);
    let view = {
        let filter = filter.clone();
        let sources = Arc::clone(&sources);
        tokio::task::spawn_blocking(move || {
            let earlier: Vec<&Filter> = earlier.iter().collect();
            let open = &days[usize::try_from(open_first - first).unwrap_or_default()..];
            counted
                .merge(scan::Scan::new(&sources.context, open, open_first, k).count_part(&filter));
            counted.finish(&sources.context);
            let scan = scan::Scan::new(&sources.context, &days, first, k);
            let withheld = scan.too_close(&filter, &counted, &earlier)?;
            let view = scan.view(&filter, counted, &withheld);
            Some((view, withheld))
        })
        .await
        .map_err(|e| StatisticsError::Interrupted(e.to_string()))?
    };
    let Some((view, withheld)) = view else {
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
    let ambassadors = sources.context.ambassadors(filter.team.as_deref());
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
    let named = named_figures(&sources.named, k, &per_person);
    let mut people: BTreeSet<UserId> = per_person.keys().map(|&id| UserId(id)).collect();
    people.extend(ambassadors.iter().map(|&id| UserId(id)));
    Ok(Dashboard {
        k: k.get(),
        tables: view.tables,
        participation,
        named,
        refused: false,
        withheld_by_memory: withheld.count(),
        people: people.into_iter().collect(),
    })
}

fn person(id: i32) -> PersonId {
    PersonId(u64::try_from(id).unwrap_or_default())
}

/// The people opted in who chose to be named in statistics.
async fn named_by_choice(db: &impl ConnectionTrait) -> Result<Vec<(i32, String)>, DbErr> {
    // The people's tables belong to the server; they are read here by name, like the roll-up.
    let opted_in = Query::select()
        .column("user_id")
        .from("consents")
        .and_where(Expr::col("withdrawn_at").is_null())
        .to_owned();
    let named_by_choice = Query::select()
        .column(("users", "id"))
        .column(("users", "display_name"))
        .from("users")
        .inner_join(
            "visibility_choices",
            Expr::col(("visibility_choices", "user_id")).equals(("users", "id")),
        )
        .and_where(Expr::col(("visibility_choices", "be_named_in_statistics")).eq(true))
        .and_where(Expr::col(("users", "id")).in_subquery(opted_in))
        .to_owned();
    let mut named = Vec::new();
    for row in db.query_all(&named_by_choice).await? {
        named.push((row.try_get("", "id")?, row.try_get("", "display_name")?));
    }
    Ok(named)
}

/// Figures naming people who chose to be named (and are opted in), checked by the difference
/// guard against the view's total so that naming them never singles out the others.
fn named_figures(
    named_by_choice: &[(i32, String)],
    k: MinGroupSize,
    per_person: &BTreeMap<i32, Activity>,
) -> Vec<NamedFigure> {
    let mut guard = DifferenceGuard::new(k);
    guard.remember(chorus_policy::Population::of_people(
        per_person.keys().map(|&id| person(id)),
    ));
    let choices = VisibilityChoices {
        be_named_in_statistics: true,
        show_name_on_shared_content: false,
    };
    let mut candidates: Vec<(i32, &str, Activity)> = named_by_choice
        .iter()
        .filter_map(|(id, name)| Some((*id, name.as_str(), *per_person.get(id)?)))
        .collect();
    candidates.sort_by(|a, b| b.2.shares.cmp(&a.2.shares).then(a.1.cmp(b.1)));
    let mut named = Vec::new();
    for (id, name, activity) in candidates {
        if let Ok(figure) = guard.named(person(id), &choices, activity) {
            named.push(NamedFigure {
                name: name.to_owned(),
                activity: *figure.value(),
            });
        }
    }
    named
}

/// Names of topics, campaigns and items, to label groups.
///
/// # Errors
/// Database failure.
pub async fn labels(
    db: &impl ConnectionTrait,
    dimension: Dimension,
) -> Result<HashMap<String, String>, StatisticsError> {
    use chorus_editorial::store::entities::{campaign, content_item, topic};
    let pairs: Vec<(i32, String)> = match dimension {
        Dimension::Topic => {
            topic::Entity::find()
                .select_only()
                .columns([topic::Column::Id, topic::Column::Name])
                .into_tuple()
                .all(db)
                .await?
        }
        Dimension::Campaign => {
            campaign::Entity::find()
                .select_only()
                .columns([campaign::Column::Id, campaign::Column::Name])
                .into_tuple()
                .all(db)
                .await?
        }
        Dimension::Item => {
            content_item::Entity::find()
                .select_only()
                .columns([content_item::Column::Id, content_item::Column::Title])
                .into_tuple()
                .all(db)
                .await?
        }
        Dimension::Time | Dimension::Network => Vec::new(),
    };
    Ok(pairs
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::{MEMORY_VIEWS, Memory};
    use crate::{Every, Filter};

    fn days(from: u32, to: u32, every: Every) -> Filter {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        Filter {
            from: day(from),
            to: day(to),
            topic: None,
            campaign: None,
            network: None,
            team: None,
            item: None,
            every,
        }
    }

    #[test]
    fn a_view_then_is_the_newest_memory_once_and_the_oldest_fall_out() {
        let earlier = Memory::remembering(vec![days(1, 7, Every::Day), days(2, 8, Every::Day)]);
        // The same rows by week replace the same rows by day, as a new entry read back would.
        let then = earlier.then(&days(2, 8, Every::Week));
        assert_eq!(
            then.filters(),
            [days(2, 8, Every::Week), days(1, 7, Every::Day)]
        );
        let full = Memory::remembering((1..=12).map(|d| days(d, 20, Every::Day)).collect());
        let then = full.then(&days(13, 20, Every::Day));
        assert_eq!(then.filters().len(), MEMORY_VIEWS);
        assert_eq!(then.filters()[0], days(13, 20, Every::Day));
        assert_eq!(then.filters()[MEMORY_VIEWS - 1], days(11, 20, Every::Day));
    }
}
