//! One person's page (`/admin/users/{id}`) and what an admin does there: roles, team, a new
//! password, unlocking sign-in, deactivating and reactivating.

use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{PersonQuery, RoleBox, RoleBoxes, notice, role_boxes};
use crate::accounts::{self, AccountError};
use crate::auth::roles::Admin;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::views::Ctx;

/// One person's page.
#[derive(Serialize)]
struct PersonView<'a> {
    person: PersonFacts<'a>,
    notice: Option<String>,
    error: Option<String>,
}

/// What the page shows of the person.
#[derive(Serialize)]
struct PersonFacts<'a> {
    id: i32,
    name: &'a str,
    email: &'a str,
    /// Empty for none.
    team: &'a str,
    active: bool,
    is_me: bool,
    created: String,
    last_sign_in: Option<String>,
    roles: Vec<RoleBox>,
}

/// `GET /admin/users/{id}`: one person: roles, team, password, sign-in and status.
pub async fn person(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
    Query(query): Query<PersonQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let row = store::users::by_id(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = chorus_ambassador::onboarding::load(db, user.user_id())
        .await?
        .zone();
    let view = PersonView {
        person: PersonFacts {
            id: row.id,
            name: &row.display_name,
            email: &row.email,
            team: row.team.as_deref().unwrap_or_default(),
            active: row.active,
            is_me: row.id == user.id,
            created: ctx.when(zone, row.created_at),
            last_sign_in: row.last_sign_in_at.map(|at| ctx.when(zone, at)),
            roles: role_boxes(row.roles.0),
        },
        notice: notice(&ctx, query.done.as_deref()),
        error: query.error.as_deref().map(|_| ctx.t("form.last_admin")),
    };
    Ok(ctx.page("admin/user.html", &view)?.into_response())
}

/// The team form.
#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    team: String,
}

/// `POST /admin/users/{id}/team`: sets the team analysts filter by (empty for none).
pub async fn set_team(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
    Form(form): Form<TeamForm>,
) -> AppResult<Response> {
    let team = form.team.trim();
    if team.chars().count() > 80 || team.chars().any(char::is_control) {
        return Err(AppError::BadRequest(
            "a team name has at most 80 characters".into(),
        ));
    }
    let team = (!team.is_empty()).then(|| team.to_owned());
    match store::users::set_team(&ctx.app.db, id, team).await {
        Ok(_) => {
            tracing::info!(admin = user.id, user_id = id, "team set");
            Ok(Redirect::to(&format!("/admin/users/{id}?done=team")).into_response())
        }
        Err(store::StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The page that shows a person's new password, once.
#[derive(Serialize)]
struct NewPasswordView<'a> {
    id: i32,
    name: &'a str,
    email: &'a str,
    password: &'a str,
}

/// `POST /admin/users/{id}/password`: a new generated password, shown once; the person's
/// sessions end and the sign-in counters against them are cleared.
pub async fn reset_password(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    if id == user.id {
        // It would end the admin's own session; their account page changes it in place.
        return Ok(Redirect::to("/account#password").into_response());
    }
    let secret = ctx.app.config.secret_key.bytes();
    match accounts::reset_password(&ctx.app.db, secret, id).await {
        Ok((row, password)) => {
            tracing::info!(admin = user.id, user_id = id, "password reset");
            let view = NewPasswordView {
                id: row.id,
                name: &row.display_name,
                email: &row.email,
                password: password.reveal(),
            };
            Ok(ctx.page("admin/user_password.html", &view)?.into_response())
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{id}/unlock`: clears the sign-in counters against the person, so that
/// they can sign in again at once.
pub async fn unlock(ctx: Ctx, Admin(user): Admin, Path(id): Path<i32>) -> AppResult<Response> {
    let db = &ctx.app.db;
    let row = store::users::by_id(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let cleared = accounts::unlock(db, ctx.app.config.secret_key.bytes(), &row.email).await?;
    tracing::info!(admin = user.id, user_id = id, cleared, "sign-in unlocked");
    Ok(Redirect::to(&format!("/admin/users/{id}?done=unlocked")).into_response())
}

/// `POST /admin/users/{id}/roles`.
pub async fn set_roles(
    ctx: Ctx,
    _: Admin,
    Path(id): Path<i32>,
    Form(form): Form<RoleBoxes>,
) -> AppResult<Response> {
    match accounts::set_roles(&ctx.app.db, id, form.roles()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?done=roles")).into_response()),
        Err(AccountError::LastAdmin) => {
            Ok(Redirect::to(&format!("/admin/users/{id}?error=last_admin")).into_response())
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn set_active(ctx: Ctx, Admin(user): Admin, id: i32, active: bool) -> AppResult<Response> {
    match accounts::set_active(&ctx.app.db, id, active).await {
        Ok(_) => {
            tracing::info!(
                admin = user.id,
                user_id = id,
                active,
                "account status changed"
            );
            let done = if active { "reactivated" } else { "deactivated" };
            Ok(Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response())
        }
        Err(AccountError::LastAdmin) => {
            Ok(Redirect::to(&format!("/admin/users/{id}?error=last_admin")).into_response())
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{id}/deactivate`: ends that person's sessions at once.
pub async fn deactivate(ctx: Ctx, user: Admin, Path(id): Path<i32>) -> AppResult<Response> {
    set_active(ctx, user, id, false).await
}

/// `POST /admin/users/{id}/reactivate`.
pub async fn reactivate(ctx: Ctx, user: Admin, Path(id): Path<i32>) -> AppResult<Response> {
    set_active(ctx, user, id, true).await
}
