//! The one place where errors become HTTP answers.
//!
//! Policy: the full error chain goes to the log with the request id; the person gets a page (or,
//! under `/api/`, a JSON body `{"error": "snake_case_code", "message": "..."}`) that says what
//! happened and what to do next, in their language, with the right status. Internal details
//! never reach the page.

use axum::http::header::InvalidHeaderValue;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::AmbassadorError;
use sea_orm::{DbErr, SqlErr};

use crate::accounts::AccountError;
use crate::store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page or object.
    #[error("not found")]
    NotFound,
    /// Signed in, but the roles do not open this area.
    #[error("forbidden")]
    Forbidden,
    /// The page needs a signed-in person.
    #[error("sign-in required")]
    SignInRequired {
        /// Where to go back to after signing in.
        next: Option<String>,
    },
    /// The hub needs the person to accept the current guidelines first (opt-in).
    #[error("opt-in required")]
    OptInRequired,
    /// A state-changing request without a valid CSRF token or from another site.
    #[error("CSRF check failed")]
    CsrfRejected,
    /// The body is larger than Chorus accepts.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The method is not allowed on this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request could not be read (bad JSON, missing field).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An editorial operation failed.
    #[error(transparent)]
    Editorial(#[from] chorus_editorial::EditorialError),
    /// A database call made directly by a domain crate failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// Reading or recording statistics failed.
    #[error(transparent)]
    Statistics(#[from] chorus_statistics::StatisticsError),
    /// Connecting or using a social account, queuing or deleting a share failed.
    #[error(transparent)]
    Ambassador(#[from] AmbassadorError),
    /// Creating or changing a Chorus account failed.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A JSON document (export, API answer) could not be written.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    /// A header value built by Chorus is not a valid header (a stored value is corrupt).
    #[error("invalid header value: {0}")]
    Header(#[from] InvalidHeaderValue),
    /// A template failed to render.
    #[error("template error: {0:?}")]
    Render(#[from] tera::Error),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the error-page layer needs to render an error in the person's language.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code for the API.
    pub code: &'static str,
    /// Translation key of the title; the explanation is `<key>_help`.
    pub message_key: &'static str,
    /// A precise explanation written by Chorus (never internal details), if any.
    pub detail: Option<String>,
}

impl AppError {
    /// The status, code and message of this error.
    #[must_use]
    pub fn info(&self) -> ErrorInfo {
        let (status, code, message_key) = match self {
            AppError::NotFound | AppError::Store(StoreError::NotFound) => {
                (StatusCode::NOT_FOUND, "not_found", "error.not_found")
            }
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "error.forbidden"),
            AppError::OptInRequired => (StatusCode::FORBIDDEN, "opt_in_required", "error.opt_in"),
            AppError::SignInRequired { .. } => (
                StatusCode::UNAUTHORIZED,
                "sign_in_required",
                "error.sign_in_required",
            ),
            AppError::CsrfRejected => (StatusCode::FORBIDDEN, "csrf_rejected", "error.csrf"),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "error.too_large",
            ),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "error.method",
            ),
            AppError::Store(StoreError::EmailTaken) => {
                (StatusCode::CONFLICT, "email_taken", "error.email_taken")
            }
            AppError::Store(StoreError::Db(e)) | AppError::Db(e) => db_info(e),
            AppError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, "bad_request", "error.bad_request")
            }
            AppError::Store(StoreError::Statistics(e)) | AppError::Statistics(e) => {
                statistics_info(e)
            }
            AppError::Editorial(e) => editorial_info(e),
            AppError::Ambassador(e) => ambassador_info(e),
            AppError::Account(e) => account_info(e),
            AppError::Render(_)
            | AppError::Internal(_)
            | AppError::Json(_)
            | AppError::Header(_) => INTERNAL,
        };
        let detail = match self {
            AppError::BadRequest(detail) => Some(detail.clone()),
            AppError::Editorial(chorus_editorial::EditorialError::Workflow(e)) => {
                Some(e.to_string())
            }
            _ => None,
        };
        ErrorInfo {
            status,
            code,
            message_key,
            detail,
        }
    }
}

fn editorial_info(
    error: &chorus_editorial::EditorialError,
) -> (StatusCode, &'static str, &'static str) {
    use chorus_editorial::EditorialError as E;
    match error {
        E::NotFound => (StatusCode::NOT_FOUND, "not_found", "error.not_found"),
        E::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "error.conflict"),
        E::Workflow(_) | E::NotEditable => {
            (StatusCode::CONFLICT, "not_allowed_now", "error.workflow")
        }
        E::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "error.invalid"),
        E::NameTaken => (StatusCode::CONFLICT, "name_taken", "error.name_taken"),
        E::Db(e) => db_info(e),
        E::BadRevision(_) | E::BadSetting(_) => INTERNAL,
    }
}

