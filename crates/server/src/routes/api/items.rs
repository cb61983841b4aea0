//! Content items for integrations (editors' tokens): list them page by page, read one, create
//! a draft, and change one over the version it was read at (`If-Match`), through the same use
//! cases as the editor's pages.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chorus_editorial::content::{FieldError, ItemForm, ItemInput};
use chorus_editorial::store::{ItemRecord, items};
use chorus_editorial::workflow::State as ItemState;
use chorus_policy::{CampaignId, ItemId, TopicId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{ItemsRead, ItemsWrite, Need};
use super::problem::{ApiResult, FieldProblem, Problem};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;

/// Items per page when the request does not say.
const DEFAULT_LIMIT: u64 = 20;
/// The most items one page holds.
const MAX_LIMIT: u64 = 100;

/// A content item.
#[derive(Debug, Serialize, ToSchema)]
pub struct Item {
    /// Id.
    pub id: i32,
    /// Workflow state: `draft`, `in_review`, `approved`, `published` or `archived`.
    pub state: String,
    /// The version, to send back in `If-Match` (also the `ETag`).
    pub version: i32,
    /// Title.
    pub title: String,
    /// Body in Markdown.
    pub body_md: String,
    /// "Why it matters" in Markdown.
    pub why_md: String,
    /// The link it promotes.
    pub link_url: Option<String>,
    /// The link card's title.
    pub preview_title: Option<String>,
    /// The link card's description.
    pub preview_description: Option<String>,
    /// The link card's image.
    pub preview_image_url: Option<String>,
    /// Language tag.
    pub language: String,
    /// Campaign.
    pub campaign_id: Option<i32>,
    /// Topics.
    pub topic_ids: Vec<i32>,
    /// Not in the hub before this time.
    pub available_from: Option<DateTime<Utc>>,
    /// Not in the hub from this time.
    pub available_until: Option<DateTime<Utc>>,
    /// Suggested copy per network (`bluesky`, `mastodon`, `linkedin`, `x`, `threads`).
    pub copy: BTreeMap<String, String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Last published to the hub.
    pub published_at: Option<DateTime<Utc>>,
}

impl Item {
    /// The API's view of a stored item.
    #[must_use]
    pub fn of(record: &ItemRecord) -> Item {
        let input = &record.input;
        Item {
            id: record.id.get(),
            state: record.state.as_str().to_owned(),
            version: record.version,
            title: input.title.clone(),
            body_md: input.body_md.clone(),
            why_md: input.why_md.clone(),
            link_url: input.link_url.clone(),
            preview_title: input.preview_title.clone(),
            preview_description: input.preview_description.clone(),
            preview_image_url: input.preview_image_url.clone(),
            language: input.language.clone(),
            campaign_id: input.campaign_id.map(CampaignId::get),
            topic_ids: input.topic_ids.iter().map(|id| id.get()).collect(),
            available_from: input.available_from,
            available_until: input.available_until,
            copy: input
                .copy
                .iter()
                .map(|(network, text)| (network.as_str().to_owned(), text.clone()))
                .collect(),
            created_at: record.created_at,
            updated_at: record.updated_at,
            published_at: record.published_at,
        }
    }
}

/// An item to create or the whole of an item's new version.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// Title, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    /// Body in Markdown.
    #[serde(default)]
    pub body_md: String,
    /// "Why it matters" in Markdown.
    #[serde(default)]
    pub why_md: String,
    /// An http(s) link, if any.
    #[serde(default)]
    pub link_url: Option<String>,
    /// The link card's title.
    #[serde(default)]
    pub preview_title: Option<String>,
    /// The link card's description.
    #[serde(default)]
    pub preview_description: Option<String>,
    /// The link card's image (http or https).
    #[serde(default)]
    pub preview_image_url: Option<String>,
    /// Language tag such as `en` or `fr`.
    #[schema(pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    pub language: String,
    /// Campaign id.
    #[serde(default)]
    pub campaign_id: Option<i32>,
    /// Topic ids.
    #[serde(default)]
    pub topic_ids: Vec<i32>,
    /// Not in the hub before this time (RFC 3339).
    #[serde(default)]
    pub available_from: Option<String>,
    /// Not in the hub from this time (RFC 3339).
    #[serde(default)]
    pub available_until: Option<String>,
    /// Suggested copy per network; a network left out gets copy made from the body.
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
}

