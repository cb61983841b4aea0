//! Statistics pages: the analysts' dashboard and its CSV, the editors' view of one item, "not
//! for me" on hub items, and each ambassador's own figures. Every figure about people other than
//! the viewer comes out of `chorus_policy`'s minimum-group-size table (see [`chorus_statistics`]), and
//! every view is written to the audit log.
//!
//! This file holds what the pages share: figures as rows of a table, their labels, and the
//! audited dashboard view.

use std::collections::HashMap;

use chorus_policy::{AggregateTable, Figure, FigureStatus, MinGroupSize, Network, UserId};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::memo::Kind;
use crate::store::StoreError;
use crate::views::Ctx;
use chorus_statistics::{
    self as stats, Activity, Dashboard, Dimension, Filter, Memory, Participation,
};

mod dashboard;
mod export;
mod hub;
mod item;

pub use dashboard::dashboard;
pub(crate) use dashboard::figures_of;
pub use export::export;
pub(crate) use export::{csv_response, export_csv};
pub use hub::{PassForm, mine, pass};
pub use item::item;

/// One figure as a page, the CSV or the API shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FigureRow {
    pub(crate) label: String,
    pub(crate) status: &'static str,
    pub(crate) shares: Option<u64>,
    pub(crate) clicks: Option<u64>,
    pub(crate) people: Option<usize>,
}

/// One table as a page, the CSV or the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct TableView {
    pub(crate) dimension: &'static str,
    pub(crate) title: String,
    pub(crate) rows: Vec<FigureRow>,
    pub(crate) other: Option<FigureRow>,
    pub(crate) total: FigureRow,
}

fn status_name(status: FigureStatus) -> &'static str {
    match status {
        FigureStatus::Shown => "shown",
        FigureStatus::FewerThanMinimum => "fewer_than_k",
        FigureStatus::Withheld => "withheld",
    }
}

fn figure_row(label: String, figure: &Figure<Activity>) -> FigureRow {
    FigureRow {
        label,
        status: status_name(figure.status()),
        shares: figure.value().map(|a| a.shares),
        clicks: figure.value().map(|a| a.clicks),
        people: figure.people(),
    }
}

fn count_row(label: String, figure: &Figure<u64>) -> FigureRow {
    FigureRow {
        label,
        status: status_name(figure.status()),
        shares: None,
        clicks: None,
        people: figure.people(),
    }
}

struct Labels {
    by_dimension: HashMap<Dimension, HashMap<String, String>>,
}

impl Labels {
    /// The labels, kept while the content does not change.
    async fn remembered(ctx: &Ctx) -> AppResult<std::sync::Arc<Labels>> {
        ctx.app
            .memo
            .remembered(
                ctx.generation,
                Kind::Content,
                "stats.labels",
                Labels::load(&ctx.app.db),
            )
            .await
    }

    async fn load(db: &sea_orm::DatabaseConnection) -> AppResult<Labels> {
        let mut by_dimension = HashMap::new();
        for dimension in [Dimension::Topic, Dimension::Campaign, Dimension::Item] {
            by_dimension.insert(dimension, stats::labels(db, dimension).await?);
        }
        Ok(Labels { by_dimension })
    }

    fn label(&self, ctx: &Ctx, dimension: Dimension, key: &str) -> String {
        match dimension {
            Dimension::Time => key
                .parse()
                .map_or_else(|_| key.to_owned(), stats::bucket_label),
            Dimension::Network => key
                .parse::<Network>()
                .map_or_else(|_| key.to_owned(), |n| n.display_name().to_owned()),
            Dimension::Campaign if key == "0" => ctx.t("stats.no_campaign"),
            _ => self
                .by_dimension
                .get(&dimension)
                .and_then(|names| names.get(key))
                .cloned()
                .unwrap_or_else(|| ctx.t("stats.unknown")),
        }
    }
}

fn table_view(
    ctx: &Ctx,
    labels: &Labels,
    dimension: Dimension,
    table: &AggregateTable<String, Activity>,
) -> TableView {
    let mut rows: Vec<FigureRow> = table
        .groups()
        .iter()
        .map(|g| figure_row(labels.label(ctx, dimension, g.key()), g.figure()))
        .collect();
    if matches!(
        dimension,
        Dimension::Item | Dimension::Topic | Dimension::Campaign
    ) {
        // Most shared first; figures that are not shown last, in name order.
        rows.sort_by(|a, b| b.shares.cmp(&a.shares).then(a.label.cmp(&b.label)));
    }
    TableView {
        dimension: dimension.as_str(),
        title: ctx.t(&format!("stats.by_{}", dimension.as_str())),
        rows,
        other: table.other().map(|f| figure_row(ctx.t("stats.other"), f)),
        total: figure_row(ctx.t("stats.total"), table.total()),
    }
}

