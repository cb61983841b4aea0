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
use crate::notify::{self, Prefs, chat};
use crate::views::Ctx;

/// The page.
#[derive(Serialize)]
struct NotificationsView {
    prefs: Prefs,
    email: String,
    email_available: bool,
    /// The chat services the organisation connects (a person's own chat is one of them).
    chat_services: Vec<ServiceChoice>,
    chat_address: String,
    error: Option<String>,
    notice: Option<String>,
}

/// A chat service a person may choose.
#[derive(Serialize)]
struct ServiceChoice {
    name: &'static str,
    label: &'static str,
    selected: bool,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn render(
    ctx: &Ctx,
    user: &CurrentUser,
    status: StatusCode,
    prefs: Prefs,
    chat: (Option<chat::Channel>, String),
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let connected = chat::channels(&ctx.app.db, &ctx.app.vault).await?;
    let view = NotificationsView {
        prefs,
        email: user.email.clone(),
        email_available: ctx.app.config.mail.is_some(),
        chat_services: chat::Channel::ALL
            .into_iter()
            .filter(|c| connected.has(*c))
            .map(|c| ServiceChoice {
                name: c.as_str(),
                label: c.label(),
                selected: chat.0 == Some(c),
            })
            .collect(),
        chat_address: chat.1,
        error,
        notice,
    };
    ctx.page_status(status, "account/notifications.html", &view)
}

/// `GET /account/notifications`.
pub async fn page(
    ctx: Ctx,
    user: CurrentUser,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let personal = notify::personal_chat(db, &ctx.app.vault, user.id).await?;
    let chat = personal.map_or((None, String::new()), |p| (Some(p.service), p.address));
    let notice = (query.done.as_deref() == Some("saved")).then(|| ctx.t("notify.saved"));
    let prefs = notify::prefs(db, user.id).await?;
    render(&ctx, &user, StatusCode::OK, prefs, chat, None, notice).await
}

/// The form: each box ticked or not, the digest's frequency, and the person's own chat.
#[derive(Debug, Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    email_events: Option<String>,
    #[serde(default)]
    email_announcements: Option<String>,
    #[serde(default)]
    email_digest: Option<String>,
    #[serde(default)]
    chat_events: Option<String>,
    #[serde(default)]
    chat_announcements: Option<String>,
    #[serde(default)]
    chat_digest: Option<String>,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    chat_service: String,
    #[serde(default)]
    chat_address: String,
}

/// `POST /account/notifications`. A chat address that is not one (a Matrix ID for Matrix, an
/// https webhook address for Slack and Teams), or chat chosen without one, shows the form again
/// with what was typed.
pub async fn save(ctx: Ctx, user: CurrentUser, Form(form): Form<PrefsForm>) -> AppResult<Response> {
    let prefs = Prefs {
        email_events: form.email_events.is_some(),
        email_announcements: form.email_announcements.is_some(),
        email_digest: form.email_digest.is_some(),
        chat_events: form.chat_events.is_some(),
        chat_announcements: form.chat_announcements.is_some(),
        chat_digest: form.chat_digest.is_some(),
        digest: notify::Digest::parse(&form.digest),
    };
    let connected = chat::channels(&ctx.app.db, &ctx.app.vault).await?;
    let service = chat::Channel::parse(&form.chat_service).filter(|c| connected.has(*c));
    let address = form.chat_address.trim();
    let wants_chat = prefs.chat_events || prefs.chat_announcements || prefs.chat_digest;
    let error = match service {
        _ if address.is_empty() && wants_chat && !connected.is_empty() => {
            Some("notify.error_chat_missing")
        }
        _ if address.is_empty() => None,
        None => Some("notify.error_chat_service"),
        Some(chat::Channel::Matrix) if !chat::is_matrix_id(address) => {
            Some("notify.error_matrix_id")
        }
        Some(chat::Channel::Slack | chat::Channel::Teams)
            if crate::routes::admin::channels::address(&ctx, address).is_none() =>
        {
            Some("notify.error_webhook")
        }
        Some(_) => None,
    };
    if let Some(error) = error {
        return render(
            &ctx,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            prefs,
            (service, address.to_owned()),
            Some(ctx.t(error)),
            None,
        )
        .await;
    }
    notify::save_prefs(&ctx.app.db, user.id, prefs).await?;
    let personal = service
        .filter(|_| !address.is_empty())
        .map(|s| (s, address));
    notify::save_personal_chat(&ctx.app.db, &ctx.app.vault, user.id, personal).await?;
    tracing::info!(
        user_id = user.id,
        email_events = prefs.email_events,
        chat = personal.map(|(s, _)| s.as_str()),
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
    let prefs = notify::prefs(&ctx.app.db, person.id).await?;
    notify::save_prefs(&ctx.app.db, person.id, prefs.without_email()).await?;
    tracing::info!(user_id = person.id, "unsubscribed from every email");
    let view = UnsubscribeView {
        email: Some(person.email),
        token,
        done: true,
    };
    ctx.page_status(StatusCode::OK, "unsubscribe.html", &view)
}
