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
use crate::scim::groups::Groups;
use crate::scim::users::Users;
use crate::scim::{
    ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_PAGE, Page, Resource, ScimError, USER_SCHEMA, patch,
    project, scim_json,
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
        .route("/Users", get(list::<Users>).post(create::<Users>))
        .route("/Users/.search", post(search::<Users>))
        .route(
            "/Users/{id}",
            get(read_one::<Users>)
                .put(put::<Users>)
                .patch(patch::<Users>)
                .delete(delete::<Users>),
        )
        .route("/Groups", get(list::<Groups>).post(create::<Groups>))
        .route("/Groups/.search", post(search::<Groups>))
        .route(
            "/Groups/{id}",
            get(read_one::<Groups>)
                .put(put::<Groups>)
                .patch(patch::<Groups>)
                .delete(delete::<Groups>),
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

/// `GET /Users`, `GET /Groups`: a page of those matching `filter`.
async fn list<R: Resource>(
    State(app): State<AppState>,
    _: Provider,
    Query(query): Query<ListQuery>,
) -> ScimResult {
    let asked = query.read()?;
    let all = R::all(&app.db, asked.filter.as_ref(), &base(&app)).await?;
    Ok(listed(&asked, asked.page.list(all)))
}

/// `POST /Users/.search`, `POST /Groups/.search`.
async fn search<R: Resource>(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let asked = ListQuery::from_search(&body_json(&body)?).read()?;
    let all = R::all(&app.db, asked.filter.as_ref(), &base(&app)).await?;
    Ok(listed(&asked, asked.page.list(all)))
}

/// `POST /.search`: people and groups at once (RFC 7644 §3.4.3).
async fn search_all(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let asked = ListQuery::from_search(&body_json(&body)?).read()?;
    let base = base(&app);
    let mut all = Users::all(&app.db, asked.filter.as_ref(), &base).await?;
    all.extend(Groups::all(&app.db, asked.filter.as_ref(), &base).await?);
    Ok(listed(&asked, asked.page.list(all)))
}

/// `GET /Users/{id}`, `GET /Groups/{id}`.
async fn read_one<R: Resource>(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    Query(show): Query<ShowQuery>,
) -> ScimResult {
    let row = R::find(&app.db, &id).await?;
    let resource = R::show(&app.db, &row, &base(&app)).await?;
    Ok(scim_json(StatusCode::OK, &show.apply(resource)))
}

/// `POST /Users`, `POST /Groups`: 201 with the resource and its `Location`.
async fn create<R: Resource>(State(app): State<AppState>, _: Provider, body: Bytes) -> ScimResult {
    let input = R::read(&body_json(&body)?)?;
    let row = R::create(&app, &input).await?;
    let resource = R::show(&app.db, &row, &base(&app)).await?;
    let mut response = scim_json(StatusCode::CREATED, &resource);
    if let Some(location) = resource["meta"]["location"]
        .as_str()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `PUT /Users/{id}`, `PUT /Groups/{id}`: replaced by what was sent.
async fn put<R: Resource>(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult {
    let row = R::find(&app.db, &id).await?;
    let input = R::read(&body_json(&body)?)?;
    let row = R::replace(&app, &row, &input, None).await?;
    Ok(scim_json(
        StatusCode::OK,
        &R::show(&app.db, &row, &base(&app)).await?,
    ))
}

/// `PATCH /Users/{id}`, `PATCH /Groups/{id}`: the operations applied to what is served, the
/// result read as a PUT's body.
async fn patch<R: Resource>(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult {
    let operations = patch::operations(&body_json(&body)?)?;
    let row = R::find(&app.db, &id).await?;
    let before = R::show(&app.db, &row, &base(&app)).await?;
    let mut resource = before.clone();
    patch::apply(&mut resource, &operations)?;
    R::after_patch(&mut resource);
    let input = R::read(&resource)?;
    let row = R::replace(&app, &row, &input, Some(&before)).await?;
    Ok(scim_json(
        StatusCode::OK,
        &R::show(&app.db, &row, &base(&app)).await?,
    ))
}

/// `DELETE /Users/{id}` (the person's erasure), `DELETE /Groups/{id}`.
async fn delete<R: Resource>(
    State(app): State<AppState>,
    _: Provider,
    Path(id): Path<String>,
) -> ScimResult {
    let row = R::find(&app.db, &id).await?;
    R::delete(&app, &row).await?;
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
