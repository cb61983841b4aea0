//! Stand-in servers for the networks Chorus publishes to (Mastodon, LinkedIn, X, Threads): one
//! axum app each on 127.0.0.1 that enforces the wire contract of `shared/docs/networks.md`
//! (OAuth, identity, creating and deleting a post, images in posts, errors, rate limits), with a
//! fake clock, faults injected on demand and a record of the requests and posts received (each
//! post with the images it carries, as the network got them).
//!
//! ```ignore
//! let x = StandIn::<X>::start().await;
//! let token = x.issue_token(&x.default_user(), &["tweet.read", "tweet.write", "users.read"]);
//! x.fail_next(Fault::DropAfterProcessing);
//! // ... the connector posts, sees a connection error, and must not post twice:
//! assert_eq!(x.posts().len(), 1);
//! ```

pub mod linkedin;
pub mod mastodon;
mod oauth;
mod server;
mod store;
mod text;
pub mod threads;
mod uploads;
pub mod x;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use linkedin::{LinkedIn, LinkedInSettings};
pub use mastodon::{Mastodon, MastodonSettings};
pub use store::{Reply, Shared, Store};
pub use threads::{Threads, ThreadsSettings};
pub use x::{X, XSettings};

use oauth::TokenPolicy;
use store::{PendingFault, delta, random_string};

/// A failure to inject into the next request (see [`StandIn::fail_next`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this HTTP status with the network's error body; nothing is processed.
    Status(u16),
    /// Answer as the network throttles (429 with its body and rate headers, the limit resetting
    /// after this many seconds of the fake clock; Threads: a Graph error with code 4); nothing
    /// is processed.
    RateLimited { reset_after_secs: u64 },
    /// Wait this long (real time), then handle the request even if the client has given up
    /// meanwhile (a post is then created), as a real server would.
    Slow(Duration),
    /// Read the request, then close the connection without answering; nothing is processed.
    DropConnection,
    /// Process the request (a post is created), then close the connection without answering.
    DropAfterProcessing,
    /// Expire the request's access token from now on and answer as the network does.
    ExpiredToken,
}

/// A post the stand-in created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPost {
    /// The network's id for it (status id, `urn:li:share:…`, tweet id, Threads media id).
    pub id: String,
    /// The author's user id.
    pub account: String,
    /// The text as stored (LinkedIn: the commentary after truncation at unescaped characters).
    pub text: String,
    /// The `Idempotency-Key` it was created with (Mastodon).
    pub idempotency_key: Option<String>,
    /// When, on the fake clock.
    pub at: DateTime<Utc>,
    /// The images the post carries, in order (empty for a post without any).
    pub images: Vec<ReceivedImage>,
}

/// An image as a network received it for a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedImage {
    /// Its media type (Mastodon: as declared; elsewhere: as read from its bytes).
    pub mime: String,
    /// Its bytes (Threads: as fetched from `image_url`).
    pub bytes: Vec<u8>,
    /// Its description (alt text), `""` when none was given.
    pub alt: String,
}

/// A post its author deleted through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedPost {
    /// The network's id of the post.
    pub id: String,
    /// The author's user id.
    pub account: String,
    /// When, on the fake clock.
    pub at: DateTime<Utc>,
}

/// A request as received, before any fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The raw query string ("" when none).
    pub query: String,
    /// Header names in lower case, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// When, on the fake clock.
    pub at: DateTime<Utc>,
}

impl RecordedRequest {
    /// The first value of a header (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A registered application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The public id.
    pub client_id: String,
    /// The secret of a confidential client; `None` for a public one (X native apps).
    pub client_secret: Option<String>,
    /// The redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// The scopes this client may ask for.
    pub scopes: Vec<String>,
}

/// An account on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The network's id (Mastodon account id, LinkedIn `sub`, X or Threads user id).
    pub id: String,
    /// The handle, without `@`.
    pub username: String,
    /// The display name.
    pub name: String,
}

