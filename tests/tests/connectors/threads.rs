//! The Threads connector against the stand-in: OAuth with comma-separated scopes, the short token
//! exchanged for the 60-day one, its refresh after 24 h, `/me`, the two-step publish with the
//! permalink, the container kept when publishing is uncertain, and Graph errors.

use std::time::Duration;

use chorus_ambassador::connectors::{
    AppCredentials, ConnectorError, ContainerStatus, Pkce, PublishError, Secret, Threads,
    ThreadsEndpoints,
};
use chorus_ambassador::policy::{Network, scopes};
use chorus_tests::standins::{self, Fault, StandIn};

use crate::{REDIRECT, account, base, close_to, consent, failed, http, post};

fn connector(threads: &StandIn<standins::Threads>) -> Threads {
    Threads::new(http(), ThreadsEndpoints::at(&base(threads)))
}

fn member(threads: &StandIn<standins::Threads>) -> chorus_ambassador::connectors::Account {
    let alice = threads.default_user();
    account(
        &alice,
        &threads.issue_token(&alice, scopes(Network::Threads)),
    )
}

fn default_app(threads: &StandIn<standins::Threads>) -> AppCredentials {
    let client = threads.default_client();
    AppCredentials {
        client_id: client.client_id,
        client_secret: client.client_secret.map(Secret::new),
    }
}

#[tokio::test]
async fn threads_connects_with_comma_scopes_and_keeps_the_60_day_token() {
    let threads = StandIn::<standins::Threads>::start().await;
    let app = default_app(&threads);
    let connector = connector(&threads);
    let authorize =
        connector.authorize_url(&app, REDIRECT, "state-th", &Pkce::generate().challenge);
    assert!(
        authorize
            .query()
            .unwrap()
            .contains("scope=threads_basic%2Cthreads_content_publish")
    );
    let (code, state) = consent(&authorize).await;
    assert_eq!(state, "state-th");
    assert_eq!(
        threads.authorizations().last().unwrap().scopes,
        scopes(Network::Threads)
    );
    let tokens = connector
        .exchange_code(&app, REDIRECT, &code, &Pkce::generate().verifier)
        .await
        .unwrap();
    let lifetime = tokens.expires_at.unwrap() - chrono::Utc::now();
    assert!(
        lifetime.num_days() >= 59,
        "the long-lived token: {lifetime}"
    );
    assert!(
        threads
            .requests()
            .iter()
            .any(|request| request.path == "/access_token"
                && request.query.contains("grant_type=th_exchange_token")),
        "exchanged at once"
    );

    let identity = connector.identity(&tokens.access_token).await.unwrap();
    let alice = threads.default_user();
    assert_eq!(
        (identity.external_id.as_str(), identity.handle.as_str()),
        (alice.id.as_str(), "alice")
    );
    assert_eq!(
        identity.profile_url.as_deref(),
        Some("https://www.threads.net/@alice")
    );
}

#[tokio::test]
async fn a_threads_token_refreshes_itself_only_once_24_hours_old() {
    let threads = StandIn::<standins::Threads>::start().await;
    let app = default_app(&threads);
    let connector = connector(&threads);
    let pkce = Pkce::generate();
    let (code, _) = consent(&connector.authorize_url(&app, REDIRECT, "s", &pkce.challenge)).await;
    let tokens = connector
        .exchange_code(&app, REDIRECT, &code, &pkce.verifier)
        .await
        .unwrap();
    let early = connector.refresh(&app, &tokens).await.unwrap_err();
    assert!(
        matches!(&early, ConnectorError::Refused { message, .. } if message.contains("24 hours")),
        "{early}"
    );
    crate::assert_no_token(&early, tokens.access_token.expose());

    threads.advance_clock(Duration::from_secs(25 * 3600));
    let refreshed = connector.refresh(&app, &tokens).await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_eq!(refreshed.scopes, tokens.scopes);
    connector.identity(&refreshed.access_token).await.unwrap();

    let revoke = chorus_ambassador::connectors::Connector::Threads(connector)
        .revoke(&app, &refreshed.access_token)
        .await;
    assert!(matches!(revoke, Err(ConnectorError::Unsupported { .. })));
}

