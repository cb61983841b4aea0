//! Outgoing webhooks (`/admin/webhooks`): the addresses subscribed to events, each with its
//! latest deliveries (the log: event, state, attempts, last answer), a form to subscribe one
//! (its signing secret shown once), and unsubscribing with confirmation.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::roles::Admin;
use crate::error::{AppError, AppResult};
use crate::routes::FieldErrors;
use crate::views::Ctx;
use crate::webhooks::{self, Event};

/// Deliveries shown per address.
const LOG_ROWS: u64 = 10;

/// One delivery as the log shows it.
#[derive(Serialize)]
struct DeliveryRow {
    event: String,
    state: String,
    state_label: String,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    at: String,
}

/// One address and its log.
#[derive(Serialize)]
struct EndpointView {
    id: i32,
    url: String,
    events: Vec<&'static str>,
    created: String,
    deliveries: Vec<DeliveryRow>,
}

/// An event, ticked or not.
#[derive(Serialize)]
struct EventChoice {
    name: &'static str,
    label: String,
    checked: bool,
}

/// The page.
#[derive(Serialize)]
struct WebhooksView<'a> {
    endpoints: Vec<EndpointView>,
    events: Vec<EventChoice>,
    url: &'a str,
    /// The secret of an address just subscribed, shown this once.
    secret: Option<String>,
    errors: &'a FieldErrors,
    notice: Option<String>,
}

/// The subscription form, kept as typed.
#[derive(Debug, Default)]
pub struct SubscribeForm {
    url: String,
    events: Vec<String>,
}

async fn render(
    ctx: &Ctx,
    status: StatusCode,
    form: &SubscribeForm,
    errors: &FieldErrors,
    secret: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let zone = ctx.zone().await?;
    let mut endpoints = Vec::new();
    for endpoint in webhooks::endpoints(&ctx.app.db).await? {
        let deliveries = webhooks::log(&ctx.app.db, endpoint.id, LOG_ROWS)
            .await?
            .into_iter()
            .map(|d| DeliveryRow {
                state_label: ctx.t(&format!("webhooks.state_{}", d.state)),
                event: d.event,
                state: d.state,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                at: ctx.when(zone, d.delivered_at.unwrap_or(d.created_at)),
            })
            .collect();
        endpoints.push(EndpointView {
            id: endpoint.id,
            url: endpoint.url,
            events: endpoint.events.iter().map(|e| e.as_str()).collect(),
            created: ctx.when(zone, endpoint.created_at),
            deliveries,
        });
    }
    let events = Event::ALL
        .into_iter()
        .map(|event| EventChoice {
            name: event.as_str(),
            label: ctx.t(&format!(
                "webhooks.event_{}",
                event.as_str().replace('.', "_")
            )),
            checked: form.events.iter().any(|e| e == event.as_str()),
        })
        .collect();
    let view = WebhooksView {
        endpoints,
        events,
        url: &form.url,
        secret,
        errors,
        notice,
    };
    ctx.page_status(status, "admin/webhooks.html", &view)
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /admin/webhooks`.
pub async fn page(ctx: Ctx, _: Admin, Query(query): Query<DoneQuery>) -> AppResult<Response> {
    let notice = (query.done.as_deref() == Some("removed")).then(|| ctx.t("webhooks.removed"));
    render(
        &ctx,
        StatusCode::OK,
        &SubscribeForm::default(),
        &FieldErrors::new(),
        None,
        notice,
    )
    .await
}

/// `POST /admin/webhooks`: subscribes an address; its secret is shown once. A form that does
/// not pass comes back as typed.
pub async fn subscribe(
    ctx: Ctx,
    Admin(admin): Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut form = SubscribeForm::default();
    for (name, value) in pairs {
        match name.as_str() {
            "url" => form.url = value,
            "event" => form.events.push(value),
            _ => {}
        }
    }
    let mut errors = FieldErrors::new();
    let url = webhooks::acceptable_url(&ctx.app, &form.url)
        .map_err(|key| errors.insert("url", ctx.t(key)))
        .ok();
    let events: Option<Vec<Event>> = form.events.iter().map(|e| Event::parse(e)).collect();
    let events = match events {
        Some(events) if !events.is_empty() => Some(events),
        _ => {
            errors.insert("event", ctx.t("webhooks.error_events"));
            None
        }
    };
    let (Some(url), Some(events), true) = (url, events, errors.is_empty()) else {
        return render(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &errors,
            None,
            None,
        )
        .await;
    };
    let (id, secret) = webhooks::subscribe(&ctx.app, url.as_str(), &events, admin.id).await?;
    tracing::info!(
        admin = admin.id,
        endpoint = id,
        "a webhook address was subscribed"
    );
    render(
        &ctx,
        StatusCode::OK,
        &SubscribeForm::default(),
        &FieldErrors::new(),
        Some(secret),
        Some(ctx.t("webhooks.subscribed")),
    )
    .await
}

/// `POST /admin/webhooks/{id}/remove`.
pub async fn remove(ctx: Ctx, Admin(admin): Admin, Path(id): Path<i32>) -> AppResult<Response> {
    if !webhooks::unsubscribe(&ctx.app, id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(
        admin = admin.id,
        endpoint = id,
        "a webhook address was removed"
    );
    Ok(Redirect::to("/admin/webhooks?done=removed").into_response())
}
