//! Network connectors: OAuth (authorization code, PKCE S256 where the network takes it), identity,
//! publishing and deleting posts on an ambassador's own Bluesky (app password), Mastodon,
//! LinkedIn, X and Threads accounts, with every failure classified for the publishing queue
//! ([`PublishError`]).
//!
//! Each network has its own type ([`Bluesky`], [`Mastodon`], [`LinkedIn`], [`X`], [`Threads`]) with the
//! operations it offers; [`Connector`] puts them behind one enum for the code that does not care
//! which network it talks to. All base URLs are configurable (`*Endpoints`), with production
//! defaults, so tests point them at stand-ins.
//!
//! OAuth is written by hand over reqwest rather than with the `oauth2` crate: LinkedIn may omit
//! `token_type` and the Threads short-lived answer has none (the crate's standard answer type
//! refuses both), Threads needs a second exchange, and the four flows are small enough that one
//! hand-written shape for all reads better than two styles.
//!
//! Threads publishes in two steps; [`Connector::publish`] runs both, and a publish step whose
//! outcome is unknown returns [`PublishError::Uncertain`] with the container id, so the caller can
//! look at the container ([`Threads::container_status`]) instead of creating another one.
//! [`Threads::create_container`] and [`Threads::publish_container`] are there for a caller that
//! wants to record the container id between the steps.

pub mod bluesky;
mod classify;
pub mod dpop;
mod error;
pub mod facets;
mod facets_tlds;
mod http;
pub mod images;
pub mod linkedin;
pub mod mastodon;
pub mod threads;
pub mod x;

use std::fmt;

use chorus_policy::Network;
use chrono::{DateTime, Utc};
use url::Url;

pub use bluesky::{Bluesky, BlueskyEndpoints, OAuthClient};
pub use classify::{DEFAULT_BACKOFF, classify, parse_epoch, parse_iso_reset, retry_at};
pub use dpop::{DpopKey, DpopNonces};
pub use error::{ConnectorError, PublishError};
pub use http::{Answer, HttpClient, Pkce, Timeouts, s256_challenge};
pub use linkedin::{LinkedIn, LinkedInEndpoints};
pub use mastodon::{Mastodon, MastodonEndpoints};
pub use threads::{ContainerStatus, Threads, ThreadsEndpoints};
pub use x::{X, XEndpoints};

/// A secret (token, client secret, PKCE verifier): its `Debug` never shows it, and it has no
/// `Display`, so it cannot end up in a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, to put on the wire (or encrypt at rest).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("<redacted>")
    }
}

/// An app's credentials on a network (entered by an admin, or registered per Mastodon instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// The public client id.
    pub client_id: String,
    /// The secret of a confidential client; `None` for a public one (X native apps).
    pub client_secret: Option<Secret>,
}

/// The tokens an account holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: Secret,
    /// The refresh token, where the network gives one (X with `offline.access`).
    pub refresh_token: Option<Secret>,
    /// When the access token expires; `None` for never (Mastodon).
    pub expires_at: Option<DateTime<Utc>>,
    /// The scopes granted.
    pub scopes: Vec<String>,
}

impl TokenSet {
    /// The set a refresh gave, keeping `previous`'s refresh token when the refresh answer had
    /// none: a refresh token is never overwritten by an empty one.
    #[must_use]
    pub fn merge_refresh(mut self, previous: &TokenSet) -> TokenSet {
        if self.refresh_token.is_none() {
            self.refresh_token.clone_from(&previous.refresh_token);
        }
        if self.scopes.is_empty() {
            self.scopes.clone_from(&previous.scopes);
        }
        self
    }
}

/// Whose account a token opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The network's stable id (Mastodon account id, LinkedIn `sub`, X or Threads user id).
    pub external_id: String,
    /// The handle (`alice@instance`, X and Threads username); LinkedIn has none: the name.
    pub handle: String,
    /// The display name.
    pub display_name: String,
    /// The public profile page, where the network has one the API tells.
    pub profile_url: Option<String>,
}

