//! The LinkedIn connector against the stand-in: OAuth with the secret in the body and a token
//! answer without `token_type`, `userinfo`, the versioned Posts API with escaped commentary, and
//! LinkedIn's refusals (duplicate, retired version, throttling without headers).

use chorus_ambassador::connectors::{
    AppCredentials, ConnectorError, LinkedIn, LinkedInEndpoints, Pkce, PublishError, Secret,
};
use chorus_ambassador::editorial::measure::escape_linkedin_little_text;
use chorus_ambassador::policy::{Network, scopes};
use chorus_tests::standins::{self, Fault, StandIn};

use crate::{REDIRECT, account, base, close_to, consent, failed, http, post};

fn connector(linkedin: &StandIn<standins::LinkedIn>) -> LinkedIn {
    LinkedIn::new(http(), LinkedInEndpoints::at(&base(linkedin)))
}

fn member(linkedin: &StandIn<standins::LinkedIn>) -> chorus_ambassador::connectors::Account {
    let alice = linkedin.default_user();
    account(
        &alice,
        &linkedin.issue_token(&alice, scopes(Network::LinkedIn)),
    )
}

#[tokio::test]
async fn linkedin_connects_even_when_the_token_answer_lacks_token_type() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    linkedin.configure(|settings| settings.omit_token_type = true);
    let client = linkedin.default_client();
    let app = AppCredentials {
        client_id: client.client_id.clone(),
        client_secret: client.client_secret.clone().map(Secret::new),
    };
    let connector = connector(&linkedin);
    let pkce = Pkce::generate();
    let (code, state) =
        consent(&connector.authorize_url(&app, REDIRECT, "state-li", &pkce.challenge)).await;
    assert_eq!(state, "state-li");
    assert_eq!(
        linkedin.authorizations().last().unwrap().scopes,
        scopes(Network::LinkedIn)
    );
    let tokens = connector
        .exchange_code(&app, REDIRECT, &code, &pkce.verifier)
        .await
        .unwrap();
    let expires_in = tokens.expires_at.unwrap() - chrono::Utc::now();
    assert!((59..=60).contains(&expires_in.num_days()), "{expires_in}");
    assert_eq!(tokens.scopes, scopes(Network::LinkedIn));

    let identity = connector.identity(&tokens.access_token).await.unwrap();
    let alice = linkedin.default_user();
    assert_eq!(identity.external_id, alice.id);
    assert_eq!(identity.display_name, alice.name);

    let refresh = connector.refresh(&app, &tokens).await.unwrap_err();
    assert!(
        matches!(refresh, ConnectorError::Unsupported { .. }),
        "{refresh}"
    );
    connector.revoke(&app, &tokens.access_token).await.unwrap();
    let revoked = connector.identity(&tokens.access_token).await.unwrap_err();
    assert!(
        matches!(revoked, ConnectorError::Unauthorized { .. }),
        "{revoked}"
    );
}

#[tokio::test]
async fn linkedin_commentary_is_escaped_and_arrives_whole_with_the_article() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let account = member(&linkedin);
    let text = r"Launch (beta) of #rust @team [v2] {x} <y> *b* _i_ ~s~ a|b \ done";
    let mut share = post(text);
    share.link = Some("https://example.com/a".to_owned());
    share.link_title = Some("Our launch".to_owned());
    let published = connector(&linkedin)
        .publish(&account, &share)
        .await
        .unwrap();

    let posts = linkedin.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].text,
        escape_linkedin_little_text(text),
        "not truncated"
    );
    assert!(posts[0].text.ends_with("done"));
    assert_eq!(published.external_id, posts[0].id);
    assert_eq!(
        published.url,
        format!("https://www.linkedin.com/feed/update/{}/", posts[0].id)
    );
    let request = linkedin.requests().pop().unwrap();
    assert_eq!(request.header("linkedin-version"), Some("202604"));
    assert_eq!(request.header("x-restli-protocol-version"), Some("2.0.0"));
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body["author"],
        format!("urn:li:person:{}", account.external_id)
    );
    assert_eq!(
        body["content"]["article"],
        serde_json::json!({"source": "https://example.com/a", "title": "Our launch"})
    );
}

