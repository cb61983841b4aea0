//! A person's own shares, for their own tools (a personal token): list them, and cancel one
//! that is still waiting. Nothing here acts for anyone else: a service token cannot hold these
//! scopes, and a share of someone else is not found (`chorus_policy::tokens::may_share_as`).

use axum::Json;
use axum::extract::State;
use chorus_ambassador::shares::{self, ShareRow};
use chorus_policy::ShareId;
use chorus_policy::tokens::may_share_as;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Need, SharesRead, SharesWrite};
use super::problem::{ApiResult, FieldProblem, Problem};
use super::{ApiPath, ApiQuery};
use crate::app::AppState;

/// Shares per page when the request does not say.
const DEFAULT_LIMIT: u64 = 20;

/// One of the person's shares.
#[derive(Debug, Serialize, ToSchema)]
pub struct Share {
    /// Id.
    pub id: i32,
    /// The item shared, if it still exists.
    pub item_id: Option<i32>,
    /// `bluesky`, `mastodon`, `linkedin`, `x` or `threads`.
    pub network: String,
    /// The text, in the person's own words.
    pub text: String,
    /// `scheduled`, `sending`, `published`, `failed`, `needs_check`, `missed`, `cancelled`,
    /// `deleted` or `handed_over` (posted by the person through the network's composer).
    pub state: String,
    /// When it goes (or went) out.
    pub scheduled_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// The live post.
    pub url: Option<String>,
    /// What went wrong last, if anything.
    pub last_error: Option<String>,
}

impl Share {
    fn of(row: &ShareRow) -> Share {
        Share {
            id: row.id,
            item_id: row.item_id,
            network: row.network.get().as_str().to_owned(),
            text: row.text.clone(),
            state: row.state.as_str().to_owned(),
            scheduled_at: row.scheduled_at,
            published_at: row.published_at,
            url: row.external_url.clone(),
            last_error: row.last_error.clone(),
        }
    }
}

/// Which shares.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SharesQuery {
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
    /// Shares per page, 1 to 100 (20 when left out).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

/// One page of shares, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharePage {
    /// The shares.
    pub shares: Vec<Share>,
    /// The cursor of the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// The token owner's own shares, newest first.
#[utoipa::path(
    get,
    path = "/me/shares",
    tag = "shares",
    params(SharesQuery),
    security(("token" = ["shares:read"])),
    responses(
        (status = 200, description = "A page of one's shares", body = SharePage),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks shares:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Need(caller, _): Need<SharesRead>,
    ApiQuery(query): ApiQuery<SharesQuery>,
) -> ApiResult<Json<SharePage>> {
    let mut errors = Vec::new();
    let before: i32 = super::cursor_of(query.cursor.as_deref(), &mut errors).unwrap_or(i32::MAX);
    let limit = super::limit_of(query.limit, DEFAULT_LIMIT, 100, &mut errors);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors).into());
    }
    let rows = shares::for_user(&state.db, caller.user.user_id()).await?;
    let mut page: Vec<&ShareRow> = rows.iter().filter(|s| s.id < before).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    Ok(Json(SharePage {
        next_cursor: more
            .then(|| page.last().map(|s| s.id.to_string()))
            .flatten(),
        shares: page.into_iter().map(Share::of).collect(),
    }))
}

/// Cancels one of one's own shares that has not gone out (scheduled, missed or waiting for the
/// composer): nothing is posted.
#[utoipa::path(
    post,
    path = "/me/shares/{id}/cancel",
    tag = "shares",
    params(("id" = i32, Path, description = "The share's id")),
    security(("token" = ["shares:write"])),
    responses(
        (status = 200, description = "The share, cancelled", body = Share),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks shares:write, or its owner is not opted in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such share of the token's owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The share went out already or is being sent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    Need(caller, _): Need<SharesWrite>,
    ApiPath(id): ApiPath<i32>,
) -> ApiResult<Json<Share>> {
    let owner = caller.user.user_id();
    let not_found = || {
        Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such share of yours: check its id",
        )
    };
    let row = shares::for_user(&state.db, owner)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(not_found)?;
    if !may_share_as(caller.token.kind, owner, chorus_policy::UserId(row.user_id)) {
        return Err(not_found().into());
    }
    if !shares::owner_action(&state.db, owner, ShareId(id), "cancel", Utc::now()).await? {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "not_allowed_now",
            format!(
                "the share is {} now: only a share still waiting can be cancelled",
                row.state.as_str()
            ),
        )
        .into());
    }
    let row = shares::for_user(&state.db, owner)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(not_found)?;
    Ok(Json(Share::of(&row)))
}

