//! Errors of the REST API as RFC 9457 problem details (`application/problem+json`): a stable
//! `code`, the HTTP `status`, a `title` in English, a `detail` saying what to do, and for a
//! body that does not validate, `errors` naming each field at fault.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// A problem, as every error of the API answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:chorus:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened and what to do, for this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The stable code of the kind of problem (`not_found`, `invalid`, `scope_missing`...).
    pub code: String,
    /// The fields at fault, for a body that does not validate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One field at fault.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's name in the request body (or the query parameter's).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

impl Problem {
    /// A problem of `status`, named by `code`.
    #[must_use]
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:chorus:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            code: code.to_owned(),
            errors: Vec::new(),
        }
    }

    /// A body whose `errors` fields do not validate (422).
    #[must_use]
    pub fn invalid(errors: Vec<FieldProblem>) -> Problem {
        Problem {
            errors,
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "some fields are not valid: see errors",
            )
        }
    }

    /// No token, or one that is unknown, revoked or expired (401).
    #[must_use]
    pub fn unauthenticated() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send a live API token as `Authorization: Bearer <token>`; make one on your account \
             page (/account/tokens)",
        )
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"chorus\""),
            );
        }
        response
    }
}

/// Every error an API handler can meet, answered as a [`Problem`].
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError(Box::new(problem))
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let info = error.info();
        if info.status.is_server_error() {
            tracing::error!(error = ?error, "API request failed");
        }
        let detail = match (&error, info.detail) {
            (AppError::BadRequest(detail), _) => detail.clone(),
            (_, Some(detail)) => detail,
            _ => advice(info.code).to_owned(),
        };
        ApiError(Box::new(Problem::new(info.status, info.code, detail)))
    }
}

/// What to do about each kind of problem, when the error says no more.
fn advice(code: &str) -> &'static str {
    match code {
        "not_found" => "no such resource: check its id",
        "forbidden" => "the token's owner does not hold the role this operation needs",
        "opt_in_required" => {
            "accept the current guidelines in Chorus (the hub asks for it) before using the hub"
        }
        "conflict" => "someone changed it meanwhile: read it again, then send your change",
        "not_allowed_now" => "the resource's state does not allow this now",
        "name_taken" | "duplicate" | "email_taken" => "the name is taken: choose another",
        "database_unavailable" => "Chorus cannot reach its database: try again shortly",
        "invalid" | "missing_reference" => "the request names something that does not exist",
        _ => "Chorus failed: try again, and tell its administrator if it persists",
    }
}

macro_rules! through_app_error {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for ApiError {
            fn from(error: $error) -> Self {
                ApiError::from(AppError::from(error))
            }
        })*
    };
}

through_app_error!(
    crate::store::StoreError,
    chorus_editorial::EditorialError,
    chorus_ambassador::AmbassadorError,
    chorus_statistics::StatisticsError,
    sea_orm::DbErr,
    serde_json::Error,
);

/// Editorial field errors as a problem naming each field (as `name` writes it for the API),
/// in English.
pub fn fields_at_fault(
    i18n: &crate::i18n::I18n,
    errors: &[chorus_editorial::content::FieldError],
    name: impl Fn(&str) -> String,
) -> Problem {
    Problem::invalid(
        errors
            .iter()
            .map(|e| FieldProblem {
                field: name(&e.field),
                detail: i18n.text(crate::i18n::Locale::En, e.message_key, &[]),
            })
            .collect(),
    )
}

/// An editorial error about a named thing (a topic, a campaign, a feed): its fields at fault
/// (422), `taken` (`code`, `detail`) when the name or address is in use (409), `missing` when
/// there is no such thing (404), or the error as it is.
pub fn editorial(
    i18n: &crate::i18n::I18n,
    error: chorus_editorial::EditorialError,
    taken: (&str, &str),
    missing: &str,
) -> ApiError {
    use chorus_editorial::EditorialError as E;
    match error {
        E::Invalid(errors) => fields_at_fault(i18n, &errors, str::to_owned).into(),
        E::NameTaken => Problem::new(StatusCode::CONFLICT, taken.0, taken.1).into(),
        E::NotFound => Problem::new(StatusCode::NOT_FOUND, "not_found", missing).into(),
        other => other.into(),
    }
}

/// What an API handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
