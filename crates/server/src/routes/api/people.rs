//! People, for an admin's integration (`people:read`): the accounts, searched and page by page,
//! as the admins' table shows them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Need, PeopleRead, PeopleWrite};
use super::problem::{ApiResult, FieldProblem, Problem};
use super::{ApiJson, ApiPath};
use crate::accounts::{self, AccountError, DisplayName, Email};
use crate::app::AppState;
use crate::auth::password::NewPassword;
use crate::store::users::{self, Search, UserRow};

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

impl Person {
    fn of(row: UserRow) -> Person {
        Person {
            id: row.id,
            email: row.email,
            name: row.display_name,
            roles: row.roles.0.iter().map(|r| r.as_str().to_owned()).collect(),
            team: row.team,
            active: row.active,
            last_sign_in_at: row.last_sign_in_at,
            created_at: row.created_at,
        }
    }
}

/// Which people.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name, email or team, any case.
    q: Option<String>,
    /// Only people holding this role: `ambassador`, `editor`, `analyst` or `admin`.
    role: Option<String>,
    /// Only active (`true`) or deactivated (`false`) accounts.
    active: Option<bool>,
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
    let after: Option<PeopleCursor> = super::cursor_of(query.cursor.as_deref(), &mut errors);
    let limit = super::limit_of(query.limit, DEFAULT_LIMIT, MAX_LIMIT, &mut errors);
    let role = match query.role.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(name) => {
            let role = name.parse::<chorus_policy::Role>().ok();
            if role.is_none() {
                errors.push(FieldProblem {
                    field: "role".into(),
                    detail: "expected ambassador, editor, analyst or admin".into(),
                });
            }
            role
        }
    };
    if !errors.is_empty() {
        return Err(Problem::invalid(errors).into());
    }
    let (rows, _) = users::search(
        &state.db,
        &Search {
            text: query.q.as_deref().unwrap_or_default(),
            role,
            active: query.active,
            after: after.as_ref().map(|c| (c.name.as_str(), c.id)),
            limit: limit + 1,
            ..Search::default()
        },
    )
    .await?;
    let mut people: Vec<Person> = rows.into_iter().map(Person::of).collect();
    let more = people.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    people.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Json(PeoplePage {
        next_cursor: more
            .then(|| {
                people.last().map(|p| {
                    PeopleCursor {
                        name: p.name.clone(),
                        id: p.id,
                    }
                    .to_string()
                })
            })
            .flatten(),
        people,
    }))
}

/// Where a page of people ended: the last one's name and id (the list's order), so that a
/// person added or removed meanwhile shifts nothing. Written as URL-safe base64 of
/// `{id}:{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PeopleCursor {
    name: String,
    id: i32,
}

impl std::fmt::Display for PeopleCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use base64::Engine as _;
        let raw = format!("{}:{}", self.id, self.name);
        f.write_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
    }
}

impl std::str::FromStr for PeopleCursor {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| ())?;
        let raw = String::from_utf8(raw).map_err(|_| ())?;
        let (id, name) = raw.split_once(':').ok_or(())?;
        Ok(PeopleCursor {
            id: id.parse().map_err(|_| ())?,
            name: name.to_owned(),
        })
    }
}

/// One person.
#[utoipa::path(
    get,
    path = "/people/{id}",
    tag = "people",
    params(("id" = i32, Path, description = "The person's id")),
    security(("token" = ["people:read"])),
    responses(
        (status = 200, description = "The person", body = Person),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks people:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    _: Need<PeopleRead>,
    ApiPath(id): ApiPath<i32>,
) -> ApiResult<Json<Person>> {
    let row = users::by_id(&state.db, id).await?.ok_or_else(|| {
        Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such person: check their id",
        )
    })?;
    Ok(Json(Person::of(row)))
}

/// A person to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// Their email (their sign-in).
    pub email: String,
    /// The name colleagues see.
    pub name: String,
    /// Roles besides ambassador (everyone may take part): `editor`, `analyst`, `admin`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A person added, with the password generated for them, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The person.
    pub person: Person,
    /// Their first password (they change it on their account page), unless the organisation
    /// signs in through its identity provider.
    pub initial_password: String,
}

/// What to change of a person; what is left out stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    /// Their roles, all of them (`ambassador`, `editor`, `analyst`, `admin`).
    pub roles: Option<Vec<String>>,
    /// Their team (`""` for none), at most 80 characters.
    pub team: Option<String>,
    /// `false` deactivates the account (its sessions end at once); `true` reactivates it.
    pub active: Option<bool>,
}

fn roles_of(
    names: &[String],
    with_ambassador: bool,
) -> Result<chorus_policy::Roles, Vec<FieldProblem>> {
    let mut roles = if with_ambassador {
        chorus_policy::Roles::none().with(chorus_policy::Role::Ambassador)
    } else {
        chorus_policy::Roles::none()
    };
    for name in names {
        let role: chorus_policy::Role = name.parse().map_err(|e: chorus_policy::UnknownRole| {
            vec![FieldProblem {
                field: "roles".into(),
                detail: e.to_string(),
            }]
        })?;
        roles = roles.with(role);
    }
    Ok(roles)
}

