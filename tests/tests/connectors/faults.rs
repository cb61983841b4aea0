//! Every failure class on every network, through the [`Connector`] enum the queue uses: server
//! errors, connections refused, dropped before or after the post was made, answers slower than
//! the timeout, and revoked authorisations. No error may show the token.

use std::time::Duration;

use chorus_ambassador::connectors::{
    Connector, ConnectorError, LinkedIn, LinkedInEndpoints, Mastodon, MastodonEndpoints,
    PublishError, Threads, ThreadsEndpoints, X, XEndpoints, retry_is_idempotent,
};
use chorus_ambassador::policy::{Network, scopes};
use chorus_tests::standins::{self, Fault, StandIn};
use url::Url;

use crate::{StandInNetwork, account, assert_no_token, base, client, closed_port, failed, post};

/// One connector per network, all pointed at `url` (a stand-in's or a closed port).
fn connector_at(network: Network, url: &Url, timeout: Duration) -> Connector {
    let http = client(timeout);
    match network {
        Network::Mastodon => Connector::Mastodon(Mastodon::new(
            http,
            MastodonEndpoints {
                instance: url.clone(),
            },
        )),
        Network::LinkedIn => Connector::LinkedIn(LinkedIn::new(http, LinkedInEndpoints::at(url))),
        Network::X => Connector::X(X::new(http, XEndpoints::at(url))),
        Network::Threads | Network::Bluesky => {
            Connector::Threads(Threads::new(http, ThreadsEndpoints::at(url)))
        }
    }
}

/// What one publish under `fault` gives on `stand_in`, and how many posts exist `settle` later.
async fn outcome<N: StandInNetwork>(
    stand_in: &StandIn<N>,
    network: Network,
    fault: Fault,
    timeout: Duration,
    settle: Duration,
) -> (PublishError, usize) {
    let connector = connector_at(network, &base(stand_in), timeout);
    assert_eq!(connector.network(), network);
    let user = stand_in.default_user();
    let account = account(&user, &stand_in.issue_token(&user, scopes(network)));
    // Threads creates a harmless container first; the fault is meant for the step that posts.
    let sending_step = match (&fault, network) {
        (Fault::DropConnection | Fault::DropAfterProcessing | Fault::Slow(_), Network::Threads) => {
            "threads_publish"
        }
        _ => "",
    };
    stand_in.fail_next_on(sending_step, fault);
    let error = failed(
        connector.publish(&account, &post("Fault injection")).await,
        &account,
    );
    tokio::time::sleep(settle).await;
    (error, stand_in.posts().len())
}

/// [`outcome`] on each of the four networks.
async fn on_every_network(
    fault: &Fault,
    timeout: Duration,
    settle: Duration,
) -> Vec<(Network, PublishError, usize)> {
    let mastodon = StandIn::<standins::Mastodon>::start().await;
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let x = StandIn::<standins::X>::start().await;
    let threads = StandIn::<standins::Threads>::start().await;
    let (m, l, xx, t) = tokio::join!(
        outcome(&mastodon, Network::Mastodon, fault.clone(), timeout, settle),
        outcome(&linkedin, Network::LinkedIn, fault.clone(), timeout, settle),
        outcome(&x, Network::X, fault.clone(), timeout, settle),
        outcome(&threads, Network::Threads, fault.clone(), timeout, settle),
    );
    vec![
        (Network::Mastodon, m.0, m.1),
        (Network::LinkedIn, l.0, l.1),
        (Network::X, xx.0, xx.1),
        (Network::Threads, t.0, t.1),
    ]
}

const USUAL: Duration = Duration::from_secs(2);

#[tokio::test]
async fn server_errors_are_unavailable_and_nothing_is_posted() {
    for status in [500, 503] {
        for (network, error, posts) in
            on_every_network(&Fault::Status(status), USUAL, Duration::ZERO).await
        {
            assert!(
                matches!(
                    &error,
                    PublishError::Unavailable { retryable_before_send: false, status: Some(s), .. } if *s == status
                ),
                "{network}: {error:?}"
            );
            assert!(error.is_retryable());
            assert_eq!(posts, 0, "{network}");
        }
    }
}

#[tokio::test]
async fn a_connection_dropped_before_the_answer_is_uncertain() {
    for (network, error, posts) in
        on_every_network(&Fault::DropConnection, USUAL, Duration::ZERO).await
    {
        assert!(
            matches!(error, PublishError::Uncertain { .. }),
            "{network}: {error:?}"
        );
        assert_eq!(posts, 0, "{network}: nothing was processed");
    }
}

#[tokio::test]
async fn a_connection_dropped_after_the_post_was_made_is_uncertain() {
    for (network, error, posts) in
        on_every_network(&Fault::DropAfterProcessing, USUAL, Duration::ZERO).await
    {
        let PublishError::Uncertain { container_id, .. } = &error else {
            panic!("{network}: {error:?}")
        };
        assert_eq!(posts, 1, "{network}: the post exists");
        assert_eq!(
            container_id.is_some(),
            network == Network::Threads,
            "{network}"
        );
        assert_eq!(retry_is_idempotent(network), network == Network::Mastodon);
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_uncertain() {
    let slow = Fault::Slow(Duration::from_millis(1200));
    for (network, error, posts) in on_every_network(
        &slow,
        Duration::from_millis(400),
        Duration::from_millis(1500),
    )
    .await
    {
        assert!(
            matches!(&error, PublishError::Uncertain { detail, .. } if detail.contains("timed out")),
            "{network}: {error:?}"
        );
        assert_eq!(posts, 1, "{network}: the server finished the post anyway");
    }
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_and_safe_to_retry() {
    let nowhere = closed_port();
    for network in [
        Network::Mastodon,
        Network::LinkedIn,
        Network::X,
        Network::Threads,
    ] {
        let connector = connector_at(network, &nowhere, USUAL);
        let account = chorus_ambassador::connectors::Account {
            access_token: chorus_ambassador::connectors::Secret::new("token-never-shown-0123"),
            dpop: None,
            external_id: "1".to_owned(),
            handle: "alice".to_owned(),
        };
        let error = failed(connector.publish(&account, &post("Hello")).await, &account);
        assert!(
            matches!(
                error,
                PublishError::Unavailable {
                    retryable_before_send: true,
                    status: None,
                    ..
                }
            ),
            "{network}: {error:?}"
        );
        let identity = connector.identity(&account.access_token).await.unwrap_err();
        assert!(
            matches!(identity, ConnectorError::Unavailable { .. }),
            "{network}: {identity:?}"
        );
        assert_no_token(&identity, account.access_token.expose());
    }
}

#[tokio::test]
async fn an_unauthorised_answer_asks_for_a_reconnection() {
    let mastodon = StandIn::<standins::Mastodon>::start().await;
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let x = StandIn::<standins::X>::start().await;
    let results = [
        outcome(
            &mastodon,
            Network::Mastodon,
            Fault::Status(401),
            USUAL,
            Duration::ZERO,
        )
        .await,
        outcome(
            &linkedin,
            Network::LinkedIn,
            Fault::Status(401),
            USUAL,
            Duration::ZERO,
        )
        .await,
        outcome(&x, Network::X, Fault::Status(401), USUAL, Duration::ZERO).await,
    ];
    for (error, posts) in results {
        assert!(
            matches!(error, PublishError::Unauthorized { .. }),
            "{error:?}"
        );
        assert!(!error.is_retryable());
        assert_eq!(posts, 0);
    }
}
