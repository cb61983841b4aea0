//! How long a text is for each network, and whether it fits, counted the way each network counts.
//!
//! Every network counts differently (docs/networks.md): X weighs code points and makes every
//! link 23; Bluesky counts grapheme clusters and UTF-8 bytes; Mastodon counts grapheme
//! clusters with 23 per URL and `@user@domain` as `@user`; LinkedIn's limit applies to the
//! escaped "little text"; Threads counts characters, each emoji as its UTF-8 bytes, and at most
//! 5 distinct links. Nothing here
//! does I/O: a [`Measure`] is computed from the text alone and serialises to the JSON the editor
//! shows as a live counter.

pub mod display;
mod links;
mod mastodon;
mod tld;
mod x;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chorus_policy::Network;
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

pub use mastodon::{MASTODON_CHARS_PER_URL, MASTODON_LIMIT, measure_mastodon_with};
pub use x::{X_LIMIT, X_URL_WEIGHT, measure_x};

use links::{Schemeless, find_links, has_web_scheme};

/// Most grapheme clusters in a Bluesky post.
pub const BLUESKY_LIMIT: usize = 300;
/// Most UTF-8 bytes in a Bluesky post.
pub const BLUESKY_BYTE_LIMIT: usize = 3000;
/// Most UTF-16 code units in a LinkedIn commentary, once escaped.
pub const LINKEDIN_LIMIT: usize = 3000;
/// Most characters in a Threads post.
pub const THREADS_LIMIT: usize = 500;
/// Most distinct links in a Threads post.
pub const THREADS_LINK_LIMIT: usize = 5;

/// The length of a text as one network counts it.
///
/// `fits` is true exactly when `over_by == 0` and there is no `problem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// The network the text was measured for.
    pub network: Network,
    /// How much of the limit the text uses, in `unit`.
    pub used: usize,
    /// The network's limit, in `unit`.
    pub limit: usize,
    /// What `used` and `limit` count.
    pub unit: Unit,
    /// Whether the network would accept the text.
    pub fits: bool,
    /// How much must go before the text fits. For Bluesky, the larger of the grapheme overrun
    /// and the byte overrun, each in its own unit: `bytes` tells which one it is.
    pub over_by: usize,
    /// Bluesky only: `(UTF-8 bytes used, byte limit)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<(usize, usize)>,
    /// Threads only: `(distinct links, link limit)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<(usize, usize)>,
    /// Why the text does not fit although it is short enough, if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// What a [`Measure`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// twitter-text v3 weighted characters (X).
    Weighted,
    /// Extended grapheme clusters, what a reader sees as one character (Bluesky, Mastodon).
    Graphemes,
    /// Unicode scalar values (Threads).
    Characters,
    /// UTF-16 code units (LinkedIn).
    Utf16Units,
}

/// A reason a text does not fit other than its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// X refuses an empty post.
    Empty,
    /// X refuses text holding U+FFFE, U+FEFF or U+FFFF.
    InvalidCharacter,
    /// Threads refuses more than five distinct links.
    TooManyLinks,
}

impl Measure {
    fn new(network: Network, used: usize, limit: usize, unit: Unit) -> Self {
        let over_by = used.saturating_sub(limit);
        Measure {
            network,
            used,
            limit,
            unit,
            fits: over_by == 0,
            over_by,
            bytes: None,
            links: None,
            problem: None,
        }
    }

    fn with_problem(mut self, problem: Option<Problem>) -> Self {
        self.problem = problem;
        self.fits = self.over_by == 0 && problem.is_none();
        self
    }
}

/// Measures `text` as `network` counts it, with each network's default limits.
pub fn measure(network: Network, text: &str) -> Measure {
    match network {
        Network::Bluesky => measure_bluesky(text),
        Network::Mastodon => measure_mastodon(text),
        Network::LinkedIn => measure_linkedin(text),
        Network::X => measure_x(text),
        Network::Threads => measure_threads(text),
    }
}

