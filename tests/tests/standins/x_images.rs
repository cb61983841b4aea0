//! The X stand-in's images: `POST /2/media/upload` (scope, types read from the bytes, 5 MB, rate
//! window), `POST /2/media/metadata` (alt text, the uploader's media only) and `media.media_ids`
//! in a post (known, the author's, at most 4, for 24 hours).

use std::time::Duration;

use chorus_tests::TINY_PNG;
use chorus_tests::standins::{ReceivedImage, StandIn, X};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::{header, http, status_json};

fn token(x: &StandIn<X>, user: &chorus_tests::standins::User, media: bool) -> String {
    let mut scopes = vec!["tweet.read", "tweet.write", "users.read"];
    if media {
        scopes.push("media.write");
    }
    x.issue_token(user, &scopes).access_token
}

/// `POST /2/media/upload` as the connector sends it: the category, the declared type and the
/// file with that type.
async fn upload(x: &StandIn<X>, token: &str, declared: &str, bytes: &[u8]) -> reqwest::Response {
    let form = Form::new()
        .text("media_category", "tweet_image")
        .text("media_type", declared.to_owned())
        .part(
            "media",
            Part::bytes(bytes.to_vec())
                .file_name("image")
                .mime_str(declared)
                .unwrap(),
        );
    http()
        .post(x.url("/2/media/upload"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads the tiny PNG and gives back its media id.
async fn uploaded(x: &StandIn<X>, token: &str) -> String {
    let (status, body) = status_json(upload(x, token, "image/png", &TINY_PNG).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["id"].as_str().unwrap().to_owned()
}

async fn describe(x: &StandIn<X>, token: &str, id: &str, alt: &str) -> (u16, Value) {
    let body = json!({"id": id, "metadata": {"alt_text": {"text": alt}}});
    status_json(
        http()
            .post(x.url("/2/media/metadata"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn tweet(x: &StandIn<X>, token: &str, body: &Value) -> (u16, Value) {
    status_json(
        http()
            .post(x.url("/2/tweets"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A file of `size` bytes that starts as a PNG does.
fn png_of(size: usize) -> Vec<u8> {
    let mut bytes = TINY_PNG.to_vec();
    bytes.resize(size, 0);
    bytes
}

#[tokio::test]
async fn an_image_is_uploaded_described_and_posted_with_its_media_id() {
    let x = StandIn::<X>::start().await;
    let token = token(&x, &x.default_user(), true);
    let answer = upload(&x, &token, "image/png", &TINY_PNG).await;
    assert_eq!(header(&answer, "x-rate-limit-limit"), "500");
    assert_eq!(header(&answer, "x-rate-limit-remaining"), "499");
    assert!(!header(&answer, "x-rate-limit-reset").is_empty());
    let (status, body) = status_json(answer).await;
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["id"].as_str().unwrap();
    assert_eq!(body["data"]["media_key"], format!("3_{id}"));
    assert_eq!(body["data"]["size"], TINY_PNG.len());
    assert_eq!(body["data"]["expires_after_secs"], 86_400);
    assert_eq!(
        body["data"]["image"],
        json!({"image_type": "image/png", "w": 1, "h": 1})
    );

    let (status, described) = describe(&x, &token, id, "Solar panels on a roof").await;
    assert_eq!(status, 200, "{described}");
    assert_eq!(
        described,
        json!({"data": {"id": id, "associated_metadata": {"alt_text": {"text": "Solar panels on a roof"}}}})
    );

    let (status, posted) = tweet(
        &x,
        &token,
        &json!({"text": "Our plant", "media": {"media_ids": [id]}}),
    )
    .await;
    assert_eq!(status, 201, "{posted}");
    let posts = x.posts();
    assert_eq!(
        posts[0].images,
        [ReceivedImage {
            mime: "image/png".to_owned(),
            bytes: TINY_PNG.to_vec(),
            alt: "Solar panels on a roof".to_owned(),
        }]
    );
    let tweet_id = posted["data"]["id"].as_str().unwrap();
    let (_, shown) = status_json(
        http()
            .get(x.url(&format!("/2/tweets/{tweet_id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        shown["data"]["attachments"]["media_keys"],
        json!([format!("3_{id}")])
    );

    // A post of images alone needs no text; a post without images records none.
    let second = uploaded(&x, &token).await;
    let (status, _) = tweet(&x, &token, &json!({"media": {"media_ids": [second]}})).await;
    assert_eq!(status, 201);
    let (status, _) = tweet(&x, &token, &json!({"text": "Words only"})).await;
    assert_eq!(status, 201);
    let posts = x.posts();
    assert_eq!((posts[1].text.as_str(), posts[1].images.len()), ("", 1));
    assert!(posts[2].images.is_empty());
}

#[tokio::test]
async fn uploading_and_describing_need_media_write() {
    let x = StandIn::<X>::start().await;
    let without = token(&x, &x.default_user(), false);
    let answer = upload(&x, &without, "image/png", &TINY_PNG).await;
    assert!(!header(&answer, "x-rate-limit-remaining").is_empty());
    let (status, body) = status_json(answer).await;
    assert_eq!((status, body["title"].as_str()), (403, Some("Forbidden")));

    let id = uploaded(&x, &token(&x, &x.default_user(), true)).await;
    let (status, body) = describe(&x, &without, &id, "A roof").await;
    assert_eq!((status, body["title"].as_str()), (403, Some("Forbidden")));
    let (status, _) = status_json(upload(&x, "not-a-token", "image/png", &TINY_PNG).await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn only_jpeg_png_webp_or_gif_whose_bytes_match_the_declared_type_are_taken() {
    let x = StandIn::<X>::start().await;
    let token = token(&x, &x.default_user(), true);
    let invalid = "https://api.x.com/2/problems/invalid-request";
    for (declared, bytes, why) in [
        ("image/jpeg", TINY_PNG.to_vec(), "a PNG declared as JPEG"),
        ("image/tiff", b"II*\0 a TIFF".to_vec(), "a TIFF"),
        ("image/png", b"<svg/>".to_vec(), "not an image at all"),
    ] {
        let (status, body) = status_json(upload(&x, &token, declared, &bytes).await).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some(invalid)),
            "{why}: {body}"
        );
    }
    let form = Form::new()
        .text("media_category", "tweet_video")
        .part("media", Part::bytes(TINY_PNG.to_vec()).file_name("image"));
    let answer = http()
        .post(x.url("/2/media/upload"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "tweet_image only");
    let answer = http()
        .post(x.url("/2/media/upload"))
        .bearer_auth(&token)
        .json(&json!({"media": "not multipart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "multipart only");

    let gif = b"GIF89a\x02\x00\x03\x00".to_vec();
    let (status, body) = status_json(upload(&x, &token, "image/gif", &gif).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["image"],
        json!({"image_type": "image/gif", "w": 2, "h": 3})
    );
}

#[tokio::test]
async fn an_image_over_5_mb_is_refused() {
    let x = StandIn::<X>::start().await;
    let token = token(&x, &x.default_user(), true);
    let limit = 5 * 1024 * 1024;
    let (status, body) =
        status_json(upload(&x, &token, "image/png", &png_of(limit + 1)).await).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("5242880"), "{body}");
    let (status, body) = status_json(upload(&x, &token, "image/png", &png_of(limit)).await).await;
    assert_eq!(
        (status, body["data"]["size"].as_u64()),
        (200, Some(5_242_880))
    );
}

#[tokio::test]
async fn alt_text_is_at_most_1000_characters_on_the_uploaders_own_media() {
    let x = StandIn::<X>::start().await;
    let token = token(&x, &x.default_user(), true);
    let id = uploaded(&x, &token).await;
    let (status, body) = describe(&x, &token, &id, &"é".repeat(1001)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["title"], "Invalid Request");
    assert_eq!(describe(&x, &token, &id, &"é".repeat(1000)).await.0, 200);

    let (status, body) = describe(&x, &token, "1890000000000000000", "A roof").await;
    assert_eq!(status, 404, "unknown id: {body}");
    let bob = x.add_user("bob");
    let (status, _) = describe(&x, &self::token(&x, &bob, true), &id, "Mine now").await;
    assert_eq!(status, 404, "another user's media");
}

#[tokio::test]
async fn a_post_takes_at_most_four_known_media_ids_of_its_author_for_24_hours() {
    let x = StandIn::<X>::start().await;
    let alice = token(&x, &x.default_user(), true);
    let not_found = "$.media.media_ids: media ids were not found.";
    let (status, body) = tweet(
        &x,
        &alice,
        &json!({"text": "Unknown", "media": {"media_ids": ["1890000000000000999"]}}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["message"].as_str()),
        (400, Some(not_found))
    );

    let id = uploaded(&x, &alice).await;
    let bob = x.add_user("bob");
    let (status, body) = tweet(
        &x,
        &token(&x, &bob, true),
        &json!({"text": "Not mine", "media": {"media_ids": [id]}}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["message"].as_str()),
        (400, Some(not_found)),
        "another user's media"
    );

    let mut five = Vec::new();
    for _ in 0..5 {
        five.push(uploaded(&x, &alice).await);
    }
    let (status, body) = tweet(
        &x,
        &alice,
        &json!({"text": "Five", "media": {"media_ids": five}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = tweet(
        &x,
        &alice,
        &json!({"text": "Four", "media": {"media_ids": &five[..4]}}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(x.posts()[0].images.len(), 4);

    x.advance_clock(Duration::from_secs(24 * 3600));
    let alice = token(&x, &x.default_user(), true);
    let (status, body) = tweet(
        &x,
        &alice,
        &json!({"text": "Late", "media": {"media_ids": [id]}}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["message"].as_str()),
        (400, Some(not_found)),
        "media expire after 24 hours"
    );
    assert_eq!(x.posts().len(), 1);
}

#[tokio::test]
async fn uploads_count_against_their_own_rate_window() {
    let x = StandIn::<X>::start().await;
    x.configure(|settings| settings.media_per_window = 2);
    let token = token(&x, &x.default_user(), true);
    uploaded(&x, &token).await;
    uploaded(&x, &token).await;
    let answer = upload(&x, &token, "image/png", &TINY_PNG).await;
    assert_eq!(header(&answer, "x-rate-limit-remaining"), "0");
    assert_eq!(answer.status(), 429);
    let (status, _) = tweet(&x, &token, &json!({"text": "Posts have their own window"})).await;
    assert_eq!(status, 201);
    x.advance_clock(Duration::from_secs(15 * 60));
    assert_eq!(
        upload(&x, &token, "image/png", &TINY_PNG).await.status(),
        200
    );
}
