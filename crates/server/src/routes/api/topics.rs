//! Topics and campaigns, for an editor's integration (`items:read`): the names items are filed
//! under, to fill `topic_ids` and `campaign_id`.

use axum::Json;
use axum::extract::State;
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

/// An editorial error about a name, as a problem naming the field.
fn named_problem(state: &AppState, error: chorus_editorial::EditorialError) -> super::ApiError {
    use chorus_editorial::EditorialError as E;
    match error {
        E::Invalid(errors) => Problem::invalid(
            errors
                .into_iter()
                .map(|e| super::problem::FieldProblem {
                    field: e.field,
                    detail: state
                        .views
                        .i18n
                        .text(crate::i18n::Locale::En, e.message_key, &[]),
                })
                .collect(),
        )
        .into(),
        E::NameTaken => Problem::new(
            axum::http::StatusCode::CONFLICT,
            "name_taken",
            "a topic or campaign has this name already",
        )
        .into(),
        other => other.into(),
    }
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
    if body.name.contains('\0') {
        return Err(named_problem(
            &state,
            chorus_editorial::EditorialError::Invalid(vec![
                chorus_editorial::content::FieldError::new("name", "editor.error_topic_name"),
            ]),
        ));
    }
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
    if body.name.contains('\0') || body.description.contains('\0') {
        return Err(Problem::invalid(vec![super::problem::FieldProblem {
            field: "name".into(),
            detail: "must not contain the NUL character".into(),
        }])
        .into());
    }
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
