//! The app-password session of a Bluesky account: `createSession` and `refreshSession`
//! answers read into tokens (their expiry from the access JWT), and refusals in the PDS's words.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::connectors::http::Answer;
use chorus_policy::Network;

use super::Bluesky;
use crate::connectors::{ConnectorError, PublishError, Secret, TokenSet};

/// `createSession` and `refreshSession` answers. No `Debug`: it holds tokens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionJson {
    pub(super) access_jwt: String,
    pub(super) refresh_jwt: String,
    pub(super) did: String,
    #[serde(default)]
    pub(super) handle: Option<String>,
    #[serde(default)]
    pub(super) did_doc: Option<Value>,
}

pub(super) fn refused(status: u16, message: String) -> ConnectorError {
    ConnectorError::Refused { status, message }
}

/// A failed `createSession`/`refreshSession`/`deleteSession`: throttling and outages keep their
/// class; any refusal carries the PDS's message ("Invalid identifier or password").
pub(super) fn session_failure(answer: &Answer) -> ConnectorError {
    match Bluesky::classify(answer) {
        error @ (PublishError::RateLimited { .. }
        | PublishError::Unavailable { .. }
        | PublishError::Uncertain { .. }) => error.into(),
        PublishError::Unauthorized { message } | PublishError::Rejected { message } => {
            refused(answer.status, message)
        }
        other => refused(answer.status, other.to_string()),
    }
}

pub(super) fn parse_session(answer: &Answer) -> Result<SessionJson, ConnectorError> {
    serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
        detail: "the session answer has no accessJwt, refreshJwt or did".to_owned(),
    })
}

pub(super) fn token_set(session: SessionJson) -> TokenSet {
    TokenSet {
        expires_at: jwt_expiry(&session.access_jwt),
        access_token: Secret::new(session.access_jwt),
        refresh_token: Some(Secret::new(session.refresh_jwt)),
        scopes: chorus_policy::scopes(Network::Bluesky)
            .iter()
            .map(|&scope| scope.to_owned())
            .collect(),
    }
}

/// The `exp` claim of a JWT (read, not verified: it only decides when to refresh).
pub fn jwt_expiry(jwt: &str) -> Option<DateTime<Utc>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}
