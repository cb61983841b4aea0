//! Provisioning with SCIM 2.0 (RFC 7643, RFC 7644): the company's identity provider creates,
//! updates, deactivates and deletes people, and pushes groups that give roles and teams through
//! the same group map as single sign-on.
//!
//! A provider authenticates with a bearer token an admin created (only its SHA-256 hash is
//! kept). People are served as `User` resources whose `userName` is their email unless the
//! provider chose another one; groups as `Group` resources. PATCH is applied to the resource's
//! JSON representation ([`patch`]) and the result read exactly like a PUT body, so there is one
//! path from what a provider sends to what Chorus stores.
//!
//! Leaving is taken seriously: a person deactivated through SCIM has their sessions ended,
//! their waiting shares cancelled (their history says why) and their network tokens revoked at
//! the networks; a person deleted through SCIM is erased exactly as when they erase
//! themselves.

pub mod filter;
pub mod groups;
pub mod patch;
pub mod users;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::store::StoreError;

/// The core `User` schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core `Group` schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise `User` extension (its `department` is the person's team).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// A list response.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// An error response.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The media type of every answer.
pub const MEDIA_TYPE: &str = "application/scim+json";
/// The most resources one page holds.
pub const MAX_PAGE: usize = 200;

/// A kind of SCIM resource (`User`, `Group`) as the endpoints handle it: the same list, search,
/// read, create, replace, patch and delete for each, over its own storage.
pub trait Resource {
    /// A stored resource.
    type Row: Send + Sync;
    /// What a request body says it is.
    type Input: Send + Sync;

    /// The resource with this SCIM id (`404` otherwise).
    fn find(
        db: &sea_orm::DatabaseConnection,
        id: &str,
    ) -> impl Future<Output = Result<Self::Row, ScimError>> + Send;

    /// The resource as served.
    fn show(
        db: &sea_orm::DatabaseConnection,
        row: &Self::Row,
        base: &str,
    ) -> impl Future<Output = Result<Value, ScimError>> + Send;

    /// Every resource matching `filter`, as served.
    fn all(
        db: &sea_orm::DatabaseConnection,
        filter: Option<&filter::Filter>,
        base: &str,
    ) -> impl Future<Output = Result<Vec<Value>, ScimError>> + Send;

    /// Reads a body (a POST's, a PUT's, or a PATCH's result).
    ///
    /// # Errors
    /// What does not read, as a SCIM error.
    fn read(body: &Value) -> Result<Self::Input, ScimError>;

    /// Creates it.
    fn create(
        app: &crate::app::App,
        input: &Self::Input,
    ) -> impl Future<Output = Result<Self::Row, ScimError>> + Send;

    /// Replaces it by `input`; `patched_from` is the representation a PATCH was applied to
    /// (`None` for a PUT).
    fn replace(
        app: &crate::app::App,
        row: &Self::Row,
        input: &Self::Input,
        patched_from: Option<&Value>,
    ) -> impl Future<Output = Result<Self::Row, ScimError>> + Send;

    /// Deletes it.
    fn delete(
        app: &crate::app::App,
        row: &Self::Row,
    ) -> impl Future<Output = Result<(), ScimError>> + Send;

    /// Prepares a patched representation for [`Resource::read`]: the PATCH started from
    /// everything served, so what is gone now was removed.
    fn after_patch(_resource: &mut Value) {}
}

/// Whether `schema` is one of the core schemas (its attributes sit at the resource's top).
#[must_use]
pub fn is_core_schema(schema: &str) -> bool {
    schema.eq_ignore_ascii_case(USER_SCHEMA) || schema.eq_ignore_ascii_case(GROUP_SCHEMA)
}

/// An error as SCIM answers it (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The SCIM error type (`invalidFilter`, `uniqueness`, ...).
    pub scim_type: Option<&'static str>,
    /// What happened and what to do, for the provider's administrator.
    pub detail: String,
}

impl ScimError {
    /// A 400 of this SCIM type.
    #[must_use]
    pub fn bad(scim_type: &'static str, detail: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some(scim_type),
            detail,
        }
    }

    /// A 404.
    #[must_use]
    pub fn not_found(what: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            scim_type: None,
            detail: format!("{what} does not exist here (or no longer does)"),
        }
    }

    /// A 409 `uniqueness`.
    #[must_use]
    pub fn taken(detail: String) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            scim_type: Some("uniqueness"),
            detail,
        }
    }

    /// A 401.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            scim_type: None,
            detail: "present a SCIM token an admin created in Chorus (Admin > Provisioning) as \
                     Authorization: Bearer <token>"
                .to_owned(),
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("this resource"),
            StoreError::EmailTaken => {
                Self::taken("another person already has this email in Chorus".to_owned())
            }
            e @ (StoreError::Db(_)
            | StoreError::Statistics(chorus_statistics::StatisticsError::Db(_))) => {
                tracing::error!(error = %e, "SCIM request failed at the database");
                Self {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    scim_type: None,
                    detail: "Chorus could not reach its database; try again shortly".to_owned(),
                }
            }
            e @ StoreError::Statistics(_) => {
                tracing::error!(error = %e, "SCIM request failed in the statistics' audit log");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    scim_type: None,
                    detail: "Chorus failed to erase the person from its audit log; try again"
                        .to_owned(),
                }
            }
        }
    }
}