impl ItemBody {
    /// The checked input, or every field at fault, named as in the body.
    fn parse(self, state: &AppState) -> Result<ItemInput, super::ApiError> {
        // NUL is never meaningful in text, and PostgreSQL refuses it: said, not stored.
        let mut texts: Vec<(String, &str)> = vec![
            ("title".into(), self.title.as_str()),
            ("body_md".into(), self.body_md.as_str()),
            ("why_md".into(), self.why_md.as_str()),
            ("language".into(), self.language.as_str()),
        ];
        for (field, value) in [
            ("link_url", &self.link_url),
            ("preview_title", &self.preview_title),
            ("preview_description", &self.preview_description),
            ("preview_image_url", &self.preview_image_url),
            ("available_from", &self.available_from),
            ("available_until", &self.available_until),
        ] {
            if let Some(value) = value {
                texts.push((field.into(), value.as_str()));
            }
        }
        for (network, text) in &self.copy {
            texts.push((format!("copy.{network}"), network.as_str()));
            texts.push((format!("copy.{network}"), text.as_str()));
        }
        let with_nul: Vec<FieldProblem> = texts
            .into_iter()
            .filter(|(_, text)| text.contains('\0'))
            .map(|(field, _)| FieldProblem {
                field,
                detail: "must not contain the NUL character".into(),
            })
            .collect();
        if !with_nul.is_empty() {
            return Err(Problem::invalid(with_nul).into());
        }
        let form = ItemForm {
            title: self.title,
            body: self.body_md,
            why: self.why_md,
            link: self.link_url.unwrap_or_default(),
            preview_title: self.preview_title.unwrap_or_default(),
            preview_description: self.preview_description.unwrap_or_default(),
            preview_image: self.preview_image_url.unwrap_or_default(),
            language: self.language,
            campaign: self
                .campaign_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            topics: self.topic_ids.into_iter().map(TopicId).collect(),
            available_from: self.available_from.unwrap_or_default(),
            available_until: self.available_until.unwrap_or_default(),
            copy: self.copy,
        };
        ItemInput::parse(&form).map_err(|errors| invalid(state, &errors).into())
    }
}

/// The form's field names as the API's body names them.
fn api_field(form_field: &str) -> String {
    match form_field {
        "body" => "body_md".to_owned(),
        "why" => "why_md".to_owned(),
        "link" => "link_url".to_owned(),
        "preview_image" => "preview_image_url".to_owned(),
        "campaign" => "campaign_id".to_owned(),
        "topics" => "topic_ids".to_owned(),
        other => other
            .strip_prefix("copy[")
            .and_then(|rest| rest.strip_suffix(']'))
            .map_or_else(|| other.to_owned(), |network| format!("copy.{network}")),
    }
}

fn invalid(state: &AppState, errors: &[FieldError]) -> Problem {
    super::problem::fields_at_fault(&state.views.i18n, errors, api_field)
}

/// What an editorial error says about a body: its fields at fault, or the error as it is.
fn editorial(state: &AppState, error: chorus_editorial::EditorialError) -> super::ApiError {
    match error {
        chorus_editorial::EditorialError::Invalid(errors) => invalid(state, &errors).into(),
        other => other.into(),
    }
}

/// Which items, and from where.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only items in this state.
    state: Option<String>,
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
    /// Items per page, 1 to 100 (20 when left out).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

/// One page of items, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    /// The items.
    pub items: Vec<Item>,
    /// The cursor of the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// Lists items, newest first.
#[utoipa::path(
    get,
    path = "/items",
    tag = "items",
    params(ListQuery),
    security(("token" = ["items:read"])),
    responses(
        (status = 200, description = "A page of items", body = ItemPage),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _: Need<ItemsRead>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ItemPage>> {
    let mut errors = Vec::new();
    let item_state = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => name.parse::<ItemState>().map_or_else(
            |_| {
                errors.push(FieldProblem {
                    field: "state".into(),
                    detail: "expected draft, in_review, approved, published or archived".into(),
                });
                None
            },
            Some,
        ),
    };
    let before: Option<ItemId> = super::cursor_of(query.cursor.as_deref(), &mut errors);
    let limit = super::limit_of(query.limit, DEFAULT_LIMIT, MAX_LIMIT, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors).into());
    }
    let records = items::page(&state.db, item_state, before, limit + 1).await?;
    let more = records.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let shown: Vec<Item> = records
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(Item::of)
        .collect();
    let next_cursor = more
        .then(|| shown.last().map(|item| item.id.to_string()))
        .flatten();
    Ok(Json(ItemPage {
        items: shown,
        next_cursor,
    }))
}

fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The item with its `ETag`.
fn with_etag(status: StatusCode, record: &ItemRecord) -> Response {
    let mut response = (status, Json(Item::of(record))).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(record.version));
    response
}

