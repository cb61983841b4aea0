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

/// Adds an image with its description to `item`, as an editor does on the item's page; returns
/// the image's id.
pub async fn add_item_image(editor: &Client, item: i32, bytes: &[u8], alt: &str) -> i32 {
    let token = editor.token().await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("picture"),
        )
        .text("alt", alt.to_owned());
    let response = editor
        .http()
        .post(editor.url(&format!("/editor/items/{item}/images?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status().as_u16(), 303, "image uploaded");
    let page = editor.get(&format!("/editor/items/{item}")).await.body;
    let ids: Vec<i32> = page
        .match_indices(r#"src="/media/"#)
        .filter_map(|(at, marker)| {
            page[at + marker.len()..]
                .split('"')
                .next()
                .and_then(|id| id.parse().ok())
        })
        .collect();
    *ids.iter().max().expect("the image is on the item's page")
}

/// Submits the share form of `item` as a browser sends it (multipart, the token in the
/// address), with `fields` (`image`, `image_alt`, `when`...) and, when given, the person's own
/// image file. Returns the answer, not followed.
pub async fn submit_share_with_image(
    client: &Client,
    item: i32,
    texts: &[(impl AsRef<str>, impl AsRef<str>)],
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> Page {
    let token = client.token().await;
    let mut form = reqwest::multipart::Form::new();
    for (account, text) in texts {
        let account = account.as_ref();
        form = form
            .text(format!("select_{account}"), "on")
            .text(format!("text_{account}"), text.as_ref().to_owned());
    }
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    if let Some(bytes) = file {
        form = form.part(
            "image_file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("mine.jpg"),
        );
    }
    let response = client
        .http()
        .post(client.url(&format!("/hub/items/{item}/share?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .expect("share form");
    Page {
        status: response.status().as_u16(),
        url: response.url().to_string(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}
