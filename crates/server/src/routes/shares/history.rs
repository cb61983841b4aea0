//! The history of one's shares, with what can be done about each: cancel, retry, confirm,
//! and deleting a published one from its network.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chorus_ambassador::AmbassadorError;
use chorus_ambassador::connectors::{PublishError, deletion_offered};
use chorus_ambassador::shares;
use chorus_policy::{Network, ShareId};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::auth::roles::Member;
use crate::error::{AppError, AppResult};
use crate::memo::{Generation, Kind};
use crate::views::Ctx;

use super::view;

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    network: Option<String>,
}

/// A deletion the network refused, shown next to its share.
struct DeleteFailure {
    share_id: i32,
    message: String,
}

/// `GET /hub/shares`: one's own shares, their state, links and errors in plain words.
pub async fn history(
    ctx: Ctx,
    Member(user): Member,
    generation: Option<axum::Extension<Generation>>,
    uri: axum::http::Uri,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let notice = match query.done.as_deref() {
        None => None,
        Some("deleted") => Some(
            ctx.app.views.i18n.text(
                ctx.locale,
                "share.deleted",
                &[(
                    "network",
                    query
                        .network
                        .as_deref()
                        .and_then(|n| n.parse::<Network>().ok())
                        .map_or("?", Network::display_name),
                )],
            ),
        ),
        Some("posted") => Some(ctx.t("share.done_posted")),
        Some("not_posted") => Some(ctx.t("share.done_not_posted")),
        Some(_) => Some(ctx.t("share.queued")),
    };
    let generation = generation.map(|axum::Extension(g)| g);
    let made = history_page(&ctx, &user, notice, None);
    crate::memo::serve(
        &ctx,
        user.id,
        generation,
        Kind::Activity,
        uri.to_string(),
        made,
    )
    .await
}

/// How long "My shares" is kept at most when nothing changes: a safety net, since every write
/// to a share, its link, its clicks or the person's accounts already ends it.
const HISTORY_KEPT: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The history of one's shares.
#[derive(Serialize)]
struct HistoryView<'a, S> {
    shares: Vec<HistoryRow<'a, S>>,
    notice: Option<String>,
}

/// One share as its owner's pages show it, with what the history offers for deleting it.
#[derive(Serialize)]
struct HistoryRow<'a, S> {
    #[serde(flatten)]
    share: S,
    /// See [`deletion_offer`].
    deletion: Option<&'static str>,
    /// The network's refusal of the deletion just asked for.
    delete_error: Option<&'a str>,
}

async fn render_history(
    ctx: &Ctx,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<String>,
    failure: Option<DeleteFailure>,
) -> AppResult<Response> {
    let (html, _) = history_page(ctx, user, notice, failure).await?;
    Ok((status, Html(html)).into_response())
}

/// The history as the database has it now, and until when it stays true without a write: the
/// next time a waiting share falls due (it then shows as on its way).
async fn history_page(
    ctx: &Ctx,
    user: &CurrentUser,
    notice: Option<String>,
    failure: Option<DeleteFailure>,
) -> AppResult<(String, chrono::DateTime<Utc>)> {
    let now = Utc::now();
    let rows = shares::for_user(&ctx.app.db, user.user_id()).await?;
    let until = rows
        .iter()
        .filter(|s| s.state == shares::ShareState::Scheduled)
        .flat_map(|s| [s.scheduled_at, s.next_attempt_at])
        .filter(|at| *at > now)
        .fold(now + HISTORY_KEPT, Ord::min);
    let around = view::Surroundings::of(ctx, user.id, &rows).await?;
    let shares = rows
        .iter()
        .map(|s| HistoryRow {
            share: view::share(ctx, s, &around),
            deletion: deletion_offer(s.network.get(), s),
            delete_error: failure
                .as_ref()
                .filter(|f| f.share_id == s.id)
                .map(|f| f.message.as_str()),
        })
        .collect();
    let page = HistoryView { shares, notice };
    Ok((ctx.page("hub/shares.html", &page)?.0, until))
}

/// What the history offers for deleting a share from its network: `offered` (a button behind a
/// confirmation), `unsupported` (the network has no deletion: say so), `unknown_id` (confirmed
/// by hand, so Chorus does not know the post's id), or nothing for a share that is not live.
fn deletion_offer(network: Network, share: &shares::ShareRow) -> Option<&'static str> {
    if share.state != shares::ShareState::Published {
        return None;
    }
    Some(if !deletion_offered(network) {
        "unsupported"
    } else if share.external_id.is_none() {
        "unknown_id"
    } else {
        "offered"
    })
}

