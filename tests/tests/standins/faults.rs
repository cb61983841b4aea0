//! Injected faults as a connector sees them: error statuses, throttling in each network's format,
//! slowness, connections dropped before or after the post is made, expired tokens.

use std::time::Duration;

use chorus_tests::standins::{Fault, LinkedIn, Mastodon, StandIn, Threads, X};
use serde_json::{Value, json};

use crate::{header, http, status_json};

async fn mastodon_post(
    mastodon: &StandIn<Mastodon>,
    token: &str,
    key: &str,
) -> reqwest::Result<reqwest::Response> {
    http()
        .post(mastodon.url("/api/v1/statuses"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"status": "Crash-safe hello"}))
        .send()
        .await
}

async fn tweet(x: &StandIn<X>, token: &str, text: &str) -> reqwest::Result<reqwest::Response> {
    tweet_with(&http(), x, token, text).await
}

async fn tweet_with(
    client: &reqwest::Client,
    x: &StandIn<X>,
    token: &str,
    text: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(x.url("/2/tweets"))
        .bearer_auth(token)
        .json(&json!({"text": text}))
        .send()
        .await
}

fn x_token(x: &StandIn<X>) -> String {
    x.issue_token(
        &x.default_user(),
        &["tweet.read", "tweet.write", "users.read", "offline.access"],
    )
    .access_token
}

#[tokio::test]
async fn a_status_fault_answers_once_with_the_networks_error_body() {
    let x = StandIn::<X>::start().await;
    let token = x_token(&x);
    x.fail_next(Fault::Status(503));
    let (status, body) = status_json(tweet(&x, &token, "Hello").await.unwrap()).await;
    assert_eq!(
        (status, body["title"].as_str(), body["status"].as_i64()),
        (503, Some("Service Unavailable"), Some(503))
    );
    assert!(x.posts().is_empty());
    assert_eq!(
        tweet(&x, &token, "Hello").await.unwrap().status(),
        201,
        "only the next request fails"
    );

    let mastodon = StandIn::<Mastodon>::start().await;
    mastodon.fail_next(Fault::Status(500));
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write"])
        .access_token;
    let (status, body) = status_json(mastodon_post(&mastodon, &token, "k").await.unwrap()).await;
    assert_eq!(
        (status, body),
        (500, json!({"error": "Internal Server Error"}))
    );

    let threads = StandIn::<Threads>::start().await;
    threads.fail_next(Fault::Status(502));
    let (status, body) =
        status_json(http().get(threads.url("/v1.0/me")).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (502, Some("OAuthException"))
    );
}

#[tokio::test]
async fn a_rate_limited_fault_uses_each_networks_format() {
    let mastodon = StandIn::<Mastodon>::start().await;
    mastodon.fail_next(Fault::RateLimited {
        reset_after_secs: 60,
    });
    let answer = http()
        .get(mastodon.url("/api/v1/accounts/verify_credentials"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 429);
    let reset =
        chrono::DateTime::parse_from_rfc3339(&header(&answer, "x-ratelimit-reset")).unwrap();
    assert_eq!(
        reset,
        mastodon.now() + chrono::TimeDelta::seconds(60),
        "ISO 8601 time"
    );
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"error": "Too many requests"})
    );

    let x = StandIn::<X>::start().await;
    x.fail_next(Fault::RateLimited {
        reset_after_secs: 60,
    });
    let answer = tweet(&x, &x_token(&x), "Hello").await.unwrap();
    assert_eq!(answer.status(), 429);
    assert_eq!(
        header(&answer, "x-rate-limit-reset"),
        (x.now().timestamp() + 60).to_string(),
        "epoch seconds"
    );
    assert_eq!(header(&answer, "x-rate-limit-remaining"), "0");

    let linkedin = StandIn::<LinkedIn>::start().await;
    linkedin.fail_next(Fault::RateLimited {
        reset_after_secs: 60,
    });
    let answer = http()
        .post(linkedin.url("/rest/posts"))
        .send()
        .await
        .unwrap();
    assert!(
        !answer
            .headers()
            .keys()
            .any(|name| name.as_str().contains("rate"))
    );
    let (status, body) = status_json(answer).await;
    assert_eq!(
        (status, body["serviceErrorCode"].as_i64()),
        (429, Some(101))
    );

    let threads = StandIn::<Threads>::start().await;
    threads.fail_next(Fault::RateLimited {
        reset_after_secs: 60,
    });
    let (status, body) =
        status_json(http().get(threads.url("/v1.0/me")).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(4)),
        "Graph throttling is an error code"
    );
}

