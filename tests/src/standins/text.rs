//! How each network measures and reads post text: Mastodon's counted characters, X's weighted
//! length (twitter-text v3, simplified), links and length for Threads, and LinkedIn's "little"
//! text format that silently cuts a commentary at its first unescaped reserved character.

use std::collections::BTreeSet;
use std::ops::Range;

use unicode_normalization::UnicodeNormalization as _;
use unicode_segmentation::UnicodeSegmentation as _;

/// What a URL costs on Mastodon and X, whatever its length.
pub(crate) const URL_WEIGHT: usize = 23;

/// Top-level domains recognised in scheme-less links (`example.com`), as X and Threads do.
const TLDS: &[&str] = &[
    "com", "org", "net", "io", "co", "dev", "app", "fr", "de", "uk", "eu", "info", "me", "ly",
];

/// Byte ranges of the links in `text`: `http(s)://…` always, `domain.tld/…` when `schemeless`.
/// A link ends at whitespace; trailing punctuation is not part of it.
pub(crate) fn links(text: &str, schemeless: bool) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut start = None;
    for (index, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, c.is_whitespace()) {
            (None, false) => start = Some(index),
            (Some(word_start), true) => {
                if let Some(range) = link_in_word(text, word_start..index, schemeless) {
                    found.push(range);
                }
                start = None;
            }
            _ => {}
        }
    }
    found
}

fn link_in_word(text: &str, word: Range<usize>, schemeless: bool) -> Option<Range<usize>> {
    let slice = &text[word.clone()];
    let lower = slice.to_ascii_lowercase();
    let scheme_at = lower.find("https://").or_else(|| lower.find("http://"));
    let start = match scheme_at {
        Some(at) => at,
        None if schemeless => slice.find(|c: char| c.is_ascii_alphanumeric())?,
        None => return None,
    };
    if start > 0
        && slice[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '@')
    {
        return None;
    }
    let mut link = &slice[start..];
    while let Some(last) = link.chars().last() {
        let unbalanced_paren = last == ')' && !link.contains('(');
        if ".,;:!?'\"".contains(last) || unbalanced_paren {
            link = &link[..link.len() - last.len_utf8()];
        } else {
            break;
        }
    }
    let valid = if scheme_at.is_some() {
        link.split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty())
    } else {
        let host = link.split(['/', '?', '#']).next().unwrap_or_default();
        let labels: Vec<&str> = host.split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| TLDS.contains(&tld.to_ascii_lowercase().as_str()))
    };
    valid.then(|| word.start + start..word.start + start + link.len())
}

/// The distinct links of a text (Threads allows five).
pub(crate) fn distinct_links(text: &str) -> BTreeSet<String> {
    links(text, true)
        .into_iter()
        .map(|range| text[range].to_ascii_lowercase())
        .collect()
}

/// Threads' length as Meta documents it: characters, emoji counted as their UTF-8 bytes (the
/// pictographic blocks, flags, the joiner and the emoji variation selector; a rough cut of its
/// own, independent of Chorus's counter).
pub(crate) fn threads_length(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x200D | 0xFE0F | 0x20E3 | 0xE0020..=0xE007F => {
                c.len_utf8()
            }
            _ => 1,
        })
        .sum()
}

/// Mastodon: grapheme clusters, each `http(s)` URL as 23, `@user@domain` as `@user`.
pub(crate) fn mastodon_length(text: &str) -> usize {
    let urls = links(text, false);
    urls.len() * URL_WEIGHT
        + outside(text, &urls)
            .into_iter()
            .map(|piece| without_mention_domains(piece).graphemes(true).count())
            .sum::<usize>()
}

/// The pieces of `text` outside `ranges` (sorted and disjoint).
fn outside<'t>(text: &'t str, ranges: &[Range<usize>]) -> Vec<&'t str> {
    let mut pieces = Vec::with_capacity(ranges.len() + 1);
    let mut cursor = 0;
    for range in ranges {
        pieces.push(&text[cursor..range.start]);
        cursor = range.end;
    }
    pieces.push(&text[cursor..]);
    pieces
}

