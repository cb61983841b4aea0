//! Home pages: `/` sends each person to their role's home; each area has its own.

use axum::response::{IntoResponse, Redirect, Response};
use tera::Context;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::views::Ctx;

/// `GET /`: the home of the person's first role, or a page that explains they have none yet.
pub async fn root(ctx: Ctx, user: CurrentUser) -> AppResult<Response> {
    match user.roles.home() {
        Some(area) => Ok(Redirect::to(area.path()).into_response()),
        None => Ok(ctx
            .render("home/no_role.html", Context::new())?
            .into_response()),
    }
}
