//! Mastodon (one instance): app registration per instance, OAuth with S256 PKCE and tokens that
//! never expire, `verify_credentials`, and statuses posted with an `Idempotency-Key` so a retry
//! after an uncertain attempt returns the same status instead of a second one.

use chorus_policy::Network;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::http::{Answer, HttpClient, TokenAnswer, multipart, oauth_failure};
use super::{
    Account, AppCredentials, ConnectorError, Identity, Post, PostImage, PublishError, Published,
    Secret, TokenSet, classify, endpoint, scope_parameter,
};

/// Where a Mastodon instance is: everything lives under its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MastodonEndpoints {
    /// The instance the member typed (`https://mastodon.social`).
    pub instance: Url,
}

/// A connector for one Mastodon instance.
#[derive(Debug, Clone)]
pub struct Mastodon {
    http: HttpClient,
    endpoints: MastodonEndpoints,
}

#[derive(Deserialize)]
struct RegisteredApp {
    client_id: String,
    client_secret: String,
}

#[derive(Deserialize)]
struct AccountJson {
    id: String,
    username: String,
    #[serde(default)]
    acct: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct StatusJson {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
}

impl Mastodon {
    /// A connector for the instance at `endpoints.instance`.
    pub fn new(http: HttpClient, endpoints: MastodonEndpoints) -> Self {
        Self { http, endpoints }
    }

    fn url(&self, path: &str) -> Url {
        endpoint(&self.endpoints.instance, path)
    }

    fn classify(answer: &Answer) -> PublishError {
        classify(Network::Mastodon, answer, Utc::now())
    }

