//! LinkedIn (member posts): OAuth with the secret in the form body and no PKCE (web apps),
//! tokens whose answer may lack `token_type`, OpenID `userinfo` for the author URN, and the
//! versioned Posts API with its "little text" commentary escaped so nothing is cut silently.

use chorus_editorial::measure::escape_linkedin_little_text;
use chorus_policy::Network;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::http::{Answer, HttpClient, TokenAnswer, oauth_failure};
use super::{
    Account, AppCredentials, ConnectorError, Identity, Post, PostImage, PublishError, Published,
    Secret, TokenSet, classify, endpoint, production_url, scope_parameter,
};

/// The `LinkedIn-Version` sent by default (`YYYYMM`; each version lives about a year, so an
/// admin setting overrides it).
pub const DEFAULT_VERSION: &str = "202604";

/// Where LinkedIn is, and which API version to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedInEndpoints {
    /// The consent page (`https://www.linkedin.com/oauth/v2/authorization`).
    pub authorize: Url,
    /// `https://www.linkedin.com/oauth/v2/accessToken`.
    pub token: Url,
    /// `https://www.linkedin.com/oauth/v2/revoke`.
    pub revoke: Url,
    /// The API (`https://api.linkedin.com`).
    pub api: Url,
    /// Where post pages live (`https://www.linkedin.com`).
    pub web: Url,
    /// The `LinkedIn-Version` header.
    pub version: String,
}

impl Default for LinkedInEndpoints {
    fn default() -> Self {
        Self {
            authorize: production_url("https://www.linkedin.com/oauth/v2/authorization"),
            token: production_url("https://www.linkedin.com/oauth/v2/accessToken"),
            revoke: production_url("https://www.linkedin.com/oauth/v2/revoke"),
            api: production_url("https://api.linkedin.com"),
            web: production_url("https://www.linkedin.com"),
            version: DEFAULT_VERSION.to_owned(),
        }
    }
}

impl LinkedInEndpoints {
    /// Everything on one server (a stand-in), post pages still on `https://www.linkedin.com`.
    pub fn at(base: &Url) -> Self {
        Self {
            authorize: endpoint(base, "/oauth/v2/authorization"),
            token: endpoint(base, "/oauth/v2/accessToken"),
            revoke: endpoint(base, "/oauth/v2/revoke"),
            api: base.clone(),
            ..Self::default()
        }
    }
}

/// A connector for LinkedIn.
#[derive(Debug, Clone)]
pub struct LinkedIn {
    http: HttpClient,
    endpoints: LinkedInEndpoints,
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: Option<String>,
}

impl LinkedIn {
    /// A connector for LinkedIn at `endpoints`.
    pub fn new(http: HttpClient, endpoints: LinkedInEndpoints) -> Self {
        Self { http, endpoints }
    }

    /// The author URN of a member: `urn:li:person:{sub}`.
    pub fn author_urn(sub: &str) -> String {
        format!("urn:li:person:{sub}")
    }

    /// The body of `POST /rest/posts` for `post` by member `sub`: commentary escaped, an
    /// article when there is a link.
    pub fn post_body(sub: &str, post: &Post, image: Option<&str>) -> serde_json::Value {
        let mut body = json!({
            "author": Self::author_urn(sub),
            "commentary": escape_linkedin_little_text(&post.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        if let (Some(urn), Some(image)) = (image, &post.image) {
            // A post shows its image or an article, not both: the link stays in the text.
            body["content"] = json!({"media": {"id": urn, "altText": image.alt}});
        } else if let Some(link) = &post.link {
            let title = post
                .link_title
                .as_deref()
                .filter(|title| !title.trim().is_empty())
                .unwrap_or(link);
            body["content"] = json!({"article": {"source": link, "title": title}});
        }
        body
    }

    fn classify(answer: &Answer) -> PublishError {
        classify(Network::LinkedIn, answer, Utc::now())
    }

    fn rest(&self, request: reqwest::RequestBuilder, token: &Secret) -> reqwest::RequestBuilder {
        request
            .bearer_auth(token.expose())
            .header("LinkedIn-Version", &self.endpoints.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
    }

    /// The consent page with policy's scopes and `state` (LinkedIn web apps take no PKCE; the
    /// challenge is not sent).
    pub fn authorize_url(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        state: &str,
        _pkce_challenge: &str,
    ) -> Url {
        let mut url = self.endpoints.authorize.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("scope", &scope_parameter(Network::LinkedIn));
        url
    }

    /// Exchanges the code (secret in the body) for a 60-day token; the answer is parsed by hand
    /// because it may lack `token_type`.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a bad or expired code or wrong credentials.
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &str,
        _pkce_verifier: &Secret,
    ) -> Result<TokenSet, ConnectorError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", app.client_id.as_str()),
        ];
        if let Some(secret) = &app.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        self.token_call(&form).await
    }

    async fn token_call(&self, form: &[(&str, &str)]) -> Result<TokenSet, ConnectorError> {
        let request = self
            .http
            .inner()
            .post(self.endpoints.token.clone())
            .form(form);
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        Ok(TokenAnswer::parse(&answer)?.into_token_set(Utc::now(), &[]))
    }

    /// Refreshes a token; LinkedIn gives refresh tokens to approved partners only, so a normal
    /// app's account is reconnected when its 60-day token ends.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] without a refresh token; the refusal otherwise.
    pub async fn refresh(
        &self,
        app: &AppCredentials,
        current: &TokenSet,
    ) -> Result<TokenSet, ConnectorError> {
        let Some(refresh_token) = &current.refresh_token else {
            return Err(ConnectorError::Unsupported {
                network: Network::LinkedIn,
                operation: "refreshing a token (only approved partners get refresh tokens)",
            });
        };
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", app.client_id.as_str()),
        ];
        if let Some(secret) = &app.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        Ok(self.token_call(&form).await?.merge_refresh(current))
    }

