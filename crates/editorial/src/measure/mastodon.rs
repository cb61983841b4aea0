//! Mastodon's status length: grapheme clusters of the text after Mastodon's own rewriting, in
//! which each `http(s)://` URL becomes a fixed-length placeholder and `@user@domain` becomes
//! `@user` (Mastodon's `StatusLengthValidator` and `Account::MENTION_RE`).

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use super::links::{Schemeless, find_links};
use super::{Measure, Network, Unit};

/// `configuration.statuses.max_characters` of a stock Mastodon instance.
pub const MASTODON_LIMIT: usize = 500;
/// `configuration.statuses.characters_reserved_per_url` of a stock Mastodon instance.
pub const MASTODON_CHARS_PER_URL: usize = 23;

/// Measures `text` for a Mastodon instance whose `/api/v2/instance` reports `max_chars` and
/// `chars_per_url`.
///
/// Each URL with an `http://` or `https://` scheme counts `chars_per_url` whatever its length
/// (a bare `example.com` counts in full: Mastodon does not link it), a remote mention
/// `@user@domain` counts as `@user`, and everything else counts one per grapheme cluster.
/// Mastodon adds the content warning to the count: pass `spoiler_text + status` when there is one.
pub fn measure_mastodon_with(text: &str, max_chars: usize, chars_per_url: usize) -> Measure {
    let used = countable_text(text, chars_per_url).graphemes(true).count();
    Measure::new(Network::Mastodon, used, max_chars, Unit::Graphemes)
}

/// The text Mastodon counts: URLs replaced by `chars_per_url` placeholders, remote mentions
/// cut to their local part.
fn countable_text(text: &str, chars_per_url: usize) -> String {
    let placeholder = "x".repeat(chars_per_url);
    let urls: Vec<Range<usize>> = find_links(text, Schemeless::Excluded)
        .into_iter()
        .map(|link| link.range)
        .collect();
    let mut rewrites: Vec<(Range<usize>, &str)> = urls
        .iter()
        .map(|range| (range.clone(), placeholder.as_str()))
        .collect();
    for mention in remote_mentions(text) {
        let overlaps_url = urls
            .iter()
            .any(|url| url.start < mention.whole.end && mention.whole.start < url.end);
        if !overlaps_url {
            rewrites.push((mention.whole, &text[mention.local]));
        }
    }
    rewrites.sort_by_key(|(range, _)| range.start);

    let mut countable = String::with_capacity(text.len());
    let mut position = 0;
    for (range, replacement) in rewrites {
        countable.push_str(&text[position..range.start]);
        countable.push_str(replacement);
        position = range.end;
    }
    countable.push_str(&text[position..]);
    countable
}

/// A mention of an account on another instance.
struct RemoteMention {
    /// `@user@domain`.
    whole: Range<usize>,
    /// `@user`.
    local: Range<usize>,
}

/// The `@user@domain` mentions in `text`, by Mastodon's rule: an `@` not preceded by `=`, `/`
/// or a word character; a username of ASCII letters, digits and `_` with inner `.`/`-`; a
/// domain of word characters with inner `.`/`-`; not followed by another `@` or `://`.
fn remote_mentions(text: &str) -> Vec<RemoteMention> {
    let mut mentions = Vec::new();
    let mut search_from = 0;
    while let Some(offset) = text[search_from..].find('@') {
        let at = search_from + offset;
        search_from = at + 1;
        let preceded_badly = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c == '=' || c == '/' || is_word(c));
        if preceded_badly {
            continue;
        }
        let user_end = at + 1 + dotted_run(&text[at + 1..], is_username_char);
        if user_end == at + 1 {
            continue;
        }
        let mut end = user_end;
        if text[user_end..].starts_with('@') {
            let domain_len = dotted_run(&text[user_end + 1..], is_word);
            if domain_len > 0 {
                end = user_end + 1 + domain_len;
            }
        }
        search_from = end;
        let rest = &text[end..];
        if end > user_end && !rest.starts_with('@') && !rest.starts_with("://") {
            mentions.push(RemoteMention {
                whole: at..end,
                local: at..user_end,
            });
        }
    }
    mentions
}

/// Byte length of the longest prefix of `s` matching `W+([.-]+W+)*`.
fn dotted_run(s: &str, is_word_char: fn(char) -> bool) -> usize {
    let mut matched = 0;
    let mut position = 0;
    loop {
        let word = s[position..]
            .find(|c: char| !is_word_char(c))
            .unwrap_or(s.len() - position);
        if word == 0 {
            return matched;
        }
        position += word;
        matched = position;
        let separators = s[position..]
            .find(|c: char| c != '.' && c != '-')
            .unwrap_or(s.len() - position);
        if separators == 0 {
            return matched;
        }
        position += separators;
    }
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_mentions_count_as_their_local_part() {
        assert_eq!(
            countable_text("hi @alice@example.social!", 23),
            "hi @alice!"
        );
        assert_eq!(
            countable_text("@bob.smith@mastodon.example.org. ok", 23),
            "@bob.smith. ok"
        );
        assert_eq!(countable_text("@local stays", 23), "@local stays");
    }

    #[test]
    fn things_that_look_like_mentions_but_are_not_are_counted_in_full() {
        for text in [
            "mail me: a@b@c.org",
            "key=@x@y.z",
            "see /@x@y.z",
            "@x@y.z@w",
            "@@x@y.z",
        ] {
            let expected = if text == "@@x@y.z" { "@@x" } else { text };
            assert_eq!(countable_text(text, 23), expected, "{text}");
        }
    }

    #[test]
    fn urls_with_scheme_become_placeholders_and_bare_domains_do_not() {
        assert_eq!(
            countable_text("go https://example.com/a/b?c=d now", 5),
            "go xxxxx now"
        );
        assert_eq!(
            countable_text("go example.com now", 5),
            "go example.com now"
        );
        assert_eq!(
            countable_text("https://mastodon.social/@alice@example.org", 3),
            "xxx"
        );
    }
}
