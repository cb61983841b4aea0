//! The accounts table (`GET /admin`) and adding a person with a generated password.

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chorus_policy::Role;
use serde::{Deserialize, Serialize};

use super::{RoleBox, RoleBoxes, notice, role_boxes};
use crate::accounts::{self, AccountError, DisplayName, Email};
use crate::auth::password::NewPassword;
use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::routes::FieldErrors;
use crate::store;
use crate::views::Ctx;

/// Query of the accounts table: a search, filters and a page; or a one-off notice.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UsersQuery {
    /// Part of a name, email or team.
    q: String,
    /// A role name, or empty for any.
    role: String,
    /// `active`, `inactive`, or empty for both.
    status: String,
    /// The page, from 1 (anything else reads as 1).
    page: String,
    #[serde(skip_serializing)]
    pub(super) done: Option<String>,
    #[serde(skip_serializing)]
    pub(super) error: Option<String>,
}

/// Accounts per page of the table.
const PER_PAGE: u64 = 50;

impl UsersQuery {
    fn page(&self) -> u64 {
        self.page
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .unwrap_or(1)
    }

    /// The same search on another page, as a query string.
    fn on_page(&self, page: u64) -> String {
        let query = UsersQuery {
            page: page.to_string(),
            q: self.q.clone(),
            role: self.role.clone(),
            status: self.status.clone(),
            ..UsersQuery::default()
        };
        serde_urlencoded::to_string(&query).unwrap_or_default()
    }
}

/// The accounts table page.
#[derive(Serialize)]
struct UsersView<'a> {
    users: Vec<UserRow<'a>>,
    /// The search, shown again in its fields.
    query: &'a UsersQuery,
    /// Every role name, for the filter.
    roles: Vec<&'static str>,
    /// "Showing 1 to 50 of 120".
    showing: String,
    page: u64,
    pages: u64,
    /// The query strings of the pages before and after, when there is one.
    previous: Option<String>,
    next: Option<String>,
    notice: Option<String>,
    /// LinkedIn's API version, when an admin must act on it.
    linkedin: Option<super::linkedin::LinkedInStatus>,
}

/// One account of the table.
#[derive(Serialize)]
struct UserRow<'a> {
    id: i32,
    name: &'a str,
    email: &'a str,
    team: Option<&'a str>,
    active: bool,
    is_me: bool,
    /// The roles' names in the person's language.
    roles: Vec<String>,
    last_sign_in: Option<String>,
}

/// `GET /admin`: the accounts, searchable by name, email or team, filtered by role and status,
/// a page at a time.
pub async fn users(
    ctx: Ctx,
    Admin(user): Admin,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let role: Option<Role> = query.role.parse().ok();
    let active = match query.status.as_str() {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    let page = query.page();
    let (rows, total) = store::users::search(
        db,
        &store::users::Search {
            text: &query.q,
            role,
            active,
            offset: (page - 1) * PER_PAGE,
            limit: PER_PAGE,
            ..store::users::Search::default()
        },
    )
    .await?;
    let zone = chorus_ambassador::onboarding::load(db, user.user_id())
        .await?
        .zone();
    let users = rows
        .iter()
        .map(|row| UserRow {
            id: row.id,
            name: &row.display_name,
            email: &row.email,
            team: row.team.as_deref(),
            active: row.active,
            is_me: row.id == user.id,
            roles: row
                .roles
                .0
                .iter()
                .map(|r| ctx.t(&format!("role.{}", r.as_str())))
                .collect(),
            last_sign_in: row.last_sign_in_at.map(|at| ctx.when(zone, at)),
        })
        .collect();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let first = if total == 0 {
        0
    } else {
        (page - 1) * PER_PAGE + 1
    };
    let last = ((page - 1) * PER_PAGE + rows.len() as u64).min(total);
    let view = UsersView {
        users,
        query: &query,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        showing: ctx.app.views.i18n.text(
            ctx.locale,
            "admin.showing",
            &[
                ("first", &first.to_string()),
                ("last", &last.to_string()),
                ("total", &total.to_string()),
            ],
        ),
        page,
        pages,
        previous: (page > 1).then(|| query.on_page(page - 1)),
        next: (page < pages).then(|| query.on_page(page + 1)),
        notice: notice(&ctx, query.done.as_deref()),
        linkedin: super::linkedin::status(&ctx)
            .await?
            .filter(super::linkedin::LinkedInStatus::needs_action),
    };
    Ok(ctx.page("admin/users.html", &view)?.into_response())
}

/// The new-account form.
#[derive(Debug, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(flatten)]
    roles: RoleBoxes,
}

/// The new-account page, empty or shown again with its errors.
#[derive(Serialize)]
struct NewUserView<'a> {
    name: &'a str,
    email: &'a str,
    roles: Vec<RoleBox>,
    errors: &'a FieldErrors,
}

/// The page that shows a new account's password, once.
#[derive(Serialize)]
struct CreatedView<'a> {
    name: &'a str,
    email: &'a str,
    password: &'a str,
}

fn new_user_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &NewUserForm,
    errors: &FieldErrors,
) -> AppResult<Response> {
    let view = NewUserView {
        name: &form.name,
        email: &form.email,
        roles: role_boxes(form.roles.roles()),
        errors,
    };
    ctx.page_status(status, "admin/user_new.html", &view)
}

/// `GET /admin/users/new`.
pub async fn new_user(ctx: Ctx, _: Admin) -> AppResult<Response> {
    let form = NewUserForm {
        roles: RoleBoxes {
            ambassador: Some("on".into()),
            ..RoleBoxes::default()
        },
        ..NewUserForm::default()
    };
    new_user_page(&ctx, StatusCode::OK, &form, &FieldErrors::new())
}

/// `POST /admin/users`: creates an account with a generated password, shown once.
pub async fn create_user(
    ctx: Ctx,
    Admin(user): Admin,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.insert(e.field().0, ctx.t(e.field().1)))
        .ok();
    let name = DisplayName::parse(&form.name)
        .map_err(|e| errors.insert(e.field().0, ctx.t(e.field().1)))
        .ok();
    let (Some(email), Some(name)) = (email, name) else {
        return new_user_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors);
    };
    let password = NewPassword::generate();
    let shown = password.reveal().to_owned();
    match accounts::create(&ctx.app.db, &email, &name, password, form.roles.roles()).await {
        Ok(row) => {
            tracing::info!(admin = user.id, user_id = row.id, "account created");
            let view = CreatedView {
                name: &row.display_name,
                email: &row.email,
                password: &shown,
            };
            Ok(ctx.page_status(StatusCode::CREATED, "admin/user_created.html", &view)?)
        }
        Err(e @ (AccountError::Store(_) | AccountError::Hashing)) => Err(e.into()),
        Err(e) => {
            errors.insert(e.field().0, ctx.t(e.field().1));
            new_user_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors)
        }
    }
}