/// `POST /hub/shares/{id}/{action}`: cancel, retry, send again, or "it was published".
pub async fn act(
    ctx: Ctx,
    Member(user): Member,
    Path((id, action)): Path<(chorus_policy::ShareId, String)>,
) -> AppResult<Response> {
    let done = shares::owner_action(&ctx.app.db, user.user_id(), id, &action, Utc::now()).await?;
    if !done {
        return Err(AppError::NotFound);
    }
    if matches!(action.as_str(), "posted" | "was_published")
        && let Some(item) = shares::for_user(&ctx.app.db, user.user_id())
            .await?
            .into_iter()
            .find(|s| s.id == id.get())
            .and_then(|s| s.item_id)
    {
        crate::webhooks::share_published(&ctx.app, item).await;
    }
    Ok(match action.as_str() {
        "posted" | "not_posted" => Redirect::to(&format!("/hub/shares?done={action}")),
        _ => Redirect::to("/hub/shares"),
    }
    .into_response())
}

/// `POST /hub/shares/{id}/delete`: the owner deletes a published share from its network (after
/// the page's confirmation step). Another person's share, or one that is not live, is a 404;
/// a refusal by the network shows the history again with the network's words next to it.
pub async fn delete(
    ctx: Ctx,
    Member(user): Member,
    Path(id): Path<ShareId>,
) -> AppResult<Response> {
    let app = &ctx.app;
    let holder = format!("web-{}", uuid::Uuid::new_v4());
    let result = shares::delete_from_network(
        &app.db,
        &app.vault,
        &app.networks,
        user.user_id(),
        id,
        &holder,
        Utc::now(),
    )
    .await;
    let (status, message) = match result {
        Ok(network) => {
            return Ok(Redirect::to(&format!(
                "/hub/shares?done=deleted&network={}",
                network.as_str()
            ))
            .into_response());
        }
        Err(AmbassadorError::DeletionUnsupported(network)) => (
            StatusCode::CONFLICT,
            network_text(&ctx, "share.delete_unsupported", network, &[]),
        ),
        Err(AmbassadorError::AccountGone(network)) => (
            StatusCode::CONFLICT,
            network_text(&ctx, "share.delete_account_gone", network, &[]),
        ),
        Err(AmbassadorError::Refused { network, error }) => {
            (StatusCode::BAD_GATEWAY, refusal_text(&ctx, network, &error))
        }
        // Not found, or the database or a stored token failed: the error page says it.
        Err(other) => return Err(other.into()),
    };
    tracing::info!(
        user_id = user.id,
        share = id.get(),
        "a deletion was refused"
    );
    let failure = DeleteFailure {
        share_id: id.get(),
        message,
    };
    render_history(&ctx, &user, status, None, Some(failure)).await
}

fn network_text(ctx: &Ctx, key: &str, network: Network, args: &[(&str, &str)]) -> String {
    let mut all = vec![("network", network.display_name())];
    all.extend_from_slice(args);
    ctx.app.views.i18n.text(ctx.locale, key, &all)
}

/// The network's refusal in plain words, with what to do next (a 401: reconnect).
fn refusal_text(ctx: &Ctx, network: Network, error: &PublishError) -> String {
    match error {
        PublishError::Unauthorized { .. } => {
            network_text(ctx, "share.delete_reconnect", network, &[])
        }
        PublishError::RateLimited { .. } => network_text(ctx, "share.delete_wait", network, &[]),
        PublishError::Unavailable { detail, .. } | PublishError::Uncertain { detail, .. } => {
            network_text(
                ctx,
                "share.delete_unavailable",
                network,
                &[("detail", detail)],
            )
        }
        PublishError::Rejected { message } | PublishError::Duplicate { message } => network_text(
            ctx,
            "share.delete_refused",
            network,
            &[("message", message)],
        ),
        PublishError::VersionRetired { .. } | PublishError::Unsupported { .. } => {
            let message = error.to_string();
            network_text(
                ctx,
                "share.delete_refused",
                network,
                &[("message", &message)],
            )
        }
    }
}