    /// Registers Chorus on the instance (`POST /api/v1/apps`) with policy's scopes; done once
    /// per instance, the credentials then reused.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] with the instance's message (a bad redirect URI is 422).
    pub async fn register_app(
        &self,
        client_name: &str,
        redirect_uri: &str,
        website: Option<&str>,
    ) -> Result<AppCredentials, ConnectorError> {
        let body = json!({
            "client_name": client_name,
            "redirect_uris": [redirect_uri],
            "scopes": scope_parameter(Network::Mastodon),
            "website": website,
        });
        let request = self.http.inner().post(self.url("/api/v1/apps")).json(&body);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        let app: RegisteredApp =
            serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
                detail: "the app registration has no client_id or client_secret".to_owned(),
            })?;
        Ok(AppCredentials {
            client_id: app.client_id,
            client_secret: Some(Secret::new(app.client_secret)),
        })
    }

    /// `/oauth/authorize` with policy's scopes, `state` and the S256 challenge.
    pub fn authorize_url(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        state: &str,
        pkce_challenge: &str,
    ) -> Url {
        let mut url = self.url("/oauth/authorize");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope_parameter(Network::Mastodon))
            .append_pair("state", state)
            .append_pair("code_challenge", pkce_challenge)
            .append_pair("code_challenge_method", "S256");
        url
    }

    /// Exchanges the code (secret in the body, the PKCE verifier sent) for a token that never
    /// expires.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] with the instance's message for a bad code or client.
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, ConnectorError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pkce_verifier.expose()),
        ];
        if let Some(secret) = &app.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let request = self.http.inner().post(self.url("/oauth/token")).form(&form);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        let mut tokens = TokenAnswer::parse(&answer)?.into_token_set(Utc::now(), &[]);
        // Mastodon tokens never expire, whatever a proxy might add.
        tokens.expires_at = None;
        Ok(tokens)
    }

    /// Revokes a token (`POST /oauth/revoke`).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] when the instance refuses the app's credentials.
    pub async fn revoke(&self, app: &AppCredentials, token: &Secret) -> Result<(), ConnectorError> {
        let mut form = vec![
            ("client_id", app.client_id.as_str()),
            ("token", token.expose()),
        ];
        if let Some(secret) = &app.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let request = self
            .http
            .inner()
            .post(self.url("/oauth/revoke"))
            .form(&form);
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(oauth_failure(&answer, Self::classify(&answer)))
        }
    }

    /// `GET /api/v1/accounts/verify_credentials`; the handle is `username@instance-host`.
    ///
    /// # Errors
    /// [`ConnectorError::Unauthorized`] for a bad token.
    pub async fn identity(&self, token: &Secret) -> Result<Identity, ConnectorError> {
        let request = self
            .http
            .inner()
            .get(self.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(token.expose());
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer).into());
        }
        let account: AccountJson =
            serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
                detail: "verify_credentials has no id or username".to_owned(),
            })?;
        let acct = account.acct.unwrap_or_else(|| account.username.clone());
        let handle = if acct.contains('@') {
            acct
        } else {
            let host = self.endpoints.instance.host_str().unwrap_or_default();
            match self.endpoints.instance.port() {
                Some(port) => format!("{acct}@{host}:{port}"),
                None => format!("{acct}@{host}"),
            }
        };
        Ok(Identity {
            external_id: account.id,
            display_name: account
                .display_name
                .filter(|name| !name.trim().is_empty())
                .unwrap_or(account.username),
            handle,
            profile_url: account.url,
        })
    }

    /// `POST /api/v1/statuses` (public, in the post's language) with `Idempotency-Key` set to
    /// the post's key: a retry with the same key returns the same status.
    ///
    /// # Errors
    /// A classified [`PublishError`] (see the table in `classify`).
    pub async fn publish(&self, account: &Account, post: &Post) -> Result<Published, PublishError> {
        let mut body = json!({"status": post.text, "visibility": "public"});
        if let Some(image) = &post.image {
            body["media_ids"] = json!([self.upload_image(account, image).await?]);
        }
        if let Some(language) = &post.language {
            body["language"] = json!(language);
        }
        let request = self
            .http
            .inner()
            .post(self.url("/api/v1/statuses"))
            .bearer_auth(account.access_token.expose())
            .header("Idempotency-Key", &post.idempotency_key)
            .json(&body);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let status: StatusJson =
            serde_json::from_str(&answer.body).map_err(|_| PublishError::Uncertain {
                detail: "the instance accepted the status but its answer has no id".to_owned(),
                container_id: None,
            })?;
        let url = status
            .url
            .or(status.uri)
            .unwrap_or_else(|| self.url(&format!("/web/statuses/{}", status.id)).into());
        Ok(Published {
            external_id: status.id,
            url,
        })
    }

    /// Uploads a post's image with its description (`POST /api/v2/media`, multipart form data),
    /// then waits while the instance processes it (`GET /api/v1/media/:id` answers 206 until it
    /// is ready), at most 30 s. An image the instance refuses fails the post with its reason.
    async fn upload_image(
        &self,
        account: &Account,
        image: &PostImage,
    ) -> Result<String, PublishError> {
        let refused = |message: String| PublishError::Rejected { message };
        image.check(Network::Mastodon)?;
        let (content_type, body) = multipart(
            &[("description", &image.alt)],
            ("file", &image.mime, &image.bytes),
        );
        let request = self
            .http
            .inner()
            .post(self.url("/api/v2/media"))
            .bearer_auth(account.access_token.expose())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let media = answer.json();
        let id = media["id"]
            .as_str()
            .ok_or_else(|| refused("the instance took the image but sent no id".to_owned()))?
            .to_owned();
        let mut ready = !media["url"].is_null();
        for _ in 0..60 {
            if ready {
                return Ok(id);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let request = self
                .http
                .inner()
                .get(self.url(&format!("/api/v1/media/{id}")))
                .bearer_auth(account.access_token.expose());
            let answer = self.http.send(request).await?;
            match answer.status {
                200 => ready = true,
                206 => {}
                _ => return Err(Self::classify(&answer)),
            }
        }
        Err(PublishError::Unavailable {
            retryable_before_send: true,
            status: None,
            detail: "the instance was still processing the image after 30 s".to_owned(),
        })
    }

    /// `DELETE /api/v1/statuses/:id`.
    ///
    /// # Errors
    /// A classified [`PublishError`] (404 gives `Rejected` "Record not found").
    pub async fn delete(&self, account: &Account, external_id: &str) -> Result<(), PublishError> {
        let mut url = self.url("/api/v1/statuses");
        url.path_segments_mut()
            .map_err(|()| PublishError::Rejected {
                message: "the instance URL cannot take a path".to_owned(),
            })?
            .push(external_id);
        let request = self
            .http
            .inner()
            .delete(url)
            .bearer_auth(account.access_token.expose());
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(Self::classify(&answer))
        }
    }
}
