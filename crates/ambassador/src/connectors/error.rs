//! What can go wrong when Chorus talks to a network, classified so that the publishing queue can
//! act on it without reading strings: wait, retry, ask the owner to check, fail, or reconnect.
//!
//! Error policy: no message here ever holds a token or a URL with a token in its query (reqwest
//! errors are stripped of their URL before they are described); the network's own message is kept
//! in plain words because it is what the ambassador needs to read.

use chorus_policy::{Network, PolicyError};
use chrono::{DateTime, Utc};

/// Why a post was not (or not surely) published. Each variant tells the queue what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The network throttles this account or app: try again at `retry_at`, not before.
    #[error("the network asks us to slow down; the post will be sent again after {retry_at}")]
    RateLimited {
        /// When the network's window resets (its own header where it sends one, a default
        /// backoff otherwise).
        retry_at: DateTime<Utc>,
    },
    /// The network could not be reached or answered with a server error; nothing was published.
    /// `retryable_before_send` is true when the request never left (connection refused or not
    /// established), so a retry can never duplicate; false for a 5xx answer, which says the
    /// request failed and is retried with backoff.
    #[error("the network is unavailable ({detail}); the post will be sent again later")]
    Unavailable {
        /// Whether the request was never sent.
        retryable_before_send: bool,
        /// The HTTP status of a server error, when there was an answer.
        status: Option<u16>,
        /// What happened, without URLs or tokens.
        detail: String,
    },
    /// The request was sent but no answer came back (timeout, dropped connection, unreadable
    /// answer): the post may exist. The share becomes `needs_check` unless the network makes a
    /// retry harmless ([`super::retry_is_idempotent`]).
    #[error(
        "the network did not confirm the post ({detail}); it may have been published, please check"
    )]
    Uncertain {
        /// What happened, without URLs or tokens.
        detail: String,
        /// Threads only: the container created before the uncertain publish step, whose
        /// status tells whether it was published ([`super::threads::Threads::container_status`]).
        container_id: Option<String>,
    },
    /// The network refused the post; its message says why. Retrying the same post is useless.
    #[error("the network refused the post: {message}")]
    Rejected {
        /// The network's message, in its own words.
        message: String,
    },
    /// The network refused the post as a duplicate of one already published. After an
    /// uncertain attempt this means the first attempt succeeded.
    #[error("the network already has this post: {message}")]
    Duplicate {
        /// The network's message, in its own words.
        message: String,
    },
    /// The token is invalid, expired or revoked: refresh it where the network allows, otherwise
    /// the account needs to be connected again by its owner.
    #[error(
        "the account's authorisation is no longer valid ({message}); its owner must reconnect it"
    )]
    Unauthorized {
        /// The network's message, in its own words.
        message: String,
    },
    /// LinkedIn no longer serves the configured API version.
    #[error(
        "LinkedIn no longer accepts API version {version}; an administrator must update the \
         configured LinkedIn version (LinkedIn-Version, YYYYMM) to an active one"
    )]
    VersionRetired {
        /// The version that was refused.
        version: String,
    },
    /// The network does not offer this operation.
    #[error("{network} does not allow {operation} through its API")]
    Unsupported {
        /// The network.
        network: Network,
        /// What was asked, in words ("deleting a post").
        operation: &'static str,
    },
}

/// Why an OAuth step, an identity look-up, an app registration or a revocation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The network refused the grant, the credentials or the request (bad code, wrong secret,
    /// a refresh asked too early); its message says why.
    #[error("the network refused: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The network's message, in its own words.
        message: String,
    },
    /// The token is invalid, expired or revoked: the account must be connected again.
    #[error(
        "the account's authorisation is no longer valid ({message}); its owner must reconnect it"
    )]
    Unauthorized {
        /// The network's message, in its own words.
        message: String,
    },
    /// The network throttles: try again at `retry_at`.
    #[error("the network asks us to slow down until {retry_at}")]
    RateLimited {
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
    /// The network could not be reached, did not answer, or answered with a server error.
    #[error("the network is unavailable ({detail}); try again later")]
    Unavailable {
        /// What happened, without URLs or tokens.
        detail: String,
    },
    /// The network answered something Chorus does not understand.
    #[error("the network answered unexpectedly: {detail}")]
    Malformed {
        /// What was missing or wrong.
        detail: String,
    },
    /// The network does not offer this operation (or not to this kind of app).
    #[error("{network} does not allow {operation} through its API")]
    Unsupported {
        /// The network.
        network: Network,
        /// What was asked, in words.
        operation: &'static str,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("the HTTP client could not be set up: {detail}")]
    Client {
        /// What failed.
        detail: String,
    },
    /// A connector was about to ask for a scope policy does not allow.
    #[error(transparent)]
    Scope(#[from] PolicyError),
}

impl From<PublishError> for ConnectorError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::RateLimited { retry_at } => Self::RateLimited { retry_at },
            PublishError::Unavailable { detail, .. } | PublishError::Uncertain { detail, .. } => {
                Self::Unavailable { detail }
            }
            PublishError::Rejected { message } | PublishError::Duplicate { message } => {
                Self::Refused {
                    status: 400,
                    message,
                }
            }
            PublishError::Unauthorized { message } => Self::Unauthorized { message },
            PublishError::VersionRetired { .. } => Self::Refused {
                status: 426,
                message: error.to_string(),
            },
            PublishError::Unsupported { network, operation } => {
                Self::Unsupported { network, operation }
            }
        }
    }
}

impl PublishError {
    /// Whether retrying later (after `retry_at` or a backoff) may succeed without any risk of
    /// a second post: throttling and failures where the network said or showed nothing was done.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. })
    }
}
