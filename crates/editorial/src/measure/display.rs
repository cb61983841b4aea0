//! How a post reads on its network, for the share page's preview: links shortened the way the
//! network shows them (X and Bluesky cut them after about 23 characters, Mastodon after 30,
//! without `https://` or `www.`), and LinkedIn's fold, after which the reader sees "…see more".
//! A preview only: publishing sends the text as written.

use chorus_policy::Network;
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use super::links::{Schemeless, find_links};

/// One piece of a post as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    /// Text as written.
    Text {
        /// The text.
        text: String,
    },
    /// A link, as the network shows it.
    Link {
        /// What the reader sees.
        shown: String,
        /// Where it goes.
        href: String,
    },
}

/// A post as its network shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Display {
    /// The visible part, in order.
    pub segments: Vec<Segment>,
    /// LinkedIn: the text goes on behind "…see more".
    pub folded: bool,
}

/// LinkedIn shows about this many characters (or three lines) before "…see more".
const LINKEDIN_FOLD: usize = 210;
const LINKEDIN_FOLD_LINES: usize = 3;

/// How many characters of a link's address each network shows, if it shortens them.
fn link_room(network: Network) -> Option<usize> {
    match network {
        Network::X | Network::Bluesky => Some(23),
        Network::Mastodon => Some(30),
        Network::LinkedIn | Network::Threads => None,
    }
}

/// A link as `network` shows it: without its scheme and `www.`, cut with "…" when the network
/// shortens links.
fn shown_link(network: Network, link: &str) -> String {
    let bare = link
        .strip_prefix("https://")
        .or_else(|| link.strip_prefix("http://"))
        .unwrap_or(link);
    let bare = bare.strip_prefix("www.").unwrap_or(bare);
    match link_room(network) {
        Some(room) if bare.graphemes(true).count() > room => {
            let kept: String = bare.graphemes(true).take(room - 1).collect();
            format!("{kept}…")
        }
        Some(_) => bare.to_owned(),
        None => link.to_owned(),
    }
}

/// Where LinkedIn folds `text`: the byte offset of the first hidden character, if any.
fn linkedin_fold(text: &str) -> Option<usize> {
    let mut lines = 1;
    for (count, (offset, grapheme)) in text.grapheme_indices(true).enumerate() {
        if count >= LINKEDIN_FOLD {
            // Back to the last space, as LinkedIn does not cut words.
            let cut = text[..offset]
                .rfind(' ')
                .filter(|&at| at > 0)
                .unwrap_or(offset);
            return Some(cut);
        }
        if grapheme == "\n" || grapheme == "\r\n" {
            lines += 1;
            if lines > LINKEDIN_FOLD_LINES {
                return Some(offset);
            }
        }
    }
    None
}

/// `text` as `network` shows it.
#[must_use]
pub fn display(network: Network, text: &str) -> Display {
    let text = text.trim_end();
    let (visible, folded) = match network {
        Network::LinkedIn => match linkedin_fold(text) {
            Some(cut) => (text[..cut].trim_end(), true),
            None => (text, false),
        },
        _ => (text, false),
    };
    let schemeless = if network == Network::Mastodon {
        Schemeless::Excluded
    } else {
        Schemeless::Included
    };
    let mut segments = Vec::new();
    let mut at = 0;
    for link in find_links(visible, schemeless) {
        if link.range.start > at {
            segments.push(Segment::Text {
                text: visible[at..link.range.start].to_owned(),
            });
        }
        let written = link.as_str(visible);
        let href = if written.contains("://") {
            written.to_owned()
        } else {
            format!("https://{written}")
        };
        segments.push(Segment::Link {
            shown: shown_link(network, written),
            href,
        });
        at = link.range.end;
    }
    if at < visible.len() {
        segments.push(Segment::Text {
            text: visible[at..].to_owned(),
        });
    }
    Display { segments, folded }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(display: &Display) -> String {
        display
            .segments
            .iter()
            .map(|s| match s {
                Segment::Text { text } => text.as_str(),
                Segment::Link { shown, .. } => shown.as_str(),
            })
            .collect()
    }

    #[test]
    fn x_shows_links_without_scheme_cut_after_23_characters() {
        let post = display(
            Network::X,
            "Read this https://www.example.com/news/volunteering-day now",
        );
        assert_eq!(shown(&post), "Read this example.com/news/volun… now");
        assert!(matches!(
            &post.segments[1],
            Segment::Link { href, .. } if href == "https://www.example.com/news/volunteering-day"
        ));
        assert_eq!(
            shown(&display(Network::X, "see example.com/a")),
            "see example.com/a"
        );
        assert!(!post.folded);
    }

    #[test]
    fn linkedin_folds_long_posts_at_a_space_and_after_three_lines() {
        let long = "word ".repeat(60);
        let post = display(Network::LinkedIn, &long);
        assert!(post.folded);
        let visible = shown(&post);
        assert!(
            visible.len() <= LINKEDIN_FOLD && visible.ends_with("word"),
            "{visible}"
        );
        let lines = display(Network::LinkedIn, "one\ntwo\nthree\nfour");
        assert!(lines.folded);
        assert_eq!(shown(&lines), "one\ntwo\nthree");
        let short = display(Network::LinkedIn, "Short. https://example.com/x");
        assert!(!short.folded);
        assert_eq!(shown(&short), "Short. https://example.com/x");
    }

    #[test]
    fn mastodon_links_need_a_scheme_and_threads_shows_them_whole() {
        assert_eq!(
            display(Network::Mastodon, "example.com and https://example.com/a")
                .segments
                .len(),
            2
        );
        let whole = "https://example.com/a/very/long/path/that/goes/on";
        assert_eq!(shown(&display(Network::Threads, whole)), whole);
    }
}
