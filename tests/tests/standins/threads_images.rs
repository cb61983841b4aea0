//! The Threads stand-in's IMAGE containers: their parameters, the image fetched for real from
//! `image_url` (served here by a tiny site), IN_PROGRESS then FINISHED then published with the
//! image, and ERROR with a reason when the image cannot be taken.

use chorus_tests::TINY_PNG;
use chorus_tests::standins::{ReceivedImage, StandIn, Threads};
use chorus_tests::web::Site;
use serde_json::Value;

use crate::{http, status_json};

fn token(threads: &StandIn<Threads>) -> String {
    threads
        .issue_token(
            &threads.default_user(),
            &["threads_basic", "threads_content_publish"],
        )
        .access_token
}

/// `POST /v1.0/me/threads` with these form fields and the token.
async fn create(threads: &StandIn<Threads>, token: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut form = form.to_vec();
    form.push(("access_token", token));
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

async fn status_of(threads: &StandIn<Threads>, token: &str, id: &str) -> Value {
    let url = threads.url(&format!(
        "/v1.0/{id}?fields=status,error_message&access_token={token}"
    ));
    let (status, body) = status_json(http().get(url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn publish(threads: &StandIn<Threads>, token: &str, creation_id: &str) -> (u16, Value) {
    let url = threads.url(&format!(
        "/v1.0/me/threads_publish?creation_id={creation_id}&access_token={token}"
    ));
    status_json(http().post(url).send().await.unwrap()).await
}

#[tokio::test]
async fn an_image_container_fetches_its_image_finishes_after_a_poll_and_publishes_it() {
    let site = Site::start().await;
    site.serve_bytes("/solar.png", "image/png", &TINY_PNG);
    let threads = StandIn::<Threads>::start().await;
    let token = token(&threads);
    let image_url = site.url("/solar.png");
    let (status, created) = create(
        &threads,
        &token,
        &[
            ("media_type", "IMAGE"),
            ("image_url", &image_url),
            ("alt_text", "Solar panels on a roof"),
            ("text", "Our plant https://example.com/a"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        site.hits("/solar.png"),
        1,
        "fetched when the container is made"
    );
    let id = created["id"].as_str().unwrap();

    let (status, body) = publish(&threads, &token, id).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(9007)),
        "not ready yet"
    );
    assert_eq!(
        status_of(&threads, &token, id).await["status"],
        "IN_PROGRESS"
    );
    let finished = status_of(&threads, &token, id).await;
    assert_eq!(finished["status"], "FINISHED");
    assert_eq!(finished["error_message"], Value::Null);

    let (status, published) = publish(&threads, &token, id).await;
    assert_eq!(status, 200, "{published}");
    let posts = threads.posts();
    assert_eq!(posts[0].text, "Our plant https://example.com/a");
    assert_eq!(
        posts[0].images,
        [ReceivedImage {
            mime: "image/png".to_owned(),
            bytes: TINY_PNG.to_vec(),
            alt: "Solar panels on a roof".to_owned(),
        }]
    );
    let media_id = published["id"].as_str().unwrap();
    let url = threads.url(&format!(
        "/v1.0/{media_id}?fields=media_type,alt_text,media_url&access_token={token}"
    ));
    let (_, media) = status_json(http().get(url).send().await.unwrap()).await;
    assert_eq!(
        (media["media_type"].as_str(), media["alt_text"].as_str()),
        (Some("IMAGE"), Some("Solar panels on a roof"))
    );
    assert!(media["media_url"].is_string());

    // A TEXT container is FINISHED at once and its post has no image.
    let (_, text) = create(
        &threads,
        &token,
        &[("media_type", "TEXT"), ("text", "Words")],
    )
    .await;
    assert_eq!(
        publish(&threads, &token, text["id"].as_str().unwrap())
            .await
            .0,
        200
    );
    assert!(threads.posts()[1].images.is_empty());
}

#[tokio::test]
async fn an_image_that_cannot_be_taken_leaves_its_container_in_error() {
    let site = Site::start().await;
    site.serve_bytes("/plan.gif", "image/gif", b"GIF89a\x01\x00\x01\x00");
    let mut large = TINY_PNG.to_vec();
    large.resize(8 * 1024 * 1024 + 1, 0);
    site.serve_bytes("/large.png", "image/png", &large);
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/gone.png", listener.local_addr().unwrap())
    };
    let threads = StandIn::<Threads>::start().await;
    let token = token(&threads);
    for (url, reason) in [
        (unreachable, "could not be reached"),
        (site.url("/missing.png"), "answered HTTP 404"),
        (site.url("/plan.gif"), "not a JPEG or PNG"),
        (site.url("/large.png"), "8 MB"),
    ] {
        let form = [
            ("media_type", "IMAGE"),
            ("image_url", url.as_str()),
            ("alt_text", "A roof"),
        ];
        let (status, created) = create(&threads, &token, &form).await;
        assert_eq!(status, 200, "the container is made: {created}");
        let id = created["id"].as_str().unwrap();
        let body = status_of(&threads, &token, id).await;
        assert_eq!(body["status"], "ERROR", "{url}: {body}");
        let message = body["error_message"].as_str().unwrap();
        assert!(
            message.starts_with("Media download has failed."),
            "{message}"
        );
        assert!(message.contains(reason), "{url}: {message}");
        let (status, body) = publish(&threads, &token, id).await;
        assert_eq!(
            (status, body["error"]["code"].as_i64()),
            (400, Some(100)),
            "{body}"
        );
    }
    assert!(threads.posts().is_empty());
}

#[tokio::test]
async fn an_image_container_needs_its_url_a_short_alt_text_and_no_link_attachment() {
    let site = Site::start().await;
    site.serve_bytes("/solar.png", "image/png", &TINY_PNG);
    let image_url = site.url("/solar.png");
    let threads = StandIn::<Threads>::start().await;
    let token = token(&threads);
    let long_alt = "é".repeat(1001);
    for (form, why) in [
        (
            vec![("media_type", "IMAGE"), ("alt_text", "A roof")],
            "no image_url",
        ),
        (
            vec![
                ("media_type", "IMAGE"),
                ("image_url", image_url.as_str()),
                ("alt_text", long_alt.as_str()),
            ],
            "alt_text over 1,000 characters",
        ),
        (
            vec![
                ("media_type", "IMAGE"),
                ("image_url", image_url.as_str()),
                ("link_attachment", "https://example.com/a"),
            ],
            "link_attachment is for TEXT",
        ),
        (
            vec![("media_type", "VIDEO"), ("video_url", image_url.as_str())],
            "no video here",
        ),
    ] {
        let (status, body) = create(&threads, &token, &form).await;
        assert_eq!(
            (status, body["error"]["code"].as_i64()),
            (400, Some(100)),
            "{why}: {body}"
        );
        assert_eq!(body["error"]["type"], "OAuthException");
    }
    assert_eq!(
        site.hits("/solar.png"),
        0,
        "nothing fetched for a refused container"
    );

    let longest = "é".repeat(1000);
    let form = [
        ("media_type", "IMAGE"),
        ("image_url", image_url.as_str()),
        ("alt_text", longest.as_str()),
    ];
    assert_eq!(create(&threads, &token, &form).await.0, 200);
    let reader = threads
        .issue_token(&threads.default_user(), &["threads_basic"])
        .access_token;
    let (status, body) = create(&threads, &reader, &form).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(10)),
        "threads_content_publish"
    );
}
