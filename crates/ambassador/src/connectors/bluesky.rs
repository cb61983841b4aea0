//! Bluesky (AT Protocol): atproto OAuth with DPoP ([`oauth`]), or an app password: sign-in (`createSession`) with a handle or DID,
//! the account's PDS found through its DID document (PLC directory, configurable), rotating
//! refresh (`refreshSession`), posts (`app.bsky.feed.post`) with link and tag facets at UTF-8
//! byte offsets and an external link card, and deletion.
//!
//! Idempotency: every post is created under a record key (a TID) chosen when the share was
//! queued and kept for every retry. The repository holds one record per key, so a retry cannot
//! make a second post; the reference PDS answers a second create under the same key with a 500,
//! so after any refusal Chorus looks the key up (`getRecord`) and, when the record is there,
//! reports the post as published.

use chorus_policy::Network;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::dpop::DpopNonces;
use super::http::{Answer, HttpClient};
use super::{
    Account, ConnectorError, Identity, Post, PostImage, PublishError, Published, Secret, Thumb,
    TokenSet, classify, endpoint, production_url,
};
use crate::connectors::facets::{mentioned_handles, resolve_mentions};

mod identity;
use identity::pds_of;
pub mod oauth;
mod session;
mod tid;

pub use session::jwt_expiry;
use session::{parse_session, refused, session_failure, token_set};
pub use tid::{is_tid, new_tid, record_key};

use oauth::Body;
pub use oauth::{AuthServer, Authorization, Discovered, OAuthClient};

/// The collection of posts.
pub const POST_COLLECTION: &str = "app.bsky.feed.post";

/// Where Bluesky's shared services are, and the account's own PDS once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueskyEndpoints {
    /// The PLC directory that resolves `did:plc` identifiers (`https://plc.directory`).
    pub plc: Url,
    /// Where sign-in goes when a handle cannot be resolved and no server was given
    /// (`https://bsky.social`, which answers for the accounts it hosts).
    pub entryway: Url,
    /// Where public post pages live (`https://bsky.app`).
    pub web: Url,
    /// The account's PDS (known after sign-in; stored with the account).
    pub pds: Option<Url>,
    /// Accept `http://` PDS addresses (tests with a local PDS only).
    pub allow_http: bool,
}

impl Default for BlueskyEndpoints {
    fn default() -> Self {
        Self {
            plc: production_url("https://plc.directory"),
            entryway: production_url("https://bsky.social"),
            web: production_url("https://bsky.app"),
            pds: None,
            allow_http: false,
        }
    }
}

/// A connector for Bluesky (one account's PDS, once known).
#[derive(Debug, Clone)]
pub struct Bluesky {
    http: HttpClient,
    endpoints: BlueskyEndpoints,
    nonces: DpopNonces,
}

/// What an app-password sign-in gives.
#[derive(Debug, Clone)]
pub struct Session {
    /// The access and refresh tokens (the access token's expiry read from it).
    pub tokens: TokenSet,
    /// The account: its DID, handle and profile page.
    pub identity: Identity,
    /// The PDS that holds the account's repository.
    pub pds: Url,
}

#[derive(Deserialize)]
struct CreatedJson {
    uri: String,
}

impl Bluesky {
    /// A connector for Bluesky at `endpoints`.
    pub fn new(http: HttpClient, endpoints: BlueskyEndpoints) -> Self {
        Self {
            http,
            endpoints,
            nonces: DpopNonces::default(),
        }
    }

    /// The same connector sharing `nonces` (the DPoP nonces seen by the whole process).
    #[must_use]
    pub fn with_nonces(mut self, nonces: DpopNonces) -> Self {
        self.nonces = nonces;
        self
    }

    fn classify(answer: &Answer) -> PublishError {
        classify(Network::Bluesky, answer, Utc::now())
    }

    fn pds(&self) -> Result<&Url, PublishError> {
        self.endpoints.pds.as_ref().ok_or(PublishError::Rejected {
            message: "the account's Bluesky server is not known; reconnect the account".to_owned(),
        })
    }

    fn xrpc(pds: &Url, nsid: &str) -> Url {
        endpoint(pds, &format!("/xrpc/{nsid}"))
    }