/// A token handed out by the token endpoint or by [`StandIn::issue_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The bearer token.
    pub access_token: String,
    /// The refresh token, where the network gives one.
    pub refresh_token: Option<String>,
    /// When the access token expires on the fake clock; `None` for never (Mastodon).
    pub expires_at: Option<DateTime<Utc>>,
    /// The granted scopes.
    pub scopes: Vec<String>,
}

/// One approval on `/authorize`: what was asked, by which client, for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub at: DateTime<Utc>,
}

/// What makes one network's stand-in: its routes, ids, token lifetimes and error bodies.
pub trait Network: Default + Send + Sized + 'static {
    /// The knobs a test may turn ([`StandIn::configure`]).
    type Settings: Default + Send + 'static;
    /// Every scope a client may ask for; registered clients get them all by default.
    const SCOPES: &'static [&'static str];
    /// The network's API, OAuth and identity routes.
    fn routes() -> Router<Arc<Shared<Self>>>;
    /// A user id in the network's style.
    fn user_id(serial: u64) -> String;
    /// The token a test gets from [`StandIn::issue_token`] (Threads: a long-lived one).
    fn token_policy(scopes: &[String]) -> TokenPolicy;
    /// The network's answer to an injected `Status`, `RateLimited` or `ExpiredToken` fault.
    fn fault_reply(store: &mut Store<Self>, fault: &Fault) -> Reply;
}

/// A running stand-in; it stops (with its open connections) when dropped.
pub struct StandIn<N: Network> {
    base_url: String,
    shared: Arc<Shared<N>>,
    server: JoinHandle<()>,
}

impl<N: Network> Drop for StandIn<N> {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl<N: Network> StandIn<N> {
    /// Starts on a free port of 127.0.0.1 with default settings, one user (`alice`) and one
    /// confidential client (see [`StandIn::default_client`]).
    pub async fn start() -> Self {
        Self::start_with(N::Settings::default()).await
    }

    pub async fn start_with(settings: N::Settings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let address = listener.local_addr().expect("the bound address");
        let base_url = format!("http://{address}");
        let shared = Arc::new(Shared::new(Store::new(base_url.clone(), settings)));
        let router = N::routes()
            // Bodies as large as the networks take (images; axum would stop at 2 MB).
            .layer(axum::extract::DefaultBodyLimit::max(server::MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&shared),
                server::intercept::<N>,
            ))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(server::serve(listener, router));
        let stand_in = Self {
            base_url,
            shared,
            server,
        };
        stand_in.add_user("alice");
        stand_in.add_client(OAuthClient {
            client_id: "chorus-client".to_owned(),
            client_secret: Some("chorus-secret".to_owned()),
            redirect_uris: vec!["http://127.0.0.1/callback".to_owned()],
            scopes: N::SCOPES.iter().map(|&scope| scope.to_owned()).collect(),
        });
        stand_in
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The full URL of a path on this stand-in.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Changes settings while running.
    pub fn configure(&self, change: impl FnOnce(&mut N::Settings)) {
        change(&mut self.shared.lock().settings);
    }

    /// Injects `fault` into the next request, whatever its path.
    pub fn fail_next(&self, fault: Fault) {
        self.fail_next_on("", fault);
    }

    /// Injects `fault` into the next request whose path contains `path_contains`.
    pub fn fail_next_on(&self, path_contains: &str, fault: Fault) {
        self.shared.lock().faults.push_back(PendingFault {
            path_contains: path_contains.to_owned(),
            fault,
        });
    }

    /// Moves the fake clock forward (codes and tokens expire, windows reset, containers age).
    pub fn advance_clock(&self, by: Duration) {
        let mut store = self.shared.lock();
        store.now += delta(by);
    }

    /// The fake clock's time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.lock().now
    }

    /// The posts created so far, in order, deleted ones included.
    pub fn posts(&self) -> Vec<ReceivedPost> {
        self.shared.lock().posts.clone()
    }

