use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn uncertain_is_retried_only_where_a_retry_is_harmless() {
    let uncertain = || {
        Err(PublishError::Uncertain {
            detail: "timeout".into(),
            container_id: None,
        })
    };
    assert!(matches!(
        outcome_of(Network::Mastodon, uncertain(), 1, now()),
        Outcome::RetryAt(..)
    ));
    assert!(matches!(
        outcome_of(Network::Bluesky, uncertain(), 1, now()),
        Outcome::RetryAt(..)
    ));
    for network in [Network::X, Network::LinkedIn, Network::Threads] {
        assert!(
            matches!(
                outcome_of(network, uncertain(), 1, now()),
                Outcome::NeedsCheck(_)
            ),
            "{network}"
        );
    }
}

#[test]
fn a_threads_publish_step_without_answer_is_retried_on_its_recorded_container() {
    let uncertain = |container: Option<&str>| {
        Err(PublishError::Uncertain {
            detail: "timeout".into(),
            container_id: container.map(str::to_owned),
        })
    };
    assert!(matches!(
        outcome_of(Network::Threads, uncertain(Some("18000")), 1, now()),
        Outcome::RetryAt(..)
    ));
    assert!(matches!(
        outcome_of(
            Network::Threads,
            uncertain(Some("18000")),
            MAX_ATTEMPTS,
            now()
        ),
        Outcome::NeedsCheck(_)
    ));
    assert!(matches!(
        outcome_of(Network::Threads, uncertain(None), 1, now()),
        Outcome::NeedsCheck(_)
    ));
    assert!(matches!(
        outcome_of(Network::X, uncertain(Some("18000")), 1, now()),
        Outcome::NeedsCheck(_)
    ));
}

#[test]
fn rate_limits_wait_for_the_reset_and_unavailable_backs_off_then_gives_up() {
    let reset = now() + Duration::minutes(7);
    assert_eq!(
        outcome_of(
            Network::X,
            Err(PublishError::RateLimited { retry_at: reset }),
            1,
            now()
        ),
        Outcome::RateLimited(reset)
    );
    let unavailable = || {
        Err(PublishError::Unavailable {
            retryable_before_send: true,
            status: Some(503),
            detail: "down".into(),
        })
    };
    let Outcome::RetryAt(first, _) = outcome_of(Network::X, unavailable(), 1, now()) else {
        panic!()
    };
    let Outcome::RetryAt(second, _) = outcome_of(Network::X, unavailable(), 2, now()) else {
        panic!()
    };
    assert!(second - now() > first - now());
    assert!(matches!(
        outcome_of(Network::X, unavailable(), MAX_ATTEMPTS, now()),
        Outcome::Failed(_)
    ));
}

#[test]
fn a_duplicate_after_a_retry_needs_a_check_and_401_asks_to_reconnect() {
    let duplicate = || {
        Err(PublishError::Duplicate {
            message: "duplicate".into(),
        })
    };
    assert!(matches!(
        outcome_of(Network::X, duplicate(), 1, now()),
        Outcome::Failed(_)
    ));
    assert!(matches!(
        outcome_of(Network::X, duplicate(), 2, now()),
        Outcome::NeedsCheck(_)
    ));
    assert!(matches!(
        outcome_of(
            Network::X,
            Err(PublishError::Unauthorized {
                message: "expired".into()
            }),
            1,
            now()
        ),
        Outcome::Reconnect(_)
    ));
}
