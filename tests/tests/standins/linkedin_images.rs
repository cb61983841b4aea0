//! The LinkedIn stand-in's images: `initializeUpload` (headers, scope, owner), the `PUT` of the
//! bytes (same member, JPEG, PNG or GIF, once) and `content.media` in a post (known, uploaded,
//! the author's, `altText` ≤ 4,086 characters, not with an article).

use chorus_tests::TINY_PNG;
use chorus_tests::standins::{LinkedIn, ReceivedImage, StandIn, User};
use serde_json::{Value, json};

use crate::{http, status_json};

const VERSION: &str = "202604";

fn token(linkedin: &StandIn<LinkedIn>, user: &User) -> String {
    linkedin
        .issue_token(user, &["openid", "profile", "w_member_social"])
        .access_token
}

/// `POST /rest/images?action=initializeUpload` for `owner` with the given version header.
async fn initialize(
    linkedin: &StandIn<LinkedIn>,
    token: &str,
    owner: &str,
    version: Option<&str>,
) -> (u16, Value) {
    let mut request = http()
        .post(linkedin.url("/rest/images?action=initializeUpload"))
        .bearer_auth(token)
        .header("X-Restli-Protocol-Version", "2.0.0")
        .json(&json!({"initializeUploadRequest": {"owner": format!("urn:li:person:{owner}")}}));
    if let Some(version) = version {
        request = request.header("LinkedIn-Version", version);
    }
    status_json(request.send().await.unwrap()).await
}

/// Initializes an upload for `user`: `(upload URL, image URN)`.
async fn initialized(linkedin: &StandIn<LinkedIn>, user: &User) -> (String, String) {
    let (status, body) =
        initialize(linkedin, &token(linkedin, user), &user.id, Some(VERSION)).await;
    assert_eq!(status, 200, "{body}");
    let value = &body["value"];
    (
        value["uploadUrl"].as_str().unwrap().to_owned(),
        value["image"].as_str().unwrap().to_owned(),
    )
}

async fn put(url: &str, token: Option<&str>, bytes: &[u8]) -> (u16, Value) {
    let mut request = http()
        .put(url)
        .header("Content-Type", "application/octet-stream")
        .body(bytes.to_vec());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    status_json(request.send().await.unwrap()).await
}

/// An image of `user`'s, initialized and uploaded: its URN.
async fn uploaded(linkedin: &StandIn<LinkedIn>, user: &User) -> String {
    let (url, urn) = initialized(linkedin, user).await;
    assert_eq!(
        put(&url, Some(&token(linkedin, user)), &TINY_PNG).await.0,
        201
    );
    urn
}

