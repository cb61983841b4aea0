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
    /// For a share posted by the person themselves (`handed_over`): the network's composer,
    /// holding their text, to open in their browser.
    pub composer_url: Option<String>,
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
            composer_url: row.composer_url.clone(),
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
/// composer): nothing is posted. The same as the action `cancel`.
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
    settle(&state, &caller, id, ShareAction::Cancel).await
}

/// What the owner says or asks about one of their shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareAction {
    /// Do not send it (scheduled, missed, or waiting for the composer).
    Cancel,
    /// "I posted it": a share handed to the composer is live.
    Posted,
    /// "I did not post it": a share handed to the composer is dropped.
    NotPosted,
    /// Send a failed, missed or unchecked share again now.
    Retry,
    /// "It was published": a share whose outcome Chorus could not check is live.
    WasPublished,
}

impl ShareAction {
    fn as_str(self) -> &'static str {
        match self {
            ShareAction::Cancel => "cancel",
            ShareAction::Posted => "posted",
            ShareAction::NotPosted => "not_posted",
            ShareAction::Retry => "retry",
            ShareAction::WasPublished => "was_published",
        }
    }
}

/// An action on a share.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareActionBody {
    /// The action.
    pub action: ShareAction,
}

/// Acts on one of one's own shares: cancel it, say it was posted (or not) from the composer,
/// send it again, or say it was published when Chorus could not check.
#[utoipa::path(
    post,
    path = "/me/shares/{id}/actions",
    tag = "shares",
    params(("id" = i32, Path, description = "The share's id")),
    request_body = ShareActionBody,
    security(("token" = ["shares:write"])),
    responses(
        (status = 200, description = "The share, after the action", body = Share),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks shares:write, or its owner is not opted in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such share of the token's owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The share's state does not allow the action", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    Need(caller, _): Need<SharesWrite>,
    ApiPath(id): ApiPath<i32>,
    super::ApiJson(body): super::ApiJson<ShareActionBody>,
) -> ApiResult<Json<Share>> {
    settle(&state, &caller, id, body.action).await
}

/// Runs `action` on the caller's share `id`, and answers the share as it is after.
async fn settle(
    state: &AppState,
    caller: &super::caller::Caller,
    id: i32,
    action: ShareAction,
) -> ApiResult<Json<Share>> {
    let owner = caller.user.user_id();
    let not_found = || {
        Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such share of yours: check its id",
        )
    };
    let find = || async {
        let row = shares::for_user(&state.db, owner)
            .await?
            .into_iter()
            .find(|s| s.id == id);
        Ok::<_, sea_orm::DbErr>(row)
    };
    let row = find().await?.ok_or_else(not_found)?;
    if !may_share_as(caller.token.kind, owner, chorus_policy::UserId(row.user_id)) {
        return Err(not_found().into());
    }
    let now = Utc::now();
    if !shares::owner_action(&state.db, owner, ShareId(id), action.as_str(), now).await? {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "not_allowed_now",
            format!(
                "the share is {} now: {} does not apply to it",
                row.state.as_str(),
                action.as_str()
            ),
        )
        .into());
    }
    let row = find().await?.ok_or_else(not_found)?;
    if row.state == shares::ShareState::Published
        && let Some(item) = row.item_id
    {
        crate::webhooks::share_published(state, item).await;
    }
    Ok(Json(Share::of(&row)))
}

/// A share to queue: the person's own words, through one of their connected accounts (now or
/// at a time they choose) or handed to the network's own composer for them to post themselves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// The hub item shared.
    pub item_id: i32,
    /// One of the token owner's own connected accounts (see the hub's accounts page): Chorus
    /// publishes through it. Leave it out and name `network` to post it yourself.
    #[serde(default)]
    pub account_id: Option<i32>,
    /// "Post it yourself": the network whose own composer the person opens (the answer's
    /// `composer_url`) to post from their account themselves; `bluesky`, `mastodon`,
    /// `linkedin`, `x` or `threads`. Only without `account_id`.
    #[serde(default)]
    pub network: Option<String>,
    /// The person's Mastodon server (`mastodon.social`), for a Mastodon share posted
    /// themselves.
    #[serde(default)]
    pub mastodon_server: Option<String>,
    /// The text, in their own words (the item's link, where they leave it, becomes a tracked
    /// link).
    #[schema(min_length = 1)]
    pub text: String,
    /// When it goes out (RFC 3339, in the future); now when left out. Through an account only.
    #[serde(default)]
    pub at: Option<String>,
    /// One of the item's images (its `images[].id` in the hub), posted with the text and the
    /// editors' description. Through an account only.
    #[serde(default)]
    pub image_id: Option<i32>,
}

/// Where a share goes: one of the owner's accounts, or a network's composer.
enum Target {
    Account(chorus_ambassador::accounts::AccountSummary),
    Composer(chorus_policy::Network, Option<String>),
}

impl Target {
    fn network(&self) -> chorus_policy::Network {
        match self {
            Target::Account(account) => account.network,
            Target::Composer(network, _) => *network,
        }
    }
}

