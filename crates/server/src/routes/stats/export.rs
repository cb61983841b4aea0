//! The dashboard's CSV: exactly the figures of the dashboard for the same filter, as a file for
//! the analysts' page (`/stats/export.csv`) and the API (`Accept: text/csv`), written to the
//! audit log as an export.

use std::fmt::Write as _;

use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chorus_statistics::{Filter, FilterForm};

use super::dashboard::tables;
use super::{Labels, today, view_for};
use crate::auth::CurrentUser;
use crate::auth::roles::Analyst;
use crate::error::{AppError, AppResult};
use crate::views::Ctx;

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
    let (name, csv) = export_csv(&ctx, &user, &filter).await?;
    Ok(csv_response(&name, csv))
}

/// The CSV of the view of `filter` for `user`, written to the audit log as an export (the page's
/// and the API's), and its file name.
pub(crate) async fn export_csv(
    ctx: &Ctx,
    user: &CurrentUser,
    filter: &Filter,
) -> AppResult<(String, String)> {
    let (k, view) = view_for(ctx, user, filter, "stats.export", &[]).await?;
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
        let labels = Labels::remembered(ctx).await?;
        for table in tables(ctx, &labels, &view) {
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
    Ok((name, csv))
}

/// A CSV file of figures, never kept by a cache.
pub(crate) fn csv_response(name: &str, csv: String) -> Response {
    (
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
        .into_response()
}
