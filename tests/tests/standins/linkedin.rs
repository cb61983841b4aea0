//! The LinkedIn stand-in: the code flow, version headers, little-text truncation, duplicates and
//! throttling; its images are tested in `linkedin_images.rs`.

use chorus_tests::standins::{LinkedIn, StandIn};
use serde_json::{Value, json};

use crate::{header, http, param, redirect_of, status_json};

#[path = "linkedin_images.rs"]
mod images;

const REDIRECT: &str = "http://127.0.0.1/callback";

async fn code(linkedin: &StandIn<LinkedIn>, scope: &str) -> String {
    let mut url = url::Url::parse(&linkedin.url("/oauth/v2/authorization")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "chorus-client")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "st")
        .append_pair("scope", scope);
    param(&redirect_of(&http(), url.as_str()).await, "code").unwrap()
}

async fn exchange(linkedin: &StandIn<LinkedIn>, code: &str, secret: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", "chorus-client"),
        ("client_secret", secret),
    ];
    status_json(
        http()
            .post(linkedin.url("/oauth/v2/accessToken"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn post_body(author: &str, commentary: &str) -> Value {
    json!({
        "author": format!("urn:li:person:{author}"), "commentary": commentary, "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false,
    })
}

/// `POST /rest/posts` with the given version headers (`None` leaves one out).
async fn create(
    linkedin: &StandIn<LinkedIn>,
    token: &str,
    body: &Value,
    version: Option<&str>,
    protocol: Option<&str>,
) -> reqwest::Response {
    let mut request = http()
        .post(linkedin.url("/rest/posts"))
        .bearer_auth(token)
        .json(body);
    if let Some(version) = version {
        request = request.header("LinkedIn-Version", version);
    }
    if let Some(protocol) = protocol {
        request = request.header("X-Restli-Protocol-Version", protocol);
    }
    request.send().await.unwrap()
}

async fn publish(linkedin: &StandIn<LinkedIn>, token: &str, commentary: &str) -> reqwest::Response {
    let body = post_body(&linkedin.default_user().id, commentary);
    create(linkedin, token, &body, Some("202604"), Some("2.0.0")).await
}

#[tokio::test]
async fn code_flow_gives_a_60_day_token_an_id_token_and_userinfo() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let code = code(&linkedin, "openid profile w_member_social").await;
    let (status, token) = exchange(&linkedin, &code, "chorus-secret").await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["expires_in"], 5_184_000);
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["id_token"].as_str().unwrap().split('.').count(), 3);

    let answer = http()
        .get(linkedin.url("/v2/userinfo"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, info) = status_json(answer).await;
    assert_eq!(
        (status, info["sub"].as_str()),
        (200, Some(linkedin.default_user().id.as_str()))
    );

    linkedin.advance_clock(std::time::Duration::from_secs(60 * 24 * 3600));
    let answer = http()
        .get(linkedin.url("/v2/userinfo"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(answer).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_ACCESS_TOKEN")),
        "60 days later"
    );
}

#[tokio::test]
async fn the_token_answer_can_omit_token_type_and_codes_and_secrets_are_checked() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    linkedin.configure(|settings| settings.omit_token_type = true);
    let code = code(&linkedin, "openid profile w_member_social").await;
    let (status, body) = exchange(&linkedin, &code, "wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, token) = exchange(&linkedin, &code, "chorus-secret").await;
    assert_eq!(status, 200);
    assert!(token.get("token_type").is_none(), "{token}");
    let (status, body) = exchange(&linkedin, &code, "chorus-secret").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "a code is single-use"
    );
}

#[tokio::test]
async fn an_unauthorized_scope_comes_back_as_an_error_redirect() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let url = format!(
        "{}?response_type=code&client_id=chorus-client&redirect_uri={REDIRECT}&state=st&scope=openid%20r_liteprofile",
        linkedin.url("/oauth/v2/authorization")
    );
    let redirect = redirect_of(&http(), &url).await;
    assert_eq!(
        param(&redirect, "error").as_deref(),
        Some("unauthorized_scope_error")
    );
    assert_eq!(param(&redirect, "state").as_deref(), Some("st"));
}

#[tokio::test]
async fn a_missing_version_is_400_a_stale_one_426_and_a_missing_protocol_400() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let token = linkedin
        .issue_token(&linkedin.default_user(), &["openid", "w_member_social"])
        .access_token;
    let body = post_body(&linkedin.default_user().id, "Hello");

    let (status, error) =
        status_json(create(&linkedin, &token, &body, None, Some("2.0.0")).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("VERSION_MISSING"))
    );
    let (status, error) =
        status_json(create(&linkedin, &token, &body, Some("202301"), Some("2.0.0")).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (426, Some("NONEXISTENT_VERSION"))
    );
    assert_eq!(error["message"], "Requested version 202301 is not active");
    let (status, _) =
        status_json(create(&linkedin, &token, &body, Some("202604"), None).await).await;
    assert_eq!(status, 400);

    linkedin.configure(|settings| settings.accepted_versions = vec!["202301".to_owned()]);
    let answer = create(&linkedin, &token, &body, Some("202301"), Some("2.0.0")).await;
    assert_eq!(
        answer.status(),
        201,
        "the accepted versions are configurable"
    );
    assert!(linkedin.posts().len() == 1);
}

