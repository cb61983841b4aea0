//! The Threads stand-in: short and long-lived tokens, the two-step publish, containers' life,
//! permalinks, link and length limits, the publishing quota and Graph errors; IMAGE containers
//! are tested in `threads_images.rs`.

use std::time::Duration;

use chorus_tests::standins::{StandIn, Threads};
use serde_json::Value;

use crate::{http, param, redirect_of, status_json};

#[path = "threads_images.rs"]
mod images;

const REDIRECT: &str = "http://127.0.0.1/callback";

fn token(threads: &StandIn<Threads>) -> String {
    threads
        .issue_token(
            &threads.default_user(),
            &["threads_basic", "threads_content_publish"],
        )
        .access_token
}

async fn container(threads: &StandIn<Threads>, token: &str, text: &str) -> (u16, Value) {
    let form = [
        ("media_type", "TEXT"),
        ("text", text),
        ("access_token", token),
    ];
    status_json(
        http()
            .post(threads.url("/v1.0/me/threads"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn publish(threads: &StandIn<Threads>, token: &str, creation_id: &str) -> (u16, Value) {
    let url = threads.url(&format!(
        "/v1.0/me/threads_publish?creation_id={creation_id}&access_token={token}"
    ));
    status_json(http().post(url).send().await.unwrap()).await
}

async fn read(threads: &StandIn<Threads>, token: &str, id: &str, fields: &str) -> (u16, Value) {
    let url = threads.url(&format!("/v1.0/{id}?fields={fields}&access_token={token}"));
    status_json(http().get(url).send().await.unwrap()).await
}

#[tokio::test]
async fn the_short_token_has_no_token_type_and_is_exchanged_for_60_days() {
    let threads = StandIn::<Threads>::start().await;
    let url = format!(
        "{}?client_id=chorus-client&redirect_uri={REDIRECT}&scope=threads_basic,threads_content_publish&response_type=code&state=s",
        threads.url("/oauth/authorize")
    );
    let redirect = redirect_of(&http(), &url).await;
    assert_eq!(redirect.fragment(), Some("_"), "Meta appends #_");
    assert_eq!(
        threads.authorizations()[0].scopes,
        ["threads_basic", "threads_content_publish"]
    );
    let code = param(&redirect, "code").unwrap();
    let form = [
        ("client_id", "chorus-client"),
        ("client_secret", "chorus-secret"),
        ("code", code.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
    ];
    let (status, short) = status_json(
        http()
            .post(threads.url("/oauth/access_token"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{short}");
    assert!(short.get("token_type").is_none());
    assert_eq!(
        short["user_id"].as_u64().unwrap().to_string(),
        threads.default_user().id
    );
    let (status, again) = status_json(
        http()
            .post(threads.url("/oauth/access_token"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, again["error"]["error_subcode"].as_i64()),
        (400, Some(36009))
    );

    let short = short["access_token"].as_str().unwrap();
    let exchange = threads.url(&format!("/access_token?grant_type=th_exchange_token&client_secret=chorus-secret&access_token={short}"));
    let (status, long) = status_json(http().get(exchange).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        (long["token_type"].as_str(), long["expires_in"].as_i64()),
        (Some("bearer"), Some(5_184_000))
    );

    threads.advance_clock(Duration::from_secs(3600));
    let (status, body) = read(&threads, short, "me", "id,username").await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(190)),
        "the short token lives an hour"
    );
    let (status, me) = read(
        &threads,
        long["access_token"].as_str().unwrap(),
        "me",
        "id,username",
    )
    .await;
    assert_eq!((status, me["username"].as_str()), (200, Some("alice")));
}

#[tokio::test]
async fn a_long_lived_token_is_refreshed_only_once_24_hours_old() {
    let threads = StandIn::<Threads>::start().await;
    let token = token(&threads);
    let refresh = |token: &str| {
        threads.url(&format!(
            "/refresh_access_token?grant_type=th_refresh_token&access_token={token}"
        ))
    };
    let (status, body) = status_json(http().get(refresh(&token)).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (400, Some("OAuthException"))
    );

    threads.advance_clock(Duration::from_secs(24 * 3600));
    let (status, renewed) = status_json(http().get(refresh(&token)).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(renewed["expires_in"], 5_184_000);
    let renewed = renewed["access_token"].as_str().unwrap();
    assert_eq!(
        status_json(http().get(refresh(renewed)).send().await.unwrap())
            .await
            .0,
        400,
        "the new token is new"
    );
}

#[tokio::test]
async fn publishing_takes_a_container_then_a_publish_and_the_permalink_has_a_shortcode() {
    let threads = StandIn::<Threads>::start().await;
    let token = token(&threads);
    let (status, created) =
        container(&threads, &token, "Hello Threads https://example.com/a").await;
    assert_eq!(status, 200, "{created}");
    let creation_id = created["id"].as_str().unwrap();
    assert!(threads.posts().is_empty(), "a container is not a post");

    let (status, published) = publish(&threads, &token, creation_id).await;
    assert_eq!(status, 200);
    let media_id = published["id"].as_str().unwrap();
    let (_, media) = read(&threads, &token, media_id, "permalink").await;
    let permalink = media["permalink"].as_str().unwrap();
    let shortcode = permalink.rsplit('/').next().unwrap();
    assert!(permalink.starts_with("https://www.threads.net/@alice/post/"));
    assert_ne!(shortcode, media_id);

    let (status, body) = publish(&threads, &token, creation_id).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(100)),
        "a container publishes once"
    );
    let posts = threads.posts();
    assert_eq!((posts.len(), posts[0].id.as_str()), (1, media_id));
    let (_, status) = read(&threads, &token, creation_id, "status").await;
    assert_eq!(status["status"], "PUBLISHED");
}

#[tokio::test]
async fn containers_finish_after_the_configured_delay_and_expire_after_24_hours() {
    let threads = StandIn::<Threads>::start().await;
    threads.configure(|settings| settings.container_ready_after = Duration::from_secs(30));
    let token = token(&threads);
    let (_, created) = container(&threads, &token, "Slow").await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        read(&threads, &token, id, "status").await.1["status"],
        "IN_PROGRESS"
    );
    let (status, body) = publish(&threads, &token, id).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(9007)));

    threads.advance_clock(Duration::from_secs(30));
    assert_eq!(
        read(&threads, &token, id, "status,error_message").await.1["status"],
        "FINISHED"
    );
    threads.advance_clock(Duration::from_secs(24 * 3600));
    assert_eq!(
        read(&threads, &token, id, "status").await.1["status"],
        "EXPIRED"
    );
    assert_eq!(publish(&threads, &token, id).await.0, 400);
    assert!(threads.posts().is_empty());
}

#[tokio::test]
async fn more_than_five_links_or_500_characters_fail_at_creation() {
    let threads = StandIn::<Threads>::start().await;
    let token = token(&threads);
    let five = (1..=5)
        .map(|n| format!("https://example.com/{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(container(&threads, &token, &five).await.0, 200);
    let (status, body) = container(&threads, &token, &format!("{five} example.org/6")).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("THREADS_API__LINK_LIMIT_EXCEEDED")
    );
    assert_eq!(container(&threads, &token, &"é".repeat(500)).await.0, 200);
    assert_eq!(container(&threads, &token, &"é".repeat(501)).await.0, 400);
}

#[tokio::test]
async fn a_bad_token_gets_the_graph_error_envelope_with_code_190() {
    let threads = StandIn::<Threads>::start().await;
    let (status, body) = container(&threads, "not-a-token", "Hello").await;
    assert_eq!(status, 400);
    let error = &body["error"];
    assert_eq!(
        (error["type"].as_str(), error["code"].as_i64()),
        (Some("OAuthException"), Some(190))
    );
    assert!(error["fbtrace_id"].is_string() && error["message"].is_string());

    let token = token(&threads);
    threads.advance_clock(Duration::from_secs(60 * 24 * 3600));
    let (status, body) = container(&threads, &token, "Hello").await;
    assert_eq!(
        (status, body["error"]["error_subcode"].as_i64()),
        (400, Some(463)),
        "expired"
    );
}

#[tokio::test]
async fn the_publishing_quota_is_counted_over_a_rolling_day() {
    let threads = StandIn::<Threads>::start().await;
    threads.configure(|settings| settings.publish_limit = 2);
    let token = token(&threads);
    for n in 0..2 {
        let (_, created) = container(&threads, &token, &format!("post {n}")).await;
        assert_eq!(
            publish(&threads, &token, created["id"].as_str().unwrap())
                .await
                .0,
            200
        );
        threads.advance_clock(Duration::from_secs(3600));
    }
    let (_, created) = container(&threads, &token, "third").await;
    let third = created["id"].as_str().unwrap().to_owned();
    let (status, body) = publish(&threads, &token, &third).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(9)));
    let url = threads.url(&format!(
        "/v1.0/me/threads_publishing_limit?fields=quota_usage,config&access_token={token}"
    ));
    let (_, limit) = status_json(http().get(url).send().await.unwrap()).await;
    assert_eq!(limit["data"][0]["quota_usage"], 2);
    assert_eq!(limit["data"][0]["config"]["quota_total"], 2);

    threads.advance_clock(Duration::from_secs(22 * 3600 + 1));
    assert_eq!(
        publish(&threads, &token, &third).await.0,
        200,
        "the first publish left the window"
    );
}
