//! X (API v2): OAuth 2.0 with mandatory PKCE S256 (Basic authentication for a confidential
//! client, `client_id` in the body for a public one), rotating single-use refresh tokens,
//! `/2/users/me`, and posts (`POST /2/tweets`, with an image uploaded through `/2/media/upload`
//! and described through `/2/media/metadata`), which X does not make idempotent.

use base64::Engine as _;
use chorus_policy::Network;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::http::{Answer, HttpClient, TokenAnswer, multipart, oauth_failure};
use super::{
    Account, AppCredentials, ConnectorError, Identity, Post, PostImage, PublishError, Published,
    Secret, TokenSet, classify, endpoint, production_url, scope_parameter,
};

/// Where X is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XEndpoints {
    /// The consent page (`https://x.com/i/oauth2/authorize`).
    pub authorize: Url,
    /// The API, token and revoke endpoints included (`https://api.x.com`).
    pub api: Url,
    /// Where public post pages live (`https://x.com`).
    pub web: Url,
}

impl Default for XEndpoints {
    fn default() -> Self {
        Self {
            authorize: production_url("https://x.com/i/oauth2/authorize"),
            api: production_url("https://api.x.com"),
            web: production_url("https://x.com"),
        }
    }
}

impl XEndpoints {
    /// Everything on one server (a stand-in), post pages still on `https://x.com`.
    pub fn at(base: &Url) -> Self {
        Self {
            authorize: endpoint(base, "/i/oauth2/authorize"),
            api: base.clone(),
            ..Self::default()
        }
    }
}

/// A connector for X.
#[derive(Debug, Clone)]
pub struct X {
    http: HttpClient,
    endpoints: XEndpoints,
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct UserJson {
    id: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct TweetJson {
    id: String,
}

impl X {
    /// A connector for X at `endpoints`.
    pub fn new(http: HttpClient, endpoints: XEndpoints) -> Self {
        Self { http, endpoints }
    }

    fn api(&self, path: &str) -> Url {
        endpoint(&self.endpoints.api, path)
    }

    fn classify(answer: &Answer) -> PublishError {
        classify(Network::X, answer, Utc::now())
    }

    /// A request to the token or revoke endpoint, authenticated as X wants: Basic for a
    /// confidential client, `client_id` in the form for a public one.
    fn client_request(
        &self,
        path: &str,
        app: &AppCredentials,
        form: &mut Vec<(&'static str, String)>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.inner().post(self.api(path));
        match &app.client_secret {
            Some(secret) => {
                let pair = format!(
                    "{}:{}",
                    form_encode(&app.client_id),
                    form_encode(secret.expose())
                );
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                request.header("Authorization", format!("Basic {encoded}"))
            }
            None => {
                form.push(("client_id", app.client_id.clone()));
                request
            }
        }
    }

    /// The consent page with policy's scopes, `state` and the S256 challenge.
    pub fn authorize_url(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        state: &str,
        pkce_challenge: &str,
    ) -> Url {
        let mut url = self.endpoints.authorize.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope_parameter(Network::X))
            .append_pair("state", state)
            .append_pair("code_challenge", pkce_challenge)
            .append_pair("code_challenge_method", "S256");
        url
    }

    async fn token_call(
        &self,
        app: &AppCredentials,
        mut form: Vec<(&'static str, String)>,
    ) -> Result<TokenSet, ConnectorError> {
        let request = self
            .client_request("/2/oauth2/token", app, &mut form)
            .form(&form);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        Ok(TokenAnswer::parse(&answer)?.into_token_set(Utc::now(), &[]))
    }

    /// Exchanges the code (with the PKCE verifier, which X requires) for a 2-hour token and,
    /// with `offline.access`, a refresh token.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a bad or expired (30 s) code, a wrong verifier or client.
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, ConnectorError> {
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("code_verifier", pkce_verifier.expose().to_owned()),
        ];
        self.token_call(app, form).await
    }

    /// Exchanges the (single-use) refresh token for a new pair; the old refresh token is dead
    /// afterwards, so the caller must store the answer before anything else.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] without a refresh token; [`ConnectorError::Refused`]
    /// for a used or revoked one (the account must be reconnected).
    pub async fn refresh(
        &self,
        app: &AppCredentials,
        current: &TokenSet,
    ) -> Result<TokenSet, ConnectorError> {
        let Some(refresh_token) = &current.refresh_token else {
            return Err(ConnectorError::Unsupported {
                network: Network::X,
                operation: "refreshing a token granted without offline.access",
            });
        };
        let form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.expose().to_owned()),
        ];
        Ok(self.token_call(app, form).await?.merge_refresh(current))
    }