fn account_problem(state: &AppState, error: AccountError) -> super::ApiError {
    match error {
        AccountError::NotFound => Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such person: check their id",
        )
        .into(),
        AccountError::LastAdmin => Problem::new(
            axum::http::StatusCode::CONFLICT,
            "last_admin",
            "this is the last active admin: make someone else admin first",
        )
        .into(),
        e @ (AccountError::Store(_) | AccountError::Hashing) => {
            super::ApiError::from(crate::error::AppError::from(e))
        }
        e => {
            let (field, key) = e.field();
            Problem::invalid(vec![FieldProblem {
                field: field.to_owned(),
                detail: state.views.i18n.text(crate::i18n::Locale::En, key, &[]),
            }])
            .into()
        }
    }
}

/// Adds a person (an ambassador, with the roles given).
#[utoipa::path(
    post,
    path = "/people",
    tag = "people",
    request_body = NewPerson,
    security(("token" = ["people:write"])),
    responses(
        (status = 201, description = "The person, and their first password", body = Created, headers(("Location" = String))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks people:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Someone has this email already", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Need(caller, _): Need<PeopleWrite>,
    ApiJson(body): ApiJson<NewPerson>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let mut problems = Vec::new();
    let mut field = |error: AccountError| {
        let (field, key) = error.field();
        problems.push(FieldProblem {
            field: field.to_owned(),
            detail: state.views.i18n.text(crate::i18n::Locale::En, key, &[]),
        });
    };
    let email = Email::parse(&body.email).map_err(&mut field).ok();
    let name = DisplayName::parse(&body.name).map_err(&mut field).ok();
    let roles = roles_of(&body.roles, true);
    let (Some(email), Some(name), Ok(roles)) = (email, name, roles) else {
        if let Err(wrong) = roles_of(&body.roles, true) {
            problems.extend(wrong);
        }
        return Err(Problem::invalid(problems).into());
    };
    let password = NewPassword::generate();
    let shown = password.reveal().to_owned();
    let row = match accounts::create(&state.db, &email, &name, password, roles).await {
        Ok(row) => row,
        Err(
            AccountError::EmailTaken | AccountError::Store(crate::store::StoreError::EmailTaken),
        ) => {
            return Err(Problem::new(
                axum::http::StatusCode::CONFLICT,
                "email_taken",
                "someone has this email already: find them with GET /people?q=",
            )
            .into());
        }
        Err(e) => return Err(account_problem(&state, e)),
    };
    tracing::info!(
        admin = caller.user.id,
        user_id = row.id,
        "account created through the API"
    );
    let id = row.id;
    let mut response = (
        axum::http::StatusCode::CREATED,
        Json(Created {
            person: Person::of(row),
            initial_password: shown,
        }),
    )
        .into_response();
    if let Ok(location) = axum::http::HeaderValue::from_str(&format!("/api/v1/people/{id}")) {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Changes a person's roles, team or status (the last active admin stays one).
#[utoipa::path(
    patch,
    path = "/people/{id}",
    tag = "people",
    params(("id" = i32, Path, description = "The person's id")),
    request_body = PersonChange,
    security(("token" = ["people:write"])),
    responses(
        (status = 200, description = "The person as changed", body = Person),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks people:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last active admin would be lost", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change(
    State(state): State<AppState>,
    Need(caller, _): Need<PeopleWrite>,
    ApiPath(id): ApiPath<i32>,
    ApiJson(body): ApiJson<PersonChange>,
) -> ApiResult<Json<Person>> {
    let roles = body
        .roles
        .as_deref()
        .map(|names| roles_of(names, false))
        .transpose()
        .map_err(|wrong| super::ApiError::from(Problem::invalid(wrong)))?;
    let team = match body.team.as_deref().map(str::trim) {
        Some(team) if team.chars().count() > 80 || team.chars().any(char::is_control) => {
            return Err(Problem::invalid(vec![FieldProblem {
                field: "team".into(),
                detail: "a team name has at most 80 characters, none of them a control".into(),
            }])
            .into());
        }
        other => other.map(|team| (!team.is_empty()).then(|| team.to_owned())),
    };
    users::by_id(&state.db, id)
        .await?
        .ok_or_else(|| account_problem(&state, AccountError::NotFound))?;
    if let Some(roles) = roles {
        accounts::set_roles(&state.db, id, roles)
            .await
            .map_err(|e| account_problem(&state, e))?;
    }
    if let Some(team) = team {
        users::set_team(&state.db, id, team).await?;
    }
    if let Some(active) = body.active {
        accounts::set_active(&state.db, id, active)
            .await
            .map_err(|e| account_problem(&state, e))?;
    }
    tracing::info!(
        admin = caller.user.id,
        user_id = id,
        "account changed through the API"
    );
    let row = users::by_id(&state.db, id)
        .await?
        .ok_or_else(|| account_problem(&state, AccountError::NotFound))?;
    Ok(Json(Person::of(row)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_people_cursor_reads_back_as_written() {
        let cursor = super::PeopleCursor {
            name: "Zoë: d'Arc".into(),
            id: 42,
        };
        let text = cursor.to_string();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(text.parse(), Ok(cursor));
        assert!("42".parse::<super::PeopleCursor>().is_err());
    }
}
