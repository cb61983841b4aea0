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
use crate::error::AppResult;
use crate::store::StoreError;
use crate::views::Ctx;
use chorus_statistics::{
    self as stats, Activity, Dashboard, Dimension, Filter, Memory, Participation,
};

mod dashboard;
mod hub;
mod item;

pub use dashboard::{dashboard, export};
pub use hub::{PassForm, mine, pass};
pub use item::item;

/// One figure as a page or CSV shows it.
#[derive(Debug, Clone, Serialize)]
struct FigureRow {
    label: String,
    status: &'static str,
    shares: Option<u64>,
    clicks: Option<u64>,
    people: Option<usize>,
}

/// One table as a page or CSV shows it.
#[derive(Debug, Serialize)]
struct TableView {
    dimension: &'static str,
    title: String,
    rows: Vec<FigureRow>,
    other: Option<FigureRow>,
    total: FigureRow,
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
    async fn load(db: &sea_orm::DatabaseConnection) -> AppResult<Labels> {
        let mut by_dimension = HashMap::new();
        for dimension in [Dimension::Topic, Dimension::Campaign, Dimension::Item] {
            by_dimension.insert(
                dimension,
                stats::labels(db, dimension)
                    .await
                    .map_err(StoreError::from)?,
            );
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

async fn view_for(
    ctx: &Ctx,
    user: &CurrentUser,
    filter: &Filter,
    action: &str,
    also_included: &[UserId],
) -> AppResult<(MinGroupSize, Dashboard)> {
    let db = &ctx.app.db;
    let k = chorus_editorial::store::settings::load(db)
        .await?
        .min_group_size;
    let memory = Memory::of(db, user.user_id(), Utc::now())
        .await
        .map_err(StoreError::from)?;
    let view = stats::dashboard(db, &ctx.app.rollup, k, filter, &memory)
        .await
        .map_err(StoreError::from)?;
    if !view.refused {
        let mut people = view.people.clone();
        people.extend_from_slice(also_included);
        people.sort_unstable();
        people.dedup();
        stats::audit::record_view(db, user.user_id(), action, filter, &people).await?;
    }
    Ok((k, view))
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
