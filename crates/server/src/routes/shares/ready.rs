//! The page after sharing (`/hub/shares/ready`) and its JSON twin that the page follows
//! (`/hub/shares/status`): what became of what the person just shared.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::shares::{self, ShareState};
use chorus_policy::UserId;
use serde::{Deserialize, Serialize};

use crate::auth::roles::Member;
use crate::error::AppResult;
use crate::views::Ctx;

use super::view;

/// Which of one's shares a page shows.
#[derive(Debug, Default, Deserialize)]
pub struct ReadyQuery {
    #[serde(default)]
    ids: String,
}

impl ReadyQuery {
    /// The ids asked for (at most ten).
    fn ids(&self) -> Vec<i32> {
        self.ids
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .take(10)
            .collect()
    }
}

/// The person's own shares among `wanted`, in their views, in the order asked.
async fn own_views(ctx: &Ctx, user_id: i32, wanted: &[i32]) -> AppResult<Vec<view::ShareView>> {
    let rows = shares::for_user(&ctx.app.db, UserId(user_id)).await?;
    let around = view::Surroundings::of(ctx, user_id, &rows).await?;
    Ok(wanted
        .iter()
        .filter_map(|id| rows.iter().find(|s| s.id == *id))
        .map(|s| view::share(ctx, s, &around))
        .collect())
}

/// The page after sharing: the shares handed to a composer, and those sent through accounts.
#[derive(Serialize)]
struct ReadyView<'a> {
    shares: Vec<view::ShareView>,
    sent: Vec<view::ShareView>,
    ids: &'a str,
}

/// `GET /hub/shares/ready?ids=`: what became of what the person just shared. Each share handed
/// to its network's composer has the button that opens the composer holding their text, "copy
/// my text" and "I posted it"; each share through an account shows its progress, then "view
/// your post" once it is live (the page follows it without a reload).
pub async fn ready(
    ctx: Ctx,
    Member(user): Member,
    Query(query): Query<ReadyQuery>,
) -> AppResult<Response> {
    let list = own_views(&ctx, user.id, &query.ids()).await?;
    if list.is_empty() {
        return Ok(Redirect::to("/hub/shares").into_response());
    }
    let (composers, sent): (Vec<_>, Vec<_>) = list
        .into_iter()
        .partition(|s| s.state == ShareState::HandedOver);
    let view = ReadyView {
        shares: composers,
        sent,
        ids: &query.ids,
    };
    ctx.page_status(StatusCode::OK, "hub/ready.html", &view)
}

/// `GET /hub/shares/status?ids=`: the same views as JSON, for the page that follows them.
pub async fn status(
    ctx: Ctx,
    Member(user): Member,
    Query(query): Query<ReadyQuery>,
) -> AppResult<axum::Json<serde_json::Value>> {
    let list = own_views(&ctx, user.id, &query.ids()).await?;
    Ok(axum::Json(serde_json::json!({ "shares": list })))
}