    /// Signs in with an app password (`com.atproto.server.createSession`). `identifier` is a
    /// handle or a DID; `server` is the PDS for a self-hosted account (otherwise found from
    /// the DID, or the entryway is asked).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a wrong identifier or password (the PDS's words), a
    /// DID that does not resolve, or a server that is not usable.
    pub async fn sign_in(
        &self,
        identifier: &str,
        app_password: &Secret,
        server: Option<&Url>,
    ) -> Result<Session, ConnectorError> {
        let identifier = identifier.trim().trim_start_matches('@');
        if identifier.is_empty() || app_password.expose().trim().is_empty() {
            return Err(refused(
                400,
                "a handle or DID and an app password are both needed".to_owned(),
            ));
        }
        let asked = match server {
            Some(server) if self.acceptable_pds(server) => server.clone(),
            Some(_) => {
                return Err(refused(
                    400,
                    "the Bluesky server address must start with https://".to_owned(),
                ));
            }
            None if identifier.starts_with("did:") => self.resolve_pds(identifier).await?,
            None => match self.resolve_handle(identifier).await {
                Some(did) => self.resolve_pds(&did).await?,
                None => self.endpoints.entryway.clone(),
            },
        };
        let request = self
            .http
            .inner()
            .post(Self::xrpc(&asked, "com.atproto.server.createSession"))
            .json(&json!({"identifier": identifier, "password": app_password.expose()}));
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(session_failure(&answer));
        }
        let session = parse_session(&answer)?;
        if identifier.starts_with("did:") && session.did != identifier {
            return Err(ConnectorError::Malformed {
                detail: "the server signed in another account than the DID given".to_owned(),
            });
        }
        // The entryway answers for accounts hosted elsewhere: their DID document says where.
        let pds = session
            .did_doc
            .as_ref()
            .and_then(pds_of)
            .filter(|url| self.acceptable_pds(url))
            .unwrap_or(asked);
        let handle = session
            .handle
            .clone()
            .filter(|handle| !handle.is_empty() && handle != "handle.invalid")
            .unwrap_or_else(|| session.did.clone());
        let identity = Identity {
            profile_url: Some(self.profile_url(&session.did)),
            display_name: handle.clone(),
            handle,
            external_id: session.did.clone(),
        };
        Ok(Session {
            tokens: token_set(session),
            identity,
            pds,
        })
    }

    /// The public profile page of `did`.
    pub fn profile_url(&self, did: &str) -> String {
        endpoint(&self.endpoints.web, &format!("/profile/{did}")).into()
    }

    /// Exchanges the refresh token for a new pair (`com.atproto.server.refreshSession`); the
    /// old refresh token is rotated out, so the caller stores the answer at once.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] without a refresh token; [`ConnectorError::Refused`]
    /// for an expired, used or revoked one (the account must be reconnected).
    pub async fn refresh(&self, current: &TokenSet) -> Result<TokenSet, ConnectorError> {
        let Some(refresh_token) = &current.refresh_token else {
            return Err(ConnectorError::Unsupported {
                network: Network::Bluesky,
                operation: "refreshing a session without its refresh token",
            });
        };
        let request = self
            .http
            .inner()
            .post(Self::xrpc(self.pds()?, "com.atproto.server.refreshSession"))
            .bearer_auth(refresh_token.expose());
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(session_failure(&answer));
        }
        Ok(token_set(parse_session(&answer)?).merge_refresh(current))
    }

    /// Ends the session (`com.atproto.server.deleteSession`, with the refresh token).
    ///
    /// # Errors
    /// The PDS's refusal.
    pub async fn delete_session(&self, refresh_token: &Secret) -> Result<(), ConnectorError> {
        let request = self
            .http
            .inner()
            .post(Self::xrpc(self.pds()?, "com.atproto.server.deleteSession"))
            .bearer_auth(refresh_token.expose());
        let answer = self.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(session_failure(&answer))
        }
    }

    /// Whose account `token` opens (`com.atproto.server.getSession`).
    ///
    /// # Errors
    /// [`ConnectorError::Unauthorized`] for an expired or invalid token.
    pub async fn identity(&self, token: &Secret) -> Result<Identity, ConnectorError> {
        let request = self
            .http
            .inner()
            .get(Self::xrpc(self.pds()?, "com.atproto.server.getSession"))
            .bearer_auth(token.expose());
        let answer = self.http.send(request).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer).into());
        }
        let body = answer.json();
        let did = body["did"]
            .as_str()
            .ok_or_else(|| ConnectorError::Malformed {
                detail: "getSession has no did".to_owned(),
            })?
            .to_owned();
        let handle = body["handle"].as_str().unwrap_or(&did).to_owned();
        Ok(Identity {
            profile_url: Some(self.profile_url(&did)),
            display_name: handle.clone(),
            handle,
            external_id: did,
        })
    }

    /// The post record: text, creation time, language, facets for mentions (with the DIDs in
    /// `mentions`, handle then DID; a mention not there is left out), links and tags (UTF-8
    /// byte offsets), and the link card when the post has a link, with `thumb` (an uploaded
    /// blob) as its image.
    pub fn record(
        post: &Post,
        created_at: DateTime<Utc>,
        thumb: Option<&Value>,
        mentions: &[(String, String)],
    ) -> Value {
        let mut record = json!({
            "$type": POST_COLLECTION,
            "text": post.text,
            "createdAt": created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        if let Some(language) = post.language.as_deref().filter(|l| !l.trim().is_empty()) {
            record["langs"] = json!([language.trim()]);
        }
        let facets = resolve_mentions(&post.text, mentions);
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if let Some(link) = post.link.as_deref().filter(|l| !l.trim().is_empty()) {
            let title = post
                .link_title
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or(link);
            record["embed"] = json!({
                "$type": "app.bsky.embed.external",
                "external": {
                    "uri": link,
                    "title": title,
                    "description": post.link_description.as_deref().unwrap_or_default(),
                },
            });
            if let Some(thumb) = thumb {
                record["embed"]["external"]["thumb"] = thumb.clone();
            }
        }
        record
    }

    /// Uploads the link card's image (`com.atproto.repo.uploadBlob`): the blob for the record,
    /// or `None` when the PDS refuses the image (the card then goes without it). A retry
    /// uploads it again, which stores nothing twice: blobs are kept by their content's hash.
    ///
    /// # Errors
    /// An expired or invalid token (so that the worker refreshes it and tries again), a rate
    /// limit, or a PDS that cannot be reached.
    async fn upload_thumb(
        &self,
        account: &Account,
        thumb: &Thumb,
    ) -> Result<Option<Value>, PublishError> {
        let answer = self.upload_blob(account, &thumb.bytes, &thumb.mime).await?;
        if answer.is_success() {
            let blob = answer.json()["blob"].clone();
            return Ok(blob.is_object().then_some(blob));
        }
        match Self::classify(&answer) {
            PublishError::Rejected { message } | PublishError::Duplicate { message } => {
                tracing::warn!(message, "the PDS refused the link card's image");
                Ok(None)
            }
            error => Err(error),
        }
    }

    /// `com.atproto.repo.uploadBlob` with the account's token: the PDS's answer.
    async fn upload_blob(
        &self,
        account: &Account,
        bytes: &[u8],
        mime: &str,
    ) -> Result<Answer, PublishError> {
        self.authorized(
            account,
            reqwest::Method::POST,
            Self::xrpc(self.pds()?, "com.atproto.repo.uploadBlob"),
            Some(Body::Bytes { bytes, mime }),
        )
        .await
    }

    /// Uploads the post's image as a blob, after checking what Bluesky takes (a description, at
    /// most 1,000,000 bytes, JPEG, PNG, WebP or GIF, a size): the post never goes without the
    /// image it was meant to carry, so a refusal fails it with the reason.
    async fn upload_image(
        &self,
        account: &Account,
        image: &PostImage,
    ) -> Result<Value, PublishError> {
        image.check(Network::Bluesky)?;
        let answer = self.upload_blob(account, &image.bytes, &image.mime).await?;
        if !answer.is_success() {
            return Err(Self::classify(&answer));
        }
        let blob = answer.json()["blob"].clone();
        if blob.is_object() {
            Ok(blob)
        } else {
            Err(PublishError::Rejected {
                message: "the PDS took the image but sent no blob".to_owned(),
            })
        }
    }

    /// Creates the post under the record key taken from the post's idempotency key
    /// ([`record_key`]); when the PDS refuses, looks the key up and reports a record already
    /// there as published (an earlier attempt went through). The URL is
    /// `https://bsky.app/profile/{did}/post/{rkey}`; the external id is the record's `at://`
    /// URI.
    ///
    /// # Errors
    /// A classified [`PublishError`]; an expired or invalid access token (400 `ExpiredToken`,
    /// `InvalidToken`, or 401) is `Unauthorized`, so the worker refreshes and tries again.
    pub async fn publish(&self, account: &Account, post: &Post) -> Result<Published, PublishError> {
        let measured = chorus_editorial::measure::measure(Network::Bluesky, &post.text);
        if !measured.fits {
            return Err(PublishError::Rejected {
                message: format!(
                    "the text is too long for Bluesky (at most {} characters and 3000 bytes)",
                    measured.limit
                ),
            });
        }
        let pds = self.pds()?;
        let rkey = record_key(&post.idempotency_key);
        // A post shows one embed: its image when it has one (its link stays a facet), otherwise
        // the link card.
        let image = match &post.image {
            Some(image) => Some(self.upload_image(account, image).await?),
            None => None,
        };
        let thumb = match (&post.link, &post.link_thumb, &image) {
            (Some(_), Some(thumb), None) => self.upload_thumb(account, thumb).await?,
            _ => None,
        };
        let mentions = self
            .resolve_handles(pds, &mentioned_handles(&post.text))
            .await;
        let mut record = Self::record(post, Utc::now(), thumb.as_ref(), &mentions);
        if let (Some(blob), Some(image)) = (image, &post.image) {
            record["embed"] = json!({
                "$type": "app.bsky.embed.images",
                "images": [{
                    "image": blob,
                    "alt": image.alt,
                    "aspectRatio": {"width": image.width, "height": image.height},
                }],
            });
        }
        let body = json!({
            "repo": account.external_id,
            "collection": POST_COLLECTION,
            "rkey": rkey,
            "record": record,
        });
        let answer = self
            .authorized(
                account,
                reqwest::Method::POST,
                Self::xrpc(pds, "com.atproto.repo.createRecord"),
                Some(Body::Json(&body)),
            )
            .await?;
        if answer.is_success() {
            let created: CreatedJson =
                serde_json::from_str(&answer.body).map_err(|_| PublishError::Uncertain {
                    detail: "the PDS accepted the post but its answer has no uri".to_owned(),
                    container_id: None,
                })?;
            return Ok(self.published(&account.external_id, created.uri, &rkey));
        }
        let error = Self::classify(&answer);
        let may_exist = matches!(
            error,
            PublishError::Unavailable { .. }
                | PublishError::Rejected { .. }
                | PublishError::Duplicate { .. }
        );
        if may_exist && let Ok(Some(uri)) = self.existing_post(account, &rkey).await {
            tracing::info!(
                rkey,
                "the post was already in the repository; not created twice"
            );
            return Ok(self.published(&account.external_id, uri, &rkey));
        }
        Err(error)
    }

    fn published(&self, did: &str, uri: String, rkey: &str) -> Published {
        let rkey = uri
            .rsplit('/')
            .next()
            .filter(|r| !r.is_empty())
            .unwrap_or(rkey);
        let url = endpoint(&self.endpoints.web, &format!("/profile/{did}/post/{rkey}"));
        Published {
            external_id: uri,
            url: url.into(),
        }
    }

    /// The `at://` URI of the post under `rkey` in the account's repository, if there is one
    /// (`com.atproto.repo.getRecord`).
    ///
    /// # Errors
    /// A classified [`PublishError`] when the PDS cannot tell.
    pub async fn existing_post(
        &self,
        account: &Account,
        rkey: &str,
    ) -> Result<Option<String>, PublishError> {
        let mut url = Self::xrpc(self.pds()?, "com.atproto.repo.getRecord");
        url.query_pairs_mut()
            .append_pair("repo", &account.external_id)
            .append_pair("collection", POST_COLLECTION)
            .append_pair("rkey", rkey);
        let answer = self
            .authorized(account, reqwest::Method::GET, url, None)
            .await?;
        if answer.is_success() {
            return Ok(answer.json()["uri"].as_str().map(str::to_owned));
        }
        if answer.json()["error"] == "RecordNotFound" {
            return Ok(None);
        }
        Err(Self::classify(&answer))
    }

    /// Deletes a post (`com.atproto.repo.deleteRecord`); `external_id` is its `at://` URI
    /// (or its record key).
    ///
    /// # Errors
    /// A classified [`PublishError`].
    pub async fn delete(&self, account: &Account, external_id: &str) -> Result<(), PublishError> {
        let rkey = external_id.rsplit('/').next().unwrap_or(external_id);
        let body = json!({
            "repo": account.external_id,
            "collection": POST_COLLECTION,
            "rkey": rkey,
        });
        let answer = self
            .authorized(
                account,
                reqwest::Method::POST,
                Self::xrpc(self.pds()?, "com.atproto.repo.deleteRecord"),
                Some(Body::Json(&body)),
            )
            .await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(Self::classify(&answer))
        }
    }
}

#[cfg(test)]
mod tests;
