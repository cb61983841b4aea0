//! Statistics pages: the analysts' dashboard and its CSV, the editors' view of one item, "not
//! for me" on hub items, and each ambassador's own figures. Every figure about people other than
//! the viewer comes out of `chorus_policy`'s minimum-group-size table (see [`chorus_statistics`]), and
//! every view is written to the audit log.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_policy::{AggregateTable, Figure, FigureStatus, MinGroupSize, Network};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tera::Context;

use crate::auth::CurrentUser;
use crate::auth::roles::{Ambassador, Analyst, Editor, Member};
use crate::charts::{Bar, bar_chart};
use crate::error::{AppError, AppResult};
use crate::store::{self, StoreError};
use crate::views::Ctx;
use chorus_statistics::{
    self as stats, Activity, Dashboard, Dimension, Every, Filter, FilterForm, Memory, Participation,
};

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

/// The share of ambassadors who shared, when both figures may be shown.
fn participation_percent(table: &AggregateTable<Participation, u64>) -> Option<u64> {
    let shared = table
        .groups()
        .iter()
        .find(|g| *g.key() == Participation::Shared)?
        .figure()
        .people()?;
    let all = table.total().people()?;
    let shared = u64::try_from(shared).ok()?;
    let all = u64::try_from(all).ok()?.max(1);
    Some((shared * 100 + all / 2) / all)
}

fn chart(
    ctx: &Ctx,
    filter: &Filter,
    table: &AggregateTable<String, Activity>,
    measure: fn(&Activity) -> u64,
    title_key: &str,
    k: usize,
) -> String {
    let shown: BTreeMap<&str, Option<u64>> = table
        .groups()
        .iter()
        .map(|g| (g.key().as_str(), g.figure().value().map(|a| measure(&a))))
        .collect();
    let bars: Vec<Bar> = filter
        .buckets()
        .into_iter()
        .map(|day| Bar {
            label: stats::bucket_label(day),
            value: shown.get(day.to_string().as_str()).copied().flatten(),
        })
        .collect();
    let hidden =
        ctx.app
            .views
            .i18n
            .text(ctx.locale, "stats.hidden_bar", &[("min", &k.to_string())]);
    bar_chart(&ctx.t(title_key), &bars, &hidden)
}

/// Everything a dashboard view shows, as tables.
fn tables(ctx: &Ctx, labels: &Labels, view: &Dashboard) -> Vec<TableView> {
    let mut out: Vec<TableView> = view
        .tables
        .iter()
        .map(|(dimension, table)| table_view(ctx, labels, *dimension, table))
        .collect();
    out.push(participation_view(ctx, &view.participation));
    out
}

async fn filter_choices(ctx: &Ctx, context: &mut Context) -> AppResult<()> {
    let db = &ctx.app.db;
    let topics: Vec<_> = chorus_editorial::store::topics::topics(db)
        .await?
        .into_iter()
        .map(|t| serde_json::json!({"id": t.id.to_string(), "name": t.name}))
        .collect();
    let mut campaigns: Vec<(String, String)> = stats::labels(db, Dimension::Campaign)
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .collect();
    campaigns.sort_by(|a, b| a.1.cmp(&b.1));
    let networks: Vec<_> = Network::ALL
        .iter()
        .map(|n| serde_json::json!({"id": n.as_str(), "name": n.display_name()}))
        .collect();
    context.insert("topics", &topics);
    context.insert(
        "campaigns",
        &campaigns
            .into_iter()
            .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
            .collect::<Vec<_>>(),
    );
    context.insert("networks", &networks);
    context.insert("teams", &store::users::teams(db).await?);
    Ok(())
}

async fn view_for(
    ctx: &Ctx,
    user: &CurrentUser,
    filter: &Filter,
    action: &str,
    also_included: &[i32],
) -> AppResult<(MinGroupSize, Dashboard)> {
    let db = &ctx.app.db;
    let k = chorus_editorial::store::settings::load(db)
        .await?
        .min_group_size;
    let memory = Memory::of(db, user.id, Utc::now())
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
        stats::audit::record_view(db, user.id, action, filter, &people).await?;
    }
    Ok((k, view))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `GET /stats`: the analysts' dashboard for a filter given in the query string.
