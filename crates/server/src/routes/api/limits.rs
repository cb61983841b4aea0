//! Rate limits of the API: each token may make `api_requests_per_minute` calls per clock minute
//! in each process (600 unless configured). Every answer says where the caller stands, in the
//! IETF `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers); a
//! call over the limit is answered 429 with `Retry-After` and a problem document, before the
//! token is even looked up. The count is kept in memory, by a hash of the presented token (never
//! the token itself).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::Digest as _;

use super::problem::Problem;
use crate::app::AppState;

/// Windows kept before old ones are dropped.
const KEPT: usize = 10_000;

/// The counts of the current minute, by token.
#[derive(Debug, Default)]
pub struct Limits {
    windows: Mutex<HashMap<[u8; 32], (i64, u32)>>,
}

/// Where a caller stands in the current minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Whether this call is allowed.
    pub allowed: bool,
    /// Calls left in the minute after this one.
    pub remaining: u32,
    /// Seconds until the minute ends.
    pub reset: i64,
}

impl Limits {
    /// Counts one call of `token` at `now` (seconds since the epoch) against `per_minute`.
    pub fn take(&self, token: &str, per_minute: u32, now: i64) -> Standing {
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let minute = now.div_euclid(60);
        let reset = 60 - now.rem_euclid(60);
        let Ok(mut windows) = self.windows.lock() else {
            return Standing {
                allowed: true,
                remaining: per_minute,
                reset,
            };
        };
        if windows.len() > KEPT {
            windows.retain(|_, (at, _)| *at == minute);
        }
        let window = windows.entry(key).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        let allowed = window.1 < per_minute;
        if allowed {
            window.1 += 1;
        }
        Standing {
            allowed,
            remaining: per_minute - window.1,
            reset,
        }
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

/// The middleware: counts each call carrying a bearer token, and answers 429 over the limit.
pub async fn limit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let Some(token) = presented else {
        return next.run(request).await;
    };
    let per_minute = app.config.api_requests_per_minute;
    let standing = app
        .api_limits
        .take(&token, per_minute, Utc::now().timestamp());
    let mut response = if standing.allowed {
        next.run(request).await
    } else {
        let mut refused = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "this token may make {per_minute} calls a minute: wait {} s (Retry-After)",
                standing.reset
            ),
        )
        .into_response();
        refused.headers_mut().insert(
            header::RETRY_AFTER,
            header_value(&standing.reset.to_string()),
        );
        refused
    };
    let headers = response.headers_mut();
    headers.insert(
        "ratelimit-policy",
        header_value(&format!("\"per-token\";q={per_minute};w=60")),
    );
    headers.insert(
        "ratelimit",
        header_value(&format!(
            "\"per-token\";r={};t={}",
            standing.remaining, standing.reset
        )),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_has_its_own_minute() {
        let limits = Limits::default();
        let start = 1_800_000_000_i64.div_euclid(60) * 60;
        for n in 0..3 {
            let standing = limits.take("a", 3, start + n);
            assert!(standing.allowed);
            assert_eq!(standing.remaining, u32::try_from(2 - n).unwrap());
        }
        let over = limits.take("a", 3, start + 10);
        assert_eq!(
            over,
            Standing {
                allowed: false,
                remaining: 0,
                reset: 50
            }
        );
        assert!(limits.take("b", 3, start + 10).allowed, "another token");
        assert!(limits.take("a", 3, start + 60).allowed, "the next minute");
    }
}