impl From<sea_orm::DbErr> for ScimError {
    fn from(e: sea_orm::DbErr) -> Self {
        StoreError::from(e).into()
    }
}

impl From<crate::accounts::AccountError> for ScimError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError;
        match e {
            AccountError::NotFound => Self::not_found("this User"),
            AccountError::LastAdmin => Self::bad(
                "mutability",
                "this is the last active admin of Chorus: give another person the admin role \
                 first"
                    .to_owned(),
            ),
            AccountError::EmailTaken => {
                Self::taken("another person already has this email in Chorus".to_owned())
            }
            AccountError::Store(e) => e.into(),
            other => Self::bad("invalidValue", other.to_string()),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(kind) = self.scim_type {
            body["scimType"] = Value::from(kind);
        }
        let mut response = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"Chorus SCIM\""),
            );
        }
        response
    }
}

/// A SCIM JSON answer.
#[must_use]
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
        body.to_string(),
    )
        .into_response()
}

/// `meta` of a resource.
#[must_use]
pub fn meta(
    kind: &str,
    location: String,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
) -> Value {
    json!({
        "resourceType": kind,
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": location,
        "version": format!("W/\"{}\"", modified.timestamp_micros()),
    })
}

/// The resource with only the attributes asked for (`attributes=`) or without those excluded
/// (`excludedAttributes=`); `id`, `schemas` and `meta` always stay (RFC 7644 §3.9). Names
/// are compared ignoring case; `name.sub` keeps or removes one sub-attribute.
#[must_use]
pub fn project(resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(object) = resource else {
        return resource;
    };
    let always = |key: &str| {
        ["id", "schemas", "meta"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    };
    let split = |path: &str| -> (String, Option<String>) {
        match filter::AttrPath::parse(path) {
            Ok(p) => {
                let attr = match p.schema {
                    Some(schema) if !is_core_schema(&schema) => {
                        return (schema, Some(p.attr));
                    }
                    _ => p.attr,
                };
                (attr, p.sub)
            }
            Err(_) => (path.to_owned(), None),
        }
    };
    let mut out = Map::new();
    if attributes.is_empty() {
        out = object;
        for path in excluded {
            let (attr, sub) = split(path);
            let extension = path.eq_ignore_ascii_case(ENTERPRISE_SCHEMA);
            let key = out
                .keys()
                .find(|k| k.eq_ignore_ascii_case(if extension { path } else { &attr }))
                .cloned();
            let Some(key) = key else { continue };
            if always(&key) {
                continue;
            }
            match (sub, out.get_mut(&key)) {
                (Some(sub), Some(Value::Object(inner))) if !extension => {
                    inner.retain(|k, _| !k.eq_ignore_ascii_case(&sub));
                }
                (Some(sub), Some(Value::Array(items))) if !extension => {
                    for item in items {
                        if let Value::Object(inner) = item {
                            inner.retain(|k, _| !k.eq_ignore_ascii_case(&sub));
                        }
                    }
                }
                _ => {
                    out.remove(&key);
                }
            }
        }
        return Value::Object(out);
    }
    for (key, value) in object {
        if always(&key) {
            out.insert(key, value);
            continue;
        }
        let wanted: Vec<Option<String>> = attributes
            .iter()
            .filter_map(|path| {
                if path.eq_ignore_ascii_case(&key) {
                    return Some(None);
                }
                let (attr, sub) = split(path);
                attr.eq_ignore_ascii_case(&key).then_some(sub)
            })
            .collect();
        if wanted.is_empty() {
            continue;
        }
        if wanted.iter().any(Option::is_none) {
            out.insert(key, value);
            continue;
        }
        let keep = |inner: &mut Map<String, Value>| {
            inner.retain(|k, _| {
                wanted
                    .iter()
                    .flatten()
                    .any(|sub| sub.eq_ignore_ascii_case(k))
            });
        };
        let value = match value {
            Value::Object(mut inner) => {
                keep(&mut inner);
                Value::Object(inner)
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::Object(mut inner) => {
                            keep(&mut inner);
                            Value::Object(inner)
                        }
                        other => other,
                    })
                    .collect(),
            ),
            other => other,
        };
        out.insert(key, value);
    }
    Value::Object(out)
}

/// A page of a list: `startIndex` from 1, `count` at most [`MAX_PAGE`] (RFC 7644 §3.4.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The first resource's position, from 1.
    pub start: usize,
    /// How many at most.
    pub count: usize,
}

impl Page {
    /// Reads `startIndex` and `count` as sent (a value below 1 counts as 1, a negative count
    /// as 0, a count above [`MAX_PAGE`] as [`MAX_PAGE`]).
    #[must_use]
    pub fn new(start: Option<i64>, count: Option<i64>) -> Self {
        Self {
            start: usize::try_from(start.unwrap_or(1).max(1)).unwrap_or(1),
            count: usize::try_from(count.unwrap_or(100).max(0))
                .unwrap_or(MAX_PAGE)
                .min(MAX_PAGE),
        }
    }

