//! The organisation's chat channels (`/admin/channels`): Slack and Microsoft Teams incoming
//! webhooks and a Matrix room, where editors' announcements are posted. The addresses and the
//! token are secrets: sealed at rest, never shown again.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::notify::chat;
use crate::views::Ctx;

/// The form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ChannelsForm {
    #[serde(default)]
    slack_webhook: String,
    #[serde(default)]
    remove_slack: Option<String>,
    #[serde(default)]
    teams_webhook: String,
    #[serde(default)]
    remove_teams: Option<String>,
    #[serde(default)]
    matrix_homeserver: String,
    #[serde(default)]
    matrix_token: String,
    #[serde(default)]
    matrix_room: String,
    #[serde(default)]
    remove_matrix: Option<String>,
}

/// The page.
#[derive(Serialize)]
struct ChannelsView<'a> {
    form: &'a ChannelsForm,
    slack: bool,
    teams: bool,
    matrix: bool,
    errors: BTreeMap<&'static str, String>,
    notice: Option<String>,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn render(
    ctx: &Ctx,
    status: StatusCode,
    form: &ChannelsForm,
    errors: BTreeMap<&'static str, String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let connected = chat::channels(&ctx.app.db, &ctx.app.vault).await?;
    let view = ChannelsView {
        form,
        slack: connected.slack.is_some(),
        teams: connected.teams.is_some(),
        matrix: connected.matrix.is_some(),
        errors,
        notice,
    };
    ctx.page_status(status, "admin/channels.html", &view)
}

/// `GET /admin/channels`.
pub async fn page(ctx: Ctx, _: Admin, Query(query): Query<DoneQuery>) -> AppResult<Response> {
    let connected = chat::channels(&ctx.app.db, &ctx.app.vault).await?;
    let form = ChannelsForm {
        matrix_homeserver: connected
            .matrix
            .as_ref()
            .map(|m| m.homeserver.to_string())
            .unwrap_or_default(),
        matrix_room: connected
            .matrix
            .as_ref()
            .map(|m| m.room.clone())
            .unwrap_or_default(),
        ..ChannelsForm::default()
    };
    let notice = (query.done.as_deref() == Some("saved")).then(|| ctx.t("channels.saved"));
    render(&ctx, StatusCode::OK, &form, BTreeMap::new(), notice).await
}

/// An address Chorus may post to: https (http only in tests), not a private address.
pub(crate) fn address(ctx: &Ctx, text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let tests = ctx.app.config.unsafe_allow_private_fetch;
    let scheme_ok = url.scheme() == "https" || (tests && url.scheme() == "http");
    (scheme_ok
        && url.host().is_some()
        && crate::notify::address_guard(&ctx.app)
            .check_url(&url)
            .is_ok())
    .then_some(url)
}

/// `POST /admin/channels`: a field left empty keeps what is stored; "disconnect" removes it.
pub async fn save(
    ctx: Ctx,
    Admin(admin): Admin,
    Form(form): Form<ChannelsForm>,
) -> AppResult<Response> {
    let mut errors = BTreeMap::new();
    let mut change = chat::Change::default();
    let slack = form.slack_webhook.trim();
    if form.remove_slack.is_some() {
        change.slack = Some("");
    } else if !slack.is_empty() {
        match address(&ctx, slack) {
            Some(_) => change.slack = Some(slack),
            None => {
                errors.insert("slack_webhook", ctx.t("channels.error_address"));
            }
        }
    }
    let teams = form.teams_webhook.trim();
    if form.remove_teams.is_some() {
        change.teams = Some("");
    } else if !teams.is_empty() {
        match address(&ctx, teams) {
            Some(_) => change.teams = Some(teams),
            None => {
                errors.insert("teams_webhook", ctx.t("channels.error_address"));
            }
        }
    }
    let (server, token, room) = (
        form.matrix_homeserver.trim(),
        form.matrix_token.trim(),
        form.matrix_room.trim(),
    );
    let has_token = chat::channels(&ctx.app.db, &ctx.app.vault)
        .await?
        .matrix
        .is_some();
    if form.remove_matrix.is_some() {
        change.matrix = Some(("", Some(""), ""));
    } else if !(server.is_empty() && token.is_empty() && room.is_empty()) {
        if address(&ctx, server).is_none() {
            errors.insert("matrix_homeserver", ctx.t("channels.error_address"));
        }
        if !(room.starts_with('!') && room.contains(':')) {
            errors.insert("matrix_room", ctx.t("channels.error_room"));
        }
        if token.is_empty() && !has_token {
            errors.insert("matrix_token", ctx.t("channels.error_token"));
        }
        change.matrix = Some((server, (!token.is_empty()).then_some(token), room));
    }
    if !errors.is_empty() {
        // Secrets are never sent back to the page.
        let kept = ChannelsForm {
            slack_webhook: String::new(),
            teams_webhook: String::new(),
            matrix_token: String::new(),
            ..form
        };
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &kept, errors, None).await;
    }
    chat::save(&ctx.app.db, &ctx.app.vault, &change).await?;
    tracing::info!(admin = admin.id, "chat channels saved");
    Ok(Redirect::to("/admin/channels?done=saved").into_response())
}
