//! Topics and campaigns, for an editor's integration (`items:read`): the names items are filed
//! under, to fill `topic_ids` and `campaign_id`.

use axum::Json;
use axum::extract::State;
use chorus_policy::{CampaignId, TopicId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{ItemsRead, ItemsWrite, Need};
use super::problem::{ApiResult, Problem};
use crate::app::AppState;

/// A topic or a campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    /// Id.
    pub id: i32,
    /// Its name.
    pub name: String,
    /// Archived (campaigns only; archived campaigns keep their items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

/// The topics items are filed under.
#[utoipa::path(
    get,
    path = "/topics",
    tag = "items",
    security(("token" = ["items:read"])),
    responses(
        (status = 200, description = "Every topic", body = Vec<Named>),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:read", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn topics(
    State(state): State<AppState>,
    _: Need<ItemsRead>,
) -> ApiResult<Json<Vec<Named>>> {
    let all = chorus_editorial::store::topics::topics(&state.db).await?;
    Ok(Json(
        all.into_iter()
            .map(|t| Named {
                id: t.id,
                name: t.name,
                archived: None,
            })
            .collect(),
    ))
}

/// The campaigns items belong to.
#[utoipa::path(
    get,
    path = "/campaigns",
    tag = "items",
    security(("token" = ["items:read"])),
    responses(
        (status = 200, description = "Every campaign", body = Vec<Named>),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:read", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn campaigns(
    State(state): State<AppState>,
    _: Need<ItemsRead>,
) -> ApiResult<Json<Vec<Named>>> {
    let all = chorus_editorial::store::topics::campaigns(&state.db).await?;
    Ok(Json(
        all.into_iter()
            .map(|c| Named {
                id: c.id,
                name: c.name,
                archived: Some(c.archived),
            })
            .collect(),
    ))
}

/// A topic to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTopic {
    /// Its name, 1 to 80 characters.
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
}

/// A campaign to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// Its name, 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// What the campaign is about.
    #[serde(default)]
    pub description: String,
}

/// An editorial error about a topic or campaign, as a problem.
fn named_problem(state: &AppState, error: chorus_editorial::EditorialError) -> super::ApiError {
    super::problem::editorial(
        &state.views.i18n,
        error,
        ("name_taken", "a topic or campaign has this name already"),
        "no such topic or campaign: check its id",
    )
}

/// Creates a topic.
#[utoipa::path(
    post,
    path = "/topics",
    tag = "items",
    request_body = NewTopic,
    security(("token" = ["items:write"])),
    responses(
        (status = 201, description = "The topic", body = Named),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_topic(
    State(state): State<AppState>,
    _: Need<ItemsWrite>,
    super::ApiJson(body): super::ApiJson<NewTopic>,
) -> ApiResult<(axum::http::StatusCode, Json<Named>)> {
    let topic = chorus_editorial::store::topics::create_topic(&state.db, &body.name)
        .await
        .map_err(|e| named_problem(&state, e))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Named {
            id: topic.id,
            name: topic.name,
            archived: None,
        }),
    ))
}

/// Creates a campaign.
#[utoipa::path(
    post,
    path = "/campaigns",
    tag = "items",
    request_body = NewCampaign,
    security(("token" = ["items:write"])),
    responses(
        (status = 201, description = "The campaign", body = Named),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_campaign(
    State(state): State<AppState>,
    _: Need<ItemsWrite>,
    super::ApiJson(body): super::ApiJson<NewCampaign>,
) -> ApiResult<(axum::http::StatusCode, Json<Named>)> {
    let campaign =
        chorus_editorial::store::topics::create_campaign(&state.db, &body.name, &body.description)
            .await
            .map_err(|e| named_problem(&state, e))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Named {
            id: campaign.id,
            name: campaign.name,
            archived: Some(campaign.archived),
        }),
    ))
}

/// Renames a topic: its items and followers keep it.
#[utoipa::path(
    patch,
    path = "/topics/{id}",
    tag = "items",
    params(("id" = i32, Path, description = "The topic's id")),
    request_body = NewTopic,
    security(("token" = ["items:write"])),
    responses(
        (status = 200, description = "The topic, renamed", body = Named),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such topic", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rename_topic(
    State(state): State<AppState>,
    _: Need<ItemsWrite>,
    super::ApiPath(id): super::ApiPath<i32>,
    super::ApiJson(body): super::ApiJson<NewTopic>,
) -> ApiResult<Json<Named>> {
    let topic = chorus_editorial::store::topics::rename_topic(&state.db, TopicId(id), &body.name)
        .await
        .map_err(|e| named_problem(&state, e))?;
    Ok(Json(Named {
        id: topic.id,
        name: topic.name,
        archived: None,
    }))
}

/// Deletes a topic: its items lose it, its followers stop following it; the items stay.
#[utoipa::path(
    delete,
    path = "/topics/{id}",
    tag = "items",
    params(("id" = i32, Path, description = "The topic's id")),
    security(("token" = ["items:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such topic", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_topic(
    State(state): State<AppState>,
    _: Need<ItemsWrite>,
    super::ApiPath(id): super::ApiPath<i32>,
) -> ApiResult<axum::http::StatusCode> {
    chorus_editorial::store::topics::delete_topic(&state.db, TopicId(id))
        .await
        .map_err(|e| named_problem(&state, e))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// What changes in a campaign; what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// A new name, 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// Archive it (`true`: editors no longer file new items under it; its items keep it) or
    /// reopen it.
    pub archived: Option<bool>,
}

/// Renames, describes, archives or reopens a campaign.
#[utoipa::path(
    patch,
    path = "/campaigns/{id}",
    tag = "items",
    params(("id" = i32, Path, description = "The campaign's id")),
    request_body = CampaignPatch,
    security(("token" = ["items:write"])),
    responses(
        (status = 200, description = "The campaign, changed", body = Named),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_campaign(
    State(state): State<AppState>,
    _: Need<ItemsWrite>,
    super::ApiPath(id): super::ApiPath<i32>,
    super::ApiJson(body): super::ApiJson<CampaignPatch>,
) -> ApiResult<Json<Named>> {
    let campaign = chorus_editorial::store::topics::change_campaign(
        &state.db,
        CampaignId(id),
        &chorus_editorial::store::topics::CampaignChange {
            name: body.name.as_deref(),
            description: body.description.as_deref(),
            archived: body.archived,
        },
    )
    .await
    .map_err(|e| named_problem(&state, e))?;
    Ok(Json(Named {
        id: campaign.id,
        name: campaign.name,
        archived: Some(campaign.archived),
    }))
}