/// Reads one item; its `ETag` is its version.
#[utoipa::path(
    get,
    path = "/items/{id}",
    tag = "items",
    params(("id" = i32, Path, description = "The item's id")),
    security(("token" = ["items:read"])),
    responses(
        (status = 200, description = "The item", body = Item, headers(("ETag" = String, description = "The item's version"))),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    _: Need<ItemsRead>,
    ApiPath(id): ApiPath<i32>,
) -> ApiResult<Response> {
    let record = items::get(&state.db, ItemId(id)).await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Creates a draft, written by the token's owner.
#[utoipa::path(
    post,
    path = "/items",
    tag = "items",
    request_body = ItemBody,
    security(("token" = ["items:write"])),
    responses(
        (status = 201, description = "The draft", body = Item, headers(("Location" = String), ("ETag" = String))),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many calls this minute", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Need(caller, _): Need<ItemsWrite>,
    ApiJson(body): ApiJson<ItemBody>,
) -> ApiResult<Response> {
    let input = body.parse(&state)?;
    let id = items::create(&state.db, &input, caller.user.user_id())
        .await
        .map_err(|e| editorial(&state, e))?;
    let record = items::get(&state.db, id).await?;
    let mut response = with_etag(StatusCode::CREATED, &record);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/items/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The version `If-Match` names (428 without it, 412 when it names none).
fn if_match(headers: &HeaderMap) -> Result<i32, super::ApiError> {
    let Some(if_match) = headers.get(header::IF_MATCH) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag of the version you read, so no one's change is lost",
        )
        .into());
    };
    if_match
        .to_str()
        .ok()
        .map(|value| value.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|value| value.parse::<i32>().ok())
        .ok_or_else(|| {
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "If-Match is not an ETag of this item: read it again and send its ETag",
            )
            .into()
        })
}

/// The item moved on since the version sent.
fn stale(current_version: i32) -> Problem {
    Problem::new(
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        format!(
            "the item is at version {current_version} now: read it again, then send your \
             change with its ETag"
        ),
    )
}

/// Replaces an item's content with a new version, over the version in `If-Match`.
#[utoipa::path(
    put,
    path = "/items/{id}",
    tag = "items",
    params(
        ("id" = i32, Path, description = "The item's id"),
        ("If-Match" = String, Header, description = "The ETag of the version the change is made over"),
    ),
    request_body = ItemBody,
    security(("token" = ["items:write"])),
    responses(
        (status = 200, description = "The new version", body = Item, headers(("ETag" = String))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The item is archived", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The item changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields at fault", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Need(caller, _): Need<ItemsWrite>,
    ApiPath(id): ApiPath<i32>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ItemBody>,
) -> ApiResult<Response> {
    let input = body.parse(&state)?;
    let opened = if_match(&headers)?;
    let id = ItemId(id);
    match chorus_editorial::items::save(&state.db, id, opened, &input, caller.user.user_id()).await
    {
        Ok(_) => {}
        Err(chorus_editorial::EditorialError::Conflict { current_version }) => {
            return Err(stale(current_version).into());
        }
        Err(e) => return Err(editorial(&state, e)),
    }
    let record = items::get(&state.db, id).await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// A workflow action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// `submit`, `publish`, `return` (to draft), `archive` or `reopen`.
    #[schema(pattern = "^(submit|publish|return|archive|reopen)$")]
    pub action: String,
}

/// Moves an item through the workflow (as the editor's page does, with the organisation's
/// rules: a second editor to publish when required), over the version in `If-Match`.
#[utoipa::path(
    post,
    path = "/items/{id}/actions",
    tag = "items",
    params(
        ("id" = i32, Path, description = "The item's id"),
        ("If-Match" = String, Header, description = "The ETag of the version the action is taken on"),
    ),
    request_body = ActionBody,
    security(("token" = ["items:write"])),
    responses(
        (status = 200, description = "The item in its new state", body = Item, headers(("ETag" = String))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks items:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow this action now", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The item changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown action", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    Need(caller, _): Need<ItemsWrite>,
    ApiPath(id): ApiPath<i32>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActionBody>,
) -> ApiResult<Response> {
    let action: chorus_editorial::workflow::Action = body.action.parse().map_err(|_| {
        Problem::invalid(vec![FieldProblem {
            field: "action".into(),
            detail: "expected submit, publish, return, archive or reopen".into(),
        }])
    })?;
    let opened = if_match(&headers)?;
    let id = ItemId(id);
    let new_state = match chorus_editorial::items::apply_action(
        &state.db,
        id,
        opened,
        action,
        caller.user.user_id(),
    )
    .await
    {
        Ok(new_state) => new_state,
        Err(chorus_editorial::EditorialError::Conflict { current_version }) => {
            return Err(stale(current_version).into());
        }
        Err(e) => return Err(e.into()),
    };
    crate::routes::editor::after_action(&state, id, action, new_state).await;
    let record = items::get(&state.db, id).await?;
    Ok(with_etag(StatusCode::OK, &record))
}
