//! The Mastodon connector against the stand-in instance: app registration, OAuth with PKCE,
//! identity, statuses with an `Idempotency-Key`, revocation and its failures.

use chorus_ambassador::connectors::{
    AppCredentials, ConnectorError, Mastodon, MastodonEndpoints, Pkce, PublishError, Secret,
    retry_is_idempotent,
};
use chorus_ambassador::policy::{Network, scopes};
use chorus_tests::standins::{self, Fault, StandIn};

use crate::{REDIRECT, account, assert_no_token, base, consent, failed, http, post};

fn connector(instance: &StandIn<standins::Mastodon>) -> Mastodon {
    Mastodon::new(
        http(),
        MastodonEndpoints {
            instance: base(instance),
        },
    )
}

fn policy_token(instance: &StandIn<standins::Mastodon>) -> standins::IssuedToken {
    instance.issue_token(&instance.default_user(), scopes(Network::Mastodon))
}

#[tokio::test]
async fn mastodon_registers_an_app_then_connects_with_pkce_and_policys_scopes() {
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let app = mastodon
        .register_app("Chorus", REDIRECT, Some("https://chorus.example"))
        .await
        .unwrap();
    assert!(app.client_secret.is_some());
    let pkce = Pkce::generate();
    let authorize = mastodon.authorize_url(&app, REDIRECT, "state-mastodon", &pkce.challenge);
    let (code, state) = consent(&authorize).await;
    assert_eq!(state, "state-mastodon");
    let asked = instance.authorizations().last().unwrap().scopes.clone();
    assert_eq!(asked, scopes(Network::Mastodon));

    let tokens = mastodon
        .exchange_code(&app, REDIRECT, &code, &pkce.verifier)
        .await
        .unwrap();
    assert_eq!(tokens.expires_at, None, "Mastodon tokens never expire");
    assert!(tokens.refresh_token.is_none());
    let token_request = instance
        .requests()
        .into_iter()
        .find(|request| request.path == "/oauth/token")
        .unwrap();
    assert!(token_request.body.contains("code_verifier="));

    let identity = mastodon.identity(&tokens.access_token).await.unwrap();
    let alice = instance.default_user();
    assert_eq!(identity.external_id, alice.id);
    assert!(identity.handle.starts_with("alice@127.0.0.1:"));
    assert_eq!(identity.display_name, alice.name);
    assert!(identity.profile_url.unwrap().ends_with("/@alice"));

    // A code is single-use.
    let again = mastodon
        .exchange_code(&app, REDIRECT, &code, &pkce.verifier)
        .await
        .unwrap_err();
    assert!(matches!(again, ConnectorError::Refused { .. }), "{again}");
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused() {
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let app = mastodon
        .register_app("Chorus", REDIRECT, None)
        .await
        .unwrap();
    let pkce = Pkce::generate();
    let (code, _) = consent(&mastodon.authorize_url(&app, REDIRECT, "s", &pkce.challenge)).await;
    let error = mastodon
        .exchange_code(&app, REDIRECT, &code, &Pkce::generate().verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Refused { message, .. } if message.contains("invalid")),
        "{error}"
    );
}

#[tokio::test]
async fn mastodon_publishes_the_text_as_typed_with_its_idempotency_key_and_a_retry_makes_one_post()
{
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let alice = instance.default_user();
    let account = account(&alice, &policy_token(&instance));
    let mut status = post("Nouveau billet ✨ https://example.com/a #rust (draft) <b>");
    status.language = Some("fr".to_owned());

    let published = mastodon.publish(&account, &status).await.unwrap();
    let posts = instance.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].text, status.text);
    assert_eq!(posts[0].id, published.external_id);
    assert_eq!(
        posts[0].idempotency_key.as_deref(),
        Some(status.idempotency_key.as_str())
    );
    assert_eq!(
        published.url,
        format!("{}/@alice/{}", instance.base_url(), published.external_id)
    );
    let request = instance.requests().pop().unwrap();
    assert_eq!(
        request.header("idempotency-key"),
        Some(status.idempotency_key.as_str())
    );
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        (body["visibility"].as_str(), body["language"].as_str()),
        (Some("public"), Some("fr"))
    );

    let retried = mastodon.publish(&account, &status).await.unwrap();
    assert_eq!(retried, published, "the same key gives the same status");
    assert_eq!(instance.posts().len(), 1);
    assert!(retry_is_idempotent(Network::Mastodon));
}

#[tokio::test]
async fn an_uncertain_mastodon_post_is_retried_safely_with_the_same_key() {
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let account = account(&instance.default_user(), &policy_token(&instance));
    let status = post("Crash-safe hello");

    instance.fail_next(Fault::DropAfterProcessing);
    let error = failed(mastodon.publish(&account, &status).await, &account);
    assert!(matches!(error, PublishError::Uncertain { .. }), "{error}");
    assert_eq!(instance.posts().len(), 1, "the instance made the status");

    let retried = mastodon.publish(&account, &status).await.unwrap();
    assert_eq!(retried.external_id, instance.posts()[0].id);
    assert_eq!(instance.posts().len(), 1, "and only one");
}

