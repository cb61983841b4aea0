//! Threads (Meta Graph API): OAuth with comma-separated scopes, a short-lived token exchanged at
//! once for the 60-day one and refreshed by itself (`th_refresh_token`), `/me`, and the two-step
//! publish: a container, polled until FINISHED, then `threads_publish`, then the permalink.
//!
//! Errors come in the Graph envelope, usually with HTTP 400: the `code` decides (190 expired
//! token, 4/9/17/32/613 throttling). Threads has no idempotency: a publish step whose outcome is
//! unknown returns [`PublishError::Uncertain`] with the container id, and
//! [`Threads::container_status`] then tells whether it was published.

use std::time::Duration;

use chorus_policy::Network;
use chrono::Utc;
use serde::Deserialize;
use url::Url;

use super::http::{Answer, HttpClient, TokenAnswer, oauth_failure};
use super::{
    Account, AppCredentials, ConnectorError, Identity, Post, PublishError, Published, Secret,
    TokenSet, classify, endpoint, production_url, scope_parameter,
};

/// Where Threads is, and how patiently to wait for a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadsEndpoints {
    /// The consent page (`https://threads.net/oauth/authorize`).
    pub authorize: Url,
    /// The Graph API, token endpoints included (`https://graph.threads.net`).
    pub graph: Url,
    /// Where profiles live (`https://www.threads.net`), for the fallback post URL.
    pub web: Url,
    /// How many times to look at a container's status before giving up.
    pub poll_attempts: u32,
    /// The wait between two looks.
    pub poll_interval: Duration,
}

impl Default for ThreadsEndpoints {
    fn default() -> Self {
        Self {
            authorize: production_url("https://threads.net/oauth/authorize"),
            graph: production_url("https://graph.threads.net"),
            web: production_url("https://www.threads.net"),
            poll_attempts: 10,
            poll_interval: Duration::from_secs(3),
        }
    }
}

impl ThreadsEndpoints {
    /// Everything on one server (a stand-in), polling quickly.
    pub fn at(base: &Url) -> Self {
        Self {
            authorize: endpoint(base, "/oauth/authorize"),
            graph: base.clone(),
            poll_attempts: 5,
            poll_interval: Duration::from_millis(20),
            ..Self::default()
        }
    }
}

/// A container's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerStatus {
    /// Still being prepared.
    InProgress,
    /// Ready to publish.
    Finished,
    /// Already published: the post exists.
    Published,
    /// Failed, with Threads' message.
    Error(String),
    /// Older than 24 h, never published.
    Expired,
}

/// A connector for Threads.
#[derive(Debug, Clone)]
pub struct Threads {
    http: HttpClient,
    endpoints: ThreadsEndpoints,
}

#[derive(Deserialize)]
struct IdJson {
    id: String,
}

#[derive(Deserialize)]
struct MeJson {
    id: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct StatusJson {
    status: String,
    #[serde(default)]
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct PermalinkJson {
    permalink: String,
}

impl Threads {
    /// A connector for Threads at `endpoints`.
    pub fn new(http: HttpClient, endpoints: ThreadsEndpoints) -> Self {
        Self { http, endpoints }
    }

    fn graph(&self, path: &str) -> Url {
        endpoint(&self.endpoints.graph, path)
    }

    fn classify(answer: &Answer) -> PublishError {
        classify(Network::Threads, answer, Utc::now())
    }

    /// The consent page with policy's scopes, comma-separated, and `state` (no PKCE).
    pub fn authorize_url(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        state: &str,
        _pkce_challenge: &str,
    ) -> Url {
        let mut url = self.endpoints.authorize.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope_parameter(Network::Threads))
            .append_pair("response_type", "code")
            .append_pair("state", state);
        url
    }

    /// Exchanges the code for the 1-hour token (no `token_type`, parsed by hand), then at once
    /// for the 60-day one (`th_exchange_token`).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a bad, used or expired code or wrong credentials.
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, ConnectorError> {
        // Meta appends `#_` to the redirect; a caller that kept it must not send it.
        let code = code.strip_suffix("#_").unwrap_or(code);
        let secret = app
            .client_secret
            .as_ref()
            .map(Secret::expose)
            .unwrap_or_default();
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", secret),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
        ];
        let request = self
            .http
            .inner()
            .post(self.graph("/oauth/access_token"))
            .form(&form);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        let short = TokenAnswer::parse(&answer)?;
        let query = [
            ("grant_type", "th_exchange_token"),
            ("client_secret", secret),
            ("access_token", short.access_token.as_str()),
        ];
        let scopes: Vec<&str> = chorus_policy::scopes(Network::Threads).to_vec();
        self.token_call("/access_token", &query, &scopes).await
    }

