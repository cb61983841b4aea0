//! How long a text is for each network, and whether it fits. (Interim version; the exact rules
//! per network are being written on a branch.)

use chorus_policy::Network;
use serde::Serialize;

/// The unit a network counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// X's weighted characters.
    Weighted,
    /// Grapheme clusters.
    Graphemes,
    /// Unicode scalar values.
    Characters,
    /// UTF-16 code units.
    Utf16Units,
}

/// A text measured for one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// The network.
    pub network: Network,
    /// Length in the network's unit.
    pub used: usize,
    /// The network's limit.
    pub limit: usize,
    /// The unit.
    pub unit: Unit,
    /// Whether the text fits.
    pub fits: bool,
    /// How far over the limit.
    pub over_by: usize,
}

/// Measures `text` for `network`.
#[must_use]
pub fn measure(network: Network, text: &str) -> Measure {
    let (limit, unit) = match network {
        Network::X => (280, Unit::Weighted),
        Network::Bluesky => (300, Unit::Graphemes),
        Network::Mastodon => (500, Unit::Graphemes),
        Network::LinkedIn => (3000, Unit::Utf16Units),
        Network::Threads => (500, Unit::Characters),
    };
    let used = text.chars().count();
    Measure {
        network,
        used,
        limit,
        unit,
        fits: used <= limit && !text.is_empty(),
        over_by: used.saturating_sub(limit),
    }
}
