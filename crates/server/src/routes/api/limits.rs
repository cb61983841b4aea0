//! Rate limits of the API: each token may make `api_requests_per_minute` calls per clock minute
//! in each process (600 unless configured; with several processes behind one address, each
//! counts its own calls). Every answer says where the caller stands, in the IETF
//! `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers); a call
//! over the limit is answered 429 with `Retry-After` and a problem document. The count is kept
//! in memory by token id, once the token is found live; every value that is no live token
//! shares one count, so made-up tokens neither grow the table nor reach the database more
//! than the limit allows. While that count is spent, a token this process has already found
//! live (known by a hash, never the token itself) is still looked up and served.

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

/// Whose calls a count holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counted {
    /// A live token's (its id).
    Token(i32),
    /// Every value presented that is no live token.
    Unknown,
}

/// The counts of the current minute, by token.
#[derive(Debug, Default)]
pub struct Limits {
    windows: Mutex<HashMap<Counted, (i64, u32)>>,
    /// SHA-256 of the values found to be live tokens.
    known: Mutex<std::collections::HashSet<[u8; 32]>>,
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
    /// Whether `presented` was found to be a live token before.
    fn is_known(&self, presented: &[u8; 32]) -> bool {
        self.known
            .lock()
            .is_ok_and(|known| known.contains(presented))
    }

    /// Notes that `presented` is a live token.
    fn know(&self, presented: [u8; 32]) {
        if let Ok(mut known) = self.known.lock() {
            if known.len() > KEPT {
                known.clear();
            }
            known.insert(presented);
        }
    }

    /// Where `key` stands at `now`, without counting a call.
    pub fn peek(&self, key: Counted, per_minute: u32, now: i64) -> Standing {
        let minute = now.div_euclid(60);
        let reset = 60 - now.rem_euclid(60);
        let used = self
            .windows
            .lock()
            .ok()
            .and_then(|windows| windows.get(&key).copied())
            .filter(|(at, _)| *at == minute)
            .map_or(0, |(_, used)| used);
        Standing {
            allowed: used < per_minute,
            remaining: per_minute.saturating_sub(used),
            reset,
        }
    }

    /// Counts one call of `key` at `now` (seconds since the epoch) against `per_minute`.
    pub fn take(&self, key: Counted, per_minute: u32, now: i64) -> Standing {
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

/// The middleware: finds the token of each call carrying one (the handlers' [`Caller`] reads
/// it from there), counts the call, and answers 429 over the limit.
///
/// [`Caller`]: super::caller::Caller
pub async fn limit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let presented: Option<[u8; 32]> = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| sha2::Sha256::digest(token.trim().as_bytes()).into());
    let Some(presented) = presented else {
        return next.run(request).await;
    };
    let per_minute = app.config.api_requests_per_minute;
    let now = Utc::now().timestamp();
    let limits = &app.api_limits;
    // Made-up values are counted before they reach the database; a live token after.
    let look_up =
        limits.peek(Counted::Unknown, per_minute, now).allowed || limits.is_known(&presented);
    let (mut parts, body) = request.into_parts();
    let found = if look_up {
        <super::caller::Caller as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &app,
        )
        .await
        .ok()
    } else {
        None
    };
    let request = Request::from_parts(parts, body);
    let key = match found {
        Some(caller) => {
            limits.know(presented);
            Counted::Token(caller.token.id)
        }
        None => Counted::Unknown,
    };
    let standing = limits.take(key, per_minute, now);
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
            let standing = limits.take(Counted::Token(1), 3, start + n);
            assert!(standing.allowed);
            assert_eq!(standing.remaining, u32::try_from(2 - n).unwrap());
        }
        assert!(!limits.peek(Counted::Token(1), 3, start + 10).allowed);
        let over = limits.take(Counted::Token(1), 3, start + 10);
        assert_eq!(
            over,
            Standing {
                allowed: false,
                remaining: 0,
                reset: 50
            }
        );
        assert!(
            limits.take(Counted::Token(2), 3, start + 10).allowed,
            "another token"
        );
        assert!(
            limits.take(Counted::Unknown, 3, start + 10).allowed,
            "made-up ones"
        );
        assert!(
            limits.take(Counted::Token(1), 3, start + 60).allowed,
            "the next minute"
        );
    }
}