    async fn token_call(
        &self,
        path: &str,
        query: &[(&str, &str)],
        scopes: &[&str],
    ) -> Result<TokenSet, ConnectorError> {
        let request = self.http.inner().get(self.graph(path)).query(query);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        Ok(TokenAnswer::parse(&answer)?.into_token_set(Utc::now(), scopes))
    }

    /// Refreshes the 60-day token by itself (`th_refresh_token`); Threads allows it once the
    /// token is 24 hours old and still valid.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a token younger than 24 h; `Unauthorized` for an expired
    /// one (the account must be reconnected).
    pub async fn refresh(
        &self,
        _app: &AppCredentials,
        current: &TokenSet,
    ) -> Result<TokenSet, ConnectorError> {
        let query = [
            ("grant_type", "th_refresh_token"),
            ("access_token", current.access_token.expose()),
        ];
        let scopes: Vec<&str> = current.scopes.iter().map(String::as_str).collect();
        Ok(self
            .token_call("/refresh_access_token", &query, &scopes)
            .await?
            .merge_refresh(current))
    }

    /// `GET /v1.0/me?fields=id,username,name`.
    ///
    /// # Errors
    /// [`ConnectorError::Unauthorized`] for a bad or expired token (Graph code 190).
    pub async fn identity(&self, token: &Secret) -> Result<Identity, ConnectorError> {
        let request = self.http.inner().get(self.graph("/v1.0/me")).query(&[
            ("fields", "id,username,name"),
            ("access_token", token.expose()),
        ]);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer).into());
        }
        let me: MeJson =
            serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
                detail: "/me has no id or username".to_owned(),
            })?;
        Ok(Identity {
            profile_url: Some(self.profile_url(&me.username)),
            display_name: me
                .name
                .filter(|name| !name.trim().is_empty())
                .unwrap_or_else(|| me.username.clone()),
            handle: me.username,
            external_id: me.id,
        })
    }

    fn profile_url(&self, username: &str) -> String {
        endpoint(
            &self.endpoints.web,
            &format!("/@{}", username.trim_start_matches('@')),
        )
        .into()
    }

    /// Step one: a TEXT container (`link_attachment` when the post has a link), or an IMAGE
    /// container with the image's public address and alt text (the link stays in the text;
    /// Threads fetches the image, and the container is FINISHED once it has it).
    ///
    /// # Errors
    /// A classified [`PublishError`]; a container is not a post, so any failure here is safe
    /// to retry.
    pub async fn create_container(
        &self,
        account: &Account,
        post: &Post,
    ) -> Result<String, PublishError> {
        let mut form = vec![
            ("text", post.text.as_str()),
            ("access_token", account.access_token.expose()),
        ];
        if let Some(image) = &post.image {
            // Threads takes no upload: it fetches the image from Chorus's address for it.
            image.check(Network::Threads)?;
            let url = image
                .public_url
                .as_deref()
                .ok_or_else(|| PublishError::Rejected {
                    message: "Threads fetches images by address, and this image has none"
                        .to_owned(),
                })?;
            form.extend([
                ("media_type", "IMAGE"),
                ("image_url", url),
                ("alt_text", image.alt.as_str()),
            ]);
        } else {
            form.push(("media_type", "TEXT"));
            if let Some(link) = &post.link {
                form.push(("link_attachment", link));
            }
        }
        let path = format!("/v1.0/{}/threads", account.external_id);
        let request = self.http.inner().post(self.graph(&path)).form(&form);
        let answer = self.http.send(request).await.map_err(not_uncertain)?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let container: IdJson =
            serde_json::from_str(&answer.body).map_err(|_| PublishError::Unavailable {
                retryable_before_send: false,
                status: Some(answer.status),
                detail: "Threads created a container but its answer has no id".to_owned(),
            })?;
        Ok(container.id)
    }

    /// A container's status (`GET /{container}?fields=status,error_message`).
    ///
    /// # Errors
    /// A classified [`PublishError`].
    pub async fn container_status(
        &self,
        account: &Account,
        container_id: &str,
    ) -> Result<ContainerStatus, PublishError> {
        let request = self
            .http
            .inner()
            .get(self.graph(&format!("/v1.0/{container_id}")))
            .query(&[
                ("fields", "status,error_message"),
                ("access_token", account.access_token.expose()),
            ]);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let status: StatusJson =
            serde_json::from_str(&answer.body).map_err(|_| PublishError::Rejected {
                message: "Threads sent a container without a status".to_owned(),
            })?;
        Ok(match status.status.as_str() {
            "FINISHED" => ContainerStatus::Finished,
            "PUBLISHED" => ContainerStatus::Published,
            "EXPIRED" => ContainerStatus::Expired,
            "ERROR" => ContainerStatus::Error(status.error_message.unwrap_or_default()),
            _ => ContainerStatus::InProgress,
        })
    }

    /// Step two: waits (bounded) until the container is FINISHED, publishes it, and reads the
    /// post's permalink (the shortcode is not the media id). If the permalink cannot be read the
    /// post still exists: the profile URL stands in rather than an error that would re-send.
    ///
    /// # Errors
    /// [`PublishError::Uncertain`] with `container_id` when the publish call got no answer;
    /// [`PublishError::Duplicate`] for a container already published; `Rejected` for one that
    /// failed or expired; `Unavailable` when it was not ready in time; the classified failure
    /// otherwise.
    pub async fn publish_container(
        &self,
        account: &Account,
        container_id: &str,
    ) -> Result<Published, PublishError> {
        self.wait_until_finished(account, container_id).await?;
        let path = format!("/v1.0/{}/threads_publish", account.external_id);
        let form = [
            ("creation_id", container_id),
            ("access_token", account.access_token.expose()),
        ];
        let request = self.http.inner().post(self.graph(&path)).form(&form);
        let with_container = |error: PublishError| match error {
            PublishError::Uncertain { detail, .. } => PublishError::Uncertain {
                detail,
                container_id: Some(container_id.to_owned()),
            },
            other => other,
        };
        let answer = self.http.send(request).await.map_err(with_container)?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let media: IdJson = serde_json::from_str(&answer.body).map_err(|_| {
            with_container(PublishError::Uncertain {
                detail: "Threads published but its answer has no id".to_owned(),
                container_id: None,
            })
        })?;
        let url = match self.permalink(account, &media.id).await {
            Some(permalink) => permalink,
            None => self.profile_url(&account.handle),
        };
        Ok(Published {
            external_id: media.id,
            url,
        })
    }

    async fn wait_until_finished(
        &self,
        account: &Account,
        container_id: &str,
    ) -> Result<(), PublishError> {
        for attempt in 0..self.endpoints.poll_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(self.endpoints.poll_interval).await;
            }
            match self.container_status(account, container_id).await? {
                ContainerStatus::Finished => return Ok(()),
                ContainerStatus::InProgress => {}
                ContainerStatus::Published => {
                    return Err(PublishError::Duplicate {
                        message: format!("the container {container_id} is already published"),
                    });
                }
                ContainerStatus::Expired => {
                    return Err(PublishError::Rejected {
                        message: "the container expired (24 h) before it was published".to_owned(),
                    });
                }
                ContainerStatus::Error(message) => {
                    return Err(PublishError::Rejected { message });
                }
            }
        }
        Err(PublishError::Unavailable {
            retryable_before_send: true,
            status: None,
            detail: format!("the container {container_id} was not ready in time"),
        })
    }

    async fn permalink(&self, account: &Account, media_id: &str) -> Option<String> {
        let request = self
            .http
            .inner()
            .get(self.graph(&format!("/v1.0/{media_id}")))
            .query(&[
                ("fields", "permalink"),
                ("access_token", account.access_token.expose()),
            ]);
        let answer = self.http.send(request).await.ok()?;
        if !answer.is_success() {
            return None;
        }
        serde_json::from_str::<PermalinkJson>(&answer.body)
            .ok()
            .map(|json| json.permalink)
    }

    /// Both steps: a container, then its publication (see [`Threads::publish_container`]).
    ///
    /// # Errors
    /// As [`Threads::create_container`] and [`Threads::publish_container`].
    pub async fn publish(&self, account: &Account, post: &Post) -> Result<Published, PublishError> {
        let container_id = self.create_container(account, post).await?;
        self.publish_container(account, &container_id).await
    }

    /// Threads offers no deletion through its API.
    ///
    /// # Errors
    /// Always [`PublishError::Unsupported`].
    #[allow(
        clippy::unused_async,
        reason = "the same shape as the other networks' delete"
    )]
    pub async fn delete(&self, _account: &Account, _external_id: &str) -> Result<(), PublishError> {
        Err(PublishError::Unsupported {
            network: Network::Threads,
            operation: "deleting a post",
        })
    }
}

/// A container creation that got no answer made at most a container, never a post: retrying
/// is harmless, so it is `Unavailable` rather than `Uncertain`.
fn not_uncertain(error: PublishError) -> PublishError {
    match error {
        PublishError::Uncertain { detail, .. } => PublishError::Unavailable {
            retryable_before_send: false,
            status: None,
            detail,
        },
        other => other,
    }
}
