//! The one place where errors become HTTP answers.
//!
//! Policy: the full error chain goes to the log with the request id; the person gets a page (or,
//! under `/api/`, a JSON body `{"error": "snake_case_code", "message": "..."}`) that says what
//! happened and what to do next, in their language, with the right status. Internal details
//! never reach the page.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

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
    /// A state-changing request without a valid CSRF token or from another site.
    #[error("CSRF check failed")]
    CsrfRejected,
    /// The body is larger than Chorus accepts.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The method is not allowed on this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error("template error: {0:?}")]
    Render(#[from] tera::Error),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the error-page layer needs to render an error in the person's language.
#[derive(Debug, Clone, Copy)]
pub struct ErrorInfo {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code for the API.
    pub code: &'static str,
    /// Translation key of the title; the explanation is `<key>_help`.
    pub message_key: &'static str,
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
            AppError::Store(StoreError::Db(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "error.database",
            ),
            AppError::Render(_) | AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "error.internal",
            ),
        };
        ErrorInfo {
            status,
            code,
            message_key,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = self.info();
        if info.status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        if let AppError::SignInRequired { next } = &self {
            let target = match next.as_deref() {
                Some(next) if next.starts_with('/') && !next.starts_with("//") && next != "/" => {
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
