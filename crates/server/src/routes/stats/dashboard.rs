//! The analysts' dashboard (`GET /stats`) and its CSV: the same figures for the same filter.

use std::collections::{BTreeMap, HashMap};

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chorus_policy::{AggregateTable, MinGroupSize, Network};
use chorus_statistics::{
    self as stats, Activity, Dashboard, Dimension, Every, Filter, FilterForm, NamedFigure,
    Participation,
};
use serde::Serialize;

use super::{
    FigureRow, Labels, Made, TableView, make_view, participation_view, record, table_view, today,
    view_for,
};
use crate::auth::CurrentUser;
use crate::auth::roles::Analyst;
use crate::charts::{Bar, bar_chart};
use crate::error::AppResult;
use crate::memo::Kind;
use crate::store;
use crate::views::Ctx;

/// The dashboard page. Which variables it has says how far the request went: a filter that
/// does not parse has no `k`, `refused` or `csv_query`; a refused view has no figures.
#[derive(Serialize)]
struct DashboardView<'a> {
    #[serde(flatten)]
    choices: FilterChoices,
    form: FilterForm,
    errors: HashMap<&'static str, String>,
    #[serde(flatten)]
    outcome: Option<Outcome<'a>>,
}

/// What the filter's dashboard view gave: refused, or figures.
#[derive(Serialize)]
struct Outcome<'a> {
    k: usize,
    refused: bool,
    csv_query: String,
    #[serde(flatten)]
    figures: Option<Figures<'a>>,
}

/// The figures of a view that was not refused.
#[derive(Serialize)]
struct Figures<'a> {
    total: Option<FigureRow>,
    participation_percent: Option<u64>,
    /// How many ambassadors the participation is out of, when that total may be shown.
    ambassadors: Option<usize>,
    #[serde(flatten)]
    charts: Option<Charts>,
    every_week: bool,
    tables: Vec<TableView>,
    named: &'a [NamedFigure],
    withheld_by_memory: usize,
    changes: Changes,
}

/// The key figures next to the same figures of the period before.
#[derive(Serialize, Default)]
struct Changes {
    shares: Option<Change>,
    clicks: Option<Change>,
    participation: Option<Change>,
}

/// One key figure's change since the period before.
#[derive(Serialize)]
struct Change {
    /// `up`, `down`, `same`, or `withheld` when the earlier figure may not be shown.
    kind: &'static str,
    text: String,
}

/// Compares the key figures of a view with the same figures of the period of the same length
/// just before it. That earlier period is a view of its own, through the same minimum group
/// size, the same comparison with the analyst's earlier views and the same audit log
/// (`stats.previous`): its totals are shown only where the view would show them.
fn changes(ctx: &Ctx, filter: &Filter, now: &Figures<'_>, previous: Option<&Made>) -> Changes {
    let Some(made) = previous else {
        return Changes::default();
    };
    let (k, before) = (made.k, &made.view);
    let total = if before.refused {
        None
    } else {
        before
            .tables
            .get(&Dimension::Network)
            .and_then(|t| t.total().value())
    };
    let participation = if before.refused {
        None
    } else {
        participation_percent(&before.participation)
    };
    let shown = now.total.as_ref().filter(|t| t.status == "shown");
    let compare = Comparison {
        ctx,
        days: filter.days(),
        k: k.get(),
    };
    Changes {
        shares: compare.change(
            shown.and_then(|t| t.shares),
            total.map(|a| a.shares),
            Unit::Count,
        ),
        clicks: compare.change(
            shown.and_then(|t| t.clicks),
            total.map(|a| a.clicks),
            Unit::Count,
        ),
        participation: compare.change(now.participation_percent, participation, Unit::Points),
    }
}

/// Counts change in percent; a percentage changes in points.
#[derive(Clone, Copy)]
enum Unit {
    Count,
    Points,
}

struct Comparison<'a> {
    ctx: &'a Ctx,
    days: i64,
    k: usize,
}

impl Comparison<'_> {
    /// The change from `before` to `now`, when `now` is shown: nothing to compare otherwise.
    fn change(&self, now: Option<u64>, before: Option<u64>, unit: Unit) -> Option<Change> {
        let now = now?;
        let text = |key: &str, amount: &str, previous: u64| {
            self.ctx.app.views.i18n.text(
                self.ctx.locale,
                key,
                &[
                    ("amount", amount),
                    ("days", &self.days.to_string()),
                    (
                        "previous",
                        &self.ctx.locale.number(saturating_i64(previous)),
                    ),
                    ("min", &self.k.to_string()),
                ],
            )
        };
        let Some(before) = before else {
            return Some(Change {
                kind: "withheld",
                text: text("stats.change_withheld", "", 0),
            });
        };
        let (kind, key, amount) = movement(now, before, unit);
        Some(Change {
            kind,
            text: text(&key, &amount, before),
        })
    }
}

