//! The X connector against the stand-in: OAuth with mandatory PKCE for confidential (Basic) and
//! public clients, rotating refresh tokens, `/2/users/me`, posts and X's refusals.

use chorus_ambassador::connectors::{
    AppCredentials, ConnectorError, Pkce, PublishError, Secret, X, XEndpoints,
};
use chorus_ambassador::policy::{Network, scopes};
use chorus_tests::standins::{self, Fault, OAuthClient, StandIn};

use crate::{REDIRECT, account, base, consent, failed, http, post};

fn connector(x: &StandIn<standins::X>) -> X {
    X::new(http(), XEndpoints::at(&base(x)))
}

fn app_of(client: &OAuthClient) -> AppCredentials {
    AppCredentials {
        client_id: client.client_id.clone(),
        client_secret: client.client_secret.clone().map(Secret::new),
    }
}

async fn connect(
    x: &StandIn<standins::X>,
    app: &AppCredentials,
) -> chorus_ambassador::connectors::TokenSet {
    let connector = connector(x);
    let pkce = Pkce::generate();
    let authorize = connector.authorize_url(app, REDIRECT, "state-x", &pkce.challenge);
    let (code, state) = consent(&authorize).await;
    assert_eq!(state, "state-x");
    connector
        .exchange_code(app, REDIRECT, &code, &pkce.verifier)
        .await
        .unwrap()
}

#[tokio::test]
async fn x_connects_a_confidential_client_with_basic_auth_and_pkce() {
    let x = StandIn::<standins::X>::start().await;
    let app = app_of(&x.default_client());
    let tokens = connect(&x, &app).await;
    assert_eq!(
        x.authorizations().last().unwrap().scopes,
        scopes(Network::X)
    );
    let token_request = x
        .requests()
        .into_iter()
        .find(|request| request.path == "/2/oauth2/token")
        .unwrap();
    assert!(
        token_request
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(token_request.body.contains("code_verifier="));
    assert!(tokens.refresh_token.is_some(), "offline.access gives one");
    assert!(tokens.expires_at.is_some());

    let identity = connector(&x).identity(&tokens.access_token).await.unwrap();
    let alice = x.default_user();
    assert_eq!(
        (identity.external_id.as_str(), identity.handle.as_str()),
        (alice.id.as_str(), "alice")
    );
    assert_eq!(identity.profile_url.as_deref(), Some("https://x.com/alice"));
}

#[tokio::test]
async fn x_connects_a_public_client_with_its_id_in_the_body() {
    let x = StandIn::<standins::X>::start().await;
    let app = app_of(&x.register_public_client(REDIRECT));
    assert!(app.client_secret.is_none());
    let tokens = connect(&x, &app).await;
    connector(&x).identity(&tokens.access_token).await.unwrap();
}

#[tokio::test]
async fn x_refresh_tokens_rotate_and_the_old_one_is_refused_afterwards() {
    let x = StandIn::<standins::X>::start().await;
    let app = app_of(&x.default_client());
    let connector = connector(&x);
    let first = connect(&x, &app).await;
    let second = connector.refresh(&app, &first).await.unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert!(second.refresh_token.is_some());
    connector.identity(&second.access_token).await.unwrap();

    let reused = connector.refresh(&app, &first).await.unwrap_err();
    assert!(matches!(reused, ConnectorError::Refused { .. }), "{reused}");
    crate::assert_no_token(&reused, first.refresh_token.as_ref().unwrap().expose());
    let third = connector.refresh(&app, &second).await.unwrap();
    assert!(third.refresh_token.is_some());

    connector.revoke(&app, &third.access_token).await.unwrap();
    let revoked = connector.identity(&third.access_token).await.unwrap_err();
    assert!(
        matches!(revoked, ConnectorError::Unauthorized { .. }),
        "{revoked}"
    );
}

#[tokio::test]
async fn x_publishes_the_text_as_typed_and_links_to_the_post() {
    let x = StandIn::<standins::X>::start().await;
    let alice = x.default_user();
    let account = account(&alice, &x.issue_token(&alice, scopes(Network::X)));
    let text = "Nouveau billet ✨ https://example.com/a #rust (v2) @chorus";
    let published = connector(&x).publish(&account, &post(text)).await.unwrap();
    let posts = x.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].text, text);
    assert_eq!(published.external_id, posts[0].id);
    assert_eq!(
        published.url,
        format!("https://x.com/alice/status/{}", posts[0].id)
    );
}

