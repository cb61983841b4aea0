//! The organisation's chat channels: a Slack channel and a Microsoft Teams channel through
//! incoming webhooks, a Matrix room through the client-server API. An admin connects them
//! (`/admin/channels`; the webhook addresses and the Matrix token are secrets, sealed like
//! network tokens); editors' announcements are posted there, once per channel. A channel post
//! names nobody: it says what the editor wrote and links to the item's page.

use serde_json::{Value, json};
use url::Url;

use crate::store::StoreError;

pub(crate) const SLACK: &str = "chat.slack_webhook";
pub(crate) const TEAMS: &str = "chat.teams_webhook";
const MATRIX_SERVER: &str = "chat.matrix_homeserver";
pub(crate) const MATRIX_TOKEN: &str = "chat.matrix_token";
const MATRIX_ROOM: &str = "chat.matrix_room";

/// A channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Slack, incoming webhook.
    Slack,
    /// Microsoft Teams, incoming webhook (a Workflows or connector address).
    Teams,
    /// A Matrix room.
    Matrix,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Slack, Channel::Teams, Channel::Matrix];

    /// Its name in job kinds.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Slack => "slack",
            Channel::Teams => "teams",
            Channel::Matrix => "matrix",
        }
    }

    /// Its name as people know it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Channel::Slack => "Slack",
            Channel::Teams => "Microsoft Teams",
            Channel::Matrix => "Matrix",
        }
    }

    /// The channel named so.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The Matrix room Chorus posts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The homeserver (`https://matrix.example.org`).
    pub homeserver: Url,
    /// The access token of the account that posts.
    pub token: String,
    /// The room id (`!abc:example.org`).
    pub room: String,
}

/// The channels connected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channels {
    /// Slack's webhook address.
    pub slack: Option<Url>,
    /// Teams' webhook address.
    pub teams: Option<Url>,
    /// The Matrix room.
    pub matrix: Option<Matrix>,
}

impl Channels {
    /// Whether no channel is connected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !Channel::ALL.into_iter().any(|c| self.has(c))
    }

    /// Whether `channel` is connected.
    #[must_use]
    pub fn has(&self, channel: Channel) -> bool {
        match channel {
            Channel::Slack => self.slack.is_some(),
            Channel::Teams => self.teams.is_some(),
            Channel::Matrix => self.matrix.is_some(),
        }
    }
}

fn place(key: &'static str) -> chorus_ambassador::vault::Place<'static> {
    chorus_ambassador::vault::Place {
        table: "org_settings",
        column: key,
        row: 0,
    }
}

async fn secret(
    db: &impl sea_orm::ConnectionTrait,
    vault: &chorus_ambassador::vault::Vault,
    key: &'static str,
) -> Result<Option<String>, StoreError> {
    Ok(crate::sso::read(db, key)
        .await?
        .and_then(|sealed| vault.open(place(key), &sealed).ok()))
}

/// The channels an admin connected (a secret that no longer opens counts as not connected).
///
/// # Errors
/// Database failure.
pub async fn channels(
    db: &impl sea_orm::ConnectionTrait,
    vault: &chorus_ambassador::vault::Vault,
) -> Result<Channels, StoreError> {
    let url = |text: Option<String>| text.and_then(|t| Url::parse(&t).ok());
    let matrix = match (
        url(crate::sso::read(db, MATRIX_SERVER).await?),
        secret(db, vault, MATRIX_TOKEN).await?,
        crate::sso::read(db, MATRIX_ROOM).await?,
    ) {
        (Some(homeserver), Some(token), Some(room)) => Some(Matrix {
            homeserver,
            token,
            room,
        }),
        _ => None,
    };
    Ok(Channels {
        slack: url(secret(db, vault, SLACK).await?),
        teams: url(secret(db, vault, TEAMS).await?),
        matrix,
    })
}

/// What the admin typed: each secret is sealed; `None` keeps what is stored, `Some("")` removes
/// it.
#[derive(Debug, Default)]
pub struct Change<'a> {
    /// Slack's webhook address.
    pub slack: Option<&'a str>,
    /// Teams' webhook address.
    pub teams: Option<&'a str>,
    /// The Matrix homeserver, token and room (the token kept when `None`).
    pub matrix: Option<(&'a str, Option<&'a str>, &'a str)>,
}

/// Stores the channels.
///
/// # Errors
/// Database failure.
pub async fn save(
    db: &impl sea_orm::ConnectionTrait,
    vault: &chorus_ambassador::vault::Vault,
    change: &Change<'_>,
) -> Result<(), StoreError> {
    let sealed = |key: &'static str, value: &str| {
        if value.is_empty() {
            String::new()
        } else {
            vault.seal(place(key), value)
        }
    };
    if let Some(slack) = change.slack {
        crate::sso::write(db, SLACK, &sealed(SLACK, slack)).await?;
    }
    if let Some(teams) = change.teams {
        crate::sso::write(db, TEAMS, &sealed(TEAMS, teams)).await?;
    }
    if let Some((server, token, room)) = change.matrix {
        crate::sso::write(db, MATRIX_SERVER, server).await?;
        crate::sso::write(db, MATRIX_ROOM, room).await?;
        if let Some(token) = token {
            crate::sso::write(db, MATRIX_TOKEN, &sealed(MATRIX_TOKEN, token)).await?;
        }
    }
    Ok(())
}