/// How a figure moved from `before` to `now`: its kind, the message key that says it, and
/// the amount (rounded percent, or points).
fn movement(now: u64, before: u64, unit: Unit) -> (&'static str, String, String) {
    let kind = match now.cmp(&before) {
        std::cmp::Ordering::Greater => "up",
        std::cmp::Ordering::Less => "down",
        std::cmp::Ordering::Equal => "same",
    };
    let (prefix, amount) = match unit {
        Unit::Points => ("stats.change_points_", now.abs_diff(before).to_string()),
        Unit::Count if before == 0 && now > 0 => {
            return (kind, "stats.change_from_none".to_owned(), String::new());
        }
        Unit::Count => {
            let change = now.abs_diff(before);
            let percent =
                change.saturating_mul(200).saturating_add(before) / before.saturating_mul(2).max(1);
            let amount = if percent == 0 && change > 0 {
                "<1".to_owned()
            } else {
                percent.to_string()
            };
            ("stats.change_", amount)
        }
    };
    (kind, format!("{prefix}{kind}"), amount)
}

#[cfg(test)]
mod tests {
    use super::{Unit, movement};

    fn said(now: u64, before: u64, unit: Unit) -> (&'static str, String, String) {
        movement(now, before, unit)
    }

    #[test]
    fn counts_move_in_rounded_percent_and_participation_in_points() {
        let up = |a: &str| ("up", "stats.change_up".to_owned(), a.to_owned());
        assert_eq!(said(150, 100, Unit::Count), up("50"));
        assert_eq!(said(1001, 1000, Unit::Count), up("<1"));
        assert_eq!(said(1005, 1000, Unit::Count), up("1"), "half rounds up");
        assert_eq!(
            said(2, 3, Unit::Count),
            ("down", "stats.change_down".into(), "33".into())
        );
        assert_eq!(
            said(0, 3, Unit::Count),
            ("down", "stats.change_down".into(), "100".into())
        );
        assert_eq!(
            said(7, 7, Unit::Count),
            ("same", "stats.change_same".into(), "0".into())
        );
        assert_eq!(
            said(4, 0, Unit::Count),
            ("up", "stats.change_from_none".into(), String::new())
        );
        assert_eq!(
            said(0, 0, Unit::Count),
            ("same", "stats.change_same".into(), "0".into()),
            "no clicks then and now is no change, not 'up from none'"
        );
        assert_eq!(
            said(63, 70, Unit::Points),
            ("down", "stats.change_points_down".into(), "7".into())
        );
        assert_eq!(
            said(80, 63, Unit::Points),
            ("up", "stats.change_points_up".into(), "17".into())
        );
        assert_eq!(
            said(50, 50, Unit::Points),
            ("same", "stats.change_points_same".into(), "0".into())
        );
        assert_eq!(
            said(u64::MAX, 1, Unit::Count).0,
            "up",
            "no overflow on absurd figures"
        );
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The shares and clicks over time, as SVG.
#[derive(Serialize)]
struct Charts {
    shares_chart: String,
    clicks_chart: String,
}

/// The choices of the filter's menus.
#[derive(Serialize, Clone)]
struct FilterChoices {
    topics: Vec<Choice>,
    campaigns: Vec<Choice>,
    networks: Vec<Choice>,
    teams: Vec<String>,
}

/// One choice of a menu: its value and what it shows.
#[derive(Serialize, Clone)]
struct Choice {
    id: String,
    name: String,
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
pub(super) fn tables(ctx: &Ctx, labels: &Labels, view: &Dashboard) -> Vec<TableView> {
    let mut out: Vec<TableView> = view
        .tables
        .iter()
        .map(|(dimension, table)| table_view(ctx, labels, *dimension, table))
        .collect();
    out.push(participation_view(ctx, &view.participation));
    out
}

/// The filter's menus, kept while the content does not change.
async fn filter_choices(ctx: &Ctx) -> AppResult<FilterChoices> {
    let choices = ctx
        .app
        .memo
        .remembered(
            ctx.generation,
            Kind::Content,
            "stats.choices",
            read_filter_choices(ctx),
        )
        .await?;
    Ok(FilterChoices::clone(&choices))
}

async fn read_filter_choices(ctx: &Ctx) -> AppResult<FilterChoices> {
    let db = &ctx.app.db;
    let topics = chorus_editorial::store::topics::topics(db)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            name: t.name,
        })
        .collect();
    let mut campaigns: Vec<(String, String)> = stats::labels(db, Dimension::Campaign)
        .await?
        .into_iter()
        .collect();
    campaigns.sort_by(|a, b| a.1.cmp(&b.1));
    let networks = Network::ALL
        .iter()
        .map(|n| Choice {
            id: n.as_str().to_owned(),
            name: n.display_name().to_owned(),
        })
        .collect();
    Ok(FilterChoices {
        topics,
        campaigns: campaigns
            .into_iter()
            .map(|(id, name)| Choice { id, name })
            .collect(),
        networks,
        teams: store::users::teams(db).await?,
    })
}

/// `GET /stats`: the analysts' dashboard for a filter given in the query string.
pub async fn dashboard(
    ctx: Ctx,
    Analyst(user): Analyst,
    Query(form): Query<FilterForm>,
) -> AppResult<Response> {
    let filter = match form.parse(today()) {
        Ok(filter) => filter,
        Err(errors) => {
            let errors: HashMap<&str, String> =
                errors.into_iter().map(|(f, key)| (f, ctx.t(key))).collect();
            let view = DashboardView {
                choices: filter_choices(&ctx).await?,
                form,
                errors,
                outcome: None,
            };
            return ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "stats/dashboard.html",
                &view,
            );
        }
    };
    let made = make_view(&ctx, &user, &filter, "stats.view", &[], None).await?;
    // The period just before, for the key figures' changes: a view of its own.
    let previous = match filter.previous() {
        Some(previous) if !made.view.refused => Some(
            make_view(
                &ctx,
                &user,
                &previous,
                "stats.previous",
                &[],
                Some(made.memory.clone()),
            )
            .await?,
        ),
        _ => None,
    };
    // Both views are written before either is shown.
    let mut views = vec![&made];
    views.extend(previous.as_ref());
    record(&ctx, &user, &views).await?;
    // The same views make the same page: kept while nothing they are made of changes.
    let page = format!(
        "{}\n{}\n{}",
        ctx.path,
        made.key,
        previous.as_ref().map_or("", |p| p.key.as_str())
    );
    let until = chrono::Utc::now() + chrono::Duration::minutes(10);
    let render = async {
        let html = dashboard_page(&ctx, &filter, &made, previous.as_ref()).await?;
        Ok((html, until))
    };
    crate::memo::serve(&ctx, user.id, ctx.generation, Kind::Activity, page, render).await
}