fn participation_view(ctx: &Ctx, table: &AggregateTable<Participation, u64>) -> TableView {
    TableView {
        dimension: "participation",
        title: ctx.t("stats.participation"),
        rows: table
            .groups()
            .iter()
            .map(|g| {
                let key = match g.key() {
                    Participation::Shared => "stats.shared",
                    Participation::NotYet => "stats.not_yet",
                };
                count_row(ctx.t(key), g.figure())
            })
            .collect(),
        other: table.other().map(|f| count_row(ctx.t("stats.other"), f)),
        total: count_row(ctx.t("stats.ambassadors"), table.total()),
    }
}

/// A view made for one viewer, not yet written to the audit log.
struct Made {
    k: MinGroupSize,
    view: std::sync::Arc<Dashboard>,
    /// What the audit log is to hold of it; `None` for a refused view (nothing was shown).
    entry: Option<stats::audit::Viewed>,
    /// The viewer's memory once this view is written.
    memory: Memory,
    /// What the view depends on besides the database: the day, the minimum group size, the
    /// filter and the earlier views.
    key: String,
}

/// Makes the view of `filter` for `user` against `memory` (their earlier views; read from the
/// audit log when `None`), without writing it: [`record`] does.
async fn make_view(
    ctx: &Ctx,
    user: &CurrentUser,
    filter: &Filter,
    action: &'static str,
    also_included: &[UserId],
    memory: Option<Memory>,
) -> AppResult<Made> {
    let db = &ctx.app.db;
    // What a view is made of besides the roll-up, kept while the content does not change.
    let (memo, generation) = (&ctx.app.memo, ctx.generation);
    let k = memo
        .remembered(
            generation,
            Kind::Content,
            "stats.settings",
            chorus_editorial::store::settings::load(db),
        )
        .await?
        .min_group_size;
    let sources = memo
        .remembered(
            generation,
            Kind::Content,
            "stats.sources",
            stats::Sources::read(db),
        )
        .await?;
    let memory = match memory {
        Some(memory) => memory,
        None => Memory::of(db, user.user_id(), Utc::now())
            .await
            .map_err(StoreError::from)?,
    };
    // The same view against the same earlier views gives the same figures while nothing they
    // are made of changes (the day included): one analyst reloading, or several looking at once.
    let key = serde_json::to_string(&(
        chorus_ambassador::activity::day_number(Utc::now()),
        k.get(),
        filter,
        memory.filters(),
    ))
    .map_err(|e| AppError::Internal(format!("statistics view key: {e}")))?;
    let activity = generation.map(|g| g.activity);
    let view = memo
        .remembered_by(
            generation,
            Kind::Activity,
            "stats.view",
            key.clone(),
            stats::dashboard(db, &ctx.app.rollup, sources, k, filter, &memory, activity),
        )
        .await
        .map_err(StoreError::from)?;
    if view.refused {
        return Ok(Made {
            k,
            view,
            entry: None,
            memory,
            key,
        });
    }
    let mut people = view.people.clone();
    people.extend_from_slice(also_included);
    people.sort_unstable();
    people.dedup();
    Ok(Made {
        k,
        view,
        entry: Some(stats::audit::Viewed {
            action,
            filter: filter.clone(),
            people,
        }),
        memory: memory.then(filter),
        key,
    })
}

/// Writes the views made to the audit log, before any of them is shown.
async fn record(ctx: &Ctx, user: &CurrentUser, made: &[&Made]) -> AppResult<()> {
    let entries: Vec<stats::audit::Viewed> = made.iter().filter_map(|m| m.entry.clone()).collect();
    if !entries.is_empty() {
        ctx.app
            .audit
            .record(&ctx.app.db, user.user_id(), &entries)
            .await?;
    }
    Ok(())
}

/// Makes one view and writes it to the audit log.
async fn view_for(
    ctx: &Ctx,
    user: &CurrentUser,
    filter: &Filter,
    action: &'static str,
    also_included: &[UserId],
) -> AppResult<(MinGroupSize, std::sync::Arc<Dashboard>)> {
    let made = make_view(ctx, user, filter, action, also_included, None).await?;
    record(ctx, user, &[&made]).await?;
    Ok((made.k, made.view))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The analysts' area, under `/stats`: the dashboard and its export.
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::get;

    axum::Router::new()
        .route("/", get(dashboard))
        .route("/export.csv", get(export))
}
