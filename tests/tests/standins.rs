//! The stand-in networks (Mastodon, LinkedIn, X, Threads) driven over HTTP as a connector would:
//! each must enforce its network's contract (OAuth, posting, errors, limits) and inject faults.
//! The helpers they share are here: a client that does not follow redirects, PKCE pairs, and
//! reading a redirect's parameters and a JSON answer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is the test failure report"
)]

#[path = "standins/delete.rs"]
mod delete;
#[path = "standins/faults.rs"]
mod faults;
#[path = "standins/linkedin.rs"]
mod linkedin;
#[path = "standins/mastodon.rs"]
mod mastodon;
#[path = "standins/threads.rs"]
mod threads;
#[path = "standins/x.rs"]
mod x;

use base64::Engine as _;
use reqwest::Response;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

/// A client that shows redirects instead of following them (OAuth callbacks are not served).
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// A PKCE verifier and its S256 challenge.
fn pkce_pair() -> (String, String) {
    let verifier = format!("verifier-{}", uuid::Uuid::new_v4().simple()).repeat(2);
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&verifier));
    (verifier, challenge)
}

/// Calls `/authorize` and returns the redirect it answers with.
async fn redirect_of(http: &reqwest::Client, url: &str) -> Url {
    let answer = http.get(url).send().await.unwrap();
    assert_eq!(answer.status(), 302, "{url}: {:?}", answer.text().await);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    Url::parse(&location).unwrap()
}

/// A query parameter of a redirect.
fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Status and JSON body of an answer (`Null` for an empty body).
async fn status_json(answer: Response) -> (u16, Value) {
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

/// A header as text, or "".
fn header(answer: &Response, name: &str) -> String {
    answer
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
