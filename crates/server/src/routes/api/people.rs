//! People, for an admin's integration (`people:read`): the accounts, searched and page by page,
//! as the admins' table shows them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Need, PeopleRead};
use super::problem::{ApiResult, FieldProblem, Problem};
use crate::app::AppState;
use crate::store::users::{self, Search};

/// People per page when the request does not say.
const DEFAULT_LIMIT: u64 = 50;
/// The most people one page holds.
const MAX_LIMIT: u64 = 200;

/// A person with an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    /// Id.
    pub id: i32,
    /// Email.
    pub email: String,
    /// Name shown to colleagues.
    pub name: String,
    /// Roles: `ambassador`, `editor`, `analyst`, `admin`.
    pub roles: Vec<String>,
    /// Team, if any.
    pub team: Option<String>,
    /// Whether the account may sign in.
    pub active: bool,
    /// Last sign-in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Which people.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name, email or team, any case.
    q: Option<String>,
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
    /// People per page, 1 to 200 (50 when left out).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// One page of people, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeoplePage {
    /// The people.
    pub people: Vec<Person>,
    /// The cursor of the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// Lists people, by name.
#[utoipa::path(
    get,
    path = "/people",
    tag = "people",
    params(PeopleQuery),
    security(("token" = ["people:read"])),
    responses(
        (status = 200, description = "A page of people", body = PeoplePage),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks people:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _: Need<PeopleRead>,
    super::ApiQuery(query): super::ApiQuery<PeopleQuery>,
) -> ApiResult<Json<PeoplePage>> {
    let mut errors = Vec::new();
    let offset = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => cursor.parse::<u64>().unwrap_or_else(|_| {
            errors.push(FieldProblem {
                field: "cursor".into(),
                detail: "send back the next_cursor of the previous page as it was".into(),
            });
            0
        }),
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldProblem {
            field: "limit".into(),
            detail: format!("expected 1 to {MAX_LIMIT}"),
        });
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors).into());
    }
    let (rows, total) = users::search(
        &state.db,
        &Search {
            text: query.q.as_deref().unwrap_or_default(),
            offset,
            limit,
            ..Search::default()
        },
    )
    .await?;
    let next = offset + u64::try_from(rows.len()).unwrap_or(u64::MAX);
    Ok(Json(PeoplePage {
        people: rows
            .into_iter()
            .map(|row| Person {
                id: row.id,
                email: row.email,
                name: row.display_name,
                roles: row.roles.0.iter().map(|r| r.as_str().to_owned()).collect(),
                team: row.team,
                active: row.active,
                last_sign_in_at: row.last_sign_in_at,
                created_at: row.created_at,
            })
            .collect(),
        next_cursor: (next < total).then(|| next.to_string()),
    }))
}
