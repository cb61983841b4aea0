//! Topics and campaigns, for an editor's integration (`items:read`): the names items are filed
//! under, to fill `topic_ids` and `campaign_id`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::{ItemsRead, Need};
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