#[tokio::test]
async fn mastodon_throttling_waits_for_the_iso_8601_reset() {
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let account = account(&instance.default_user(), &policy_token(&instance));
    instance.fail_next(Fault::RateLimited {
        reset_after_secs: 120,
    });
    let error = failed(mastodon.publish(&account, &post("Hello")).await, &account);
    assert_eq!(
        error,
        PublishError::RateLimited {
            retry_at: instance.now() + chrono::TimeDelta::seconds(120)
        }
    );
    assert!(instance.posts().is_empty());
}

#[tokio::test]
async fn mastodon_refusals_carry_the_instances_message() {
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let account = account(&instance.default_user(), &policy_token(&instance));
    let error = failed(mastodon.publish(&account, &post("   ")).await, &account);
    assert_eq!(
        error,
        PublishError::Rejected {
            message: "Validation failed: Text can't be blank".to_owned()
        }
    );
    let long = "a".repeat(501);
    let error = failed(mastodon.publish(&account, &post(&long)).await, &account);
    assert!(
        matches!(&error, PublishError::Rejected { message } if message.contains("character limit of 500")),
        "{error}"
    );
}

#[tokio::test]
async fn a_revoked_or_expired_mastodon_token_asks_for_a_reconnection() {
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let app = mastodon
        .register_app("Chorus", REDIRECT, None)
        .await
        .unwrap();
    let pkce = Pkce::generate();
    let (code, _) = consent(&mastodon.authorize_url(&app, REDIRECT, "s", &pkce.challenge)).await;
    let tokens = mastodon
        .exchange_code(&app, REDIRECT, &code, &pkce.verifier)
        .await
        .unwrap();
    let alice = instance.default_user();
    let account = chorus_ambassador::connectors::Account {
        access_token: tokens.access_token.clone(),
        dpop: None,
        external_id: alice.id.clone(),
        handle: alice.username.clone(),
    };
    mastodon.revoke(&app, &tokens.access_token).await.unwrap();
    let error = failed(mastodon.publish(&account, &post("Hello")).await, &account);
    assert!(
        matches!(&error, PublishError::Unauthorized { message } if message.contains("revoked")),
        "{error}"
    );
    let identity = mastodon.identity(&tokens.access_token).await.unwrap_err();
    assert!(matches!(identity, ConnectorError::Unauthorized { .. }));
    assert_no_token(&identity, tokens.access_token.expose());

    let fresh = crate::account(&alice, &policy_token(&instance));
    instance.fail_next(Fault::ExpiredToken);
    let error = failed(mastodon.publish(&fresh, &post("Hello")).await, &fresh);
    assert!(
        matches!(error, PublishError::Unauthorized { .. }),
        "{error}"
    );

    let wrong_app = AppCredentials {
        client_id: app.client_id.clone(),
        client_secret: Some(Secret::new("not-the-secret")),
    };
    let refused = mastodon.revoke(&wrong_app, &fresh.access_token).await;
    assert!(matches!(refused, Err(ConnectorError::Refused { .. })));
}

#[tokio::test]
async fn an_image_is_uploaded_with_its_description_waited_for_and_attached_and_a_refused_one_fails_the_post()
 {
    use chorus_ambassador::connectors::PostImage;
    let instance = StandIn::<standins::Mastodon>::start().await;
    let mastodon = connector(&instance);
    let alice = instance.default_user();
    let account = account(&alice, &policy_token(&instance));
    let image = PostImage {
        bytes: chorus_tests::TINY_PNG.to_vec(),
        mime: "image/png".to_owned(),
        alt: "Solar panels on a roof in Lyon".to_owned(),
        width: 1,
        height: 1,
        public_url: None,
    };
    let mut status = post("Our plant, in my words");
    status.image = Some(image.clone());
    let published = mastodon.publish(&account, &status).await.unwrap();
    let attachments = instance.attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].description, "Solar panels on a roof in Lyon");
    assert_eq!(attachments[0].content_type, "image/png");
    assert_eq!(attachments[0].bytes, chorus_tests::TINY_PNG);
    assert_eq!(
        attachments[0].status_id.as_deref(),
        Some(published.external_id.as_str()),
        "attached once processed (the stand-in answers 206 twice first)"
    );
    let polls = instance
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/media/"))
        .count();
    assert_eq!(polls, 3, "two answers 206, then 200");

    // What Mastodon does not take fails the post, with the reason: nothing goes without its
    // image.
    for (unfit, reason) in [
        (
            PostImage {
                mime: "image/tiff".to_owned(),
                ..image.clone()
            },
            "Mastodon does not take image/tiff images",
        ),
        (
            PostImage {
                alt: " ".to_owned(),
                ..image.clone()
            },
            "no description",
        ),
        (
            PostImage {
                alt: "é".repeat(1501),
                ..image.clone()
            },
            "1500",
        ),
    ] {
        let mut refused = post("Not without its image");
        refused.image = Some(unfit);
        match mastodon.publish(&account, &refused).await {
            Err(PublishError::Rejected { message }) => {
                assert!(message.contains(reason), "{message}");
            }
            other => panic!("{reason}: {other:?}"),
        }
    }
    assert_eq!(instance.posts().len(), 1, "no post without its image");
}
