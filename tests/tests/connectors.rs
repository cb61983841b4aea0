//! The ambassador's network connectors driven against the stand-in networks: full OAuth, the
//! scopes asked, publishing exactly once, refresh rotation, and every class of failure the
//! publishing queue acts on. The helpers they share are here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is the test failure report"
)]

#[path = "connectors/bluesky.rs"]
mod bluesky;
#[path = "connectors/delete.rs"]
mod delete;
#[path = "connectors/faults.rs"]
mod faults;
#[path = "connectors/linkedin.rs"]
mod linkedin;
#[path = "connectors/mastodon.rs"]
mod mastodon;
#[path = "connectors/threads.rs"]
mod threads;
#[path = "connectors/x.rs"]
mod x;

use std::fmt::Debug;
use std::time::Duration;

use chorus_ambassador::connectors::{Account, HttpClient, Post, PublishError, Secret, Timeouts};
use chorus_tests::standins::{IssuedToken, Network as StandInNetwork, StandIn, User};
use url::Url;

/// The redirect URI registered for the stand-ins' default client.
const REDIRECT: &str = "http://127.0.0.1/callback";

/// The connectors' client with a short total timeout, so `Slow` faults become timeouts.
fn client(total: Duration) -> HttpClient {
    HttpClient::new(Timeouts {
        connect: Duration::from_secs(2),
        total,
    })
    .unwrap()
}

/// The connectors' client as the tests usually want it (2 s total).
fn http() -> HttpClient {
    client(Duration::from_secs(2))
}

/// The stand-in's base URL.
fn base<N: StandInNetwork>(stand_in: &StandIn<N>) -> Url {
    Url::parse(stand_in.base_url()).unwrap()
}

/// A URL where nothing listens: a port bound and released at once.
fn closed_port() -> Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    Url::parse(&format!("http://{address}")).unwrap()
}

/// Follows the consent page as the member's browser would, up to the stand-in's 302 to the
/// callback, and returns the callback's `code` and `state`.
async fn consent(authorize: &Url) -> (String, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let answer = browser.get(authorize.clone()).send().await.unwrap();
    assert_eq!(
        answer.status(),
        302,
        "{authorize}: {:?}",
        answer.text().await
    );
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let callback = Url::parse(&location).unwrap();
    assert!(
        location.starts_with(REDIRECT),
        "redirected to the registered callback: {location}"
    );
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(key, _)| key == name)
            .map_or_else(
                || panic!("no {name} in {location}"),
                |(_, value)| value.into_owned(),
            )
    };
    (param("code"), param("state"))
}

/// The account a token opens, for publishing.
fn account(user: &User, token: &IssuedToken) -> Account {
    Account {
        access_token: Secret::new(token.access_token.clone()),
        dpop: None,
        external_id: user.id.clone(),
        handle: user.username.clone(),
    }
}

/// A post with this text and a fresh idempotency key.
fn post(text: &str) -> Post {
    Post {
        text: text.to_owned(),
        link: None,
        link_title: None,
        link_description: None,
        link_thumb: None,
        language: None,
        image: None,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
    }
}

/// Fails the test when the token shows in the error's `Display` or `Debug`.
fn assert_no_token<E: Debug + std::fmt::Display>(error: &E, token: &str) {
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(token),
        "the token leaked into an error: {shown}"
    );
}

/// The error of a publish that must fail, checked for token leaks.
fn failed<T: Debug>(result: Result<T, PublishError>, account: &Account) -> PublishError {
    let error = result.expect_err("the publish must fail");
    assert_no_token(&error, account.access_token.expose());
    error
}

/// Whether `at` is within a few seconds of `expected` (the real clock moves during a test).
fn close_to(at: chrono::DateTime<chrono::Utc>, expected: chrono::DateTime<chrono::Utc>) -> bool {
    (at - expected).num_seconds().abs() <= 5
}