#[tokio::test]
async fn a_slow_request_times_the_client_out_but_is_still_processed() {
    let x = StandIn::<X>::start().await;
    let token = x_token(&x);
    x.fail_next(Fault::Slow(Duration::from_millis(200)));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(50))
        .no_proxy()
        .build()
        .unwrap();
    let error = tweet_with(&impatient, &x, &token, "Slow")
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    for _ in 0..100 {
        if !x.posts().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        x.posts().len(),
        1,
        "the server finished the request the client gave up on"
    );
    let answer = tweet_with(&impatient, &x, &token, "Fast").await.unwrap();
    assert_eq!(answer.status(), 201, "only one request is slow");
}

#[tokio::test]
async fn a_dropped_connection_is_a_connection_error_and_nothing_is_posted() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write:statuses"])
        .access_token;
    mastodon.fail_next(Fault::DropConnection);
    let error = mastodon_post(&mastodon, &token, "key-1").await.unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error:?}");
    assert!(mastodon.posts().is_empty());
    assert_eq!(
        mastodon
            .requests()
            .last()
            .unwrap()
            .header("idempotency-key"),
        Some("key-1"),
        "the request was read"
    );

    let answer = mastodon_post(&mastodon, &token, "key-1").await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(mastodon.posts().len(), 1);
}

#[tokio::test]
async fn a_connection_dropped_after_processing_loses_the_answer_but_not_the_post() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write:statuses"])
        .access_token;
    mastodon.fail_next(Fault::DropAfterProcessing);
    let error = mastodon_post(&mastodon, &token, "key-2").await.unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error:?}");
    let posts = mastodon.posts();
    assert_eq!(posts.len(), 1, "the status was created");

    let (status, replay) =
        status_json(mastodon_post(&mastodon, &token, "key-2").await.unwrap()).await;
    assert_eq!(
        (status, replay["id"].as_str()),
        (200, Some(posts[0].id.as_str())),
        "a retry with the key is safe"
    );
    assert_eq!(mastodon.posts().len(), 1);

    let x = StandIn::<X>::start().await;
    let token = x_token(&x);
    x.fail_next(Fault::DropAfterProcessing);
    assert!(tweet(&x, &token, "Once").await.is_err());
    assert_eq!(x.posts().len(), 1);
    assert_eq!(
        tweet(&x, &token, "Once").await.unwrap().status(),
        403,
        "X has no idempotency: a blind retry is a duplicate"
    );
}

#[tokio::test]
async fn an_expired_token_fault_expires_the_token_until_it_is_refreshed() {
    let x = StandIn::<X>::start().await;
    let issued = x.issue_token(
        &x.default_user(),
        &["tweet.read", "tweet.write", "users.read", "offline.access"],
    );
    x.fail_next(Fault::ExpiredToken);
    assert_eq!(
        tweet(&x, &issued.access_token, "Hello")
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        tweet(&x, &issued.access_token, "Hello")
            .await
            .unwrap()
            .status(),
        401,
        "it stays expired"
    );
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", issued.refresh_token.as_deref().unwrap()),
    ];
    let answer = http()
        .post(x.url("/2/oauth2/token"))
        .basic_auth("chorus-client", Some("chorus-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, renewed) = status_json(answer).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(
        tweet(&x, renewed["access_token"].as_str().unwrap(), "Hello")
            .await
            .unwrap()
            .status(),
        201
    );

    let threads = StandIn::<Threads>::start().await;
    let token = threads
        .issue_token(&threads.default_user(), &["threads_basic"])
        .access_token;
    threads.fail_next(Fault::ExpiredToken);
    let url = threads.url(&format!("/v1.0/me?access_token={token}"));
    let (status, body) = status_json(http().get(url).send().await.unwrap()).await;
    assert_eq!(
        (
            status,
            body["error"]["code"].as_i64(),
            body["error"]["error_subcode"].as_i64()
        ),
        (400, Some(190), Some(463))
    );
}

#[tokio::test]
async fn a_fault_can_wait_for_a_given_path() {
    let threads = StandIn::<Threads>::start().await;
    let token = threads
        .issue_token(
            &threads.default_user(),
            &["threads_basic", "threads_content_publish"],
        )
        .access_token;
    threads.fail_next_on("/threads_publish", Fault::DropConnection);
    let form = [
        ("media_type", "TEXT"),
        ("text", "Hello"),
        ("access_token", token.as_str()),
    ];
    let (status, created) = status_json(
        http()
            .post(threads.url("/v1.0/me/threads"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "the container call is not the one that fails");
    let publish = threads.url(&format!(
        "/v1.0/me/threads_publish?creation_id={}&access_token={token}",
        created["id"].as_str().unwrap()
    ));
    assert!(http().post(&publish).send().await.is_err());
    assert!(threads.posts().is_empty());
    assert_eq!(
        http().post(&publish).send().await.unwrap().status(),
        200,
        "the container can still be published"
    );
    assert_eq!(threads.posts().len(), 1);
    let paths: Vec<String> = threads
        .requests()
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/v1.0/me/threads",
            "/v1.0/me/threads_publish",
            "/v1.0/me/threads_publish"
        ]
    );
}
