//! The Mastodon stand-in: app registration, the code flow, statuses, idempotency and rate limits;
//! its images are tested in `mastodon_images.rs`.

use std::time::Duration;

use chorus_tests::standins::{Mastodon, StandIn};
use chrono::DateTime;
use serde_json::json;

use crate::{header, http, param, pkce_pair, redirect_of, status_json};

#[path = "mastodon_images.rs"]
mod images;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Registers an app over HTTP: `(client_id, client_secret)`.
async fn register_app(mastodon: &StandIn<Mastodon>, scopes: &str) -> (String, String) {
    let answer = http()
        .post(mastodon.url("/api/v1/apps"))
        .json(&json!({"client_name": "Chorus", "redirect_uris": [REDIRECT], "scopes": scopes}))
        .send()
        .await
        .unwrap();
    let (status, app) = status_json(answer).await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["client_secret_expires_at"], 0);
    let id = app["client_id"].as_str().unwrap().to_owned();
    (id, app["client_secret"].as_str().unwrap().to_owned())
}

fn authorize_url(
    mastodon: &StandIn<Mastodon>,
    client_id: &str,
    scope: &str,
    challenge: Option<&str>,
) -> String {
    let mut url = url::Url::parse(&mastodon.url("/oauth/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "s-1");
    if let Some(challenge) = challenge {
        url.query_pairs_mut()
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
    }
    url.to_string()
}

async fn exchange(
    mastodon: &StandIn<Mastodon>,
    client: &(String, String),
    code: &str,
    redirect: &str,
    verifier: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", &client.0),
        ("client_secret", &client.1),
        ("redirect_uri", redirect),
    ];
    form.extend(verifier.map(|verifier| ("code_verifier", verifier)));
    status_json(
        http()
            .post(mastodon.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn post_status(
    mastodon: &StandIn<Mastodon>,
    token: &str,
    text: &str,
    key: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = http()
        .post(mastodon.url("/api/v1/statuses"))
        .bearer_auth(token)
        .json(&json!({"status": text}));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    status_json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn registration_refuses_a_relative_redirect_uri_with_422() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let answer = http()
        .post(mastodon.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Chorus"),
            ("redirect_uris", "/callback"),
            ("scopes", "write:statuses"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(answer).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"],
        "Validation failed: Redirect URI must be an absolute URI."
    );
}

#[tokio::test]
async fn code_flow_with_s256_gives_a_token_that_never_expires() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let client = register_app(&mastodon, "write:statuses profile").await;
    let (verifier, challenge) = pkce_pair();
    let redirect = redirect_of(
        &http(),
        &authorize_url(
            &mastodon,
            &client.0,
            "write:statuses profile",
            Some(&challenge),
        ),
    )
    .await;
    assert!(redirect.as_str().starts_with(REDIRECT));
    assert_eq!(param(&redirect, "state").as_deref(), Some("s-1"));
    let asked = &mastodon.authorizations()[0];
    assert_eq!(asked.scopes, ["write:statuses", "profile"]);

    let (status, token) = exchange(
        &mastodon,
        &client,
        &param(&redirect, "code").unwrap(),
        REDIRECT,
        Some(&verifier),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "write:statuses profile");
    assert!(token.get("expires_in").is_none() && token.get("refresh_token").is_none());

    mastodon.advance_clock(Duration::from_secs(400 * 24 * 3600));
    let answer = http()
        .get(mastodon.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, account) = status_json(answer).await;
    assert_eq!(status, 200);
    assert_eq!(account["username"], "alice");
}

#[tokio::test]
async fn a_wrong_pkce_verifier_a_reused_code_and_another_redirect_uri_are_refused() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let client = register_app(&mastodon, "write:statuses").await;
    let (verifier, challenge) = pkce_pair();
    let (other_verifier, _) = pkce_pair();
    let url = authorize_url(&mastodon, &client.0, "write:statuses", Some(&challenge));
    let code = param(&redirect_of(&http(), &url).await, "code").unwrap();

    let (status, body) = exchange(&mastodon, &client, &code, REDIRECT, Some(&other_verifier)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = exchange(
        &mastodon,
        &client,
        &code,
        "http://127.0.0.1:9/other",
        Some(&verifier),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = exchange(&mastodon, &client, &code, REDIRECT, Some(&verifier)).await;
    assert_eq!(status, 200);
    let (status, body) = exchange(&mastodon, &client, &code, REDIRECT, Some(&verifier)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code is single-use"
    );

    let wrong_secret = (client.0.clone(), "not-the-secret".to_owned());
    let (status, body) = exchange(&mastodon, &wrong_secret, &code, REDIRECT, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn authorize_refuses_unregistered_redirects_and_scopes() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let client = register_app(&mastodon, "write:statuses").await;
    let url = authorize_url(&mastodon, &client.0, "write:statuses", None)
        .replace("9%2Fcallback", "9%2Felsewhere");
    let answer = http().get(url).send().await.unwrap();
    assert_eq!(
        answer.status(),
        400,
        "never redirects to an unregistered URI"
    );

    let redirect = redirect_of(
        &http(),
        &authorize_url(&mastodon, &client.0, "write:statuses read", None),
    )
    .await;
    assert_eq!(param(&redirect, "error").as_deref(), Some("invalid_scope"));
    assert!(param(&redirect, "code").is_none());
}

#[tokio::test]
async fn a_revoked_token_is_refused_with_401() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let client = register_app(&mastodon, "write:statuses").await;
    let url = authorize_url(&mastodon, &client.0, "write:statuses", None);
    let code = param(&redirect_of(&http(), &url).await, "code").unwrap();
    let (_, token) = exchange(&mastodon, &client, &code, REDIRECT, None).await;
    let token = token["access_token"].as_str().unwrap();
    assert_eq!(post_status(&mastodon, token, "Before", None).await.0, 200);

    let form = [
        ("client_id", client.0.as_str()),
        ("client_secret", &client.1),
        ("token", token),
    ];
    let (status, body) = status_json(
        http()
            .post(mastodon.url("/oauth/revoke"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body), (200, json!({})));
    let (status, body) = post_status(&mastodon, token, "After", None).await;
    assert_eq!(
        (status, body),
        (401, json!({"error": "The access token was revoked"}))
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_same_status_for_an_hour() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write:statuses"])
        .access_token;
    let (status, first) = post_status(
        &mastodon,
        &token,
        "Hello https://example.com/a",
        Some("key-1"),
    )
    .await;
    assert_eq!(status, 200, "Mastodon answers 200, not 201");
    let id = first["id"].as_str().unwrap();
    assert_eq!(first["url"], format!("{}/@alice/{id}", mastodon.base_url()));

    let (status, replay) = post_status(
        &mastodon,
        &token,
        "Hello https://example.com/a",
        Some("key-1"),
    )
    .await;
    assert_eq!((status, replay["id"].as_str()), (200, Some(id)));
    let posts = mastodon.posts();
    assert_eq!(posts.len(), 1, "a replay creates nothing");
    assert_eq!(posts[0].idempotency_key.as_deref(), Some("key-1"));

    mastodon.advance_clock(Duration::from_secs(3601));
    let (_, later) = post_status(
        &mastodon,
        &token,
        "Hello https://example.com/a",
        Some("key-1"),
    )
    .await;
    assert_ne!(later["id"].as_str(), Some(id), "keys are kept one hour");
    assert_eq!(mastodon.posts().len(), 2);
}

#[tokio::test]
async fn length_counts_graphemes_and_23_per_url_and_blank_is_refused() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write"])
        .access_token;
    let long_url = format!("https://example.com/{}", "p".repeat(200));
    let fits = format!("{} {long_url}", "é".repeat(476));
    assert_eq!(
        post_status(&mastodon, &token, &fits, None).await.0,
        200,
        "476 + 1 + 23 = 500"
    );

    let (status, body) = post_status(&mastodon, &token, &format!("x{fits}"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            422,
            Some("Validation failed: Text character limit of 500 exceeded")
        )
    );
    let (status, body) = post_status(&mastodon, &token, "  \n ", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("Validation failed: Text can't be blank"))
    );
    let family = "👨‍👩‍👧‍👦".repeat(500);
    assert_eq!(
        post_status(&mastodon, &token, &family, None).await.0,
        200,
        "one grapheme each"
    );
}

#[tokio::test]
async fn a_token_without_write_scope_gets_403() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["read"])
        .access_token;
    let (status, body) = post_status(&mastodon, &token, "Hello", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("This action is outside the authorized scopes"))
    );
    let (status, body) = post_status(&mastodon, "made-up", "Hello", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("The access token is invalid"))
    );
}

#[tokio::test]
async fn rate_limit_headers_give_an_iso_8601_reset_and_429_follows_the_limit() {
    let mastodon = StandIn::<Mastodon>::start().await;
    mastodon.configure(|settings| settings.api_limit = 2);
    let token = mastodon
        .issue_token(&mastodon.default_user(), &["write:statuses"])
        .access_token;
    let started = mastodon.now();
    for remaining in ["1", "0"] {
        let answer = http()
            .post(mastodon.url("/api/v1/statuses"))
            .bearer_auth(&token)
            .form(&[("status", remaining)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(header(&answer, "x-ratelimit-limit"), "2");
        assert_eq!(header(&answer, "x-ratelimit-remaining"), remaining);
        let reset = DateTime::parse_from_rfc3339(&header(&answer, "x-ratelimit-reset")).unwrap();
        assert_eq!(reset, started + chrono::TimeDelta::minutes(5));
    }
    let answer = http()
        .post(mastodon.url("/api/v1/statuses"))
        .bearer_auth(&token)
        .form(&[("status", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 429);
    assert!(header(&answer, "x-ratelimit-reset").ends_with('Z'));
    assert_eq!(
        answer.json::<serde_json::Value>().await.unwrap(),
        json!({"error": "Too many requests"})
    );

    mastodon.advance_clock(Duration::from_secs(300));
    assert_eq!(post_status(&mastodon, &token, "again", None).await.0, 200);
}
