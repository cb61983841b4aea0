//! Turning a network's non-success answer into a [`PublishError`]: the one table that decides
//! whether the queue waits, retries, fails with the network's message, or asks for a reconnect.
//!
//! | answer | Mastodon | LinkedIn | X | Threads |
//! |---|---|---|---|---|
//! | 429 | `RateLimited` at `X-RateLimit-Reset` (ISO 8601) | `RateLimited` now + 60 s (no headers) | `RateLimited` at `x-rate-limit-reset` (epoch) | `RateLimited` |
//! | Graph code 4, 9, 17, 32, 613 | | | | `RateLimited` now + 60 s (code 9, the daily publishing quota: + 1 h) |
//! | 401 | `Unauthorized` | `Unauthorized` | `Unauthorized` | `Unauthorized` |
//! | Graph code 190 (any status) | | | | `Unauthorized` |
//! | 426 `NONEXISTENT_VERSION` | | `VersionRetired` | | |
//! | 403 duplicate content | | | `Duplicate` | |
//! | 422 `DUPLICATE_POST` | | `Duplicate` | | |
//! | other 4xx | `Rejected` (`error`) | `Rejected` (`message`) | `Rejected` (`detail`, `errors[].message`, `title`) | `Rejected` (`error.message`) |
//! | Graph code 1, 2 (transient) | | | | `Unavailable` |
//! | 5xx | `Unavailable` | `Unavailable` | `Unavailable` | `Unavailable` |
//!
//! Bluesky: 429 is `RateLimited` at `RateLimit-Reset` (epoch seconds); 401, and 400 with
//! `ExpiredToken` or `InvalidToken` (an expired access token is a 400 there), are
//! `Unauthorized`; other 4xx are `Rejected` with the PDS's `message`; 5xx are `Unavailable`.
//!
//! A `Retry-After` header (seconds), where any network sends one, wins over the defaults.

use chorus_policy::Network;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::error::PublishError;
use super::http::Answer;

/// How long to wait after a 429 that says nothing about its reset (LinkedIn, Threads).
pub const DEFAULT_BACKOFF: TimeDelta = TimeDelta::seconds(60);
/// How long to wait when Threads says the daily publishing quota is used up.
pub const THREADS_QUOTA_BACKOFF: TimeDelta = TimeDelta::hours(1);

/// Graph API codes that mean throttling: app (4), user (17), quota (9), custom (32), call
/// limit (613).
const GRAPH_THROTTLE_CODES: [i64; 5] = [4, 9, 17, 32, 613];

/// Classifies a non-success answer of `network` at time `now`.
pub fn classify(network: Network, answer: &Answer, now: DateTime<Utc>) -> PublishError {
    let body = answer.json();
    if network == Network::Threads
        && let Some(error) = graph_error(network, answer, &body, now)
    {
        return error;
    }
    let status = answer.status;
    if status == 429 {
        return PublishError::RateLimited {
            retry_at: retry_at(network, answer, now),
        };
    }
    if status >= 500 {
        return PublishError::Unavailable {
            retryable_before_send: false,
            status: Some(status),
            detail: format!("HTTP {status}: {}", message(network, &body, status)),
        };
    }
    let message = message(network, &body, status);
    let bluesky_token_error = network == Network::Bluesky
        && status == 400
        && matches!(
            body.get("error").and_then(Value::as_str),
            Some("ExpiredToken" | "InvalidToken")
        );
    if status == 401 || bluesky_token_error {
        return PublishError::Unauthorized { message };
    }
    if network == Network::LinkedIn && (status == 426 || code(&body) == "NONEXISTENT_VERSION") {
        return PublishError::VersionRetired {
            version: requested_version(&message),
        };
    }
    if is_duplicate(network, status, &body, &message) {
        return PublishError::Duplicate { message };
    }
    PublishError::Rejected { message }
}

/// The Graph API error envelope (`{"error":{"message","code",…}}`), which Threads sends with
/// HTTP 400 for throttling and expired tokens alike: the code decides, not the status.
fn graph_error(
    network: Network,
    answer: &Answer,
    body: &Value,
    now: DateTime<Utc>,
) -> Option<PublishError> {
    let error = body.get("error")?;
    let code = error.get("code").and_then(Value::as_i64)?;
    let message = message(network, body, answer.status);
    Some(match code {
        190 | 102 | 2500 => PublishError::Unauthorized { message },
        9 => PublishError::RateLimited {
            retry_at: now + THREADS_QUOTA_BACKOFF,
        },
        code if GRAPH_THROTTLE_CODES.contains(&code) => PublishError::RateLimited {
            retry_at: retry_after(answer, now).unwrap_or(now + DEFAULT_BACKOFF),
        },
        1 | 2 => PublishError::Unavailable {
            retryable_before_send: false,
            status: Some(answer.status),
            detail: format!("Graph error {code}: {message}"),
        },
        _ if answer.status >= 500 || answer.status == 429 => return None,
        _ => PublishError::Rejected { message },
    })
}