    /// The posts created so far and not deleted since, in order.
    pub fn live_posts(&self) -> Vec<ReceivedPost> {
        let store = self.shared.lock();
        store
            .posts
            .iter()
            .filter(|post| !store.deletions.iter().any(|gone| gone.id == post.id))
            .cloned()
            .collect()
    }

    /// The posts deleted so far through the API, in order.
    pub fn deletions(&self) -> Vec<DeletedPost> {
        self.shared.lock().deletions.clone()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Waits (up to 30 s) until every request received so far has been handled: answered, or
    /// dropped with its connection. A slow request whose client has gone is handled to the end
    /// (its post created) first, so counting posts afterwards counts everything that was sent.
    pub async fn wait_until_idle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let in_flight = self.shared.lock().in_flight;
            if in_flight == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the stand-in still handles {in_flight} request(s) after 30 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The approvals given on `/authorize`, with the scopes that were asked.
    pub fn authorizations(&self) -> Vec<Authorization> {
        self.shared.lock().oauth.authorizations.clone()
    }

    /// Adds an account; the first one approves `/authorize` until [`StandIn::approve_as`].
    pub fn add_user(&self, username: &str) -> User {
        let mut store = self.shared.lock();
        let serial = store.next_serial();
        let user = User {
            id: N::user_id(serial),
            username: username.to_owned(),
            name: format!("{} Example", capitalised(username)),
        };
        store.oauth.users.push(user.clone());
        user
    }

    /// The user added at start.
    pub fn default_user(&self) -> User {
        self.shared.lock().oauth.users[0].clone()
    }

    /// Makes `user` the one who approves the next `/authorize` requests.
    pub fn approve_as(&self, user: &User) {
        self.shared.lock().oauth.approver = Some(user.id.clone());
    }

    /// The confidential client registered at start (`chorus-client` / `chorus-secret`,
    /// redirect `http://127.0.0.1/callback`, every scope).
    pub fn default_client(&self) -> OAuthClient {
        self.shared.lock().oauth.clients["chorus-client"].clone()
    }

    /// Registers a client as given (public when it has no secret).
    pub fn add_client(&self, client: OAuthClient) {
        let mut store = self.shared.lock();
        store.oauth.clients.insert(client.client_id.clone(), client);
    }

    /// Registers a confidential client allowed every scope, with a fresh id and secret.
    pub fn register_client(&self, redirect_uri: &str) -> OAuthClient {
        self.register(redirect_uri, Some(random_string(32)))
    }

    /// Registers a public client (no secret; X native and single-page apps).
    pub fn register_public_client(&self, redirect_uri: &str) -> OAuthClient {
        self.register(redirect_uri, None)
    }

    fn register(&self, redirect_uri: &str, client_secret: Option<String>) -> OAuthClient {
        let client = OAuthClient {
            client_id: random_string(24),
            client_secret,
            redirect_uris: vec![redirect_uri.to_owned()],
            scopes: N::SCOPES.iter().map(|&scope| scope.to_owned()).collect(),
        };
        self.add_client(client.clone());
        client
    }

    /// A token for `user`, as if OAuth had run with the default client, so tests of publishing
    /// can skip the flow (X: with a refresh token when `offline.access` is asked; Threads: a
    /// long-lived token).
    pub fn issue_token(&self, user: &User, scopes: &[&str]) -> IssuedToken {
        let scopes: Vec<String> = scopes.iter().map(|&scope| scope.to_owned()).collect();
        let mut store = self.shared.lock();
        let now = store.now;
        store.oauth.issue(
            &user.id,
            "chorus-client",
            &scopes,
            N::token_policy(&scopes),
            now,
        )
    }

    /// Revokes a token as the user would from the network's settings page.
    pub fn revoke_token(&self, token: &str) {
        self.shared.lock().oauth.revoke(token, None);
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
