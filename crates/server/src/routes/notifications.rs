//! `/account/notifications` (what a person chooses to receive) and `/unsubscribe/{token}` (the
//! link in every email: a page with a button, and RFC 8058's one-click POST, both without a
//! session: the token, a MAC under the server's key, says who).

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::session::CurrentUser;
use crate::error::AppResult;
use crate::notify::{self, Prefs};
use crate::views::Ctx;

/// The page.
#[derive(Serialize)]
struct NotificationsView {
    prefs: Prefs,
    email: String,
    email_available: bool,
    notice: Option<String>,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /account/notifications`.
pub async fn page(
    ctx: Ctx,
    user: CurrentUser,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let view = NotificationsView {
        prefs: notify::prefs(&ctx.app.db, user.id).await?,
        email: user.email.clone(),
        email_available: ctx.app.config.mail.is_some(),
        notice: (query.done.as_deref() == Some("saved")).then(|| ctx.t("notify.saved")),
    };
    Ok(ctx
        .page("account/notifications.html", &view)?
        .into_response())
}

/// The form: each box ticked or not, and the digest's frequency.
#[derive(Debug, Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    email_events: Option<String>,
    #[serde(default)]
    email_announcements: Option<String>,
    #[serde(default)]
    digest: String,
}

/// `POST /account/notifications`.
pub async fn save(ctx: Ctx, user: CurrentUser, Form(form): Form<PrefsForm>) -> AppResult<Response> {
    let prefs = Prefs {
        email_events: form.email_events.is_some(),
        email_announcements: form.email_announcements.is_some(),
        digest: notify::Digest::parse(&form.digest),
    };
    notify::save_prefs(&ctx.app.db, user.id, prefs).await?;
    tracing::info!(
        user_id = user.id,
        email_events = prefs.email_events,
        "notification choices saved"
    );
    Ok(Redirect::to("/account/notifications?done=saved").into_response())
}

/// The unsubscribe page.
#[derive(Serialize)]
struct UnsubscribeView {
    token: String,
    email: Option<String>,
    done: bool,
}

async fn person(ctx: &Ctx, token: &str) -> AppResult<Option<crate::store::users::UserRow>> {
    let Some(id) = notify::unsubscribe_person(ctx.app.config.secret_key.bytes(), token) else {
        return Ok(None);
    };
    Ok(crate::store::users::by_id(&ctx.app.db, id).await?)
}

/// `GET /unsubscribe/{token}`: asks before stopping (a link scanner opening it changes
/// nothing).
pub async fn unsubscribe_page(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    let person = person(&ctx, &token).await?;
    let status = if person.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let view = UnsubscribeView {
        email: person.map(|p| p.email),
        token,
        done: false,
    };
    ctx.page_status(status, "unsubscribe.html", &view)
}

/// `POST /unsubscribe/{token}`: stops every email to that person, from the page's button or
/// from a mail client's one-click request (`List-Unsubscribe=One-Click`), without a session.
pub async fn unsubscribe(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    let Some(person) = person(&ctx, &token).await? else {
        let view = UnsubscribeView {
            email: None,
            token,
            done: false,
        };
        return ctx.page_status(StatusCode::NOT_FOUND, "unsubscribe.html", &view);
    };
    notify::save_prefs(&ctx.app.db, person.id, Prefs::default()).await?;
    tracing::info!(user_id = person.id, "unsubscribed from every email");
    let view = UnsubscribeView {
        email: Some(person.email),
        token,
        done: true,
    };
    ctx.page_status(StatusCode::OK, "unsubscribe.html", &view)
}
