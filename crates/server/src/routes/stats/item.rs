//! The editors' view of one item's statistics (`GET /editor/items/{id}/stats`).

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use chorus_policy::{ItemId, UserId};
use chorus_statistics::{self as stats, Dimension, Every, Filter};
use chrono::Duration;
use serde::Serialize;

use super::{Labels, TableView, count_row, table_view, today, view_for};
use crate::auth::roles::Editor;
use crate::error::AppResult;
use crate::store::{self, StoreError};
use crate::views::Ctx;

/// The item statistics page.
#[derive(Serialize)]
struct ItemStatsView<'a> {
    item: ItemLink<'a>,
    k: usize,
    refused: bool,
    network: Option<TableView>,
    /// How far the posts went from the suggested copy, when there is one.
    variety: Option<TableView>,
    reasons: TableView,
    from: String,
    to: String,
    no_share_yet: bool,
    /// The same period on the dashboard, for a person who may see it.
    dashboard: Option<String>,
}

/// The item the page is about, linked back to.
#[derive(Serialize)]
struct ItemLink<'a> {
    id: ItemId,
    title: &'a str,
}

/// `GET /editor/items/{id}/stats`: who shared an item (how many), clicks, networks, and the
/// anonymous "not for me" answers, all under the minimum group size.
pub async fn item(ctx: Ctx, Editor(user): Editor, Path(id): Path<ItemId>) -> AppResult<Response> {
    let db = &ctx.app.db;
    let item = chorus_editorial::store::items::get(db, id).await?;
    // From the item's first share or click (imported or older activity included), or the day
    // before it was created; never longer than a view may be.
    let created = item.created_at.date_naive() - Duration::days(1);
    let first_activity = stats::rollup::first_day_of_item(db, id)
        .await?
        .map(chorus_ambassador::activity::date_of_day);
    let earliest = today() - Duration::days(stats::MAX_DAYS - 1);
    let from = first_activity
        .map_or(created, |first| first.min(created))
        .max(earliest);
    let filter = Filter {
        from,
        to: today(),
        topic: None,
        campaign: None,
        network: None,
        team: None,
        item: Some(id),
        every: Every::Week,
    };
    let passes = store::passes::for_item(db, id.get()).await?;
    let answered: Vec<UserId> = passes.iter().map(|(person, _)| UserId(*person)).collect();
    let (k, view) = view_for(&ctx, &user, &filter, "stats.item", &answered).await?;
    let labels = Labels::remembered(&ctx).await?;
    let network = view
        .tables
        .get(&Dimension::Network)
        .map(|t| table_view(&ctx, &labels, Dimension::Network, t));
    let reasons = k.aggregate(
        passes
            .iter()
            .map(|(person, reason)| chorus_policy::Contribution {
                group: reason.clone(),
                person: chorus_policy::PersonId(u64::try_from(*person).unwrap_or_default()),
                record: 0,
                value: 1_u64,
            }),
    );
    let reasons = TableView {
        dimension: "not_for_me",
        title: ctx.t("stats.not_for_me"),
        rows: reasons
            .groups()
            .iter()
            .map(|g| count_row(ctx.t(&format!("stats.reason_{}", g.key())), g.figure()))
            .collect(),
        other: reasons.other().map(|f| count_row(ctx.t("stats.other"), f)),
        total: count_row(ctx.t("stats.total"), reasons.total()),
    };
    let variety = variety(&ctx, &item, k).await?;
    let page = ItemStatsView {
        item: ItemLink {
            id: item.id,
            title: &item.input.title,
        },
        k: k.get(),
        refused: view.refused,
        network,
        variety,
        reasons,
        from: filter.from.to_string(),
        to: filter.to.to_string(),
        no_share_yet: view
            .tables
            .get(&Dimension::Network)
            .is_some_and(|t| t.groups().is_empty() && t.other().is_none()),
        dashboard: user
            .roles
            .can_enter(chorus_policy::Area::Statistics)
            .then(|| format!("/stats?from={}&to={}", filter.from, filter.to)),
    };
    Ok(ctx.page("stats/item.html", &page)?.into_response())
}

/// How varied the item's posts were: each person's latest post per network against that
/// network's suggested copy (posts on a network without one are not sorted), counted through
/// the minimum group size. `None` when the item suggests no copy.
async fn variety(
    ctx: &Ctx,
    item: &chorus_editorial::store::items::ItemRecord,
    k: chorus_policy::MinGroupSize,
) -> AppResult<Option<TableView>> {
    use chorus_policy::sameness::{Variety, shingles};

    if item.input.copy.values().all(|c| c.trim().is_empty()) {
        return Ok(None);
    }
    let suggested: std::collections::HashMap<chorus_policy::Network, _> = item
        .input
        .copy
        .iter()
        .filter(|(_, copy)| !copy.trim().is_empty())
        .map(|(network, copy)| (*network, shingles(copy)))
        .collect();
    let posts = chorus_ambassador::shares::published_texts(&ctx.app.db, item.id)
        .await
        .map_err(StoreError::from)?;
    let table = k.aggregate(posts.iter().enumerate().filter_map(
        |(record, (user, network, text))| {
            let suggested = suggested.get(network)?;
            Some(chorus_policy::Contribution {
                group: Variety::of(text, suggested),
                person: (*user).into(),
                record: u64::try_from(record).unwrap_or_default(),
                value: 1_u64,
            })
        },
    ));
    Ok(Some(TableView {
        dimension: "variety",
        title: ctx.t("stats.variety"),
        rows: table
            .groups()
            .iter()
            .map(|g| {
                count_row(
                    ctx.t(&format!("stats.variety_{}", g.key().as_str())),
                    g.figure(),
                )
            })
            .collect(),
        other: table.other().map(|f| count_row(ctx.t("stats.other"), f)),
        total: count_row(ctx.t("stats.total"), table.total()),
    }))
}