pub async fn dashboard(
    ctx: Ctx,
    Analyst(user): Analyst,
    Query(form): Query<FilterForm>,
) -> AppResult<Response> {
    let mut context = Context::new();
    filter_choices(&ctx, &mut context).await?;
    let filter = match form.parse(today()) {
        Ok(filter) => filter,
        Err(errors) => {
            let errors: HashMap<&str, String> =
                errors.into_iter().map(|(f, key)| (f, ctx.t(key))).collect();
            context.insert("form", &form);
            context.insert("errors", &errors);
            return ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "stats/dashboard.html",
                context,
            );
        }
    };
    let (k, view) = view_for(&ctx, &user, &filter, "stats.view", &[]).await?;
    let shown_form = FilterForm::of(&filter);
    let csv_query = serde_urlencoded::to_string(&shown_form).unwrap_or_default();
    context.insert("form", &shown_form);
    context.insert("errors", &HashMap::<&str, String>::new());
    context.insert("k", &k.get());
    context.insert("refused", &view.refused);
    context.insert("csv_query", &csv_query);
    if !view.refused {
        let labels = Labels::load(&ctx.app.db).await?;
        let tables = tables(&ctx, &labels, &view);
        let total = tables
            .iter()
            .find(|t| t.dimension == "network")
            .map(|t| t.total.clone());
        context.insert("total", &total);
        context.insert(
            "participation_percent",
            &participation_percent(&view.participation),
        );
        // How many ambassadors the participation is out of, when that total may be shown.
        context.insert("ambassadors", &view.participation.total().people());
        if let Some(time) = view.tables.get(&Dimension::Time) {
            context.insert(
                "shares_chart",
                &chart(
                    &ctx,
                    &filter,
                    time,
                    |a| a.shares,
                    "stats.chart_shares",
                    k.get(),
                ),
            );
            context.insert(
                "clicks_chart",
                &chart(
                    &ctx,
                    &filter,
                    time,
                    |a| a.clicks,
                    "stats.chart_clicks",
                    k.get(),
                ),
            );
        }
        context.insert("every_week", &(filter.every == Every::Week));
        context.insert("tables", &tables);
        context.insert("named", &view.named);
        context.insert("withheld_by_memory", &view.withheld_by_memory);
    }
    Ok(ctx.render("stats/dashboard.html", context)?.into_response())
}

