//! Deleting a post where the network allows it. The stand-ins have no delete routes, so a small
//! recording server answers as the networks document (`DELETE /api/v1/statuses/:id`,
//! `DELETE /2/tweets/:id`, `DELETE /rest/posts/{encoded urn}`) and keeps what it was sent.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use chorus_ambassador::connectors::{
    Account, Connector, LinkedIn, LinkedInEndpoints, Mastodon, MastodonEndpoints, PublishError,
    Secret, Threads, ThreadsEndpoints, X, XEndpoints,
};
use serde_json::json;
use url::Url;

use crate::http;

/// What the recording server received: method, raw path, `Authorization`, `LinkedIn-Version`.
type Seen = Arc<Mutex<Vec<(String, String, String, String)>>>;

async fn answer(State(seen): State<Seen>, request: Request) -> Response {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    seen.lock().unwrap().push((
        method.clone(),
        path.clone(),
        header("authorization"),
        header("linkedin-version"),
    ));
    match (method.as_str(), path.as_str()) {
        ("DELETE", "/api/v1/statuses/113") => axum::Json(json!({"id": "113"})).into_response(),
        ("DELETE", "/2/tweets/1880") => {
            axum::Json(json!({"data": {"deleted": true}})).into_response()
        }
        ("DELETE", "/rest/posts/urn%3Ali%3Ashare%3A73") => StatusCode::NO_CONTENT.into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "Record not found"})),
        )
            .into_response(),
    }
}

async fn recording_server() -> (Url, Seen) {
    let seen = Seen::default();
    let router = axum::Router::new()
        .fallback(answer)
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

fn account() -> Account {
    Account {
        access_token: Secret::new("delete-token"),
        dpop: None,
        external_id: "42".to_owned(),
        handle: "alice".to_owned(),
    }
}

#[tokio::test]
async fn posts_are_deleted_where_the_network_allows_it() {
    let (url, seen) = recording_server().await;
    let mastodon = Connector::Mastodon(Mastodon::new(
        http(),
        MastodonEndpoints {
            instance: url.clone(),
        },
    ));
    let x = Connector::X(X::new(http(), XEndpoints::at(&url)));
    let linkedin = Connector::LinkedIn(LinkedIn::new(http(), LinkedInEndpoints::at(&url)));
    mastodon.delete(&account(), "113").await.unwrap();
    x.delete(&account(), "1880").await.unwrap();
    linkedin
        .delete(&account(), "urn:li:share:73")
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|(method, path, _, _)| (method.as_str(), path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("DELETE", "/api/v1/statuses/113"),
            ("DELETE", "/2/tweets/1880"),
            ("DELETE", "/rest/posts/urn%3Ali%3Ashare%3A73"),
        ]
    );
    assert!(
        seen.iter()
            .all(|(_, _, authorization, _)| authorization == "Bearer delete-token")
    );
    assert_eq!(seen[2].3, "202604", "LinkedIn calls carry the version");
}

#[tokio::test]
async fn deleting_an_unknown_post_or_on_threads_says_why() {
    let (url, _) = recording_server().await;
    let mastodon = Connector::Mastodon(Mastodon::new(
        http(),
        MastodonEndpoints {
            instance: url.clone(),
        },
    ));
    let error = mastodon.delete(&account(), "999").await.unwrap_err();
    assert_eq!(
        error,
        PublishError::Rejected {
            message: "Record not found".to_owned()
        }
    );
    let threads = Connector::Threads(Threads::new(http(), ThreadsEndpoints::at(&url)));
    let error = threads.delete(&account(), "1").await.unwrap_err();
    assert!(matches!(error, PublishError::Unsupported { .. }));
    assert_eq!(
        error.to_string(),
        "Threads does not allow deleting a post through its API"
    );
}
