//! Deleting a post on the stand-ins as `networks.md` and the networks' references describe it:
//! only by its author, with the same authentication and headers as posting, in each network's
//! own answer shape, 404 for an unknown id, and recorded so tests can see the post is gone.
//! Threads documents no deletion and its stand-in offers none.

use chorus_tests::standins::{Fault, LinkedIn, Mastodon, StandIn, Threads, X};
use serde_json::json;

use crate::{header, http, status_json};

#[tokio::test]
async fn mastodon_deletes_its_authors_status_and_answers_with_it() {
    let mastodon = StandIn::<Mastodon>::start().await;
    let alice = mastodon.default_user();
    let token = mastodon
        .issue_token(&alice, &["write:statuses"])
        .access_token;
    let created = http()
        .post(mastodon.url("/api/v1/statuses"))
        .bearer_auth(&token)
        .json(&json!({"status": "Short-lived words"}))
        .send()
        .await
        .unwrap();
    let (_, status) = status_json(created).await;
    let id = status["id"].as_str().unwrap().to_owned();
    let delete = |token: Option<String>, id: String| {
        let mut request = http().delete(mastodon.url(&format!("/api/v1/statuses/{id}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap() }
    };

    let (status, body) = status_json(delete(None, id.clone()).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("The access token is invalid"))
    );
    let reader = mastodon.issue_token(&alice, &["read"]).access_token;
    let (status, _) = status_json(delete(Some(reader), id.clone()).await).await;
    assert_eq!(status, 403, "deleting needs write:statuses");
    let bob = mastodon.add_user("bob");
    let other = mastodon.issue_token(&bob, &["write:statuses"]).access_token;
    let (status, body) = status_json(delete(Some(other), id.clone()).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("Record not found")),
        "not bob's"
    );
    assert!(mastodon.deletions().is_empty());

    let answer = delete(Some(token.clone()), id.clone()).await;
    assert!(!header(&answer, "x-ratelimit-remaining").is_empty());
    let (status, body) = status_json(answer).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"].as_str(), Some(id.as_str()));
    assert_eq!(
        body["text"], "Short-lived words",
        "the source text, for redrafting"
    );
    assert_eq!(mastodon.deletions()[0].id, id);
    assert_eq!(mastodon.deletions()[0].account, alice.id);
    assert!(mastodon.live_posts().is_empty());
    assert_eq!(
        mastodon.posts().len(),
        1,
        "the record of what was created stays"
    );

    let shown = http()
        .get(mastodon.url(&format!("/api/v1/statuses/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 404);
    let (status, _) = status_json(delete(Some(token), id).await).await;
    assert_eq!(status, 404, "a deleted status is gone");
}

#[tokio::test]
async fn x_deletes_its_authors_post_with_deleted_true() {
    let x = StandIn::<X>::start().await;
    let scopes = ["tweet.read", "tweet.write", "users.read"];
    let token = x.issue_token(&x.default_user(), &scopes).access_token;
    let created = http()
        .post(x.url("/2/tweets"))
        .bearer_auth(&token)
        .json(&json!({"text": "Gone soon"}))
        .send()
        .await
        .unwrap();
    let (_, body) = status_json(created).await;
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    let delete = |token: &str, id: &str| {
        http()
            .delete(x.url(&format!("/2/tweets/{id}")))
            .bearer_auth(token)
            .send()
    };

    let (status, body) = status_json(delete("nonsense", &id).await.unwrap()).await;
    assert_eq!(
        (status, body["title"].as_str()),
        (401, Some("Unauthorized"))
    );
    let reader = x
        .issue_token(&x.default_user(), &["tweet.read", "users.read"])
        .access_token;
    assert_eq!(delete(&reader, &id).await.unwrap().status(), 403);
    let bob = x.add_user("bob");
    let other = x.issue_token(&bob, &scopes).access_token;
    assert_eq!(
        delete(&other, &id).await.unwrap().status(),
        403,
        "not bob's"
    );
    let (status, body) = status_json(delete(&token, "1").await.unwrap()).await;
    assert_eq!(
        (status, body["title"].as_str()),
        (404, Some("Not Found Error"))
    );
    assert!(x.deletions().is_empty());

    let answer = delete(&token, &id).await.unwrap();
    assert!(!header(&answer, "x-rate-limit-reset").is_empty());
    let (status, body) = status_json(answer).await;
    assert_eq!((status, body), (200, json!({"data": {"deleted": true}})));
    assert_eq!(x.deletions()[0].id, id);
    assert!(x.live_posts().is_empty());
    assert_eq!(delete(&token, &id).await.unwrap().status(), 404);
}

#[tokio::test]
async fn linkedin_deletes_with_its_version_headers_and_answers_204() {
    let linkedin = StandIn::<LinkedIn>::start().await;
    let alice = linkedin.default_user();
    let token = linkedin
        .issue_token(&alice, &["openid", "profile", "w_member_social"])
        .access_token;
    let created = http()
        .post(linkedin.url("/rest/posts"))
        .bearer_auth(&token)
        .header("LinkedIn-Version", "202604")
        .header("X-Restli-Protocol-Version", "2.0.0")
        .json(&json!({
            "author": format!("urn:li:person:{}", alice.id), "commentary": "Mine", "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let urn = header(&created, "x-restli-id");
    let encoded: String = url::form_urlencoded::byte_serialize(urn.as_bytes()).collect();
    let delete = |token: &str, version: Option<&str>, path: &str| {
        let mut request = http()
            .delete(linkedin.url(&format!("/rest/posts/{path}")))
            .bearer_auth(token)
            .header("X-Restli-Protocol-Version", "2.0.0");
        if let Some(version) = version {
            request = request.header("LinkedIn-Version", version);
        }
        request.send()
    };

    let (status, body) = status_json(delete(&token, None, &encoded).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VERSION_MISSING"))
    );
    let (status, body) = status_json(delete(&token, Some("202301"), &encoded).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (426, Some("NONEXISTENT_VERSION"))
    );
    let (status, body) =
        status_json(delete("nonsense", Some("202604"), &encoded).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_ACCESS_TOKEN"))
    );
    let bob = linkedin.add_user("bob");
    let other = linkedin
        .issue_token(&bob, &["w_member_social"])
        .access_token;
    let (status, body) = status_json(delete(&other, Some("202604"), &encoded).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("ACCESS_DENIED")),
        "not bob's"
    );
    let unknown = "urn%3Ali%3Ashare%3A1";
    assert_eq!(
        delete(&token, Some("202604"), unknown)
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(linkedin.deletions().is_empty());

    let answer = delete(&token, Some("202604"), &encoded).await.unwrap();
    assert_eq!(answer.status(), 204);
    assert!(answer.text().await.unwrap().is_empty());
    assert_eq!(linkedin.deletions()[0].id, urn);
    assert!(linkedin.live_posts().is_empty());
    assert_eq!(
        delete(&token, Some("202604"), &encoded)
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn an_injected_failure_leaves_the_post_in_place() {
    let x = StandIn::<X>::start().await;
    let scopes = ["tweet.read", "tweet.write", "users.read"];
    let token = x.issue_token(&x.default_user(), &scopes).access_token;
    let created = http()
        .post(x.url("/2/tweets"))
        .bearer_auth(&token)
        .json(&json!({"text": "Still here"}))
        .send()
        .await
        .unwrap();
    let (_, body) = status_json(created).await;
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    x.fail_next_on("/2/tweets/", Fault::Status(503));
    let answer = http()
        .delete(x.url(&format!("/2/tweets/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(x.live_posts().len(), 1);
    assert!(x.deletions().is_empty());
}

#[tokio::test]
async fn threads_offers_no_deletion() {
    let threads = StandIn::<Threads>::start().await;
    let token = threads
        .issue_token(
            &threads.default_user(),
            &["threads_basic", "threads_content_publish"],
        )
        .access_token;
    let answer = http()
        .delete(threads.url("/v1.0/18100000000000001"))
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(answer).await;
    assert_eq!((status, body["error"]["code"].as_u64()), (400, Some(100)));
    assert!(threads.deletions().is_empty());
}
