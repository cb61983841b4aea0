//! The API's OpenAPI 3.1 document, generated from the handlers' annotations (`utoipa`), and its
//! reference page, rendered by Chorus itself (no script, no CDN).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{feeds, hub, items, people, problem, shares, stats, topics};
use crate::error::AppResult;
use crate::views::Ctx;

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus API",
        version = "1",
        description = "Content, the hub, people and statistics of a Chorus installation, for \
                       integrations. Every call carries a token (`Authorization: Bearer ...`) \
                       made on the account page (personal) or by an admin (service); a token \
                       never does more than its owner's roles, and only a person's own token \
                       acts as them. Errors are RFC 9457 problem details."
    ),
    servers((url = "/api/v1")),
    paths(
        items::list,
        items::read,
        items::create,
        items::update,
        hub::page,
        hub::item,
        hub::figures,
        people::list,
        people::create,
        people::change,
        stats::figures,
        shares::list,
        shares::create,
        shares::cancel,
        items::act,
        topics::topics,
        topics::campaigns,
        topics::create_topic,
        topics::create_campaign,
        topics::rename_topic,
        topics::delete_topic,
        topics::change_campaign,
        feeds::list,
        feeds::create,
        feeds::remove,
        people::read,
        shares::act
    ),
    components(schemas(problem::Problem, problem::FieldProblem)),
    modifiers(&BearerToken),
    tags(
        (name = "items", description = "Content items (editors)"),
        (name = "hub", description = "The hub, as its owner sees it (ambassadors)"),
        (name = "people", description = "Accounts (admins)"),
        (name = "shares", description = "One's own shares (ambassadors, personal tokens only)"),
        (name = "stats", description = "Aggregated statistics, as the dashboard shows them (analysts)"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal token (chorus_pat_...) or a service token (chorus_svc_...), \
                         with the scopes each operation lists",
                    ))
                    .build(),
            ),
        );
    }
}

/// An operation on something created: its path and method.
type Target = (&'static str, &'static str);

/// Links from each operation that creates something to the operations on what it created
/// (OpenAPI 3.1 `links`): where the id of the next call comes from, for clients and for
/// stateful testing. (Written into the JSON: utoipa 5.5 spells the link's fields in snake
/// case, `operation_ref`, which no OpenAPI tool reads.)
/// `(path of the creating POST, where the answer holds the id, [operations using it])`.
const LINKS: &[(&str, &str, &[Target])] = &[
    (
        "/items",
        "$response.body#/id",
        &[
            ("/items/{id}", "get"),
            ("/items/{id}", "put"),
            ("/items/{id}/actions", "post"),
        ],
    ),
    (
        "/topics",
        "$response.body#/id",
        &[("/topics/{id}", "patch"), ("/topics/{id}", "delete")],
    ),
    (
        "/campaigns",
        "$response.body#/id",
        &[("/campaigns/{id}", "patch")],
    ),
    ("/feeds", "$response.body#/id", &[("/feeds/{id}", "delete")]),
    (
        "/people",
        "$response.body#/person/id",
        &[("/people/{id}", "get"), ("/people/{id}", "patch")],
    ),
    (
        "/me/shares",
        "$response.body#/id",
        &[
            ("/me/shares/{id}/cancel", "post"),
            ("/me/shares/{id}/actions", "post"),
        ],
    ),
];

/// Adds [`LINKS`] to the 201 answer of each creating operation.
fn add_links(document: &mut serde_json::Value) {
    for (source, id, targets) in LINKS {
        let pointer = format!("/paths/{}/post/responses/201", source.replace('/', "~1"));
        let Some(created) = document
            .pointer_mut(&pointer)
            .and_then(|r| r.as_object_mut())
        else {
            continue;
        };
        let links: serde_json::Map<String, serde_json::Value> = targets
            .iter()
            .map(|(path, method)| {
                let name = format!("{method}{}", path.replace(['/', '{', '}'], "_"));
                let link = serde_json::json!({
                    "operationRef": format!("#/paths/{}/{method}", path.replace('/', "~1")),
                    "parameters": {"id": id},
                });
                (name, link)
            })
            .collect();
        created.insert("links".into(), serde_json::Value::Object(links));
    }
}

/// The OpenAPI document, made once.
pub fn spec() -> &'static serde_json::Value {
    static SPEC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        add_links(&mut document);
        document
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Response {
    Json(spec()).into_response()
}

/// One operation on the reference page.
#[derive(Debug, Serialize)]
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    tag: String,
    scopes: Vec<String>,
    parameters: Vec<Parameter>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

/// One parameter of an operation.
#[derive(Debug, Serialize)]
struct Parameter {
    name: String,
    place: String,
    required: bool,
    description: String,
}

/// The reference page.
#[derive(Debug, Serialize)]
struct ReferenceView {
    title: String,
    description: String,
    operations: Vec<Operation>,
}

/// A text of the document, its Markdown code marks taken out (the page shows plain text).
fn text(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .replace('`', "")
}

fn operations(document: &serde_json::Value) -> Vec<Operation> {
    let mut found = Vec::new();
    let Some(paths) = document.get("paths").and_then(serde_json::Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let Some(methods) = item.as_object() else {
            continue;
        };
        for (method, operation) in methods {
            let list = |key: &str| {
                operation
                    .get(key)
                    .and_then(serde_json::Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let scopes = list("security")
                .iter()
                .filter_map(|s| s.get("token").and_then(serde_json::Value::as_array))
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            let parameters = list("parameters")
                .iter()
                .map(|p| Parameter {
                    name: text(p, "name"),
                    place: text(p, "in"),
                    required: p
                        .get("required")
                        .and_then(serde_json::Value::as_bool)
                        .unwrap_or(false),
                    description: text(p, "description"),
                })
                .collect();
            let body = operation
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(serde_json::Value::as_str)
                .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned());
            let responses = operation
                .get("responses")
                .and_then(serde_json::Value::as_object)
                .map(|r| {
                    r.iter()
                        .map(|(status, answer)| (status.clone(), text(answer, "description")))
                        .collect()
                })
                .unwrap_or_default();
            let anchor: String = format!("{method}{path}")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            found.push(Operation {
                anchor,
                method: method.to_uppercase(),
                path: format!("/api/v1{path}"),
                summary: text(operation, "summary"),
                description: text(operation, "description"),
                tag: list("tags")
                    .first()
                    .and_then(|t| t.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                scopes,
                parameters,
                body,
                responses,
            });
        }
    }
    found.sort_by(|a, b| (&a.tag, &a.path, &a.method).cmp(&(&b.tag, &b.path, &b.method)));
    found
}

/// `GET /api/v1/docs`: the reference, readable without a script.
pub async fn reference(ctx: Ctx) -> AppResult<Response> {
    let document = spec();
    let view = ReferenceView {
        title: document
            .pointer("/info/title")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("Chorus API")
            .to_owned(),
        description: document
            .pointer("/info/description")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .replace('`', ""),
        operations: operations(document),
    };
    Ok(ctx.page("api/reference.html", &view)?.into_response())
}