#[tokio::test]
async fn threads_publishes_in_two_steps_and_links_to_the_permalink() {
    let threads = StandIn::<standins::Threads>::start().await;
    let account = member(&threads);
    let mut thread = post("Nouveau billet ✨ #rust (draft)");
    thread.link = Some("https://example.com/a".to_owned());
    let published = connector(&threads)
        .publish(&account, &thread)
        .await
        .unwrap();
    let posts = threads.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].text, thread.text);
    assert_eq!(published.external_id, posts[0].id);
    assert!(
        published
            .url
            .starts_with("https://www.threads.net/@alice/post/D"),
        "{}",
        published.url
    );
    assert!(
        !published.url.contains(&published.external_id),
        "a shortcode, not the id"
    );
    let container = threads
        .requests()
        .into_iter()
        .find(|request| request.path.ends_with("/threads"))
        .unwrap();
    assert!(
        container
            .body
            .contains("link_attachment=https%3A%2F%2Fexample.com%2Fa")
    );
    assert!(container.body.contains("media_type=TEXT"));

    let deleted = connector(&threads)
        .delete(&account, &published.external_id)
        .await;
    assert!(matches!(deleted, Err(PublishError::Unsupported { .. })));
}

#[tokio::test]
async fn a_container_not_ready_in_time_is_given_up_without_a_post() {
    let threads = StandIn::<standins::Threads>::start().await;
    threads.configure(|settings| settings.container_ready_after = Duration::from_secs(3600));
    let account = member(&threads);
    let error = failed(
        connector(&threads).publish(&account, &post("Slow")).await,
        &account,
    );
    assert!(
        matches!(&error, PublishError::Unavailable { detail, .. } if detail.contains("not ready")),
        "{error}"
    );
    assert!(threads.posts().is_empty());
}

#[tokio::test]
async fn an_uncertain_threads_publish_keeps_the_container_to_check_it() {
    let threads = StandIn::<standins::Threads>::start().await;
    let account = member(&threads);
    let connector = connector(&threads);
    threads.fail_next_on("threads_publish", Fault::DropAfterProcessing);
    let error = failed(connector.publish(&account, &post("Maybe")).await, &account);
    let PublishError::Uncertain {
        container_id: Some(container_id),
        ..
    } = error
    else {
        panic!("{error}")
    };
    assert_eq!(threads.posts().len(), 1, "the post was made");
    assert_eq!(
        connector
            .container_status(&account, &container_id)
            .await
            .unwrap(),
        ContainerStatus::Published
    );
    let again = failed(
        connector.publish_container(&account, &container_id).await,
        &account,
    );
    assert!(matches!(again, PublishError::Duplicate { .. }), "{again}");
    assert_eq!(threads.posts().len(), 1);
}

#[tokio::test]
async fn threads_graph_errors_are_classified_by_code() {
    let threads = StandIn::<standins::Threads>::start().await;
    let account = member(&threads);
    let connector = connector(&threads);

    threads.fail_next(Fault::RateLimited {
        reset_after_secs: 60,
    });
    let error = failed(connector.publish(&account, &post("Hi")).await, &account);
    let PublishError::RateLimited { retry_at } = error else {
        panic!("{error}")
    };
    assert!(close_to(
        retry_at,
        chrono::Utc::now() + chrono::TimeDelta::seconds(60)
    ));

    threads.configure(|settings| settings.publish_limit = 0);
    let error = failed(connector.publish(&account, &post("Quota")).await, &account);
    assert!(matches!(error, PublishError::RateLimited { .. }), "{error}");
    threads.configure(|settings| settings.publish_limit = 250);

    let error = failed(
        connector.publish(&account, &post(&"a".repeat(501))).await,
        &account,
    );
    assert_eq!(
        error,
        PublishError::Rejected {
            message: "(#100) Param text must be at most 500 characters long".to_owned()
        }
    );

    threads.fail_next(Fault::ExpiredToken);
    let error = failed(connector.publish(&account, &post("Hi")).await, &account);
    assert!(
        matches!(&error, PublishError::Unauthorized { message } if message.contains("Session has expired")),
        "{error}"
    );
    assert!(threads.posts().is_empty());
}