/// When a 429 of `network` says the window resets.
pub fn retry_at(network: Network, answer: &Answer, now: DateTime<Utc>) -> DateTime<Utc> {
    let from_headers = match network {
        Network::Mastodon => answer.header("x-ratelimit-reset").and_then(parse_iso_reset),
        Network::X => answer.header("x-rate-limit-reset").and_then(parse_epoch),
        Network::Bluesky => answer.header("ratelimit-reset").and_then(parse_epoch),
        Network::LinkedIn | Network::Threads => None,
    };
    from_headers
        .or_else(|| retry_after(answer, now))
        .unwrap_or(now + DEFAULT_BACKOFF)
}

/// `Retry-After` in seconds.
fn retry_after(answer: &Answer, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let seconds: i64 = answer.header("retry-after")?.trim().parse().ok()?;
    Some(now + TimeDelta::seconds(seconds.max(0)))
}

/// Mastodon's `X-RateLimit-Reset`: an ISO 8601 time such as `2026-05-01T12:05:00.000000Z`.
pub fn parse_iso_reset(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// X's `x-rate-limit-reset` and Bluesky's `RateLimit-Reset`: epoch seconds.
pub fn parse_epoch(value: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(value.trim().parse().ok()?, 0)
}

/// The network's own words for an error, from where each network puts them.
pub fn message(network: Network, body: &Value, status: u16) -> String {
    let text = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty())
            .map(|text| text.trim().to_owned())
    };
    let found = match network {
        Network::Mastodon => text("/error").or_else(|| text("/message")),
        Network::Bluesky => text("/message").or_else(|| text("/error")),
        Network::LinkedIn => text("/message").or_else(|| text("/error_description")),
        Network::X => text("/detail")
            .filter(|detail| !detail.starts_with("One or more parameters"))
            .or_else(|| text("/errors/0/message"))
            .or_else(|| text("/detail"))
            .or_else(|| text("/title")),
        Network::Threads => text("/error/message").or_else(|| text("/error_description")),
    };
    found.unwrap_or_else(|| format!("HTTP {status}"))
}

/// LinkedIn's error `code` ("" when none).
fn code(body: &Value) -> &str {
    body.get("code").and_then(Value::as_str).unwrap_or_default()
}