#[tokio::test]
async fn linkedin_duplicates_and_refusals_keep_linkedins_words() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let account = member(&linkedin);
    let connector = connector(&linkedin);
    connector
        .publish(&account, &post("Same words"))
        .await
        .unwrap();
    let error = failed(
        connector.publish(&account, &post("Same words")).await,
        &account,
    );
    assert!(
        matches!(&error, PublishError::Duplicate { message } if message.contains("duplicate of urn:li:share:")),
        "{error}"
    );
    let error = failed(
        connector.publish(&account, &post(&"a".repeat(3001))).await,
        &account,
    );
    assert!(
        matches!(&error, PublishError::Rejected { message } if message.contains("greater than the maximum allowed 3000")),
        "{error}"
    );
    assert_eq!(linkedin.posts().len(), 1);
}

#[tokio::test]
async fn a_retired_linkedin_version_tells_the_admin_to_update_it() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let account = member(&linkedin);
    let connector = LinkedIn::new(
        http(),
        LinkedInEndpoints {
            version: "202401".to_owned(),
            ..LinkedInEndpoints::at(&base(&linkedin))
        },
    );
    let error = failed(connector.publish(&account, &post("Hello")).await, &account);
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
    assert!(linkedin.posts().is_empty());
}

#[tokio::test]
async fn linkedin_throttling_without_headers_backs_off_a_minute() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let account = member(&linkedin);
    linkedin.fail_next(Fault::RateLimited {
        reset_after_secs: 30,
    });
    let error = failed(
        connector(&linkedin).publish(&account, &post("Hello")).await,
        &account,
    );
    let PublishError::RateLimited { retry_at } = error else {
        panic!("{error}")
    };
    assert!(close_to(
        retry_at,
        chrono::Utc::now() + chrono::TimeDelta::seconds(60)
    ));
    // And the member's daily quota, answered the same way.
    linkedin.configure(|settings| settings.daily_post_limit = 1);
    connector(&linkedin)
        .publish(&account, &post("One"))
        .await
        .unwrap();
    let error = failed(
        connector(&linkedin).publish(&account, &post("Two")).await,
        &account,
    );
    assert!(matches!(error, PublishError::RateLimited { .. }), "{error}");
}

#[tokio::test]
async fn an_expired_linkedin_token_asks_for_a_reconnection() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let account = member(&linkedin);
    linkedin.fail_next(Fault::ExpiredToken);
    let error = failed(
        connector(&linkedin).publish(&account, &post("Hello")).await,
        &account,
    );
    assert_eq!(
        error,
        PublishError::Unauthorized {
            message: "Invalid access token".to_owned()
        }
    );
    let again = failed(
        connector(&linkedin).publish(&account, &post("Hello")).await,
        &account,
    );
    assert!(
        matches!(again, PublishError::Unauthorized { .. }),
        "it stays expired"
    );
}

#[tokio::test]
async fn after_an_uncertain_linkedin_post_a_retry_is_refused_as_a_duplicate() {
    let linkedin = StandIn::<standins::LinkedIn>::start().await;
    let account = member(&linkedin);
    let connector = connector(&linkedin);
    linkedin.fail_next(Fault::DropAfterProcessing);
    let first = failed(
        connector.publish(&account, &post("Maybe (1)")).await,
        &account,
    );
    assert!(matches!(first, PublishError::Uncertain { .. }), "{first}");
    let retry = failed(
        connector.publish(&account, &post("Maybe (1)")).await,
        &account,
    );
    assert!(
        matches!(retry, PublishError::Duplicate { .. }),
        "the first attempt made it: {retry}"
    );
    assert_eq!(linkedin.posts().len(), 1);
}
