//! The states of a share, typed down to the column.

/// Where a share is. Stored as its name ([`ShareState::as_str`]); a stored name Chorus does not
/// know makes reading the row fail, it never becomes a default state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, sea_orm::DeriveValueType)]
#[serde(rename_all = "snake_case")]
#[sea_orm(value_type = "String", to_str = "ShareState::stored_name")]
pub enum ShareState {
    /// Waiting for its time.
    Scheduled,
    /// Claimed by a worker; the network is being called.
    Sending,
    /// Live on the network.
    Published,
    /// Refused by the network, or given up after retries.
    Failed,
    /// The outcome is unknown: its owner checks the network and tells Chorus.
    NeedsCheck,
    /// Its time passed while no worker ran: offered to its owner, never posted late silently.
    Missed,
    /// Cancelled by its owner.
    Cancelled,
    /// Was published, then deleted from the network by its owner. Final; still counted as
    /// published by the statistics.
    Deleted,
    /// "Post it yourself": handed to the network's own composer in its owner's browser. Chorus
    /// did not post it, no worker ever touches it, and it becomes `published` only when its
    /// owner says "I posted it" (or `cancelled` when they say they did not).
    HandedOver,
}

impl ShareState {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ShareState::Scheduled => "scheduled",
            ShareState::Sending => "sending",
            ShareState::Published => "published",
            ShareState::Failed => "failed",
            ShareState::NeedsCheck => "needs_check",
            ShareState::Missed => "missed",
            ShareState::Cancelled => "cancelled",
            ShareState::Deleted => "deleted",
            ShareState::HandedOver => "handed_over",
        }
    }

    /// Every state.
    pub const ALL: [ShareState; 9] = [
        ShareState::Scheduled,
        ShareState::Sending,
        ShareState::Published,
        ShareState::Failed,
        ShareState::NeedsCheck,
        ShareState::Missed,
        ShareState::Cancelled,
        ShareState::Deleted,
        ShareState::HandedOver,
    ];

    // Reason: the column derive calls `to_str(&value)`.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    fn stored_name(&self) -> &'static str {
        self.as_str()
    }
}

/// A share state name Chorus does not know (corrupt data, or a newer Chorus wrote it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown share state {0:?}")]
pub struct UnknownShareState(pub String);

impl std::str::FromStr for ShareState {
    type Err = UnknownShareState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ShareState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownShareState(s.to_owned()))
    }
}
