//! The Mastodon stand-in's images: an attachment uploaded as multipart form data, processed
//! (206, then 200), attached to a status of its own account once, and recorded with the post.

use chorus_tests::TINY_PNG;
use chorus_tests::standins::{Mastodon, ReceivedImage, StandIn};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::{http, status_json};

async fn upload(mastodon: &StandIn<Mastodon>, token: &str, description: &str) -> (u16, Value) {
    let form = Form::new()
        .text("description", description.to_owned())
        .part(
            "file",
            Part::bytes(TINY_PNG.to_vec())
                .file_name("solar.png")
                .mime_str("image/png")
                .unwrap(),
        );
    status_json(
        http()
            .post(mastodon.url("/api/v2/media"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn poll(mastodon: &StandIn<Mastodon>, token: &str, id: &str) -> u16 {
    let answer = http()
        .get(mastodon.url(&format!("/api/v1/media/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    answer.status().as_u16()
}

async fn post(mastodon: &StandIn<Mastodon>, token: &str, body: &Value) -> (u16, Value) {
    status_json(
        http()
            .post(mastodon.url("/api/v1/statuses"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_status_records_the_processed_images_it_carries() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write:media", "write:statuses"])
        .access_token;
    let (status, media) = upload(&mastodon, &token, "Solar panels on a roof").await;
    assert_eq!(
        (status, media["url"].clone()),
        (202, Value::Null),
        "{media}"
    );
    let id = media["id"].as_str().unwrap();

    let (status, body) = post(
        &mastodon,
        &token,
        &json!({"status": "Too soon", "media_ids": [id]}),
    )
    .await;
    assert_eq!(status, 422, "not processed yet: {body}");
    assert_eq!(poll(&mastodon, &token, id).await, 206);
    assert_eq!(poll(&mastodon, &token, id).await, 206);
    assert_eq!(poll(&mastodon, &token, id).await, 200);

    let (status, body) = post(
        &mastodon,
        &token,
        &json!({"status": "Our plant", "media_ids": [id]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["media_attachments"][0]["description"],
        "Solar panels on a roof"
    );
    let (status, _) = post(&mastodon, &token, &json!({"status": "Words only"})).await;
    assert_eq!(status, 200);
    let posts = mastodon.posts();
    assert_eq!(
        posts[0].images,
        [ReceivedImage {
            mime: "image/png".to_owned(),
            bytes: TINY_PNG.to_vec(),
            alt: "Solar panels on a roof".to_owned(),
        }]
    );
    assert!(posts[1].images.is_empty());
    let (status, _) = post(
        &mastodon,
        &token,
        &json!({"status": "Twice", "media_ids": [id]}),
    )
    .await;
    assert_eq!(status, 422, "an attachment goes with one status");
}