fn csv_field(text: &str) -> String {
    // Quoted always; a leading formula character is neutralised for spreadsheets.
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn number(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// `GET /stats/export.csv`: exactly the figures of the dashboard for the same filter.
pub async fn export(
    ctx: Ctx,
    Analyst(user): Analyst,
    Query(form): Query<FilterForm>,
) -> AppResult<Response> {
    let filter = form
        .parse(today())
        .map_err(|errors| AppError::BadRequest(format!("invalid filter: {errors:?}")))?;
    let (k, view) = view_for(&ctx, &user, &filter, "stats.export", &[]).await?;
    let mut csv = String::from("section,label,shares,clicks,people,status\r\n");
    if view.refused {
        // One line that says why the file holds no figure.
        let why = ctx.app.views.i18n.text(
            ctx.locale,
            "stats.refused",
            &[("min", &k.get().to_string())],
        );
        let _ = write!(csv, "refused,{},,,,refused\r\n", csv_field(&why));
    } else {
        let labels = Labels::load(&ctx.app.db).await?;
        for table in tables(&ctx, &labels, &view) {
            for row in table.rows.iter().chain(&table.other).chain([&table.total]) {
                let _ = write!(
                    csv,
                    "{},{},{},{},{},{}\r\n",
                    table.dimension,
                    csv_field(&row.label),
                    number(row.shares),
                    number(row.clicks),
                    number(row.people),
                    row.status
                );
            }
        }
        for named in &view.named {
            let _ = write!(
                csv,
                "named,{},{},{},1,shown\r\n",
                csv_field(&named.name),
                named.activity.shares,
                named.activity.clicks
            );
        }
    }
    let name = format!("chorus-statistics-{}-{}.csv", filter.from, filter.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            // Figures about people: never kept by a browser or proxy cache.
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv,
    )
        .into_response())
}

/// `GET /editor/items/{id}/stats`: who shared an item (how many), clicks, networks, and the
/// anonymous "not for me" answers, all under the minimum group size.
pub async fn item(ctx: Ctx, Editor(user): Editor, Path(id): Path<i32>) -> AppResult<Response> {
    let db = &ctx.app.db;
    let item = chorus_editorial::store::items::get(db, id).await?;
    // From the item's first share or click (imported or older activity included), or the day
    // before it was created; never longer than a view may be.
    let created = item.created_at.date_naive() - Duration::days(1);
    let first_activity = stats::rollup::first_day_of_item(db, id)
        .await
        .map_err(StoreError::from)?
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
    let passes = store::passes::for_item(db, id).await?;
    let answered: Vec<i32> = passes.iter().map(|(person, _)| *person).collect();
    let (k, view) = view_for(&ctx, &user, &filter, "stats.item", &answered).await?;
    let labels = Labels::load(db).await?;
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
    let reasons_view = TableView {
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
    let mut context = Context::new();
    context.insert(
        "item",
        &serde_json::json!({"id": item.id, "title": item.input.title}),
    );
    context.insert("k", &k.get());
    context.insert("refused", &view.refused);
    context.insert("network", &network);
    context.insert("reasons", &reasons_view);
    context.insert("from", &filter.from.to_string());
    context.insert("to", &filter.to.to_string());
    context.insert(
        "no_share_yet",
        &view
            .tables
            .get(&Dimension::Network)
            .is_some_and(|t| t.groups().is_empty() && t.other().is_none()),
    );
    context.insert(
        "dashboard",
        &user
            .roles
            .can_enter(chorus_policy::Area::Statistics)
            .then(|| format!("/stats?from={}&to={}", filter.from, filter.to)),
    );
    Ok(ctx.render("stats/item.html", context)?.into_response())
}

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
    chorus_editorial::hub::item(db, id).await?;
    if form.undo.is_some() {
        store::passes::unpass(db, id, user.id).await?;
        return Ok(Redirect::to(&format!("/hub/items/{id}")).into_response());
    }
    store::passes::pass(db, id, user.id, &form.reason).await?;
    Ok(Redirect::to(&format!("/hub?passed={id}")).into_response())
}

/// `GET /hub/stats`: the ambassador's own figures, per network and week, and per share. A
/// person always sees their own figures, so no group size applies here.
pub async fn mine(ctx: Ctx, Member(user): Member) -> AppResult<Response> {
    let db = &ctx.app.db;
    let weeks = 12;
    let to = today();
    let from = to - Duration::weeks(weeks);
    let figures = stats::personal::figures(db, user.id, from, to).await?;
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
    let networks: Vec<_> = figures
        .per_network
        .iter()
        .map(|(network, a)| {
            serde_json::json!({
                "network": network.display_name(),
                "shares": a.shares,
                "clicks": a.clicks,
            })
        })
        .collect();
    let weeks_rows: Vec<_> = figures
        .per_week
        .iter()
        .map(|(week, a)| {
            serde_json::json!({"week": stats::bucket_label(*week), "shares": a.shares, "clicks": a.clicks})
        })
        .collect();
    let total = figures.total;
    let mut context = Context::new();
    context.insert("networks", &networks);
    context.insert("weeks", &weeks_rows);
    context.insert("total", &total);
    context.insert("from", &from.to_string());
    context.insert(
        "clicks_chart",
        &bar_chart(&ctx.t("stats.chart_my_clicks"), &bars(|a| a.clicks), ""),
    );
    context.insert(
        "shares_chart",
        &bar_chart(&ctx.t("stats.chart_my_shares"), &bars(|a| a.shares), ""),
    );
    Ok(ctx.render("stats/mine.html", context)?.into_response())
}

/// The analysts' area, under `/stats`: the dashboard and its export.
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::get;

    axum::Router::new()
        .route("/", get(dashboard))
        .route("/export.csv", get(export))
}
