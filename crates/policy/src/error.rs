//! The one error type of the policy crate: every rule that refuses something says why here.
//!
//! Messages are written for the person who will read them on a page (the server maps each
//! variant to a status in one place): what happened, and what to do next.

use crate::Network;

/// Why a policy rule refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The minimum group size asked for is below the floor of 3.
    #[error(
        "the minimum group size must be at least 3 (got {requested}): smaller groups would let \
         people be picked out"
    )]
    GroupSizeTooSmall {
        /// The size that was asked for.
        requested: usize,
    },

    /// Showing this figure next to one already shown would let someone work out the figures of
    /// fewer than `k` people (for example "team" next to "team minus one").
    #[error(
        "this figure differs from one already shown by fewer than {k} people, so it would reveal \
         what someone did; widen the filter or start a new report"
    )]
    WouldRevealIndividual {
        /// The organisation's minimum group size.
        k: usize,
    },

    /// A named figure was asked for a person who did not choose to be named.
    #[error("this person has not chosen to be named in statistics; show them only inside totals")]
    NotOptedIntoNaming,

    /// A connector asked a network for a scope Chorus does not need to publish.
    #[error(
        "Chorus never asks {network} for the scope {scope:?}: it only needs to publish and to know who you are"
    )]
    ScopeNotAllowed {
        /// The network asked.
        network: Network,
        /// The scope that was refused.
        scope: String,
    },

    /// A connector asked for a scope that reads timelines, messages, connections or insights.
    #[error(
        "Chorus never asks {network} for {scope:?}: it would read your timeline, messages or connections"
    )]
    ScopeReadsPrivateData {
        /// The network asked.
        network: Network,
        /// The scope that was refused.
        scope: String,
    },

    /// Someone tried to publish a share that belongs to another person.
    #[error("only the person who wrote a share can publish it")]
    NotYourShare,

    /// A new share needs acceptance of the current guidelines.
    #[error("please read and accept the current guidelines before sharing")]
    GuidelinesNotAccepted,

    /// Withdrawal was asked by someone who never opted in.
    #[error("there is nothing to withdraw: you never accepted the guidelines")]
    NothingToWithdraw,

    /// Acceptance of guidelines older than those already accepted.
    #[error(
        "version {offered} of the guidelines is older than version {accepted}, which you already \
         accepted; please reload the page"
    )]
    OlderGuidelines {
        /// The version already accepted.
        accepted: u32,
        /// The older version offered.
        offered: u32,
    },

    /// A disclosure with no words in it.
    #[error(
        "the disclosure text is empty; write a few words such as \"#employee\" or \"I work at ACME\""
    )]
    EmptyDisclosure,
}
