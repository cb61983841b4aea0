//! One dashboard view: every grouping through the minimum group size, the comparison with the
//! viewer's earlier views, participation, and the figures of people who chose to be named.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
#[derive(Debug, Default)]
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

    /// The viewer's distinct views of the last [`MEMORY_HOURS`], newest first, from the audit log.
    ///
    /// # Errors
    /// Database failure.
    pub async fn of(
        db: &impl ConnectionTrait,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> Result<Memory, DbErr> {
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
        for detail in details {
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
    let first = earlier.iter().map(|f| f.from).fold(filter.from, Ord::min);
    let last = earlier.iter().map(|f| f.to).fold(filter.to, Ord::max);
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
            let counted = scan.count(&filter);
            let withheld = scan.too_close(&filter, &counted, &earlier)?;
            let view = scan.view(&filter, counted, &withheld);
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

/// Figures naming people who chose to be named (and are opted in), checked by the difference
/// guard against the view's total so that naming them never singles out the others.
async fn named_figures(
    db: &impl ConnectionTrait,
    k: MinGroupSize,
    per_person: &BTreeMap<i32, Activity>,
) -> Result<Vec<NamedFigure>, DbErr> {
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
    let mut guard = DifferenceGuard::new(k);
    guard.remember(chorus_policy::Population::of_people(
        per_person.keys().map(|&id| person(id)),
    ));
    let choices = VisibilityChoices {
        be_named_in_statistics: true,
        show_name_on_shared_content: false,
    };
    let mut candidates: Vec<(i32, String, Activity)> = Vec::new();
    for row in db.query_all(&named_by_choice).await? {
        let id: i32 = row.try_get("", "id")?;
        if let Some(activity) = per_person.get(&id) {
            candidates.push((id, row.try_get("", "display_name")?, *activity));
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

/// Names of topics, campaigns and items, to label groups.
///
/// # Errors
/// Database failure.
pub async fn labels(
    db: &impl ConnectionTrait,
    dimension: Dimension,
) -> Result<HashMap<String, String>, DbErr> {
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