#[tokio::test]
async fn x_duplicate_content_is_a_duplicate_and_other_refusals_keep_xs_words() {
    let x = StandIn::<standins::X>::start().await;
    let alice = x.default_user();
    let account = account(&alice, &x.issue_token(&alice, scopes(Network::X)));
    let connector = connector(&x);
    connector.publish(&account, &post("Once")).await.unwrap();
    let error = failed(connector.publish(&account, &post("Once")).await, &account);
    assert_eq!(
        error,
        PublishError::Duplicate {
            message: "You are not allowed to create a Tweet with duplicate content.".to_owned()
        }
    );
    let error = failed(
        connector.publish(&account, &post(&"a".repeat(281))).await,
        &account,
    );
    assert_eq!(
        error,
        PublishError::Rejected {
            message: "$.text: weighted length 281 is longer than 280".to_owned()
        }
    );
    let read_only = crate::account(
        &alice,
        &x.issue_token(&alice, &["tweet.read", "users.read"]),
    );
    let error = failed(connector.publish(&read_only, &post("Hi")).await, &read_only);
    assert_eq!(
        error,
        PublishError::Rejected {
            message: "Forbidden".to_owned()
        }
    );
    assert_eq!(x.posts().len(), 1);
}

#[tokio::test]
async fn x_throttling_waits_for_the_epoch_reset() {
    let x = StandIn::<standins::X>::start().await;
    let alice = x.default_user();
    let account = account(&alice, &x.issue_token(&alice, scopes(Network::X)));
    x.fail_next(Fault::RateLimited {
        reset_after_secs: 900,
    });
    let error = failed(connector(&x).publish(&account, &post("Hi")).await, &account);
    assert_eq!(
        error,
        PublishError::RateLimited {
            retry_at: x.now() + chrono::TimeDelta::seconds(900)
        }
    );
    // The stand-in's own window: 429 after the configured count, with its real reset.
    x.configure(|settings| settings.posts_per_window = 1);
    connector(&x).publish(&account, &post("One")).await.unwrap();
    let error = failed(
        connector(&x).publish(&account, &post("Two")).await,
        &account,
    );
    assert!(matches!(error, PublishError::RateLimited { retry_at } if retry_at > x.now()));
}

#[tokio::test]
async fn an_expired_x_token_asks_for_a_refresh_or_reconnection() {
    let x = StandIn::<standins::X>::start().await;
    let alice = x.default_user();
    let account = account(&alice, &x.issue_token(&alice, scopes(Network::X)));
    x.fail_next(Fault::ExpiredToken);
    let error = failed(connector(&x).publish(&account, &post("Hi")).await, &account);
    assert!(
        matches!(error, PublishError::Unauthorized { .. }),
        "{error}"
    );
    x.advance_clock(std::time::Duration::from_secs(3 * 3600));
    let later = crate::account(&alice, &x.issue_token(&alice, scopes(Network::X)));
    x.advance_clock(std::time::Duration::from_secs(3 * 3600));
    let error = failed(connector(&x).publish(&later, &post("Hi")).await, &later);
    assert!(
        matches!(error, PublishError::Unauthorized { .. }),
        "2-hour tokens end"
    );
}

#[tokio::test]
async fn after_an_uncertain_x_post_a_retry_is_refused_as_a_duplicate() {
    let x = StandIn::<standins::X>::start().await;
    let alice = x.default_user();
    let account = account(&alice, &x.issue_token(&alice, scopes(Network::X)));
    let connector = connector(&x);
    x.fail_next(Fault::DropAfterProcessing);
    let first = failed(connector.publish(&account, &post("Maybe")).await, &account);
    assert!(matches!(first, PublishError::Uncertain { .. }), "{first}");
    let retry = failed(connector.publish(&account, &post("Maybe")).await, &account);
    assert!(
        matches!(retry, PublishError::Duplicate { .. }),
        "the first attempt made it: {retry}"
    );
    assert_eq!(x.posts().len(), 1);
}
