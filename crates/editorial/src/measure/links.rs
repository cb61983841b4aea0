//! Finding the links in a post the way the networks do before they count it.
//!
//! `linkify` finds the candidates (it handles trailing punctuation and brackets); the rules
//! below then keep the links a network would turn into one: `http`/`https` URLs, and, where
//! asked, bare domains such as `example.com/page` whose last label is a real top-level domain.

use std::ops::Range;

use linkify::{LinkFinder, LinkKind};

use super::tld::is_known_tld;

/// Whether a bare domain such as `example.com` counts as a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Schemeless {
    /// Bare domains are links too (X, Threads).
    Included,
    /// Only `http://` and `https://` URLs are links (Mastodon).
    Excluded,
}

/// A link found in a text: where it is, by byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    /// Byte range of the link in the text it was found in.
    pub range: Range<usize>,
}

impl Link {
    /// The link's text.
    pub fn as_str<'t>(&self, text: &'t str) -> &'t str {
        &text[self.range.clone()]
    }
}

/// Every link in `text`, in order, without overlaps.
pub(super) fn find_links(text: &str, schemeless: Schemeless) -> Vec<Link> {
    let mut finder = LinkFinder::new();
    finder
        .kinds(&[LinkKind::Url])
        .url_must_have_scheme(schemeless == Schemeless::Excluded);
    finder
        .links(text)
        .filter(|found| {
            let candidate = found.as_str();
            if has_web_scheme(candidate) {
                true
            } else if candidate.contains("://") {
                // ftp://, ssh://: the networks leave these as text.
                false
            } else {
                schemeless == Schemeless::Included
                    && is_linkable_bare_domain(&text[..found.start()], candidate)
            }
        })
        .map(|found| Link {
            range: found.start()..found.end(),
        })
        .collect()
}

/// Whether `url` starts with `http://` or `https://`, in any case.
pub(super) fn has_web_scheme(url: &str) -> bool {
    starts_with_ignore_case(url, "http://") || starts_with_ignore_case(url, "https://")
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A bare domain is a link when it is not glued to a word, a handle, a cashtag or a hashtag,
/// its host is ASCII (twitter-text leaves `例え.jp` as text) and its TLD exists.
fn is_linkable_bare_domain(before: &str, candidate: &str) -> bool {
    let glued = before
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || "@$#_-.＠＃/".contains(c));
    if glued {
        return false;
    }
    let host_end = candidate
        .find(['/', '?', '#', ':'])
        .unwrap_or(candidate.len());
    let host = &candidate[..host_end];
    host.is_ascii() && host.rsplit('.').next().is_some_and(is_known_tld)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str, schemeless: Schemeless) -> Vec<&str> {
        find_links(text, schemeless)
            .into_iter()
            .map(|link| link.as_str(text))
            .collect()
    }

    #[test]
    fn web_urls_are_found_with_and_without_scheme() {
        let text = "Read https://example.com/a, www.example.org and blog.example.fr/x.";
        assert_eq!(
            links(text, Schemeless::Included),
            [
                "https://example.com/a",
                "www.example.org",
                "blog.example.fr/x"
            ]
        );
        assert_eq!(links(text, Schemeless::Excluded), ["https://example.com/a"]);
    }

    #[test]
    fn bare_words_with_dots_are_links_only_with_a_real_tld() {
        assert_eq!(links("see main.rs", Schemeless::Included), ["main.rs"]);
        assert!(links("see notes.txt and e.g. 1.5.2", Schemeless::Included).is_empty());
    }

    #[test]
    fn emails_handles_other_schemes_and_unicode_hosts_are_not_links() {
        for text in [
            "mail user@example.com",
            "ftp://example.com",
            "ex_ample.com",
            "$example.com",
            "例え.jp",
            "@alice@example.org",
        ] {
            assert!(links(text, Schemeless::Included).is_empty(), "{text}");
        }
        assert_eq!(
            links("https://例え.jp", Schemeless::Included),
            ["https://例え.jp"]
        );
        assert_eq!(
            links("HTTP://EXAMPLE.COM", Schemeless::Excluded),
            ["HTTP://EXAMPLE.COM"]
        );
    }
}