/// A connected account, as publishing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The access token.
    pub access_token: Secret,
    /// The key the access token is bound to (Bluesky over OAuth); `None` for a bearer token.
    pub dpop: Option<dpop::DpopKey>,
    /// [`Identity::external_id`] (LinkedIn author, Threads user id).
    pub external_id: String,
    /// [`Identity::handle`] (the X username goes into the post's URL).
    pub handle: String,
}

/// What to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The text as the ambassador wrote it (the link, where wanted in the text, is in it):
    /// sent as typed to Mastodon, X and Threads, escaped for LinkedIn.
    pub text: String,
    /// The link the post is about: a LinkedIn article, a Threads link attachment.
    pub link: Option<String>,
    /// The article title for LinkedIn, which does not scrape links (the link itself when none),
    /// and the title of Bluesky's link card.
    pub link_title: Option<String>,
    /// The description of Bluesky's link card (the item's preview description).
    pub link_description: Option<String>,
    /// The image of Bluesky's link card (the item's preview image, fetched through the address
    /// guard).
    pub link_thumb: Option<Thumb>,
    /// The language (BCP 47), where the network takes one (Mastodon).
    pub language: Option<String>,
    /// An image posted with the text, with its description (Bluesky and Mastodon so far).
    pub image: Option<PostImage>,
    /// The key chosen and committed before the first attempt, the same for every retry
    /// (Mastodon's `Idempotency-Key`; Bluesky's record key, a TID).
    pub idempotency_key: String,
}

/// An image for a link card: its bytes and media type.
#[derive(Clone, PartialEq, Eq)]
pub struct Thumb {
    /// The image, at most [`Thumb::MAX_BYTES`].
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`.
    pub mime: String,
}

impl Thumb {
    /// The largest link-card image Bluesky takes (`app.bsky.embed.external#external.thumb`).
    pub const MAX_BYTES: usize = 1_000_000;
}

impl std::fmt::Debug for Thumb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Thumb({}, {} bytes)", self.mime, self.bytes.len())
    }
}