/// `POST /rest/posts` by `user` with `content`.
async fn post_with(
    linkedin: &StandIn<LinkedIn>,
    user: &User,
    commentary: &str,
    content: &Value,
) -> (u16, Value) {
    let body = json!({
        "author": format!("urn:li:person:{}", user.id), "commentary": commentary, "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "content": content, "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false,
    });
    let answer = http()
        .post(linkedin.url("/rest/posts"))
        .bearer_auth(token(linkedin, user))
        .header("LinkedIn-Version", VERSION)
        .header("X-Restli-Protocol-Version", "2.0.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    let urn = answer
        .headers()
        .get("x-restli-id")
        .map(|urn| urn.to_str().unwrap().to_owned());
    let (status, body) = status_json(answer).await;
    (status, urn.map_or(body, Value::String))
}

#[tokio::test]
async fn an_image_is_initialized_uploaded_and_posted_with_its_alt_text() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let alice = linkedin.default_user();
    let (status, body) = initialize(
        &linkedin,
        &token(&linkedin, &alice),
        &alice.id,
        Some(VERSION),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let value = &body["value"];
    let url = value["uploadUrl"].as_str().unwrap();
    let urn = value["image"].as_str().unwrap();
    assert!(url.starts_with(&linkedin.url("/dms-uploads/")), "{url}");
    assert!(urn.starts_with("urn:li:image:"), "{urn}");
    assert!(value["uploadUrlExpiresAt"].as_i64().unwrap() > linkedin.now().timestamp_millis());

    let (status, body) = put(url, Some(&token(&linkedin, &alice)), &TINY_PNG).await;
    assert_eq!((status, body), (201, Value::Null), "201 with an empty body");

    let content = json!({"media": {"id": urn, "altText": "Solar panels on a roof"}});
    let (status, share) = post_with(&linkedin, &alice, "Our plant", &content).await;
    assert_eq!(status, 201, "{share}");
    assert_eq!(
        linkedin.posts()[0].images,
        [ReceivedImage {
            mime: "image/png".to_owned(),
            bytes: TINY_PNG.to_vec(),
            alt: "Solar panels on a roof".to_owned(),
        }]
    );
    let encoded: String =
        url::form_urlencoded::byte_serialize(share.as_str().unwrap().as_bytes()).collect();
    let (_, shown) = status_json(
        http()
            .get(linkedin.url(&format!("/rest/posts/{encoded}")))
            .bearer_auth(token(&linkedin, &alice))
            .header("LinkedIn-Version", VERSION)
            .header("X-Restli-Protocol-Version", "2.0.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["content"], content);

    // The same image may go with another post; a post without one records none.
    let (status, _) = post_with(&linkedin, &alice, "Again", &json!({"media": {"id": urn}})).await;
    assert_eq!(status, 201);
    assert_eq!(linkedin.posts()[1].images[0].alt, "");
    let article = json!({"article": {"source": "https://example.com/a", "title": "A"}});
    assert_eq!(
        post_with(&linkedin, &alice, "Article", &article).await.0,
        201
    );
    assert!(linkedin.posts()[2].images.is_empty());
}

#[tokio::test]
async fn initialize_upload_checks_the_version_headers_the_scope_and_the_owner() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let alice = linkedin.default_user();
    let token = token(&linkedin, &alice);
    let (status, body) = initialize(&linkedin, &token, &alice.id, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VERSION_MISSING"))
    );
    let (status, body) = initialize(&linkedin, &token, &alice.id, Some("202001")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (426, Some("NONEXISTENT_VERSION"))
    );
    let answer = http()
        .post(linkedin.url("/rest/images?action=initializeUpload"))
        .bearer_auth(&token)
        .header("LinkedIn-Version", VERSION)
        .json(&json!({"initializeUploadRequest": {"owner": format!("urn:li:person:{}", alice.id)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "no X-Restli-Protocol-Version");

    let reader = linkedin
        .issue_token(&alice, &["openid", "profile"])
        .access_token;
    let (status, body) = initialize(&linkedin, &reader, &alice.id, Some(VERSION)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    let bob = linkedin.add_user("bob");
    let (status, body) = initialize(&linkedin, &token, &bob.id, Some(VERSION)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("ACCESS_DENIED")),
        "another member as owner"
    );
    let (status, body) = initialize(&linkedin, "not-a-token", &alice.id, Some(VERSION)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_ACCESS_TOKEN"))
    );

    let answer = http()
        .post(linkedin.url("/rest/images"))
        .bearer_auth(&token)
        .header("LinkedIn-Version", VERSION)
        .header("X-Restli-Protocol-Version", "2.0.0")
        .json(&json!({"initializeUploadRequest": {"owner": format!("urn:li:person:{}", alice.id)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "no action=initializeUpload");
}

#[tokio::test]
async fn the_upload_takes_jpeg_png_or_gif_once_from_the_same_member() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let alice = linkedin.default_user();
    let bob = linkedin.add_user("bob");
    let (url, _) = initialized(&linkedin, &alice).await;
    assert_eq!(put(&url, None, &TINY_PNG).await.0, 401, "no token");
    let (status, body) = put(&url, Some(&token(&linkedin, &bob)), &TINY_PNG).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("ACCESS_DENIED")),
        "another member"
    );
    let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    webp.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    for (bytes, why) in [
        (webp, "WebP"),
        (b"<svg/>".to_vec(), "not an image"),
        (Vec::new(), "no bytes"),
    ] {
        let (status, body) = put(&url, Some(&token(&linkedin, &alice)), &bytes).await;
        assert_eq!(
            (status, body["status"].as_i64()),
            (400, Some(400)),
            "{why}: {body}"
        );
    }
    let (status, _) = put(&url, Some(&token(&linkedin, &alice)), &TINY_PNG).await;
    assert_eq!(status, 201);
    let (status, body) = put(&url, Some(&token(&linkedin, &alice)), &TINY_PNG).await;
    assert_eq!(status, 400, "a second PUT: {body}");

    let (gif_url, _) = initialized(&linkedin, &alice).await;
    let gif = b"GIF89a\x01\x00\x01\x00";
    assert_eq!(
        put(&gif_url, Some(&token(&linkedin, &alice)), gif).await.0,
        201
    );
    let (status, _) = put(
        &linkedin.url("/dms-uploads/nothing-here"),
        Some(&token(&linkedin, &alice)),
        &TINY_PNG,
    )
    .await;
    assert_eq!(status, 404, "an unknown upload URL");
}

#[tokio::test]
async fn a_post_carries_only_a_known_uploaded_image_of_its_author() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let alice = linkedin.default_user();
    let bob = linkedin.add_user("bob");
    let media = |urn: &str| json!({"media": {"id": urn, "altText": "A roof"}});

    let (status, body) = post_with(
        &linkedin,
        &alice,
        "Unknown",
        &media("urn:li:image:D4E10AQnothing"),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_i64()),
        (422, Some(422)),
        "{body}"
    );

    let (_, waiting) = initialized(&linkedin, &alice).await;
    let (status, body) = post_with(&linkedin, &alice, "Too soon", &media(&waiting)).await;
    assert_eq!(status, 422, "not uploaded yet: {body}");
    assert!(
        body["message"].as_str().unwrap().contains("WAITING_UPLOAD"),
        "{body}"
    );

    let bobs = uploaded(&linkedin, &bob).await;
    let (status, body) = post_with(&linkedin, &alice, "Not mine", &media(&bobs)).await;
    assert_eq!(status, 422, "another member's image: {body}");

    let mine = uploaded(&linkedin, &alice).await;
    let long = json!({"media": {"id": mine, "altText": "é".repeat(4087)}});
    let (status, body) = post_with(&linkedin, &alice, "Long alt", &long).await;
    assert_eq!(status, 422, "altText over 4,086 characters: {body}");
    let both = json!({
        "media": {"id": mine, "altText": "A roof"},
        "article": {"source": "https://example.com/a", "title": "A"},
    });
    let (status, body) = post_with(&linkedin, &alice, "Both", &both).await;
    assert_eq!(
        (status, body["status"].as_i64()),
        (400, Some(400)),
        "article or media: {body}"
    );
    assert!(linkedin.posts().is_empty());

    let longest = json!({"media": {"id": mine, "altText": "é".repeat(4086)}});
    assert_eq!(post_with(&linkedin, &alice, "Fits", &longest).await.0, 201);
}