/// The filter as the page's form and its CSV link show it.
fn shown_query(filter: &Filter) -> String {
    serde_urlencoded::to_string(FilterForm::of(filter)).unwrap_or_default()
}

/// The dashboard of a view made (and written to the audit log), with the period before it.
async fn dashboard_page(
    ctx: &Ctx,
    filter: &Filter,
    made: &Made,
    previous: Option<&Made>,
) -> AppResult<String> {
    let (k, view) = (made.k, &made.view);
    let shown_form = FilterForm::of(filter);
    let csv_query = shown_query(filter);
    let figures = if view.refused {
        None
    } else {
        let labels = Labels::remembered(ctx).await?;
        let tables = tables(ctx, &labels, view);
        let total = tables
            .iter()
            .find(|t| t.dimension == "network")
            .map(|t| t.total.clone());
        let charts = view.tables.get(&Dimension::Time).map(|time| Charts {
            shares_chart: chart(
                ctx,
                filter,
                time,
                |a| a.shares,
                "stats.chart_shares",
                k.get(),
            ),
            clicks_chart: chart(
                ctx,
                filter,
                time,
                |a| a.clicks,
                "stats.chart_clicks",
                k.get(),
            ),
        });
        let mut figures = Figures {
            total,
            participation_percent: participation_percent(&view.participation),
            ambassadors: view.participation.total().people(),
            charts,
            every_week: filter.every == Every::Week,
            tables,
            named: &view.named,
            withheld_by_memory: view.withheld_by_memory,
            changes: Changes::default(),
        };
        figures.changes = changes(ctx, filter, &figures, previous);
        Some(figures)
    };
    let page = DashboardView {
        choices: filter_choices(ctx).await?,
        form: shown_form,
        errors: HashMap::new(),
        outcome: Some(Outcome {
            k: k.get(),
            refused: view.refused,
            csv_query,
            figures,
        }),
    };
    Ok(ctx.page("stats/dashboard.html", &page)?.0)
}

/// The view of `filter` for `user` as the dashboard makes it (the same view, written to the
/// audit log as a dashboard view): the minimum group size, whether it was refused, its tables
/// and the people named by their own choice.
pub(crate) async fn figures_of(
    ctx: &Ctx,
    user: &CurrentUser,
    filter: &Filter,
) -> AppResult<(MinGroupSize, bool, Vec<TableView>, Vec<NamedFigure>)> {
    let (k, view) = view_for(ctx, user, filter, "stats.view", &[]).await?;
    if view.refused {
        return Ok((k, true, Vec::new(), Vec::new()));
    }
    let labels = Labels::remembered(ctx).await?;
    Ok((k, false, tables(ctx, &labels, &view), view.named.clone()))
}