    /// Revokes an access or refresh token (`POST /2/oauth2/revoke`).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] when X refuses the app's credentials.
    pub async fn revoke(&self, app: &AppCredentials, token: &Secret) -> Result<(), ConnectorError> {
        let mut form = vec![("token", token.expose().to_owned())];
        let request = self
            .client_request("/2/oauth2/revoke", app, &mut form)
            .form(&form);
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(oauth_failure(&answer, Self::classify(&answer)))
        }
    }

    /// `GET /2/users/me`.
    ///
    /// # Errors
    /// [`ConnectorError::Unauthorized`] for a bad or expired token.
    pub async fn identity(&self, token: &Secret) -> Result<Identity, ConnectorError> {
        let request = self
            .http
            .inner()
            .get(self.api("/2/users/me"))
            .bearer_auth(token.expose());
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer).into());
        }
        let user: Data<UserJson> =
            serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
                detail: "/2/users/me has no data.id or data.username".to_owned(),
            })?;
        let user = user.data;
        Ok(Identity {
            profile_url: Some(endpoint(&self.endpoints.web, &format!("/{}", user.username)).into()),
            display_name: user.name.unwrap_or_else(|| user.username.clone()),
            handle: user.username,
            external_id: user.id,
        })
    }

    /// `POST /2/tweets` with the text as typed; the URL is `{web}/{username}/status/{id}`.
    ///
    /// # Errors
    /// A classified [`PublishError`]; X's 403 for duplicate content is `Duplicate`.
    pub async fn publish(&self, account: &Account, post: &Post) -> Result<Published, PublishError> {
        let mut body = json!({"text": post.text});
        if let Some(image) = &post.image {
            body["media"] = json!({"media_ids": [self.upload_image(account, image).await?]});
        }
        let request = self
            .http
            .inner()
            .post(self.api("/2/tweets"))
            .bearer_auth(account.access_token.expose())
            .json(&body);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let tweet: Data<TweetJson> =
            serde_json::from_str(&answer.body).map_err(|_| PublishError::Uncertain {
                detail: "X accepted the post but its answer has no data.id".to_owned(),
                container_id: None,
            })?;
        let username = account.handle.trim_start_matches('@');
        let url = endpoint(
            &self.endpoints.web,
            &format!("/{username}/status/{}", tweet.data.id),
        );
        Ok(Published {
            external_id: tweet.data.id,
            url: url.into(),
        })
    }

    /// Uploads a post's image (`POST /2/media/upload`, multipart form data with
    /// `media_category=tweet_image`; needs `media.write`), then gives it its alt text
    /// (`POST /2/media/metadata`). An image X refuses fails the post with X's reason; a post
    /// never goes without the image it was meant to carry.
    async fn upload_image(
        &self,
        account: &Account,
        image: &PostImage,
    ) -> Result<String, PublishError> {
        image.check(Network::X)?;
        let (content_type, body) = multipart(
            &[
                ("media_category", "tweet_image"),
                ("media_type", &image.mime),
            ],
            ("media", &image.mime, &image.bytes),
        );
        let request = self
            .http
            .inner()
            .post(self.api("/2/media/upload"))
            .bearer_auth(account.access_token.expose())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let id = answer.json()["data"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| PublishError::Rejected {
                message: "X took the image but sent no media id".to_owned(),
            })?;
        let request = self
            .http
            .inner()
            .post(self.api("/2/media/metadata"))
            .bearer_auth(account.access_token.expose())
            .json(&json!({"id": id, "metadata": {"alt_text": {"text": image.alt}}}));
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        Ok(id)
    }

    /// `DELETE /2/tweets/:id`.
    ///
    /// # Errors
    /// A classified [`PublishError`].
    pub async fn delete(&self, account: &Account, external_id: &str) -> Result<(), PublishError> {
        let path = format!("/2/tweets/{}", form_encode(external_id));
        let request = self
            .http
            .inner()
            .delete(self.api(&path))
            .bearer_auth(account.access_token.expose());
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(Self::classify(&answer))
        }
    }
}

/// RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic authentication.
fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
