//! First run: an installation with no account shows only this page, which creates the first
//! admin. Nothing else answers until then.

use axum::Form;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_policy::{Role, Roles};
use serde::{Deserialize, Serialize};

use crate::accounts::{self, AccountError, DisplayName, Email};
use crate::app::AppState;
use crate::auth::password::NewPassword;
use crate::error::{AppError, AppResult};
use crate::routes::FieldErrors;
use crate::views::Ctx;

/// Paths that answer before set-up.
fn open_before_setup(path: &str) -> bool {
    path == "/setup"
        || path.starts_with("/assets/")
        || path.starts_with("/l/")
        || matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/oauth/bluesky/client-metadata.json"
        )
}

/// Sends every request to `/setup` while no account exists.
pub async fn gate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if open_before_setup(request.uri().path()) {
        return next.run(request).await;
    }
    match app.is_initialised().await {
        Ok(true) => next.run(request).await,
        Ok(false) => Redirect::to("/setup").into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// The first-run form.
#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The first-run page.
#[derive(Serialize)]
struct SetupView<'a> {
    name: &'a str,
    email: &'a str,
    errors: &'a FieldErrors,
}

fn page(
    ctx: &Ctx,
    status: StatusCode,
    form: &SetupForm,
    errors: &FieldErrors,
) -> AppResult<Response> {
    let view = SetupView {
        name: &form.name,
        email: &form.email,
        errors,
    };
    ctx.page_status(status, "setup/first_run.html", &view)
}

/// `GET /setup`.
pub async fn show(ctx: Ctx) -> AppResult<Response> {
    if ctx.app.is_initialised().await? {
        return Ok(Redirect::to("/").into_response());
    }
    page(
        &ctx,
        StatusCode::OK,
        &SetupForm::default(),
        &FieldErrors::new(),
    )
}

/// `POST /setup`: creates the first admin and signs them in.
pub async fn create(ctx: Ctx, Form(form): Form<SetupForm>) -> AppResult<Response> {
    if ctx.app.is_initialised().await? {
        return Ok(Redirect::to("/").into_response());
    }
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.insert(e.field().0, ctx.t(e.field().1)))
        .ok();
    let name = DisplayName::parse(&form.name)
        .map_err(|e| errors.insert(e.field().0, ctx.t(e.field().1)))
        .ok();
    let password = NewPassword::parse(&form.password)
        .map_err(|e| {
            let e = AccountError::from(e);
            errors.insert(e.field().0, ctx.t(e.field().1));
        })
        .ok();
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors);
    };
    let roles = Roles::none().with(Role::Admin);
    let row = match accounts::create(&ctx.app.db, &email, &name, password, roles).await {
        Ok(row) => row,
        Err(e @ (AccountError::Store(_) | AccountError::Hashing)) => {
            return Err(e.into());
        }
        Err(e) => {
            errors.insert(e.field().0, ctx.t(e.field().1));
            return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors);
        }
    };
    tracing::info!(user_id = row.id, "first admin created");
    let cookie = crate::auth::session::start(&ctx.app, row.id, None).await?;
    Ok(super::redirect_with_cookie("/admin", &cookie))
}