/// `@user@example.social` → `@user`, as Mastodon counts remote mentions.
fn without_mention_domains(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let starts_mention = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = &rest[at + 1..];
        let user_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        kept.push_str(&rest[..=at]);
        kept.push_str(&after[..user_len]);
        rest = &after[user_len..];
        if starts_mention && user_len > 0 && rest.starts_with('@') {
            let domain_len = rest[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .map_or(rest.len(), |end| end + 1);
            if rest[1..domain_len].contains('.') {
                rest = &rest[domain_len..];
            }
        }
    }
    kept.push_str(rest);
    kept
}

/// X: twitter-text v3 weighted length after NFC: URLs 23, emoji sequences 2, code points in the
/// Latin and punctuation ranges 1, everything else (CJK, …) 2.
pub(crate) fn x_weighted_length(text: &str) -> usize {
    let text: String = text.nfc().collect();
    let urls = links(&text, true);
    urls.len() * URL_WEIGHT
        + outside(&text, &urls)
            .into_iter()
            .flat_map(|piece| piece.graphemes(true))
            .map(grapheme_weight)
            .sum::<usize>()
}

/// X refuses text that is empty or holds U+FFFE, U+FEFF or U+FFFF.
pub(crate) fn x_text_invalid(text: &str) -> bool {
    text.trim().is_empty() || text.contains(['\u{FFFE}', '\u{FEFF}', '\u{FFFF}'])
}

fn grapheme_weight(grapheme: &str) -> usize {
    if grapheme.chars().any(is_emoji_part) {
        return 2;
    }
    grapheme
        .chars()
        .map(|c| {
            let light = matches!(u32::from(c),
                0x0000..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037);
            if light { 1 } else { 2 }
        })
        .sum()
}

fn is_emoji_part(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF | 0x20E3 | 0xFE0F)
}

/// The reserved characters of LinkedIn's little text format.
const LITTLE_RESERVED: &str = "\\|{}@[]()<>#*_~";

/// The part of a LinkedIn commentary that survives: everything before the first unescaped
/// reserved character, where mentions `@[Name](urn:li:person:…)` and hashtag templates
/// `{hashtag|\#|Tag}` are whole elements rather than stray reserved characters.
pub(crate) fn little_text_kept(commentary: &str) -> &str {
    let mut index = 0;
    while let Some(c) = commentary[index..].chars().next() {
        let rest = &commentary[index..];
        if c == '\\' {
            match rest[1..].chars().next() {
                Some(escaped) => index += 1 + escaped.len_utf8(),
                None => return &commentary[..index],
            }
        } else if let Some(len) = little_element_len(rest) {
            index += len;
        } else if LITTLE_RESERVED.contains(c) {
            return &commentary[..index];
        } else {
            index += c.len_utf8();
        }
    }
    commentary
}

/// The byte length of a mention or hashtag element at the start of `text`, if there is one.
fn little_element_len(text: &str) -> Option<usize> {
    if let Some(rest) = text.strip_prefix("@[") {
        let name_end = rest.find("](")?;
        let urn_part = &rest[name_end + 2..];
        let urn_end = urn_part.find(')')?;
        let urn = &urn_part[..urn_end];
        let known = ["urn:li:person:", "urn:li:organization:"]
            .iter()
            .any(|prefix| urn.strip_prefix(prefix).is_some_and(|id| !id.is_empty()));
        let name = &rest[..name_end];
        return (known && !name.contains(['[', ']'])).then_some(2 + name_end + 2 + urn_end + 1);
    }
    let rest = text.strip_prefix("{hashtag|")?;
    let rest_after_mark = rest
        .strip_prefix("\\#|")
        .or_else(|| rest.strip_prefix("#|"))?;
    let tag_end = rest_after_mark.find('}')?;
    let tag = &rest_after_mark[..tag_end];
    let valid = !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    valid.then_some(text.len() - rest_after_mark.len() + tag_end + 1)
}

/// The number of UTF-16 code units (LinkedIn's likely unit for its 3,000 limit).
pub(crate) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}