/// "Requested version 20240401 is not active" → "20240401".
fn requested_version(message: &str) -> String {
    message
        .split_whitespace()
        .find(|word| word.len() >= 6 && word.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .unwrap_or("(unknown)")
        .to_owned()
}

fn is_duplicate(network: Network, status: u16, body: &Value, message: &str) -> bool {
    match network {
        Network::X => status == 403 && message.to_lowercase().contains("duplicate content"),
        Network::LinkedIn => {
            status == 422
                && body
                    .pointer("/errorDetails/inputErrors")
                    .and_then(Value::as_array)
                    .is_some_and(|errors| {
                        errors
                            .iter()
                            .any(|error| error.get("code") == Some(&Value::from("DUPLICATE_POST")))
                    })
        }
        Network::Mastodon | Network::Threads | Network::Bluesky => false,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use serde_json::json;

    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &Value) -> Answer {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Answer {
            status,
            headers: map,
            body: body.to_string(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    #[test]
    fn each_network_rate_limit_reset_is_read_in_its_own_format() {
        let mastodon = answer(
            429,
            &[("x-ratelimit-reset", "2026-05-01T12:05:00.250000Z")],
            &json!({"error": "Too many requests"}),
        );
        assert_eq!(
            classify(Network::Mastodon, &mastodon, now()),
            PublishError::RateLimited {
                retry_at: parse_iso_reset("2026-05-01T12:05:00.25Z").unwrap()
            }
        );
        let x = answer(
            429,
            &[("x-rate-limit-reset", "1780000900")],
            &json!({"title": "Too Many Requests"}),
        );
        assert_eq!(
            classify(Network::X, &x, now()),
            PublishError::RateLimited {
                retry_at: DateTime::from_timestamp(1_780_000_900, 0).unwrap()
            }
        );
        let bluesky = answer(429, &[("ratelimit-reset", "1780000300")], &json!({}));
        assert_eq!(
            retry_at(Network::Bluesky, &bluesky, now()),
            DateTime::from_timestamp(1_780_000_300, 0).unwrap()
        );
        let linkedin = answer(429, &[], &json!({"serviceErrorCode": 101, "status": 429}));
        assert_eq!(
            classify(Network::LinkedIn, &linkedin, now()),
            PublishError::RateLimited {
                retry_at: now() + DEFAULT_BACKOFF
            }
        );
        let with_retry_after = answer(429, &[("retry-after", "120")], &json!({}));
        assert_eq!(
            retry_at(Network::LinkedIn, &with_retry_after, now()),
            now() + TimeDelta::seconds(120)
        );
        let threads = answer(
            400,
            &[],
            &json!({"error": {"message": "(#4) Application request limit reached", "code": 4}}),
        );
        assert_eq!(
            classify(Network::Threads, &threads, now()),
            PublishError::RateLimited {
                retry_at: now() + DEFAULT_BACKOFF
            }
        );
        let quota = answer(
            400,
            &[],
            &json!({"error": {"message": "max posts", "code": 9}}),
        );
        assert_eq!(
            classify(Network::Threads, &quota, now()),
            PublishError::RateLimited {
                retry_at: now() + THREADS_QUOTA_BACKOFF
            }
        );
    }

    #[test]
    fn a_garbled_reset_header_falls_back_to_the_default_backoff() {
        let garbled = answer(429, &[("x-ratelimit-reset", "soon")], &json!({}));
        assert_eq!(
            retry_at(Network::Mastodon, &garbled, now()),
            now() + DEFAULT_BACKOFF
        );
        assert_eq!(parse_epoch("12x"), None);
    }

    #[test]
    fn refusals_carry_the_networks_own_words() {
        let cases = [
            (
                Network::Mastodon,
                422,
                json!({"error": "Validation failed: Text can't be blank"}),
                "Validation failed: Text can't be blank",
            ),
            (
                Network::X,
                400,
                json!({"errors": [{"message": "$.text: weighted length 300 is longer than 280"}],
                       "title": "Invalid Request", "detail": "One or more parameters to your request was invalid."}),
                "$.text: weighted length 300 is longer than 280",
            ),
            (
                Network::X,
                403,
                json!({"title": "Forbidden", "detail": "Forbidden"}),
                "Forbidden",
            ),
            (
                Network::LinkedIn,
                403,
                json!({"status": 403, "message": "Not enough permissions to access: x"}),
                "Not enough permissions to access: x",
            ),
            (
                Network::Threads,
                400,
                json!({"error": {"message": "(#100) Param text must be at most 500 characters long", "code": 100}}),
                "(#100) Param text must be at most 500 characters long",
            ),
        ];
        for (network, status, body, expected) in cases {
            assert_eq!(
                classify(network, &answer(status, &[], &body), now()),
                PublishError::Rejected {
                    message: expected.to_owned()
                },
                "{network}"
            );
        }
    }

    #[test]
    fn duplicates_expired_tokens_retired_versions_and_server_errors_have_their_own_class() {
        let x_duplicate = answer(
            403,
            &[],
            &json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "title": "Forbidden"}),
        );
        assert!(matches!(
            classify(Network::X, &x_duplicate, now()),
            PublishError::Duplicate { .. }
        ));
        let linkedin_duplicate = answer(
            422,
            &[],
            &json!({"message": "Content is a duplicate of urn:li:share:1",
                    "errorDetails": {"inputErrors": [{"code": "DUPLICATE_POST"}]}, "status": 422}),
        );
        assert!(matches!(
            classify(Network::LinkedIn, &linkedin_duplicate, now()),
            PublishError::Duplicate { .. }
        ));
        let retired = answer(
            426,
            &[],
            &json!({"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 202401 is not active"}),
        );
        let error = classify(Network::LinkedIn, &retired, now());
        assert_eq!(
            error,
            PublishError::VersionRetired {
                version: "202401".to_owned()
            }
        );
        assert!(
            error
                .to_string()
                .contains("update the configured LinkedIn version")
        );
        let expired = answer(
            400,
            &[],
            &json!({"error": {"message": "Error validating access token", "code": 190, "error_subcode": 463}}),
        );
        assert!(matches!(
            classify(Network::Threads, &expired, now()),
            PublishError::Unauthorized { .. }
        ));
        for network in [Network::Mastodon, Network::LinkedIn, Network::X] {
            assert!(matches!(
                classify(network, &answer(401, &[], &json!({})), now()),
                PublishError::Unauthorized { .. }
            ));
            assert!(matches!(
                classify(network, &answer(503, &[], &json!({})), now()),
                PublishError::Unavailable {
                    retryable_before_send: false,
                    status: Some(503),
                    ..
                }
            ));
        }
        let expired = answer(
            400,
            &[],
            &json!({"error": "ExpiredToken", "message": "Token has expired"}),
        );
        assert_eq!(
            classify(Network::Bluesky, &expired, now()),
            PublishError::Unauthorized {
                message: "Token has expired".to_owned()
            }
        );
        let invalid = answer(
            400,
            &[],
            &json!({"error": "InvalidRequest", "message": "Record/text must not be longer than 300 graphemes"}),
        );
        assert_eq!(
            classify(Network::Bluesky, &invalid, now()),
            PublishError::Rejected {
                message: "Record/text must not be longer than 300 graphemes".to_owned()
            }
        );
        let transient = answer(500, &[], &json!({"error": {"message": "retry", "code": 2}}));
        assert!(matches!(
            classify(Network::Threads, &transient, now()),
            PublishError::Unavailable { .. }
        ));
    }
}
