//! The dashboard's figures for an analyst's BI tool (`stats:read`): the same view as the page
//! makes for the same filter (one code path: every figure through the minimum group size,
//! compared with the analyst's earlier views, pages and API alike, and written to the audit log
//! before it is answered), as JSON or as the page's CSV.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chorus_statistics::FilterForm;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Need, StatsRead};
use super::problem::{ApiResult, FieldProblem, Problem};
use crate::routes::stats::{FigureRow, TableView, csv_response, export_csv, figures_of};
use crate::views::Ctx;

/// Which figures: the dashboard's filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First day (`YYYY-MM-DD`), 28 days before `to` when left out.
    from: Option<String>,
    /// Last day (`YYYY-MM-DD`), today when left out.
    to: Option<String>,
    /// Only items under this topic (its id).
    topic: Option<String>,
    /// Only items of this campaign (its id).
    campaign: Option<String>,
    /// Only this network (`bluesky`, `mastodon`, `linkedin`, `x`, `threads`).
    network: Option<String>,
    /// Only people of this team.
    team: Option<String>,
    /// Bars per `day` or per `week`.
    every: Option<String>,
}

impl StatsQuery {
    fn form(self) -> FilterForm {
        FilterForm {
            from: self.from.unwrap_or_default(),
            to: self.to.unwrap_or_default(),
            topic: self.topic.unwrap_or_default(),
            campaign: self.campaign.unwrap_or_default(),
            network: self.network.unwrap_or_default(),
            team: self.team.unwrap_or_default(),
            every: self.every.unwrap_or_default(),
        }
    }
}

/// One figure: shown, or not, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsFigure {
    /// What the figure counts (a network, a team, a topic, a day...), in the request's language.
    pub label: String,
    /// `shown`; `fewer_than_k` (fewer people than the minimum group size: no number); or
    /// `withheld` (it would tell, next to one of the analyst's earlier views, what fewer than
    /// the minimum did).
    pub status: String,
    /// Shares published.
    pub shares: Option<u64>,
    /// Clicks by people on the shares' links.
    pub clicks: Option<u64>,
    /// Distinct people behind the figure.
    pub people: Option<usize>,
}

impl StatsFigure {
    fn of(row: &FigureRow) -> StatsFigure {
        StatsFigure {
            label: row.label.clone(),
            status: row.status.to_owned(),
            shares: row.shares,
            clicks: row.clicks,
            people: row.people,
        }
    }
}

/// One grouping of the figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsTable {
    /// `network`, `team`, `topic`, `campaign`, `item`, `time` or `participation`.
    pub dimension: String,
    /// Its title, in the request's language.
    pub title: String,
    /// Its groups.
    pub rows: Vec<StatsFigure>,
    /// The groups too small to show alone, together.
    pub other: Option<StatsFigure>,
    /// All of them.
    pub total: StatsFigure,
}

impl StatsTable {
    fn of(table: &TableView) -> StatsTable {
        StatsTable {
            dimension: table.dimension.to_owned(),
            title: table.title.clone(),
            rows: table.rows.iter().map(StatsFigure::of).collect(),
            other: table.other.as_ref().map(StatsFigure::of),
            total: StatsFigure::of(&table.total),
        }
    }
}

/// A person who chose to be named in statistics, and their figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedPerson {
    /// Their name.
    pub name: String,
    /// Their shares in the period.
    pub shares: u64,
    /// Clicks on them.
    pub clicks: u64,
}

/// The dashboard's figures for a filter.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// The minimum group size: no figure is about fewer people.
    pub min_group_size: usize,
    /// Whether the whole view was refused (its total would tell, next to an earlier view, what
    /// fewer than the minimum did); then there is no table.
    pub refused: bool,
    /// The figures, grouping by grouping.
    pub tables: Vec<StatsTable>,
    /// People named by their own choice.
    pub named: Vec<NamedPerson>,
}

fn parsed(ctx: &Ctx, query: StatsQuery) -> Result<chorus_statistics::Filter, super::ApiError> {
    query
        .form()
        .parse(chrono::Utc::now().date_naive())
        .map_err(|errors| {
            Problem::invalid(
                errors
                    .into_iter()
                    .map(|(field, key)| FieldProblem {
                        field: field.to_owned(),
                        detail: ctx.t(key),
                    })
                    .collect(),
            )
            .into()
        })
}

/// The dashboard's figures, as JSON, or as its CSV when `Accept: text/csv`.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "stats",
    params(StatsQuery),
    security(("token" = ["stats:read"])),
    responses(
        (status = 200, description = "The figures, as JSON or (Accept: text/csv) as the dashboard's CSV", content(
            (Stats = "application/json"),
            (String = "text/csv"),
        )),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks stats:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter field is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn figures(
    ctx: Ctx,
    Need(caller, _): Need<StatsRead>,
    headers: HeaderMap,
    super::ApiQuery(query): super::ApiQuery<StatsQuery>,
) -> ApiResult<Response> {
    let filter = parsed(&ctx, query)?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let (name, csv) = export_csv(&ctx, &caller.user, &filter).await?;
        return Ok(csv_response(&name, csv));
    }
    let (k, refused, tables, named) = figures_of(&ctx, &caller.user, &filter).await?;
    let mut response = Json(Stats {
        min_group_size: k.get(),
        refused,
        tables: tables.iter().map(StatsTable::of).collect(),
        named: named
            .into_iter()
            .map(|n| NamedPerson {
                name: n.name,
                shares: n.activity.shares,
                clicks: n.activity.clicks,
            })
            .collect(),
    })
    .into_response();
    // Figures about people: never kept by a cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