    /// A list response of the resources on this page.
    #[must_use]
    pub fn list(&self, all: Vec<Value>) -> Value {
        let total = all.len();
        let resources: Vec<Value> = all
            .into_iter()
            .skip(self.start - 1)
            .take(self.count)
            .collect();
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": self.start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        })
    }
}

/// A SCIM token as listed to admins (never its value).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenRow {
    /// Its id.
    pub id: i32,
    /// The name the admin gave it (which provider uses it).
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When a provider last presented it.
    pub last_used_at: Option<DateTime<Utc>>,
}

fn token_hash(token: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(token.as_bytes()))
}

/// Creates a token; its value is returned once and only its hash is kept.
///
/// # Errors
/// Database failure.
pub async fn create_token(db: &impl ConnectionTrait, name: &str) -> Result<String, StoreError> {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "chorus_scim_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO scim_tokens (name, token_hash, created_at) VALUES ($1, $2, $3)",
        [name.into(), token_hash(&token).into(), Utc::now().into()],
    ))
    .await?;
    Ok(token)
}

/// The tokens, newest first.
///
/// # Errors
/// Database failure.
pub async fn tokens(db: &impl ConnectionTrait) -> Result<Vec<TokenRow>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, name, created_at, last_used_at FROM scim_tokens ORDER BY id DESC",
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(TokenRow {
                id: row.try_get("", "id")?,
                name: row.try_get("", "name")?,
                created_at: row.try_get("", "created_at")?,
                last_used_at: row.try_get("", "last_used_at")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(StoreError::from)
}

/// Revokes a token: a provider presenting it is refused from the next request on.
///
/// # Errors
/// Database failure.
pub async fn revoke_token(db: &impl ConnectionTrait, id: i32) -> Result<bool, StoreError> {
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM scim_tokens WHERE id = $1",
            [id.into()],
        ))
        .await?
        .rows_affected()
        == 1)
}

/// Whether `presented` is a live token; its last use is recorded (at most once a minute, so
/// a provider's burst of requests does not turn into a burst of writes).
///
/// # Errors
/// Database failure.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let backend = db.get_database_backend();
    let hash = token_hash(presented);
    let Some(row) = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT id, last_used_at FROM scim_tokens WHERE token_hash = $1",
            [hash.into()],
        ))
        .await?
    else {
        return Ok(false);
    };
    let id: i32 = row.try_get("", "id")?;
    let last: Option<DateTime<Utc>> = row.try_get("", "last_used_at")?;
    if last.is_none_or(|last| now - last > chrono::Duration::minutes(1)) {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE scim_tokens SET last_used_at = $1 WHERE id = $2",
            [now.into(), id.into()],
        ))
        .await?;
    }
    Ok(true)
}

/// Reads a string attribute, ignoring the case of its name; blank counts as absent.
fn text(object: &Value, name: &str) -> Option<String> {
    filter::get(object, name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_what_was_asked_and_always_the_id() {
        let user = json!({
            "schemas": [USER_SCHEMA],
            "id": "1",
            "userName": "a@b.c",
            "displayName": "A",
            "emails": [{"value": "a@b.c", "type": "work"}],
            ENTERPRISE_SCHEMA: {"department": "Lyon"},
            "meta": {"resourceType": "User"},
        });
        let only = project(
            user.clone(),
            &["userName".into(), "emails.value".into()],
            &[],
        );
        assert_eq!(
            only,
            json!({"schemas": [USER_SCHEMA], "id": "1", "userName": "a@b.c",
                   "emails": [{"value": "a@b.c"}], "meta": {"resourceType": "User"}})
        );
        let without = project(user.clone(), &[], &["displayName".into(), "id".into()]);
        assert!(without.get("displayName").is_none());
        assert_eq!(without["id"], "1", "id is always returned");
        let extension = project(
            user.clone(),
            &[format!("{ENTERPRISE_SCHEMA}:department")],
            &[],
        );
        assert_eq!(extension[ENTERPRISE_SCHEMA]["department"], "Lyon");
        assert!(extension.get("userName").is_none());
        let no_extension = project(user, &[], &[ENTERPRISE_SCHEMA.into()]);
        assert!(no_extension.get(ENTERPRISE_SCHEMA).is_none());
    }

    #[test]
    fn pages_start_at_one_and_are_bounded() {
        let all: Vec<Value> = (1..=5).map(|i| json!({ "id": i.to_string() })).collect();
        let page = Page::new(Some(2), Some(2)).list(all.clone());
        assert_eq!(page["totalResults"], 5);
        assert_eq!(page["itemsPerPage"], 2);
        assert_eq!(page["Resources"][0]["id"], "2");
        assert_eq!(Page::new(Some(0), Some(-3)), Page { start: 1, count: 0 });
        assert_eq!(Page::new(None, Some(10_000)).count, MAX_PAGE);
        let past = Page::new(Some(9), None).list(all);
        assert_eq!(past["itemsPerPage"], 0);
        assert_eq!(past["totalResults"], 5);
    }
}
