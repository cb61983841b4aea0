//! The ambassador's side of statistics, under `/hub`: "not for me" on an item, and their own
//! figures.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_policy::ItemId;
use chorus_statistics::{self as stats, Activity};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::today;
use crate::auth::roles::{Ambassador, Member};
use crate::charts::{Bar, bar_chart};
use crate::error::AppResult;
use crate::store;
use crate::views::Ctx;

/// The "not for me" form.
#[derive(Debug, Deserialize)]
pub struct PassForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    undo: Option<String>,
}

/// `POST /hub/items/{id}/pass`: "not for me" (with an optional reason), or taking it back.
pub async fn pass(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(id): Path<i32>,
    Form(form): Form<PassForm>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    // The item must be one the hub shows.
    chorus_editorial::hub::item(db, ItemId(id)).await?;
    if form.undo.is_some() {
        store::passes::unpass(db, id, user.id).await?;
        return Ok(Redirect::to(&format!("/hub/items/{id}")).into_response());
    }
    store::passes::pass(db, id, user.id, &form.reason).await?;
    Ok(Redirect::to(&format!("/hub?passed={id}")).into_response())
}

/// The ambassador's own figures page.
#[derive(Serialize)]
struct MineView {
    networks: Vec<NetworkRow>,
    weeks: Vec<WeekRow>,
    total: Activity,
    from: String,
    clicks_chart: String,
    shares_chart: String,
    items: Vec<ItemRow>,
    together: Option<Together>,
}

/// An item the person's shares supported.
#[derive(Serialize)]
struct ItemRow {
    id: ItemId,
    title: String,
    shares: u64,
    clicks: u64,
}

/// What colleagues achieved together, rounded down through the minimum group size.
#[derive(Serialize)]
struct Together {
    people: usize,
    shares: Option<usize>,
    clicks: Option<usize>,
}

/// One network the person shared on.
#[derive(Serialize)]
struct NetworkRow {
    network: &'static str,
    shares: u64,
    clicks: u64,
}

/// One week of the period.
#[derive(Serialize)]
struct WeekRow {
    week: String,
    shares: u64,
    clicks: u64,
}

/// `GET /hub/stats`: the ambassador's own figures, per network and week, and per share. A
/// person always sees their own figures, so no group size applies here.
pub async fn mine(ctx: Ctx, Member(user): Member) -> AppResult<Response> {
    let db = &ctx.app.db;
    let weeks = 12;
    let to = today();
    let from = to - Duration::weeks(weeks);
    let figures = stats::personal::figures(db, user.user_id(), from, to).await?;
    let ids: Vec<ItemId> = figures.per_item.iter().map(|(id, _)| *id).collect();
    let titles = chorus_editorial::store::items::titles(db, &ids).await?;
    let k = chorus_editorial::store::settings::load(db)
        .await?
        .min_group_size;
    let (people, activity) = stats::personal::together(db, from, to).await?;
    let rounded = |n: u64| k.social_proof(usize::try_from(n).unwrap_or(usize::MAX));
    let together = k.social_proof(people).map(|people| Together {
        people,
        shares: rounded(activity.shares),
        clicks: rounded(activity.clicks),
    });
    let bars = |measure: fn(&Activity) -> u64| -> Vec<Bar> {
        figures
            .per_week
            .iter()
            .map(|(week, activity)| Bar {
                label: stats::bucket_label(*week),
                value: Some(measure(activity)),
            })
            .collect()
    };
    let page = MineView {
        networks: figures
            .per_network
            .iter()
            .map(|(network, a)| NetworkRow {
                network: network.display_name(),
                shares: a.shares,
                clicks: a.clicks,
            })
            .collect(),
        weeks: figures
            .per_week
            .iter()
            .map(|(week, a)| WeekRow {
                week: stats::bucket_label(*week),
                shares: a.shares,
                clicks: a.clicks,
            })
            .collect(),
        items: figures
            .per_item
            .iter()
            .filter_map(|(id, a)| {
                Some(ItemRow {
                    id: *id,
                    title: titles.get(id)?.clone(),
                    shares: a.shares,
                    clicks: a.clicks,
                })
            })
            .collect(),
        together,
        total: figures.total,
        from: from.to_string(),
        clicks_chart: bar_chart(&ctx.t("stats.chart_my_clicks"), &bars(|a| a.clicks), ""),
        shares_chart: bar_chart(&ctx.t("stats.chart_my_shares"), &bars(|a| a.shares), ""),
    };
    Ok(ctx.page("stats/mine.html", &page)?.into_response())
}
