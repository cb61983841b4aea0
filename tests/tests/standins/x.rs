//! The X stand-in: PKCE code flow, client authentication, rotating refresh, weighted length,
//! duplicates and the per-user post limit; its images are tested in `x_images.rs`.

use std::time::Duration;

use base64::Engine as _;
use chorus_tests::standins::{OAuthClient, StandIn, X};
use serde_json::{Value, json};

use crate::{header, http, param, pkce_pair, redirect_of, status_json};

#[path = "x_images.rs"]
mod images;

const REDIRECT: &str = "http://127.0.0.1/callback";
const SCOPES: &str = "tweet.read tweet.write users.read offline.access";

async fn code(
    x: &StandIn<X>,
    client: &OAuthClient,
    scope: &str,
    challenge: &str,
    method: &str,
) -> String {
    let mut url = url::Url::parse(&x.url("/i/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "xyz")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", method);
    let redirect = redirect_of(&http(), url.as_str()).await;
    assert_eq!(param(&redirect, "state").as_deref(), Some("xyz"));
    param(&redirect, "code").unwrap_or_else(|| panic!("no code in {redirect}"))
}

/// The token endpoint as a public client (`client_id` in the body).
async fn token_request(x: &StandIn<X>, form: &[(&str, &str)]) -> (u16, Value) {
    status_json(
        http()
            .post(x.url("/2/oauth2/token"))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn tweet(x: &StandIn<X>, token: &str, text: &str) -> reqwest::Response {
    http()
        .post(x.url("/2/tweets"))
        .bearer_auth(token)
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap()
}

fn writer(x: &StandIn<X>) -> String {
    x.issue_token(
        &x.default_user(),
        &["tweet.read", "tweet.write", "users.read"],
    )
    .access_token
}

#[tokio::test]
async fn a_public_client_gets_tokens_and_refresh_tokens_rotate() {
    let x = StandIn::<X>::start().await;
    let client = x.register_public_client(REDIRECT);
    let (verifier, challenge) = pkce_pair();
    let code = code(&x, &client, SCOPES, &challenge, "S256").await;
    let form = [
        ("code", code.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
        ("client_id", &client.client_id),
    ];
    let (status, token) = token_request(&x, &form).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        (token["token_type"].as_str(), token["expires_in"].as_i64()),
        (Some("bearer"), Some(7200))
    );
    assert_eq!(token["scope"], SCOPES);

    let old_refresh = token["refresh_token"].as_str().unwrap();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", old_refresh),
        ("client_id", &client.client_id),
    ];
    let (status, renewed) = token_request(&x, &refresh).await;
    assert_eq!(status, 200);
    assert_ne!(renewed["refresh_token"], token["refresh_token"]);
    let (status, body) = token_request(&x, &refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "the old refresh token is spent"
    );

    let answer = http()
        .get(x.url("/2/users/me"))
        .bearer_auth(renewed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, me) = status_json(answer).await;
    assert_eq!(
        (status, me["data"]["username"].as_str()),
        (200, Some("alice"))
    );
}

#[tokio::test]
async fn pkce_is_mandatory_and_checked_plain_or_s256() {
    let x = StandIn::<X>::start().await;
    let client = x.register_public_client(REDIRECT);
    let url = format!(
        "{}?response_type=code&client_id={}&redirect_uri={REDIRECT}&scope=tweet.read&state=xyz",
        x.url("/i/oauth2/authorize"),
        client.client_id
    );
    let redirect = redirect_of(&http(), &url).await;
    assert_eq!(
        param(&redirect, "error").as_deref(),
        Some("invalid_request"),
        "no code_challenge"
    );

    let (verifier, _) = pkce_pair();
    let (other, _) = pkce_pair();
    let code = code(&x, &client, "tweet.read", &verifier, "plain").await;
    let mut form = vec![
        ("code", code.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", other.as_str()),
        ("client_id", &client.client_id),
    ];
    let (status, body) = token_request(&x, &form).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_description"],
        "Value passed for the authorization code was invalid."
    );
    form[3].1 = &verifier;
    form[2].1 = "http://127.0.0.1/other";
    assert_eq!(
        token_request(&x, &form).await.0,
        400,
        "another redirect_uri"
    );
    form[2].1 = REDIRECT;
    assert_eq!(token_request(&x, &form).await.0, 200);
    assert_eq!(
        token_request(&x, &form).await.0,
        400,
        "a code is single-use"
    );
}

#[tokio::test]
async fn a_code_expires_after_30_seconds_of_the_fake_clock() {
    let x = StandIn::<X>::start().await;
    let client = x.register_public_client(REDIRECT);
    let (verifier, challenge) = pkce_pair();
    let code = code(&x, &client, "tweet.read", &challenge, "S256").await;
    x.advance_clock(Duration::from_secs(30));
    let form = [
        ("code", code.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
        ("client_id", &client.client_id),
    ];
    assert_eq!(token_request(&x, &form).await.0, 400);
}

#[tokio::test]
async fn a_confidential_client_must_authenticate_with_basic() {
    let x = StandIn::<X>::start().await;
    let client = x.default_client();
    let (verifier, challenge) = pkce_pair();
    let code = code(&x, &client, "tweet.read users.read", &challenge, "S256").await;
    let form = [
        ("code", code.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
        ("client_id", &client.client_id),
    ];
    let (status, body) = token_request(&x, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized_client"))
    );

    let basic = base64::engine::general_purpose::STANDARD.encode("chorus-client:chorus-secret");
    let answer = http()
        .post(x.url("/2/oauth2/token"))
        .header("Authorization", format!("Basic {basic}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, token) = status_json(answer).await;
    assert_eq!(status, 200);
    assert!(
        token.get("refresh_token").is_none(),
        "no refresh token without offline.access"
    );

    let access = token["access_token"].as_str().unwrap();
    assert_eq!(
        http()
            .get(x.url("/2/users/me"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    x.advance_clock(Duration::from_secs(7200));
    let (status, body) = status_json(
        http()
            .get(x.url("/2/users/me"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "two hours later");
    assert_eq!(
        body,
        json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let x = StandIn::<X>::start().await;
    let token = writer(&x);
    let basic = base64::engine::general_purpose::STANDARD.encode("chorus-client:chorus-secret");
    let answer = http()
        .post(x.url("/2/oauth2/revoke"))
        .header("Authorization", format!("Basic {basic}"))
        .form(&[
            ("token", token.as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(answer).await, (200, json!({"revoked": true})));
    assert_eq!(tweet(&x, &token, "Hello").await.status(), 401);
}

#[tokio::test]
async fn posting_needs_tweet_write_and_answers_201_with_data() {
    let x = StandIn::<X>::start().await;
    let reader = x
        .issue_token(&x.default_user(), &["tweet.read", "users.read"])
        .access_token;
    let (status, body) = status_json(tweet(&x, &reader, "Hello").await).await;
    assert_eq!((status, body["title"].as_str()), (403, Some("Forbidden")));

    let (status, body) = status_json(tweet(&x, &writer(&x), "Hello").await).await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["text"], "Hello");
    assert_eq!(body["data"]["id"].as_str(), Some(x.posts()[0].id.as_str()));
}

#[tokio::test]
async fn the_weighted_length_counts_cjk_twice_and_urls_as_23() {
    let x = StandIn::<X>::start().await;
    let token = writer(&x);
    assert_eq!(tweet(&x, &token, &"字".repeat(140)).await.status(), 201);
    let (status, body) = status_json(tweet(&x, &token, &"字".repeat(141)).await).await;
    assert_eq!(
        (status, body["title"].as_str()),
        (400, Some("Invalid Request"))
    );

    let url = format!("https://example.com/{}", "a".repeat(100));
    assert_eq!(
        tweet(&x, &token, &format!("{} {url}", "b".repeat(256)))
            .await
            .status(),
        201,
        "256 + 1 + 23"
    );
    assert_eq!(
        tweet(&x, &token, &format!("{} {url}", "c".repeat(257)))
            .await
            .status(),
        400
    );
    assert_eq!(
        tweet(&x, &token, &format!("{} example.com", "d".repeat(256)))
            .await
            .status(),
        201,
        "scheme-less URL"
    );
    let emoji = "👨‍👩‍👧‍👦".repeat(140);
    assert_eq!(
        tweet(&x, &token, &emoji).await.status(),
        201,
        "an emoji sequence weighs 2"
    );
    assert_eq!(tweet(&x, &token, "\u{FEFF}nope").await.status(), 400);
}

#[tokio::test]
async fn identical_text_is_refused_as_duplicate_content() {
    let x = StandIn::<X>::start().await;
    let token = writer(&x);
    assert_eq!(tweet(&x, &token, "Same").await.status(), 201);
    let (status, body) = status_json(tweet(&x, &token, "Same").await).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["detail"],
        "You are not allowed to create a Tweet with duplicate content."
    );
    assert_eq!(x.posts().len(), 1);
}

#[tokio::test]
async fn posts_beyond_the_window_limit_get_429_with_an_epoch_reset() {
    let x = StandIn::<X>::start().await;
    x.configure(|settings| settings.posts_per_window = 3);
    let token = writer(&x);
    let reset = (x.now() + chrono::TimeDelta::minutes(15))
        .timestamp()
        .to_string();
    for (n, remaining) in ["2", "1", "0"].into_iter().enumerate() {
        let answer = tweet(&x, &token, &format!("post {n}")).await;
        assert_eq!(answer.status(), 201);
        assert_eq!(header(&answer, "x-rate-limit-limit"), "3");
        assert_eq!(header(&answer, "x-rate-limit-remaining"), remaining);
        assert_eq!(header(&answer, "x-rate-limit-reset"), reset);
    }
    let answer = tweet(&x, &token, "one too many").await;
    assert_eq!(
        (
            answer.status().as_u16(),
            header(&answer, "x-rate-limit-reset")
        ),
        (429, reset)
    );
    assert!(answer.headers().get("retry-after").is_none());
    assert_eq!(answer.json::<Value>().await.unwrap()["status"], 429);

    x.advance_clock(Duration::from_secs(15 * 60));
    assert_eq!(tweet(&x, &token, "one too many").await.status(), 201);
    assert_eq!(x.posts().len(), 4);
}

#[tokio::test]
async fn the_twitter_text_vectors_weigh_as_documented() {
    let x = StandIn::<X>::start().await;
    let token = writer(&x);
    for (vector, weight) in [
        ("Hi http://test.co", 26),
        ("H🐱☺👨‍👩‍👧‍👦", 7),
        ("🙋🏽👨‍🎤", 4),
        ("1⃣", 2),
        ("…", 2),
    ] {
        let fits = format!("{} {vector}", "a".repeat(279 - weight));
        assert_eq!(
            tweet(&x, &token, &fits).await.status(),
            201,
            "{vector} weighs {weight}"
        );
        let over = format!("{} {vector}", "b".repeat(280 - weight));
        assert_eq!(
            tweet(&x, &token, &over).await.status(),
            400,
            "{vector} weighs {weight}"
        );
    }
}