    /// Revokes a token (`POST /oauth/v2/revoke`, secret in the body).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] when LinkedIn refuses the app's credentials.
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
            .post(self.endpoints.revoke.clone())
            .form(&form);
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(oauth_failure(&answer, Self::classify(&answer)))
        }
    }

    /// `GET /v2/userinfo`: the `sub` is the external id (author `urn:li:person:{sub}`);
    /// LinkedIn tells no handle nor profile URL with these scopes, so the name stands in.
    ///
    /// # Errors
    /// [`ConnectorError::Unauthorized`] for a bad or expired token.
    pub async fn identity(&self, token: &Secret) -> Result<Identity, ConnectorError> {
        let request = self
            .http
            .inner()
            .get(endpoint(&self.endpoints.api, "/v2/userinfo"))
            .bearer_auth(token.expose());
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer).into());
        }
        let user: UserInfo =
            serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
                detail: "userinfo has no sub".to_owned(),
            })?;
        let name = user.name.unwrap_or_else(|| user.sub.clone());
        Ok(Identity {
            external_id: user.sub,
            handle: name.clone(),
            display_name: name,
            profile_url: None,
        })
    }

    /// `POST /rest/posts` as `urn:li:person:{account.external_id}`; the id comes from the
    /// `x-restli-id` header, the URL is `{web}/feed/update/{urn}/`.
    ///
    /// # Errors
    /// A classified [`PublishError`]: 422 `DUPLICATE_POST` is `Duplicate`, 426 is
    /// `VersionRetired`.
    pub async fn publish(&self, account: &Account, post: &Post) -> Result<Published, PublishError> {
        let image = match &post.image {
            Some(image) => Some(self.upload_image(account, image).await?),
            None => None,
        };
        let body = Self::post_body(&account.external_id, post, image.as_deref());
        let request = self.rest(
            self.http
                .inner()
                .post(endpoint(&self.endpoints.api, "/rest/posts")),
            &account.access_token,
        );
        let answer = self.http.send(request.json(&body)).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let urn = answer
            .header("x-restli-id")
            .filter(|urn| !urn.is_empty())
            .ok_or_else(|| PublishError::Uncertain {
                detail: "LinkedIn accepted the post but sent no x-restli-id".to_owned(),
                container_id: None,
            })?
            .to_owned();
        let url = endpoint(&self.endpoints.web, &format!("/feed/update/{urn}/"));
        Ok(Published {
            external_id: urn,
            url: url.into(),
        })
    }

    /// Uploads a post's image: `POST /rest/images?action=initializeUpload` for the member gives
    /// an upload address and the image's URN, then the bytes go there with `PUT`. The upload
    /// address must be LinkedIn's own (or the API's host): the token is never sent elsewhere.
    /// An image LinkedIn refuses fails the post with its reason.
    async fn upload_image(
        &self,
        account: &Account,
        image: &PostImage,
    ) -> Result<String, PublishError> {
        image.check(Network::LinkedIn)?;
        let mut url = endpoint(&self.endpoints.api, "/rest/images");
        url.query_pairs_mut()
            .append_pair("action", "initializeUpload");
        let body =
            json!({"initializeUploadRequest": {"owner": Self::author_urn(&account.external_id)}});
        let request = self.rest(self.http.inner().post(url), &account.access_token);
        let answer = self.http.send(request.json(&body)).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let value = &answer.json()["value"];
        let (Some(upload), Some(urn)) = (value["uploadUrl"].as_str(), value["image"].as_str())
        else {
            return Err(PublishError::Rejected {
                message: "LinkedIn sent no upload address or image URN for the image".to_owned(),
            });
        };
        let upload = Url::parse(upload)
            .ok()
            .filter(|upload| self.is_linkedin_host(upload))
            .ok_or_else(|| PublishError::Rejected {
                message: format!("LinkedIn gave an upload address outside LinkedIn: {upload}"),
            })?;
        let request = self
            .http
            .inner()
            .put(upload)
            .bearer_auth(account.access_token.expose())
            .header(reqwest::header::CONTENT_TYPE, &image.mime)
            .body(image.bytes.clone());
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        Ok(urn.to_owned())
    }

    /// Whether an address is LinkedIn's (`linkedin.com` or below, over HTTPS) or on the API's
    /// own host (a stand-in).
    fn is_linkedin_host(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        (url.scheme() == "https" && (host == "linkedin.com" || host.ends_with(".linkedin.com")))
            || (url.scheme() == self.endpoints.api.scheme()
                && url.host_str() == self.endpoints.api.host_str()
                && url.port_or_known_default() == self.endpoints.api.port_or_known_default())
    }

    /// `DELETE /rest/posts/{urn}` (the URN URL-encoded).
    ///
    /// # Errors
    /// A classified [`PublishError`].
    pub async fn delete(&self, account: &Account, external_id: &str) -> Result<(), PublishError> {
        // The URN goes into the path URL-encoded, colons included (`urn%3Ali%3Ashare%3A…`).
        let encoded: String =
            url::form_urlencoded::byte_serialize(external_id.as_bytes()).collect();
        let url = endpoint(&self.endpoints.api, &format!("/rest/posts/{encoded}"));
        let request = self.rest(self.http.inner().delete(url), &account.access_token);
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(Self::classify(&answer))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, link: Option<&str>) -> Post {
        Post {
            text: text.to_owned(),
            link: link.map(str::to_owned),
            link_title: None,
            link_description: None,
            link_thumb: None,
            language: None,
            image: None,
            idempotency_key: "k".to_owned(),
        }
    }

    #[test]
    fn a_post_with_an_image_carries_it_with_its_alt_text_instead_of_the_article() {
        let mut with_image = post("See https://example.com/a", Some("https://example.com/a"));
        with_image.image = Some(PostImage {
            bytes: vec![1],
            mime: "image/png".to_owned(),
            alt: "The team on stage".to_owned(),
            width: 1,
            height: 1,
            public_url: None,
        });
        let body = LinkedIn::post_body("s", &with_image, Some("urn:li:image:C4E"));
        assert_eq!(
            body["content"],
            json!({"media": {"id": "urn:li:image:C4E", "altText": "The team on stage"}})
        );
    }

    #[test]
    fn the_commentary_is_escaped_and_the_link_becomes_an_article() {
        let body = LinkedIn::post_body(
            "782bbtaQ",
            &post("New (draft) #rust @team", Some("https://example.com/a")),
            None,
        );
        assert_eq!(body["author"], "urn:li:person:782bbtaQ");
        assert_eq!(body["commentary"], r"New \(draft\) \#rust \@team");
        assert_eq!(
            body["content"]["article"]["source"],
            "https://example.com/a"
        );
        assert_eq!(body["content"]["article"]["title"], "https://example.com/a");
        assert!(
            LinkedIn::post_body("s", &post("plain", None), None)
                .get("content")
                .is_none()
        );
    }

    #[test]
    fn the_authorize_url_asks_for_policys_scopes_without_pkce() {
        let linkedin = LinkedIn::new(
            HttpClient::new(super::super::Timeouts::default()).unwrap(),
            LinkedInEndpoints::default(),
        );
        let app = AppCredentials {
            client_id: "id".to_owned(),
            client_secret: None,
        };
        let url = linkedin.authorize_url(&app, "https://chorus.example/cb", "st", "ch");
        let scope = url
            .query_pairs()
            .find(|(name, _)| name == "scope")
            .unwrap()
            .1
            .into_owned();
        assert_eq!(scope, "openid profile w_member_social");
        assert!(url.query_pairs().all(|(name, _)| name != "code_challenge"));
    }
}
