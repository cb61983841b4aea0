//! The ambassador crate's one error: what went wrong connecting an account, queuing a share or
//! deleting one from its network, said by what happened (not found, not possible now, invalid
//! input, a network's refusal, unavailable). The server maps each variant to a status in one
//! place. How a network answered a publish is not an error of this crate but a value the worker
//! stores ([`PublishError`]); it appears here only where a person's request failed on it.

use chorus_policy::Network;

use crate::connectors::{ConnectorError, PublishError};
use crate::vault::VaultError;

/// Why an operation on a person's accounts or shares failed.
#[derive(Debug, thiserror::Error)]
pub enum AmbassadorError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// No such account or share of this person (or a share not in a state that has one).
    #[error("no such connected account or share")]
    NotFound,
    /// No client credentials for this network: an admin must enter them.
    #[error("{0} is not available: an admin has not entered its client credentials")]
    Unavailable(Network),
    /// The Mastodon instance address is not usable.
    #[error("this is not a Mastodon server address; write it as https://mastodon.example")]
    InvalidInstance,
    /// The server address typed is a private or internal one.
    #[error("{0} is a private or internal address; Chorus only connects to public servers")]
    PrivateAddress(String),
    /// The Bluesky server address is not usable.
    #[error(
        "this is not a Bluesky server address; write it as https://pds.example, or leave it empty"
    )]
    InvalidServer,
    /// Sharing through Mastodon's composer needs the person's own server.
    #[error("write the address of your Mastodon server, such as https://mastodon.social")]
    MastodonServerMissing,
    /// What was typed as a Mastodon server is not a web address.
    #[error("this is not a server address; write it as https://mastodon.social")]
    MastodonServerInvalid,
    /// Bluesky refused the handle or DID and app password.
    #[error("Bluesky did not accept this sign-in: {0}")]
    SignInRefused(String),
    /// The Bluesky OAuth sign-in could not start for this handle or DID.
    #[error("Bluesky sign-in could not start: {0}")]
    OAuthUnavailable(String),
    /// Unknown, used, expired, or another person's or session's state.
    #[error(
        "this connection attempt expired or did not start here; start again from your accounts page"
    )]
    StateInvalid,
    /// The network offers no deletion through its API (Threads).
    #[error("{0} does not allow deleting a post through its API")]
    DeletionUnsupported(Network),
    /// The network's own limit of posts per profile in 24 hours is reached for this account
    /// (Threads: 250 published through apps).
    #[error(
        "{network} allows {limit} posts through apps per profile in 24 hours; this account has reached it"
    )]
    NetworkDailyLimit {
        /// The network.
        network: Network,
        /// Its limit.
        limit: usize,
    },
    /// A network would not take the image chosen for the post.
    #[error("{problem}")]
    Image {
        /// The network (the first one ticked, for a problem every network has).
        network: Network,
        /// What it would not take.
        problem: crate::connectors::images::ImageProblem,
    },
    /// The account was connected before Chorus asked for the right to post images (X's
    /// `media.write`): it must be connected again to post one.
    #[error("{0} needs this account connected again to post images")]
    ImageNeedsReconnect(Network),
    /// The account a share was posted from is no longer connected.
    #[error("the account this was posted from is no longer connected")]
    AccountGone(Network),
    /// The network refused or failed a person's request; as far as Chorus knows nothing
    /// changed there.
    #[error("{network}: {error}")]
    Refused {
        /// The network asked.
        network: Network,
        /// What it answered, classified.
        error: PublishError,
    },
    /// The network refused or failed while connecting an account.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// A stored token could not be opened.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Reading the organisation's settings or items failed.
    #[error(transparent)]
    Editorial(#[from] chorus_editorial::EditorialError),
}