/// Which of the owner's accounts, or which composer, a new share names; what is wrong with it
/// otherwise.
async fn target_of(
    db: &sea_orm::DatabaseConnection,
    owner: chorus_policy::UserId,
    body: &NewShare,
    problems: &mut Vec<FieldProblem>,
) -> ApiResult<Option<Target>> {
    let problem = |field: &str, detail: &str| FieldProblem {
        field: field.into(),
        detail: detail.into(),
    };
    match (body.account_id, body.network.as_deref()) {
        (Some(id), None) => {
            let account = chorus_ambassador::accounts::list(db, owner)
                .await?
                .into_iter()
                .find(|a| a.id.get() == id);
            if account.is_none() {
                problems.push(problem(
                    "account_id",
                    "not one of your connected accounts: connect it on the hub's accounts page, \
                     or name a network to post it yourself",
                ));
            }
            Ok(account.map(Target::Account))
        }
        (None, Some(name)) => {
            let Ok(network) = name.parse::<chorus_policy::Network>() else {
                problems.push(problem(
                    "network",
                    "one of bluesky, mastodon, linkedin, x or threads",
                ));
                return Ok(None);
            };
            if body.at.is_some() || body.image_id.is_some() {
                problems.push(problem(
                    if body.at.is_some() { "at" } else { "image_id" },
                    "a share posted yourself goes now, as text: leave it out, or name an account",
                ));
            }
            let server = if network == chorus_policy::Network::Mastodon {
                match chorus_ambassador::composer::mastodon_origin(
                    body.mastodon_server.as_deref().unwrap_or_default(),
                ) {
                    Ok(origin) => Some(origin),
                    Err(_) => {
                        problems.push(problem(
                            "mastodon_server",
                            "your Mastodon server's address, such as mastodon.social",
                        ));
                        return Ok(None);
                    }
                }
            } else {
                None
            };
            Ok(Some(Target::Composer(network, server)))
        }
        (Some(_), Some(_)) => {
            problems.push(problem(
                "network",
                "name an account (Chorus publishes) or a network (you post it yourself), not both",
            ));
            Ok(None)
        }
        (None, None) => {
            problems.push(problem(
                "account_id",
                "name one of your accounts, or a network to post it yourself",
            ));
            Ok(None)
        }
    }
}

/// Queues one of one's own shares, through one of one's own accounts or handed to the
/// network's composer: the token owner's own act, as on the share page (no token queues for
/// anyone else).
#[utoipa::path(
    post,
    path = "/me/shares",
    tag = "shares",
    request_body = NewShare,
    security(("token" = ["shares:write"])),
    responses(
        (status = 201, description = "The share, queued (or handed over: open its composer_url)", body = Share),
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
    if !may_share_as(caller.token.kind, owner, owner) {
        return Err(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "only a person's own token shares as them",
        )
        .into());
    }
    let item = chorus_editorial::hub::item(db, chorus_policy::ItemId(body.item_id)).await?;
    let mut problems = Vec::new();
    let target = target_of(db, owner, &body, &mut problems).await?;
    let text = body.text.replace("\r\n", "\n");
    if text.trim().is_empty() || text.contains('\0') {
        problems.push(FieldProblem {
            field: "text".into(),
            detail: "write the post in your own words".into(),
        });
    } else if let Some(target) = &target {
        let network = target.network();
        let measured = chorus_editorial::measure::measure(network, &text);
        if !measured.fits {
            problems.push(FieldProblem {
                field: "text".into(),
                detail: format!(
                    "{} over {}'s limit of {}",
                    measured.over_by,
                    network.display_name(),
                    measured.limit
                ),
            });
        }
    }
    let now = Utc::now();
    let at = match body.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => Some(now),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > now),
    };
    if at.is_none() {
        problems.push(FieldProblem {
            field: "at".into(),
            detail: "an RFC 3339 time in the future, or leave it out for now".into(),
        });
    }
    let (Some(target), Some(at), true) = (target, at, problems.is_empty()) else {
        return Err(Problem::invalid(problems).into());
    };
    let image = match (body.image_id, &target) {
        (Some(id), Target::Account(account)) => {
            let read = chorus_ambassador::images::read(
                db,
                item.id,
                chorus_ambassador::images::ImageChoice::Item(id),
                account.network,
            )
            .await;
            match read {
                Ok(image) => Some(image),
                Err(chorus_ambassador::AmbassadorError::NotFound) => {
                    return Err(Problem::invalid(vec![FieldProblem {
                        field: "image_id".into(),
                        detail: "not one of the item's images: see its images in the hub".into(),
                    }])
                    .into());
                }
                Err(
                    error @ (chorus_ambassador::AmbassadorError::Image { .. }
                    | chorus_ambassador::AmbassadorError::ImageNeedsReconnect(_)),
                ) => {
                    return Err(Problem::invalid(vec![FieldProblem {
                        field: "image_id".into(),
                        detail: error.to_string(),
                    }])
                    .into());
                }
                Err(error) => return Err(error.into()),
            }
        }
        _ => None,
    };
    let via = match &target {
        Target::Account(account) => shares::Via::Account(account.id),
        Target::Composer(_, server) => shares::Via::Composer {
            mastodon_server: server.clone(),
        },
    };
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
            image: image.as_ref(),
        },
        &[chorus_ambassador::sharing::Draft {
            via,
            network: target.network(),
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