/// An announcement as a channel shows it.
#[derive(Debug, Clone)]
pub struct Post {
    /// The item's title.
    pub title: String,
    /// The editor's words.
    pub message: String,
    /// Who announced it.
    pub author: String,
    /// The item's page.
    pub url: String,
    /// The button's words.
    pub action: String,
}

/// Slack's incoming-webhook payload: `text` (the notification and fallback) and blocks.
#[must_use]
pub fn slack_payload(post: &Post) -> Value {
    json!({
        "text": format!("{}: {}", post.author, post.title),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn",
                "text": format!("*<{}|{}>*\n{}", post.url, slack_escape(&post.title), slack_escape(&post.message))}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(&post.author)}]},
        ],
        "unfurl_links": false,
    })
}

/// Slack's three control characters, escaped as its documentation asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Teams' incoming-webhook payload: a message with one Adaptive Card.
#[must_use]
pub fn teams_payload(post: &Post) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": post.title, "weight": "Bolder", "size": "Medium", "wrap": true},
                    {"type": "TextBlock", "text": post.message, "wrap": true},
                    {"type": "TextBlock", "text": post.author, "isSubtle": true, "wrap": true},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": post.action, "url": post.url}],
            },
        }],
    })
}

/// A Matrix `m.room.message` event: plain text and its HTML form.
#[must_use]
pub fn matrix_payload(post: &Post) -> Value {
    let html = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    json!({
        "msgtype": "m.text",
        "body": format!("{}\n{}\n{} — {}", post.title, post.message, post.author, post.url),
        "format": "org.matrix.custom.html",
        "formatted_body": format!(
            "<p><strong><a href=\"{}\">{}</a></strong></p><p>{}</p><p><em>{}</em></p>",
            html(&post.url), html(&post.title), html(&post.message), html(&post.author)
        ),
    })
}

/// Why a post did not go.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The channel was disconnected since.
    #[error("the channel is no longer connected")]
    NotConnected,
    /// The service answered with an error, or could not be reached.
    #[error("{0}")]
    Service(String),
}

/// Where a post goes: a webhook (Slack or Teams; the organisation's channel or a person's own
/// address) or a Matrix room.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An incoming webhook of Slack or Teams.
    Webhook(Channel, &'a Url),
    /// A Matrix room, posted to with the organisation's account.
    Matrix {
        /// The homeserver.
        homeserver: &'a Url,
        /// The account's access token.
        token: &'a str,
        /// The room id.
        room: &'a str,
    },
}

impl Target<'_> {
    /// The service.
    #[must_use]
    pub fn channel(&self) -> Channel {
        match self {
            Target::Webhook(channel, _) => *channel,
            Target::Matrix { .. } => Channel::Matrix,
        }
    }
}

/// Posts to a channel of the organisation. The Matrix transaction id is `txn`, so a retry after
/// a lost answer is the same event, not a second one (the homeserver deduplicates it).
///
/// # Errors
/// [`ChatError`].
pub async fn post(
    client: &reqwest::Client,
    channels: &Channels,
    channel: Channel,
    post: &Post,
    txn: &str,
) -> Result<(), ChatError> {
    let target = match channel {
        Channel::Slack => Target::Webhook(
            channel,
            channels.slack.as_ref().ok_or(ChatError::NotConnected)?,
        ),
        Channel::Teams => Target::Webhook(
            channel,
            channels.teams.as_ref().ok_or(ChatError::NotConnected)?,
        ),
        Channel::Matrix => {
            let matrix = channels.matrix.as_ref().ok_or(ChatError::NotConnected)?;
            Target::Matrix {
                homeserver: &matrix.homeserver,
                token: &matrix.token,
                room: &matrix.room,
            }
        }
    };
    send(client, target, post, txn).await
}

/// A Matrix client-server address: the homeserver's base followed by `segments`.
fn matrix_url(homeserver: &Url, segments: &[&str]) -> Result<Url, ChatError> {
    let mut url = homeserver.clone();
    url.path_segments_mut()
        .map_err(|()| ChatError::Service("the homeserver address is not a base".into()))?
        .pop_if_empty()
        .extend(["_matrix", "client", "v3"])
        .extend(segments);
    Ok(url)
}