/// An image posted with the text (not a link card's): its bytes and media type, its size in
/// pixels (Bluesky shows it at that aspect ratio), and its description for people who cannot
/// see it, which every network carries.
#[derive(Clone, PartialEq, Eq)]
pub struct PostImage {
    /// The image.
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`.
    pub mime: String,
    /// Its description (alt text); never empty.
    pub alt: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The address it can be fetched from while the post waits, for a network that takes
    /// images by URL only (Threads).
    pub public_url: Option<String>,
}

impl PostImage {
    /// Checks the image against `network`'s rules ([`images::check`]), as a publish failure.
    ///
    /// # Errors
    /// [`PublishError::Rejected`] with the reason.
    pub fn check(&self, network: Network) -> Result<(), PublishError> {
        images::check(network, self.into()).map_err(|problem| PublishError::Rejected {
            message: problem.to_string(),
        })
    }
}

impl std::fmt::Debug for PostImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PostImage({}, {} bytes, {}x{}, alt {:?}, at {:?})",
            self.mime,
            self.bytes.len(),
            self.width,
            self.height,
            self.alt,
            self.public_url
        )
    }
}

/// A published post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The network's id (status id, `urn:li:share:…`, tweet id, Threads media id).
    pub external_id: String,
    /// The public URL of the post.
    pub url: String,
}

/// Whether retrying a post after [`PublishError::Uncertain`] cannot create a second one:
/// Mastodon replays the status of an `Idempotency-Key` for an hour; Bluesky posts under a
/// record key chosen before the first attempt, which the repository holds once; LinkedIn, X
/// and Threads have nothing of the kind (an uncertain share there becomes `needs_check`, except
/// a Threads publish step whose container is recorded on the share: see
/// [`crate::shares::publish_threads`]).
pub fn retry_is_idempotent(network: Network) -> bool {
    match network {
        Network::Mastodon | Network::Bluesky => true,
        Network::LinkedIn | Network::X | Network::Threads => false,
    }
}

/// Whether the network lets an app delete a post it published: all but Threads, whose API
/// documents no deletion (networks.md), so the history says so instead of offering it.
pub fn deletion_offered(network: Network) -> bool {
    !matches!(network, Network::Threads)
}

/// A connector for one network, whichever it is.
#[derive(Debug, Clone)]
pub enum Connector {
    /// Bluesky, with an app password (no OAuth here).
    Bluesky(Bluesky),
    /// One Mastodon instance.
    Mastodon(Mastodon),
    /// LinkedIn.
    LinkedIn(LinkedIn),
    /// X.
    X(X),
    /// Threads.
    Threads(Threads),
}

impl Connector {
    /// The network this connector talks to.
    pub fn network(&self) -> Network {
        match self {
            Self::Bluesky(_) => Network::Bluesky,
            Self::Mastodon(_) => Network::Mastodon,
            Self::LinkedIn(_) => Network::LinkedIn,
            Self::X(_) => Network::X,
            Self::Threads(_) => Network::Threads,
        }
    }

    /// The URL to send the member to, asking for policy's scopes.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] for Bluesky, which connects with an app password.
    pub fn authorize_url(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        state: &str,
        pkce_challenge: &str,
    ) -> Result<Url, ConnectorError> {
        Ok(match self {
            Self::Bluesky(_) => return Err(app_password_only("OAuth sign-in")),
            Self::Mastodon(c) => c.authorize_url(app, redirect_uri, state, pkce_challenge),
            Self::LinkedIn(c) => c.authorize_url(app, redirect_uri, state, pkce_challenge),
            Self::X(c) => c.authorize_url(app, redirect_uri, state, pkce_challenge),
            Self::Threads(c) => c.authorize_url(app, redirect_uri, state, pkce_challenge),
        })
    }

    /// Exchanges the callback's code for tokens (Threads: the 60-day token).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a bad, used or expired code or wrong credentials; the
    /// transport classes otherwise.
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, ConnectorError> {
        match self {
            Self::Bluesky(_) => Err(app_password_only("OAuth sign-in")),
            Self::Mastodon(c) => {
                c.exchange_code(app, redirect_uri, code, pkce_verifier)
                    .await
            }
            Self::LinkedIn(c) => {
                c.exchange_code(app, redirect_uri, code, pkce_verifier)
                    .await
            }
            Self::X(c) => {
                c.exchange_code(app, redirect_uri, code, pkce_verifier)
                    .await
            }
            Self::Threads(c) => {
                c.exchange_code(app, redirect_uri, code, pkce_verifier)
                    .await
            }
        }
    }

    /// Refreshes the tokens where the network allows (Bluesky, X, Threads), keeping the old
    /// refresh token when the answer has none. Bluesky needs no app credentials.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] for Mastodon, and for LinkedIn unless the app is a
    /// partner with refresh tokens; [`ConnectorError::Refused`] when the network refuses (a used refresh token, a Threads token younger than 24 h).
    pub async fn refresh(
        &self,
        app: &AppCredentials,
        current: &TokenSet,
    ) -> Result<TokenSet, ConnectorError> {
        match self {
            Self::Mastodon(_) => Err(ConnectorError::Unsupported {
                network: Network::Mastodon,
                operation: "refreshing a token (Mastodon tokens do not expire)",
            }),
            Self::Bluesky(c) => c.refresh(current).await,
            Self::LinkedIn(c) => c.refresh(app, current).await,
            Self::X(c) => c.refresh(app, current).await,
            Self::Threads(c) => c.refresh(app, current).await,
        }
    }

    /// Revokes a token where the network documents how. For Bluesky `token` is the refresh
    /// token, which ends the session (`deleteSession`).
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] for Threads; the network's refusal otherwise.
    pub async fn revoke(&self, app: &AppCredentials, token: &Secret) -> Result<(), ConnectorError> {
        match self {
            Self::Bluesky(c) => c.delete_session(token).await,
            Self::Mastodon(c) => c.revoke(app, token).await,
            Self::LinkedIn(c) => c.revoke(app, token).await,
            Self::X(c) => c.revoke(app, token).await,
            Self::Threads(_) => Err(ConnectorError::Unsupported {
                network: Network::Threads,
                operation: "revoking a token",
            }),
        }
    }

    /// Whose account `token` opens.
    ///
    /// # Errors
    /// [`ConnectorError::Unauthorized`] for a bad token; the transport classes otherwise.
    pub async fn identity(&self, token: &Secret) -> Result<Identity, ConnectorError> {
        match self {
            Self::Bluesky(c) => c.identity(token).await,
            Self::Mastodon(c) => c.identity(token).await,
            Self::LinkedIn(c) => c.identity(token).await,
            Self::X(c) => c.identity(token).await,
            Self::Threads(c) => c.identity(token).await,
        }
    }

    /// Publishes `post` on `account`.
    ///
    /// # Errors
    /// A [`PublishError`] that tells the queue what to do next.
    pub async fn publish(&self, account: &Account, post: &Post) -> Result<Published, PublishError> {
        match self {
            Self::Bluesky(c) => c.publish(account, post).await,
            Self::Mastodon(c) => c.publish(account, post).await,
            Self::LinkedIn(c) => c.publish(account, post).await,
            Self::X(c) => c.publish(account, post).await,
            Self::Threads(c) => c.publish(account, post).await,
        }
    }

    /// Deletes a published post where the network allows it.
    ///
    /// # Errors
    /// [`PublishError::Unsupported`] for Threads; the classified failure otherwise.
    pub async fn delete(&self, account: &Account, external_id: &str) -> Result<(), PublishError> {
        match self {
            Self::Bluesky(c) => c.delete(account, external_id).await,
            Self::Mastodon(c) => c.delete(account, external_id).await,
            Self::LinkedIn(c) => c.delete(account, external_id).await,
            Self::X(c) => c.delete(account, external_id).await,
            Self::Threads(c) => c.delete(account, external_id).await,
        }
    }
}

/// Bluesky connects with an app password here: the OAuth steps do not apply.
fn app_password_only(operation: &'static str) -> ConnectorError {
    ConnectorError::Unsupported {
        network: Network::Bluesky,
        operation,
    }
}

/// A URL constant of a network's production endpoints.
fn production_url(url: &'static str) -> Url {
    #[allow(clippy::expect_used, reason = "constant URLs, parsed in a unit test")]
    Url::parse(url).expect("a valid constant URL")
}

/// `base` with `path` (which starts with `/`) appended to its path.
fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

/// The scopes of `network` from policy, checked once more before they are sent.
fn scope_parameter(network: Network) -> String {
    debug_assert!(
        chorus_policy::check_requested(network, chorus_policy::scopes(network)).is_ok(),
        "policy allows its own scopes"
    );
    chorus_policy::scope_parameter(network)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(refresh: Option<&str>) -> TokenSet {
        TokenSet {
            access_token: Secret::new("access-123"),
            refresh_token: refresh.map(Secret::new),
            expires_at: None,
            scopes: vec!["tweet.write".to_owned()],
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let set = tokens(Some("refresh-456"));
        let shown = format!("{set:?} {:?}", Pkce::generate());
        assert!(!shown.contains("access-123") && !shown.contains("refresh-456"));
        assert!(shown.contains("<redacted>"));
        let app = AppCredentials {
            client_id: "id".to_owned(),
            client_secret: Some(Secret::new("client-secret-789")),
        };
        assert!(!format!("{app:?}").contains("client-secret-789"));
    }

    #[test]
    fn a_refresh_without_a_refresh_token_keeps_the_old_one() {
        let merged = tokens(None).merge_refresh(&tokens(Some("old")));
        assert_eq!(merged.refresh_token, Some(Secret::new("old")));
        let rotated = tokens(Some("new")).merge_refresh(&tokens(Some("old")));
        assert_eq!(rotated.refresh_token, Some(Secret::new("new")));
    }

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        // Computed apart with Python: base64url(sha256(verifier)) without padding.
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r7W5gMGwZBXfEQ"),
            "1lzOL_K8oRS47VmC8LjXnMGhDmh3jYx90s0K_9t0W_s"
        );
        let pair = Pkce::generate();
        assert_eq!(pair.verifier.expose().len(), 43);
        assert_eq!(pair.challenge, s256_challenge(pair.verifier.expose()));
        assert_ne!(Pkce::generate().verifier, pair.verifier);
    }

    #[test]
    fn only_mastodon_and_bluesky_make_an_uncertain_retry_harmless() {
        assert!(retry_is_idempotent(Network::Mastodon));
        assert!(retry_is_idempotent(Network::Bluesky));
        for network in [Network::LinkedIn, Network::X, Network::Threads] {
            assert!(!retry_is_idempotent(network));
        }
    }

    #[test]
    fn authorize_urls_ask_for_policys_scopes_and_pkce_where_the_network_takes_it() {
        let http = HttpClient::new(Timeouts::default()).unwrap();
        let instance = Url::parse("https://social.example").unwrap();
        let connectors = [
            Connector::Mastodon(Mastodon::new(http.clone(), MastodonEndpoints { instance })),
            Connector::LinkedIn(LinkedIn::new(http.clone(), LinkedInEndpoints::default())),
            Connector::X(X::new(http.clone(), XEndpoints::default())),
            Connector::Threads(Threads::new(http, ThreadsEndpoints::default())),
        ];
        let app = AppCredentials {
            client_id: "chorus".to_owned(),
            client_secret: None,
        };
        for connector in connectors {
            let network = connector.network();
            let url = connector
                .authorize_url(&app, "https://chorus.example/cb", "st", "ch")
                .unwrap();
            let param = |name: &str| {
                url.query_pairs()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.into_owned())
            };
            assert_eq!(
                param("scope"),
                Some(chorus_policy::scope_parameter(network)),
                "{network}"
            );
            assert_eq!(param("state").as_deref(), Some("st"));
            assert_eq!(param("response_type").as_deref(), Some("code"));
            let pkce = matches!(network, Network::Mastodon | Network::X);
            assert_eq!(param("code_challenge").is_some(), pkce, "{network}");
            if pkce {
                assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
            }
        }
        let threads = Threads::new(
            HttpClient::new(Timeouts::default()).unwrap(),
            ThreadsEndpoints::default(),
        );
        let url = threads.authorize_url(&app, "https://chorus.example/cb", "st", "ch");
        assert!(
            url.as_str()
                .starts_with("https://threads.net/oauth/authorize?")
        );
        assert!(
            url.query()
                .unwrap()
                .contains("scope=threads_basic%2Cthreads_content_publish")
        );
    }

    #[test]
    fn production_endpoints_parse_and_paths_join() {
        let _ = (
            BlueskyEndpoints::default(),
            XEndpoints::default(),
            LinkedInEndpoints::default(),
            ThreadsEndpoints::default(),
        );
        let base = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            endpoint(&base, "/2/tweets").as_str(),
            "http://127.0.0.1:8080/2/tweets"
        );
        let prefixed = Url::parse("https://social.example/mastodon").unwrap();
        assert_eq!(
            endpoint(&prefixed, "/api/v1/apps").as_str(),
            "https://social.example/mastodon/api/v1/apps"
        );
    }
}
