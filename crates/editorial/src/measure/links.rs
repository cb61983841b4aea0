//! Finding the links in a post the way the networks do before they count it.
//!
//! `linkify` finds the candidates (it handles trailing punctuation and brackets); the rules
//! below then keep the links a network would turn into one: `http`/`https` URLs, and, where
//! asked, bare domains such as `example.com/page` whose last label is a real top-level domain.
//! As twitter-text does: a host must survive IDNA (each label, in its punycode form, 1 to 63
//! characters) and the whole URL 4,096 characters; directional marks are never part of a link;
//! and a URL with a scheme may end in a top-level domain of another script, which `linkify`
//! does not see (`http://foobar.پاکستان/`).

use std::borrow::Cow;
use std::ops::Range;

use linkify::{LinkFinder, LinkKind};

use super::tld::{is_known_tld, is_known_unicode_tld};

/// twitter-text's longest URL, in characters, its scheme counted (8 when it has none).
const MAX_URL_LENGTH: usize = 4096;

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
    // Directional marks end a link: each is blanked with as many spaces as its bytes, so the
    // offsets found are the text's own.
    let text: Cow<str> = if text.contains(is_directional_mark) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if is_directional_mark(c) {
                        " ".repeat(c.len_utf8())
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    let mut finder = LinkFinder::new();
    finder
        .kinds(&[LinkKind::Url])
        .url_must_have_scheme(schemeless == Schemeless::Excluded);
    let mut links: Vec<Link> = finder
        .links(&text)
        .filter(|found| {
            let candidate = found.as_str();
            let kept = if has_web_scheme(candidate) {
                true
            } else if candidate.contains("://") {
                // ftp://, ssh://: the networks leave these as text.
                false
            } else {
                schemeless == Schemeless::Included
                    && is_linkable_bare_domain(&text[..found.start()], candidate)
            };
            kept && valid_host_and_length(candidate)
        })
        .map(|found| Link {
            range: found.start()..found.end(),
        })
        .collect();
    for link in urls_ending_in_another_script(&text) {
        if !links
            .iter()
            .any(|l| l.range.start < link.range.end && link.range.start < l.range.end)
        {
            links.push(link);
        }
    }
    links.sort_by_key(|link| link.range.start);
    links
}

/// The marks that set the direction of text (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066
/// to U+2069): twitter-text never lets them into a link.
fn is_directional_mark(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Where a link's host is: after its scheme, up to its path, query, fragment or port.
fn host_of(candidate: &str) -> (&str, bool) {
    let (rest, has_scheme) = match candidate.find("://") {
        Some(at) if has_web_scheme(candidate) => (&candidate[at + 3..], true),
        _ => (candidate, false),
    };
    let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    (&rest[..end], has_scheme)
}

/// twitter-text's `isValidHostAndLength`: the host converts to ASCII (IDNA) with every label
/// 1 to 63 characters, and the URL with that host (and a scheme) is at most 4,096 characters.
fn valid_host_and_length(candidate: &str) -> bool {
    let (host, has_scheme) = host_of(candidate);
    let Ok(ascii) = idna::domain_to_ascii(host) else {
        return false;
    };
    if ascii.is_empty()
        || ascii
            .split('.')
            .any(|label| label.is_empty() || label.len() > 63)
    {
        return false;
    }
    let length = candidate.chars().count() - host.chars().count()
        + ascii.len()
        + if has_scheme { 0 } else { "https://".len() };
    length <= MAX_URL_LENGTH
}

/// `http(s)://` URLs whose host ends in a top-level domain of another script: up to the next
/// space, without the punctuation that ends a sentence.
fn urls_ending_in_another_script(text: &str) -> Vec<Link> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for scheme in ["http://", "https://"] {
        for (start, _) in lower.match_indices(scheme) {
            if text[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            let rest = &text[start..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"', ')']);
            let (host, _) = host_of(url);
            let tld = host.rsplit('.').next().unwrap_or_default();
            if !host.is_ascii() && is_known_unicode_tld(tld) && valid_host_and_length(url) {
                found.push(Link {
                    range: start..start + url.len(),
                });
            }
        }
    }
    found
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
    fn hosts_must_survive_idna_with_labels_of_63_characters_at_most() {
        let label = "a".repeat(63);
        let text = format!("https://{label}.com/x and {label}.com");
        assert_eq!(links(&text, Schemeless::Included).len(), 2);
        let long = "a".repeat(64);
        for text in [format!("https://{long}.com/x"), format!("{long}.com")] {
            assert!(links(&text, Schemeless::Included).is_empty(), "{text}");
        }
        // 53 kana are 53 characters, but more than 63 in punycode.
        let kana = format!("{}あいう", "あいうえおかきくけこ".repeat(5));
        assert!(links(&format!("http://{kana}.com"), Schemeless::Included).is_empty());
        assert_eq!(
            links("http://あいう.com", Schemeless::Included),
            ["http://あいう.com"]
        );
    }

    #[test]
    fn directional_marks_end_links_and_other_scripts_tlds_count_with_a_scheme() {
        let text = "\u{2066}\u{202A}http://foobar.پاکستان/\u{202C}\u{2069}";
        assert_eq!(
            links(text, Schemeless::Included),
            ["http://foobar.پاکستان/"]
        );
        assert_eq!(
            links(
                "\u{202A}https://example.com/a\u{202C}.",
                Schemeless::Excluded
            ),
            ["https://example.com/a"]
        );
        assert!(links("foobar.پاکستان", Schemeless::Included).is_empty());
        assert!(links("http://foobar.notatld", Schemeless::Included).len() == 1);
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
