//! `/scim/v2`: the SCIM 2.0 endpoints an identity provider calls (Microsoft Entra ID, Okta,
//! and any RFC 7644 client). Every request carries a bearer token an admin created; answers
//! are `application/scim+json`, errors SCIM error messages.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::scim::filter::Filter;
use crate::scim::{
    ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_PAGE, Page, ScimError, USER_SCHEMA, groups, patch,
    project, scim_json, users,
};

type ScimResult = Result<Response, ScimError>;

/// The routes, to nest at `/scim/v2`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
        .route("/.search", post(search_all))
        .route("/Users", get(list_users).post(create_user))
        .route("/Users/.search", post(search_users))
        .route(
            "/Users/{id}",
            get(get_user)
                .put(put_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/Groups", get(list_groups).post(create_group))
        .route("/Groups/.search", post(search_groups))
        .route(
            "/Groups/{id}",
            get(get_group)
                .put(put_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        .fallback(|| async { ScimError::not_found("this endpoint") })
}

/// A request from a provider holding a live token.
pub struct Provider;

impl FromRequestParts<AppState> for Provider {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ScimError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.get(..7)
                    .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                    .map(|_| v[7..].trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(ScimError::unauthorized)?;
        if crate::scim::authenticate(&app.db, presented, chrono::Utc::now()).await? {
            Ok(Provider)
        } else {
            tracing::warn!("a SCIM request presented an unknown token");
            Err(ScimError::unauthorized())
        }
    }
}

/// Where the SCIM endpoints are, for `meta.location` and `$ref`.
fn base(app: &AppState) -> String {
    app.public_url("/scim/v2")
}

/// What a list or a search asks.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<Value>,
    count: Option<Value>,
    attributes: Option<Value>,
    excluded_attributes: Option<Value>,
}

/// One query parameter or search field as a number (`"2"` or `2`).
fn number(value: Option<&Value>) -> Result<Option<i64>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_i64()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
            ScimError::bad(
                "invalidValue",
                "startIndex and count are whole numbers".to_owned(),
            )
        }),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            "startIndex and count are whole numbers".to_owned(),
        )),
    }
}

/// `attributes=a,b` or `"attributes": ["a", "b"]`.
fn names(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

struct Asked {
    filter: Option<Filter>,
    page: Page,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl ListQuery {
    fn read(&self) -> Result<Asked, ScimError> {
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                Filter::parse(text)
                    .map_err(|why| ScimError::bad("invalidFilter", format!("filter: {why}")))?,
            ),
        };
        Ok(Asked {
            filter,
            page: Page::new(
                number(self.start_index.as_ref())?,
                number(self.count.as_ref())?,
            ),
            attributes: names(self.attributes.as_ref()),
            excluded: names(self.excluded_attributes.as_ref()),
        })
    }

    fn from_search(body: &Value) -> Self {
        let field = |name: &str| crate::scim::filter::get(body, name).cloned();
        Self {
            filter: field("filter").and_then(|f| f.as_str().map(str::to_owned)),
            start_index: field("startIndex"),
            count: field("count"),
            attributes: field("attributes"),
            excluded_attributes: field("excludedAttributes"),
        }
    }
}

/// What an answer about one resource shows, per `attributes` / `excludedAttributes`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl ShowQuery {
    fn apply(&self, resource: Value) -> Value {
        project(
            resource,
            &names(self.attributes.clone().map(Value::from).as_ref()),
            &names(self.excluded_attributes.clone().map(Value::from).as_ref()),
        )
    }
}

fn body_json(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        ScimError::bad(
            "invalidSyntax",
            format!("the body is not JSON as SCIM expects: {e}"),
        )
    })
}

fn listed(asked: &Asked, mut list: Value) -> Response {
    if let Some(Value::Array(resources)) = list.get_mut("Resources") {
        for resource in resources.iter_mut() {
            *resource = project(std::mem::take(resource), &asked.attributes, &asked.excluded);
        }
    }
    scim_json(StatusCode::OK, &list)
}