/// Posts to `target`.
///
/// # Errors
/// [`ChatError`].
pub async fn send(
    client: &reqwest::Client,
    target: Target<'_>,
    post: &Post,
    txn: &str,
) -> Result<(), ChatError> {
    let request = match target {
        Target::Webhook(Channel::Teams, url) => {
            client.post(url.as_str()).json(&teams_payload(post))
        }
        Target::Webhook(_, url) => client.post(url.as_str()).json(&slack_payload(post)),
        Target::Matrix {
            homeserver,
            token,
            room,
        } => client
            .put(matrix_url(
                homeserver,
                &["rooms", room, "send", "m.room.message", txn],
            )?)
            .bearer_auth(token)
            .json(&matrix_payload(post)),
    };
    answer(target.channel(), request.send().await)
        .await
        .map(|_| ())
}

/// The service's answer: its JSON body on success, else why not.
async fn answer(
    channel: Channel,
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<Value, ChatError> {
    let response = response.map_err(|e| {
        ChatError::Service(format!("{} could not be reached: {e}", channel.as_str()))
    })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(serde_json::from_str(&body).unwrap_or(Value::Null));
    }
    let body: String = body.chars().take(200).collect();
    Err(ChatError::Service(format!(
        "{} answered {status}: {body}",
        channel.as_str()
    )))
}

/// Opens a direct room between the organisation's Matrix account and `person` (a Matrix ID,
/// invited), and returns its id.
///
/// # Errors
/// [`ChatError`].
pub async fn open_direct_room(
    client: &reqwest::Client,
    matrix: &Matrix,
    person: &str,
    name: &str,
) -> Result<String, ChatError> {
    let body = json!({
        "preset": "trusted_private_chat",
        "is_direct": true,
        "invite": [person],
        "name": name,
    });
    let request = client
        .post(matrix_url(&matrix.homeserver, &["createRoom"])?)
        .bearer_auth(&matrix.token)
        .json(&body);
    let answer = answer(Channel::Matrix, request.send().await).await?;
    answer["room_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ChatError::Service("matrix answered without a room id".into()))
}

/// Whether `text` is a Matrix user ID (`@localpart:server.name`, the grammar of the Matrix
/// specification's user identifiers, historical characters refused).
#[must_use]
pub fn is_matrix_id(text: &str) -> bool {
    let Some((local, server)) = text.strip_prefix('@').and_then(|rest| rest.split_once(':')) else {
        return false;
    };
    let (host, port) = match server.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || server.starts_with('[') => (host, Some(port)),
        _ => (server, None),
    };
    text.len() <= 255
        && !local.is_empty()
        && local
            .chars()
            .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '=' | '-' | '/' | '+'))
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> Post {
        Post {
            title: "Solar <in> Lyon".into(),
            message: "Tell your network & friends".into(),
            author: "Eli".into(),
            url: "https://chorus.example.org/hub/items/1".into(),
            action: "See it in the hub".into(),
        }
    }

    #[test]
    fn payloads_have_each_services_shape_and_escape_what_it_asks() {
        let slack = slack_payload(&post());
        assert_eq!(slack["text"], "Eli: Solar <in> Lyon");
        let section = slack["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(section.contains("<https://chorus.example.org/hub/items/1|Solar &lt;in&gt; Lyon>"));
        assert!(section.contains("network &amp; friends"));
        let teams = teams_payload(&post());
        assert_eq!(
            teams["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
        assert_eq!(
            teams["attachments"][0]["content"]["actions"][0]["url"],
            "https://chorus.example.org/hub/items/1"
        );
        let matrix = matrix_payload(&post());
        assert_eq!(matrix["msgtype"], "m.text");
        assert!(
            matrix["formatted_body"]
                .as_str()
                .unwrap()
                .contains("Solar &lt;in&gt; Lyon")
        );
        assert!(matrix["body"].as_str().unwrap().contains("Solar <in> Lyon"));
    }

    #[test]
    fn matrix_ids_follow_the_specifications_grammar() {
        for good in [
            "@alice:example.org",
            "@a.b_c=d-e/f+g:matrix.example.org",
            "@bob:example.org:8448",
            "@carol:[::1]:8448",
        ] {
            assert!(is_matrix_id(good), "{good}");
        }
        for bad in [
            "",
            "alice:example.org",
            "@alice",
            "@:example.org",
            "@Alice:example.org",
            "@alice:",
            "@al ice:example.org",
            "@alice:example.org:",
            "@alice:example.org:123456",
            "@alice:exa mple.org",
        ] {
            assert!(!is_matrix_id(bad), "{bad}");
        }
    }
}
