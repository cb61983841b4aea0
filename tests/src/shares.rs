//! Sharing through the hub as a person does: the share form of an item submitted with the
//! texts they wrote, and their history read until it shows what the worker made of them.

use std::time::Duration;

use crate::client::{Client, Page};

/// Submits the share form of `item` as the personalise page sends it: each `(account, text)`
/// ticked with its text (`account` is a connected account's id from
/// [`Client::share_account_id`], or `own_{network}` to post it oneself), then `fields`
/// (`when`, `at`, `time_zone`, `mastodon_server`). Returns the answer, not followed.
pub async fn submit_share_form(
    client: &Client,
    item: i32,
    texts: &[(impl AsRef<str>, impl AsRef<str>)],
    fields: &[(&str, &str)],
) -> Page {
    let mut form: Vec<(String, String)> = Vec::new();
    for (account, text) in texts {
        let account = account.as_ref();
        form.push((format!("select_{account}"), "on".to_owned()));
        form.push((format!("text_{account}"), text.as_ref().to_owned()));
    }
    let mut pairs: Vec<(&str, &str)> = form
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    pairs.extend_from_slice(fields);
    client
        .post_form(&format!("/hub/items/{item}/share"), &pairs)
        .await
}

/// [`submit_share_form`] with "share now".
pub async fn share_now(
    client: &Client,
    item: i32,
    texts: &[(impl AsRef<str>, impl AsRef<str>)],
) -> Page {
    submit_share_form(client, item, texts, &[("when", "now")]).await
}

/// [`share_now`], asserting that the shares were queued: the form answers with the page that
/// follows them to their posts.
pub async fn queue_now(
    client: &Client,
    item: i32,
    texts: &[(impl AsRef<str>, impl AsRef<str>)],
) -> Page {
    let queued = share_now(client, item, texts).await;
    assert!(
        queued.location().starts_with("/hub/shares/ready?ids="),
        "not queued: {} {}\n{}",
        queued.status,
        queued.location(),
        queued.body
    );
    queued
}

/// Waits (up to 30 s) until the person's history shows `count` shares in `state`; returns the
/// history.
pub async fn wait_for_state(client: &Client, state: &str, count: usize) -> String {
    let needle = format!(r#"data-state="{state}""#);
    let mut body = String::new();
    for _ in 0..300 {
        body = client.get("/hub/shares").await.body;
        if body.matches(&needle).count() >= count {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {count} share(s) in state {state}: {body}");
}
