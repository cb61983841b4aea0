//! The social networks Chorus publishes to on a person's behalf, always by their own action.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A network an ambassador can connect their own account on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Bluesky (AT Protocol).
    Bluesky,
    /// Mastodon (any instance).
    Mastodon,
    /// LinkedIn member posts.
    LinkedIn,
    /// X (formerly Twitter).
    X,
    /// Threads (Meta).
    Threads,
}

impl Network {
    /// Every network, in the order pages list them.
    pub const ALL: [Network; 5] = [
        Network::Bluesky,
        Network::Mastodon,
        Network::LinkedIn,
        Network::X,
        Network::Threads,
    ];

    /// The stable name used in the database, URLs, the CLI and forms.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::LinkedIn => "linkedin",
            Network::X => "x",
            Network::Threads => "threads",
        }
    }

    /// The name people know it by.
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
            Network::LinkedIn => "LinkedIn",
            Network::X => "X",
            Network::Threads => "Threads",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A network name that Chorus does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network {0:?}: expected bluesky, mastodon, linkedin, x or threads")]
pub struct UnknownNetwork(pub String);

impl FromStr for Network {
    type Err = UnknownNetwork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownNetwork(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_explained() {
        for network in Network::ALL {
            assert_eq!(network.as_str().parse::<Network>(), Ok(network));
        }
        assert_eq!(" LinkedIn ".parse::<Network>(), Ok(Network::LinkedIn));
        let err = "myspace".parse::<Network>().unwrap_err();
        assert!(err.to_string().contains("expected bluesky"));
    }
}