/// A share to queue: the person's own words for one of their connected accounts, now or at a
/// time they choose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// The hub item shared.
    pub item_id: i32,
    /// One of the token owner's own connected accounts (see the hub's accounts page).
    pub account_id: i32,
    /// The text, in their own words (the item's link, where they leave it, becomes a tracked
    /// link).
    #[schema(min_length = 1)]
    pub text: String,
    /// When it goes out (RFC 3339, in the future); now when left out.
    #[serde(default)]
    pub at: Option<String>,
}

/// Queues one of one's own shares, through one of one's own accounts: the token owner's own
/// act, as on the share page (no token queues for anyone else).
#[utoipa::path(
    post,
    path = "/me/shares",
    tag = "shares",
    request_body = NewShare,
    security(("token" = ["shares:write"])),
    responses(
        (status = 201, description = "The share, queued", body = Share),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks shares:write, or its owner is not opted in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item in the hub", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The network's daily limit for this account is reached", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Need(caller, _): Need<SharesWrite>,
    super::ApiJson(body): super::ApiJson<NewShare>,
) -> ApiResult<(axum::http::StatusCode, Json<Share>)> {
    let db = &state.db;
    let owner = caller.user.user_id();
    let item = chorus_editorial::hub::item(db, chorus_policy::ItemId(body.item_id)).await?;
    let account = chorus_ambassador::accounts::list(db, owner)
        .await?
        .into_iter()
        .find(|a| a.id.get() == body.account_id);
    let mut problems = Vec::new();
    let Some(account) = account.filter(|_| may_share_as(caller.token.kind, owner, owner)) else {
        return Err(Problem::invalid(vec![FieldProblem {
            field: "account_id".into(),
            detail: "not one of your connected accounts: connect it on the hub's accounts page"
                .into(),
        }])
        .into());
    };
    let text = body.text.replace("\r\n", "\n");
    let measured = chorus_editorial::measure::measure(account.network, &text);
    if text.trim().is_empty() || text.contains('\0') {
        problems.push(FieldProblem {
            field: "text".into(),
            detail: "write the post in your own words".into(),
        });
    } else if !measured.fits {
        problems.push(FieldProblem {
            field: "text".into(),
            detail: format!(
                "{} over {}'s limit of {}",
                measured.over_by,
                account.network.display_name(),
                measured.limit
            ),
        });
    }
    let now = Utc::now();
    let at = match body.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => Some(now),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > now),
    };
    let Some(at) = at else {
        problems.push(FieldProblem {
            field: "at".into(),
            detail: "an RFC 3339 time in the future, or leave it out for now".into(),
        });
        return Err(Problem::invalid(problems).into());
    };
    if !problems.is_empty() {
        return Err(Problem::invalid(problems).into());
    }
    let utm_campaign = chorus_editorial::hub::utm_campaign(db, &item).await?;
    let public_base = state.public_url("");
    let queued = chorus_ambassador::sharing::queue(
        db,
        &chorus_ambassador::sharing::Queue {
            user_id: owner,
            item: &item,
            at,
            public_base: &public_base,
            utm_medium: &state.config.utm_medium,
            utm_campaign: &utm_campaign,
            image: None,
        },
        &[chorus_ambassador::sharing::Draft {
            via: shares::Via::Account(account.id),
            network: account.network,
            text,
        }],
    )
    .await;
    let ids = match queued {
        Err(chorus_ambassador::AmbassadorError::NetworkDailyLimit { network, limit }) => {
            return Err(Problem::new(
                axum::http::StatusCode::CONFLICT,
                "daily_limit",
                format!(
                    "{} takes at most {limit} posts a day from one account: choose a later time",
                    network.display_name()
                ),
            )
            .into());
        }
        other => other?,
    };
    tracing::info!(
        user_id = caller.user.id,
        item = body.item_id,
        "a share queued by its owner through the API"
    );
    let row = shares::for_user(db, owner)
        .await?
        .into_iter()
        .find(|s| ids.iter().any(|id| id.get() == s.id))
        .ok_or_else(|| {
            Problem::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "the share is gone",
            )
        })?;
    Ok((axum::http::StatusCode::CREATED, Json(Share::of(&row))))
}