/// Measures `text` for Bluesky: at most 300 grapheme clusters and 3000 UTF-8 bytes, URLs
/// counted in full (the post shows them as typed).
///
/// `used`/`limit` are graphemes and `bytes` holds the byte count; `over_by` is the larger of
/// the two overruns, each in its own unit, so that cutting that much of the worse one is the
/// least the author must do.
pub fn measure_bluesky(text: &str) -> Measure {
    let graphemes = text.graphemes(true).count();
    let bytes = text.len();
    let mut measure = Measure::new(Network::Bluesky, graphemes, BLUESKY_LIMIT, Unit::Graphemes);
    measure.over_by = measure
        .over_by
        .max(bytes.saturating_sub(BLUESKY_BYTE_LIMIT));
    measure.fits = measure.over_by == 0;
    measure.bytes = Some((bytes, BLUESKY_BYTE_LIMIT));
    measure
}

/// Measures `text` for a Mastodon instance with the default configuration: 500 grapheme
/// clusters, 23 per `http(s)://` URL. See [`measure_mastodon_with`] for other instances.
pub fn measure_mastodon(text: &str) -> Measure {
    measure_mastodon_with(text, MASTODON_LIMIT, MASTODON_CHARS_PER_URL)
}

/// Measures `text` for LinkedIn: the commentary once escaped by
/// [`escape_linkedin_little_text`] must hold at most 3000 UTF-16 code units.
pub fn measure_linkedin(text: &str) -> Measure {
    let escaped = escape_linkedin_little_text(text);
    Measure::new(
        Network::LinkedIn,
        escaped.encode_utf16().count(),
        LINKEDIN_LIMIT,
        Unit::Utf16Units,
    )
}

/// Escapes plain text for LinkedIn's "little text" `commentary`: a backslash before each of
/// `\ | { } @ [ ] ( ) < > # * _ ~`, so LinkedIn shows them as typed instead of silently cutting
/// the post at the first one. (`#` is escaped too, so a bare `#tag` stays plain text.)
pub fn escape_linkedin_little_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        // Every reserved character, the backslash included, gets one backslash in one pass,
        // which is what escaping `\` first and the rest afterwards amounts to.
        if matches!(
            c,
            '\\' | '|'
                | '{'
                | '}'
                | '@'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '#'
                | '*'
                | '_'
                | '~'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Measures `text` for Threads: at most 500 characters and 5 distinct links.
///
/// Characters are Unicode scalar values, except that "emojis are counted as the number of UTF-8
/// bytes" (Meta's Threads API documentation, text posts): `😀` counts 4, a flag 8, a family
/// emoji 25 (four people and three joiners). An emoji is recognised as for X (a cluster that
/// starts with an emoji code point, or a keycap). Links are `http(s)` URLs and bare domains
/// with a real TLD; two spellings of one address (`example.com`, `https://Example.com/`) are
/// one link.
pub fn measure_threads(text: &str) -> Measure {
    let distinct_links: BTreeSet<String> = find_links(text, Schemeless::Included)
        .iter()
        .map(|link| link_identity(link.as_str(text)))
        .collect();
    let problem = (distinct_links.len() > THREADS_LINK_LIMIT).then_some(Problem::TooManyLinks);
    let mut measure = Measure::new(
        Network::Threads,
        threads_length(text),
        THREADS_LIMIT,
        Unit::Characters,
    )
    .with_problem(problem);
    measure.links = Some((distinct_links.len(), THREADS_LINK_LIMIT));
    measure
}

/// Threads' length: one per character, an emoji's code points by their UTF-8 bytes.
fn threads_length(text: &str) -> usize {
    use unicode_properties::UnicodeEmoji as _;
    use unicode_segmentation::UnicodeSegmentation as _;
    text.graphemes(true)
        .map(|cluster| {
            if x::is_emoji_cluster(cluster) {
                cluster
                    .chars()
                    .map(|c| {
                        if c.is_emoji_char_or_emoji_component() {
                            c.len_utf8()
                        } else {
                            1
                        }
                    })
                    .sum()
            } else {
                cluster.chars().count()
            }
        })
        .sum()
}

/// The address a link points to: no scheme, host in lower case, no trailing slash.
fn link_identity(link: &str) -> String {
    let without_scheme = if has_web_scheme(link) {
        link.split_once("://").map_or(link, |(_, rest)| rest)
    } else {
        link
    };
    let host_end = without_scheme
        .find(['/', '?', '#'])
        .unwrap_or(without_scheme.len());
    let (host, rest) = without_scheme.split_at(host_end);
    let mut identity = host.to_lowercase();
    identity.push_str(rest.strip_suffix('/').unwrap_or(rest));
    identity
}