#[tokio::test]
async fn a_post_is_201_with_an_empty_body_and_its_urn_in_x_restli_id() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let token = linkedin
        .issue_token(&linkedin.default_user(), &["w_member_social"])
        .access_token;
    let answer = publish(&linkedin, &token, "New post").await;
    assert_eq!(answer.status(), 201);
    let urn = header(&answer, "x-restli-id");
    assert!(urn.starts_with("urn:li:share:"), "{urn}");
    assert_eq!(answer.text().await.unwrap(), "");
    assert_eq!(linkedin.posts()[0].id, urn);

    let someone_else = post_body("someoneElse", "Not mine");
    let answer = create(
        &linkedin,
        &token,
        &someone_else,
        Some("202604"),
        Some("2.0.0"),
    )
    .await;
    assert_eq!(answer.status(), 403);
    let reader = linkedin
        .issue_token(&linkedin.default_user(), &["openid", "profile"])
        .access_token;
    let (status, body) = status_json(publish(&linkedin, &reader, "No scope").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
}

#[tokio::test]
async fn unescaped_little_text_is_cut_and_escaped_text_is_kept_whole() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let token = linkedin
        .issue_token(&linkedin.default_user(), &["w_member_social"])
        .access_token;
    let escaped = r"New post \(draft\) about \#rust and C\+\+ \@ home";
    let mention = "Thanks @[Acme](urn:li:organization:1234) and {hashtag|\\#|Rust}!";
    for commentary in [
        "New post (draft) about Rust",
        "Loving #rust",
        escaped,
        mention,
    ] {
        assert_eq!(
            publish(&linkedin, &token, commentary).await.status(),
            201,
            "still 201"
        );
    }
    let stored: Vec<String> = linkedin.posts().into_iter().map(|post| post.text).collect();
    assert_eq!(stored, ["New post ", "Loving ", escaped, mention]);

    let urn = linkedin.posts()[0].id.clone();
    let answer = http()
        .get(linkedin.url(&format!("/rest/posts/{}", urn.replace(':', "%3A"))))
        .bearer_auth(&token)
        .header("LinkedIn-Version", "202604")
        .header("X-Restli-Protocol-Version", "2.0.0")
        .send()
        .await
        .unwrap();
    let (status, post) = status_json(answer).await;
    assert_eq!(
        (status, post["commentary"].as_str()),
        (200, Some("New post "))
    );
}

#[tokio::test]
async fn identical_commentary_is_refused_as_a_duplicate() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let token = linkedin
        .issue_token(&linkedin.default_user(), &["w_member_social"])
        .access_token;
    let first = publish(&linkedin, &token, "Same words").await;
    let urn = header(&first, "x-restli-id");
    let (status, body) = status_json(publish(&linkedin, &token, "Same words").await).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errorDetails"]["inputErrors"][0]["code"],
        "DUPLICATE_POST"
    );
    assert!(body["message"].as_str().unwrap().contains(&urn));
    assert_eq!(linkedin.posts().len(), 1);
}

#[tokio::test]
async fn the_daily_limit_gives_429_code_101_without_rate_headers() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    linkedin.configure(|settings| settings.daily_post_limit = 1);
    let token = linkedin
        .issue_token(&linkedin.default_user(), &["w_member_social"])
        .access_token;
    assert_eq!(publish(&linkedin, &token, "One").await.status(), 201);
    let answer = publish(&linkedin, &token, "Two").await;
    assert!(
        !answer
            .headers()
            .keys()
            .any(|name| name.as_str().contains("rate") || name == "retry-after")
    );
    let (status, body) = status_json(answer).await;
    assert_eq!(
        (status, body["serviceErrorCode"].as_i64()),
        (429, Some(101))
    );
    linkedin.advance_clock(std::time::Duration::from_secs(24 * 3600));
    assert_eq!(publish(&linkedin, &token, "Two").await.status(), 201);
}

#[tokio::test]
async fn a_revoked_token_gets_invalid_access_token() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let token = linkedin
        .issue_token(&linkedin.default_user(), &["w_member_social"])
        .access_token;
    let form = [
        ("client_id", "chorus-client"),
        ("client_secret", "chorus-secret"),
        ("token", token.as_str()),
    ];
    let answer = http()
        .post(linkedin.url("/oauth/v2/revoke"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let (status, body) = status_json(publish(&linkedin, &token, "Hello").await).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"})
    );
}