fn statistics_info(
    error: &chorus_statistics::StatisticsError,
) -> (StatusCode, &'static str, &'static str) {
    use chorus_statistics::StatisticsError as E;
    match error {
        E::Db(e) => db_info(e),
        E::Interrupted(_) | E::Filter(_) => INTERNAL,
    }
}

const INTERNAL: (StatusCode, &str, &str) = (
    StatusCode::INTERNAL_SERVER_ERROR,
    "internal",
    "error.internal",
);

/// A database error by what caused it: a constraint the request broke is the request's fault
/// (4xx: a duplicate is a conflict, a reference to a row that does not exist is invalid input);
/// a failing or unreachable database is 503 (try again); a stored value Chorus cannot read
/// (corrupt data) or any other misuse is ours (500).
fn db_info(error: &DbErr) -> (StatusCode, &'static str, &'static str) {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            return (StatusCode::CONFLICT, "duplicate", "error.duplicate");
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_reference",
                "error.reference",
            );
        }
        _ => {}
    }
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) | DbErr::Exec(_) | DbErr::Query(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "error.database",
        ),
        _ => INTERNAL,
    }
}

fn ambassador_info(error: &AmbassadorError) -> (StatusCode, &'static str, &'static str) {
    use AmbassadorError as E;
    match error {
        E::Db(e) => db_info(e),
        E::NotFound => (StatusCode::NOT_FOUND, "not_found", "error.not_found"),
        E::InvalidInstance
        | E::InvalidServer
        | E::PrivateAddress(_)
        | E::MastodonServerMissing
        | E::MastodonServerInvalid
        | E::Image { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "error.invalid"),
        E::Unavailable(_)
        | E::DeletionUnsupported(_)
        | E::AccountGone(_)
        | E::NetworkDailyLimit { .. }
        | E::ImageNeedsReconnect(_) => (StatusCode::CONFLICT, "not_allowed_now", "error.workflow"),
        E::StateInvalid => (StatusCode::BAD_REQUEST, "bad_request", "error.bad_request"),
        E::SignInRefused(_) | E::OAuthUnavailable(_) | E::Connector(_) | E::Refused { .. } => {
            (StatusCode::BAD_GATEWAY, "network_failed", "error.network")
        }
        E::Vault(_) => INTERNAL,
        E::Editorial(e) => editorial_info(e),
    }
}

fn account_info(error: &AccountError) -> (StatusCode, &'static str, &'static str) {
    use AccountError as E;
    match error {
        E::InvalidEmail | E::InvalidName | E::Password(_) | E::WrongPassword => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "error.invalid")
        }
        E::EmailTaken | E::Store(StoreError::EmailTaken) => {
            (StatusCode::CONFLICT, "email_taken", "error.email_taken")
        }
        E::NotFound | E::Store(StoreError::NotFound) => {
            (StatusCode::NOT_FOUND, "not_found", "error.not_found")
        }
        E::LastAdmin => (StatusCode::CONFLICT, "last_admin", "error.last_admin"),
        E::Store(StoreError::Db(e)) => db_info(e),
        E::Store(StoreError::Statistics(e)) => statistics_info(e),
        E::Hashing => INTERNAL,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = self.info();
        if info.status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        if matches!(self, AppError::OptInRequired) {
            return Redirect::to("/hub/join").into_response();
        }
        if let AppError::SignInRequired { next } = &self {
            let target = match next.as_deref() {
                Some(next) if crate::routes::is_local_path(next) && next != "/" => {
                    let encoded: String =
                        url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                    format!("/sign-in?next={encoded}")
                }
                _ => "/sign-in".to_owned(),
            };
            let mut response = Redirect::to(&target).into_response();
            response.extensions_mut().insert(info);
            return response;
        }
        let mut response = (
            info.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            info.code,
        )
            .into_response();
        response.extensions_mut().insert(info);
        response
    }
}

/// The result of a handler.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_statistics::StatisticsError;

    fn status(error: impl Into<AppError>) -> StatusCode {
        error.into().info().status
    }

    #[test]
    fn each_domain_error_keeps_its_meaning_as_a_status() {
        let unreachable = || DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        assert_eq!(
            status(chorus_editorial::EditorialError::NotFound),
            StatusCode::NOT_FOUND
        );
        assert_eq!(status(AmbassadorError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status(StatisticsError::Db(unreachable())),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(StoreError::Statistics(StatisticsError::Db(unreachable()))),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(StatisticsError::Interrupted("the task panicked".into())),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status(AccountError::Store(StoreError::Statistics(
                StatisticsError::Interrupted("the task panicked".into())
            ))),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