fn created(resource: &Value) -> Response {
    let mut response = scim_json(StatusCode::CREATED, resource);
    if let Some(location) = resource["meta"]["location"]
        .as_str()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

async fn list_users(
    State(app): State<AppState>,
    _: Provider,
    Query(query): Query<ListQuery>,
) -> ScimResult {
    let asked = query.read()?;
    let list = users::list(&app.db, asked.filter.as_ref(), asked.page, &base(&app)).await?;
    Ok(listed(&asked, list))
}

async fn search_users(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let asked = ListQuery::from_search(&body_json(&body)?).read()?;
    let list = users::list(&app.db, asked.filter.as_ref(), asked.page, &base(&app)).await?;
    Ok(listed(&asked, list))
}

async fn get_user(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    Query(show): Query<ShowQuery>,
) -> ScimResult {
    let row = users::find(&app.db, &id).await?;
    let resource = users::one(&app.db, &row, &base(&app)).await?;
    Ok(scim_json(StatusCode::OK, &show.apply(resource)))
}

async fn create_user(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let input = users::read(&body_json(&body)?)?;
    let row = users::create(&app, &input).await?;
    Ok(created(&users::one(&app.db, &row, &base(&app)).await?))
}

async fn put_user(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult {
    let row = users::find(&app.db, &id).await?;
    let input = users::read(&body_json(&body)?)?;
    let row = users::replace(&app, &row, &input).await?;
    Ok(scim_json(
        StatusCode::OK,
        &users::one(&app.db, &row, &base(&app)).await?,
    ))
}

async fn patch_user(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult {
    let operations = patch::operations(&body_json(&body)?)?;
    let row = users::find(&app.db, &id).await?;
    let mut resource = users::one(&app.db, &row, &base(&app)).await?;
    patch::apply(&mut resource, &operations)?;
    // The PATCH started from everything served: what is gone now was removed (a PUT that
    // leaves out the team or the external id keeps them).
    if let Value::Object(object) = &mut resource {
        if crate::scim::filter::get(&Value::Object(object.clone()), ENTERPRISE_SCHEMA).is_none() {
            object.insert(ENTERPRISE_SCHEMA.to_owned(), json!({}));
        }
        if !object.keys().any(|k| k.eq_ignore_ascii_case("externalId")) {
            object.insert("externalId".to_owned(), Value::Null);
        }
    }
    let input = users::read(&resource)?;
    let row = users::replace(&app, &row, &input).await?;
    Ok(scim_json(
        StatusCode::OK,
        &users::one(&app.db, &row, &base(&app)).await?,
    ))
}

async fn delete_user(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
) -> ScimResult {
    let row = users::find(&app.db, &id).await?;
    users::erase(&app, &row).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /.search`: people and groups at once (RFC 7644 §3.4.3).
async fn search_all(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let asked = ListQuery::from_search(&body_json(&body)?).read()?;
    let base = base(&app);
    let mut all = users::all(&app.db, asked.filter.as_ref(), &base).await?;
    all.extend(groups::all(&app.db, asked.filter.as_ref(), &base).await?);
    Ok(listed(&asked, asked.page.list(all)))
}

async fn list_groups(
    State(app): State<AppState>,
    _: Provider,
    Query(query): Query<ListQuery>,
) -> ScimResult {
    let asked = query.read()?;
    let list = groups::list(&app.db, asked.filter.as_ref(), asked.page, &base(&app)).await?;
    Ok(listed(&asked, list))
}

async fn search_groups(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let asked = ListQuery::from_search(&body_json(&body)?).read()?;
    let list = groups::list(&app.db, asked.filter.as_ref(), asked.page, &base(&app)).await?;
    Ok(listed(&asked, list))
}

async fn get_group(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    Query(show): Query<ShowQuery>,
) -> ScimResult {
    let row = groups::find(&app.db, &id).await?;
    let resource = groups::one(&app.db, &row, &base(&app)).await?;
    Ok(scim_json(StatusCode::OK, &show.apply(resource)))
}

async fn create_group(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let input = groups::read(&body_json(&body)?)?;
    let row = groups::create(&app, &input).await?;
    Ok(created(&groups::one(&app.db, &row, &base(&app)).await?))
}

async fn put_group(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult {
    let row = groups::find(&app.db, &id).await?;
    let input = groups::read(&body_json(&body)?)?;
    let row = groups::replace(&app, &row, &input, None).await?;
    Ok(scim_json(
        StatusCode::OK,
        &groups::one(&app.db, &row, &base(&app)).await?,
    ))
}

async fn patch_group(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult {
    let operations = patch::operations(&body_json(&body)?)?;
    let row = groups::find(&app.db, &id).await?;
    let mut resource = groups::one(&app.db, &row, &base(&app)).await?;
    let before = groups::read(&resource)?.members;
    patch::apply(&mut resource, &operations)?;
    let input = groups::read(&resource)?;
    let row = groups::replace(&app, &row, &input, Some(&before)).await?;
    Ok(scim_json(
        StatusCode::OK,
        &groups::one(&app.db, &row, &base(&app)).await?,
    ))
}

async fn delete_group(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
) -> ScimResult {
    let row = groups::find(&app.db, &id).await?;
    groups::delete(&app, &row).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// Discovery (RFC 7644 §4): what Chorus serves, described exactly; nothing declared that is not
// stored and returned.

async fn service_provider_config(State(app): State<AppState>, _: Provider) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://github.com/chorus/chorus#provisioning-scim",
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_PAGE},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token an admin creates in Chorus under Admin > Provisioning",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", base(&app)),
            },
        }),
    )
}

fn resource_type_of(base: &str, name: &str) -> Option<Value> {
    let (endpoint, schema, extensions) = match name {
        "User" => (
            "/Users",
            USER_SCHEMA,
            json!([{"schema": ENTERPRISE_SCHEMA, "required": false}]),
        ),
        "Group" => ("/Groups", GROUP_SCHEMA, json!([])),
        _ => return None,
    };
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
    }))
}

async fn resource_types(State(app): State<AppState>, _: Provider) -> Response {
    let all: Vec<Value> = ["User", "Group"]
        .iter()
        .filter_map(|name| resource_type_of(&base(&app), name))
        .collect();
    scim_json(StatusCode::OK, &Page::new(None, None).list(all))
}

async fn resource_type(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
) -> ScimResult {
    resource_type_of(&base(&app), &id)
        .map(|t| scim_json(StatusCode::OK, &t))
        .ok_or_else(|| ScimError::not_found("this ResourceType"))
}

fn attribute(name: &str, kind: &str, mutability: &str, extra: Value) -> Value {
    let mut out = json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": false,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Value::Object(out), Value::Object(extra)) = (&mut out, extra) {
        out.extend(extra);
    }
    out
}

fn schema_of(base: &str, id: &str) -> Option<Value> {
    let (name, description, attributes) = if id.eq_ignore_ascii_case(USER_SCHEMA) {
        (
            "User",
            "A person at Chorus",
            json!([
                attribute(
                    "userName",
                    "string",
                    "readWrite",
                    json!({"required": true, "uniqueness": "server",
                           "description": "The person's email, unless the provider uses another name"})
                ),
                attribute(
                    "displayName",
                    "string",
                    "readWrite",
                    json!({"required": true, "description": "The name colleagues see"})
                ),
                attribute(
                    "active",
                    "boolean",
                    "readWrite",
                    json!({"required": true, "description": "false deactivates: sessions end, waiting shares are cancelled, network tokens revoked"})
                ),
                attribute(
                    "emails",
                    "complex",
                    "readWrite",
                    json!({
                        "multiValued": true,
                        "required": true,
                        "description": "The person's email (the primary one, else the work one, else the first sent)",
                        "subAttributes": [attribute("value", "string", "readWrite", json!({"required": true}))],
                    })
                ),
                attribute(
                    "groups",
                    "complex",
                    "readOnly",
                    json!({
                        "multiValued": true,
                        "subAttributes": [
                            attribute("value", "string", "readOnly", json!({})),
                            attribute("$ref", "reference", "readOnly", json!({"referenceTypes": ["Group"]})),
                            attribute("display", "string", "readOnly", json!({})),
                        ],
                    })
                ),
            ]),
        )
    } else if id.eq_ignore_ascii_case(GROUP_SCHEMA) {
        (
            "Group",
            "A group of the company; the group map gives its members roles or a team",
            json!([
                attribute(
                    "displayName",
                    "string",
                    "readWrite",
                    json!({"required": true, "uniqueness": "server"})
                ),
                attribute(
                    "members",
                    "complex",
                    "readWrite",
                    json!({
                        "multiValued": true,
                        "subAttributes": [
                            attribute("value", "string", "immutable", json!({})),
                            attribute("$ref", "reference", "immutable", json!({"referenceTypes": ["User"]})),
                        ],
                    })
                ),
            ]),
        )
    } else if id.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
        (
            "EnterpriseUser",
            "The enterprise extension: the department is the person's team",
            json!([attribute(
                "department",
                "string",
                "readWrite",
                json!({"description": "The person's team (statistics are filtered by team)"})
            )]),
        )
    } else {
        return None;
    };
    let id = [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA]
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(id))?;
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    }))
}

async fn schemas(State(app): State<AppState>, _: Provider) -> Response {
    let all: Vec<Value> = [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA]
        .iter()
        .filter_map(|id| schema_of(&base(&app), id))
        .collect();
    scim_json(StatusCode::OK, &Page::new(None, None).list(all))
}

async fn schema(State(app): State<AppState>, _: Provider, Path(id): Path<String>) -> ScimResult {
    schema_of(&base(&app), &id)
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("this Schema"))
}
