//! Bluesky rich-text facets: mentions, links and tags found in a post's text, each with the
//! UTF-8 byte range it covers (`byteStart` inclusive, `byteEnd` exclusive). Bluesky does not
//! parse text itself: without facets a link is plain text, a mention notifies nobody, and wrong
//! offsets give broken links.
//!
//! Detection is the reference client's (`@atproto/api` 0.21.0, `RichText`'s `detectFacets`),
//! its regular expressions translated as they are, and checked against it on a corpus of texts
//! by the end-to-end tests: a mention is `@handle` whose last label is a real top-level domain
//! (or `.test`); a link is an `http(s)://` URL, or a bare domain such as `example.com/path`
//! (sent as `https://example.com/path`), with one sentence punctuation mark and an unopened `)`
//! left out; a tag is `#` or `＃` followed by at least one character that is not a digit,
//! a space or punctuation, its trailing punctuation left out, at most 64 graphemes; a cashtag
//! is `$` and one to five letters or digits (`$AAPL`), sent as an upper-case tag. A mention
//! carries its handle until [`resolve_mentions`] replaces it by the account's DID (an
//! unresolved one is dropped, as the reference client drops it).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};
use unicode_segmentation::UnicodeSegmentation as _;

use super::facets_tlds::TLDS;

/// The longest tag Bluesky accepts, in graphemes (without the `#`).
const MAX_TAG_GRAPHEMES: usize = 64;

/// JavaScript's `\s`: Unicode's white space, with U+FEFF and without U+0085.
const JS_SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Characters a tag never holds (zero-width and soft breaks), besides spaces.
const TAG_BREAKS: &str = r"\x{AD}\x{2060}\x{200A}\x{200B}\x{200C}\x{200D}\x{20E2}";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("a facet pattern compiles: {e}"))
}

/// `MENTION_REGEX`: `(^|\s|\()(@)([a-zA-Z0-9.-]+)(\b)`, `\b` being ASCII's.
static MENTION: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"(^|[{JS_SPACE}]|\()(@)([a-zA-Z0-9.-]+)(?-u:\b)")));

/// `URL_REGEX` (case-insensitive, `^` at each line).
static URL: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?im)(^|[{JS_SPACE}]|\()((https?://[^{JS_SPACE}]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[^{JS_SPACE}]*))"
    ))
});

/// `TAG_REGEX`, without its `(?!\u{FE0F})` (checked after the match).
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(^|[{JS_SPACE}])[#＃]([^{JS_SPACE}{TAG_BREAKS}]*[^0-9{JS_SPACE}\p{{P}}{TAG_BREAKS}]+[^{JS_SPACE}{TAG_BREAKS}]*)?"
    ))
});

/// `CASHTAG_REGEX`, without its look-ahead (checked after the match).
static CASHTAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(^|[{JS_SPACE}]|\()\$([A-Za-z][A-Za-z0-9]{{0,4}})"
    ))
});

/// `\p{P}+$`.
static TRAILING_PUNCTUATION: LazyLock<Regex> = LazyLock::new(|| regex(r"\p{P}+$"));

/// One facet found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facet {
    /// A mention: the range covers the `@`; `did` is the handle until resolved.
    Mention {
        /// Byte offset of the `@`.
        start: usize,
        /// Byte offset just past the handle.
        end: usize,
        /// The handle as written, then the account's DID.
        did: String,
    },
    /// A link: the URL (with `https://` added to a bare domain).
    Link {
        /// Byte offset of its first byte.
        start: usize,
        /// Byte offset just past its last byte.
        end: usize,
        /// The URL.
        uri: String,
    },
    /// A hashtag or cashtag: the range covers the `#` or `$`, the tag does not hold the `#`
    /// (a cashtag's holds its `$`).
    Tag {
        /// Byte offset of the `#` or `$`.
        start: usize,
        /// Byte offset just past the tag.
        end: usize,
        /// The tag.
        tag: String,
    },
}

impl Facet {
    /// Where it starts.
    #[must_use]
    pub fn start(&self) -> usize {
        match self {
            Facet::Mention { start, .. } | Facet::Link { start, .. } | Facet::Tag { start, .. } => {
                *start
            }
        }
    }

    /// The bytes it covers.
    #[must_use]
    pub fn range(&self) -> (usize, usize) {
        match self {
            Facet::Mention { start, end, .. }
            | Facet::Link { start, end, .. }
            | Facet::Tag { start, end, .. } => (*start, *end),
        }
    }

    /// The facet as Bluesky's `app.bsky.richtext.facet` record.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let (start, end, feature) = match self {
            Facet::Mention { start, end, did } => (
                start,
                end,
                json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
            ),
            Facet::Link { start, end, uri } => (
                start,
                end,
                json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
            ),
            Facet::Tag { start, end, tag } => (
                start,
                end,
                json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
            ),
        };
        json!({"index": {"byteStart": start, "byteEnd": end}, "features": [feature]})
    }
}

/// The facets of `text` as JSON, in text order, never overlapping, mentions left out (they
/// need resolving: [`resolve_mentions`]).
#[must_use]
pub fn facets(text: &str) -> Vec<Value> {
    resolve_mentions(text, &[])
}

/// The reference client's `isValidDomain`: the last label is a known top-level domain.
fn is_valid_domain(text: &str) -> bool {
    text.rsplit_once('.').is_some_and(|(_, last)| {
        !last.is_empty() && !last.contains(' ') && TLDS.contains(&format!(" {last} "))
    })
}

/// Every mention, link and tag of `text`, sorted by where they start (mentions carry their
/// handle).
#[must_use]
pub fn detect(text: &str) -> Vec<Facet> {
    let mut found = Vec::new();
    for captures in MENTION.captures_iter(text) {
        let Some(handle) = captures.get(3) else {
            continue;
        };
        #[allow(
            clippy::case_sensitive_file_extension_comparisons,
            reason = "the reference client compares `.test` as written"
        )]
        let test_handle = handle.as_str().ends_with(".test");
        if !is_valid_domain(handle.as_str()) && !test_handle {
            continue;
        }
        found.push(Facet::Mention {
            start: handle.start() - 1,
            end: handle.end(),
            did: handle.as_str().to_owned(),
        });
    }
    for captures in URL.captures_iter(text) {
        let Some(whole) = captures.get(2) else {
            continue;
        };
        let mut uri = whole.as_str().to_owned();
        if !uri.starts_with("http") {
            match captures.name("domain") {
                Some(domain) if is_valid_domain(domain.as_str()) => {}
                _ => continue,
            }
            uri = format!("https://{uri}");
        }
        let mut end = whole.end();
        if uri.ends_with(['.', ',', ';', ':', '!', '?']) {
            uri.pop();
            end -= 1;
        }
        if uri.ends_with(')') && !uri.contains('(') {
            uri.pop();
            end -= 1;
        }
        found.push(Facet::Link {
            start: whole.start(),
            end,
            uri,
        });
    }
    for captures in TAG.captures_iter(text) {
        let (Some(leading), Some(body)) = (captures.get(1), captures.get(2)) else {
            continue;
        };
        if body.as_str().starts_with('\u{FE0F}') {
            continue;
        }
        let trimmed = body.as_str().trim_matches(is_js_space);
        let tag = TRAILING_PUNCTUATION.replace(trimmed, "");
        if tag.is_empty()
            || (tag.encode_utf16().count() > MAX_TAG_GRAPHEMES
                && tag.graphemes(true).count() > MAX_TAG_GRAPHEMES)
        {
            continue;
        }
        let start = leading.end();
        let hash = text[start..].chars().next().map_or(1, char::len_utf8);
        found.push(Facet::Tag {
            start,
            end: start + hash + tag.len(),
            tag: tag.into_owned(),
        });
    }
    for captures in CASHTAG.captures_iter(text) {
        let (Some(leading), Some(ticker)) = (captures.get(1), captures.get(2)) else {
            continue;
        };
        let next = text[ticker.end()..].chars().next();
        let ends_well = next.is_none_or(|c| {
            is_js_space(c)
                || matches!(
                    c,
                    '.' | ',' | ';' | ':' | '!' | '?' | ')' | '"' | '\'' | '\u{2019}'
                )
        });
        if !ends_well {
            continue;
        }
        found.push(Facet::Tag {
            start: leading.end(),
            end: ticker.end(),
            tag: format!("${}", ticker.as_str().to_uppercase()),
        });
    }
    found.sort_by_key(Facet::start);
    found
}

fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// The handles mentioned in `text`, each once, in order.
#[must_use]
pub fn mentioned_handles(text: &str) -> Vec<String> {
    let mut handles: Vec<String> = Vec::new();
    for facet in detect(text) {
        if let Facet::Mention { did: handle, .. } = facet
            && !handles.contains(&handle)
        {
            handles.push(handle);
        }
    }
    handles
}

/// The facets of `text` as JSON with each mention's handle replaced by its DID from `resolved`
/// (`handle`, `did`); a mention whose handle did not resolve is left out, and so is a facet
/// that overlaps an earlier one (the reference client's expressions can overlap on odd texts,
/// such as a tag running into a link: `#a](https://x.com`; the record keeps the first).
#[must_use]
pub fn resolve_mentions(text: &str, resolved: &[(String, String)]) -> Vec<Value> {
    let mut covered_to = 0;
    detect(text)
        .into_iter()
        .filter_map(|facet| match facet {
            Facet::Mention { start, end, did } => resolved
                .iter()
                .find(|(handle, _)| *handle == did)
                .map(|(_, did)| Facet::Mention {
                    start,
                    end,
                    did: did.clone(),
                }),
            other => Some(other),
        })
        .filter(|facet| {
            let (start, end) = facet.range();
            let alone = start >= covered_to;
            if alone {
                covered_to = end;
            }
            alone
        })
        .map(|facet| facet.to_json())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered<'a>(text: &'a str, facet: &Facet) -> &'a str {
        match facet {
            Facet::Mention { start, end, .. }
            | Facet::Link { start, end, .. }
            | Facet::Tag { start, end, .. } => &text[*start..*end],
        }
    }

    #[test]
    fn byte_ranges_cover_exactly_the_link_and_the_tag_after_multibyte_text() {
        let text = "Nouveau billet ✨ https://example.com/a #rust";
        let found = detect(text);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            Facet::Link {
                start: 19,
                end: 40,
                uri: "https://example.com/a".to_owned()
            }
        );
        assert_eq!(covered(text, &found[1]), "#rust");
        assert_eq!(
            found[1],
            Facet::Tag {
                start: 41,
                end: 46,
                tag: "rust".to_owned()
            }
        );
    }

    #[test]
    fn sentence_punctuation_is_left_out_of_links_and_tags() {
        let text = "Read (https://example.com/a_(b)) now, then https://example.com/x. Go #solar! #été, #2026 #️⃣";
        let found = detect(text);
        let covered: Vec<&str> = found.iter().map(|f| covered(text, f)).collect();
        assert_eq!(
            covered,
            [
                // As the reference client does: a `)` is kept when the link opens one.
                "https://example.com/a_(b))",
                "https://example.com/x",
                "#solar",
                "#été"
            ]
        );
    }

    #[test]
    fn a_hash_inside_a_word_or_a_url_is_not_a_tag() {
        let text = "C# and https://example.com/page#part and x#y";
        let found = detect(text);
        assert_eq!(found.len(), 1);
        assert_eq!(covered(text, &found[0]), "https://example.com/page#part");
    }

    #[test]
    fn tags_longer_than_64_characters_are_plain_text() {
        let long = format!("#{}", "a".repeat(65));
        assert!(detect(&long).is_empty());
        assert_eq!(detect(&format!("#{}", "a".repeat(64))).len(), 1);
    }

    #[test]
    fn mentions_bare_domains_and_cashtags_as_the_reference_client_finds_them() {
        let text = "Thanks @ana.bsky.social and (@ben.test), not @notahandle or me@example.com; \
                    see example.com/a. and $AAPL, $toolong1!";
        let found = detect(text);
        let covered: Vec<&str> = found.iter().map(|f| covered(text, f)).collect();
        assert_eq!(
            covered,
            ["@ana.bsky.social", "@ben.test", "example.com/a", "$AAPL"]
        );
        assert!(matches!(&found[2], Facet::Link { uri, .. } if uri == "https://example.com/a"));
        assert!(matches!(&found[3], Facet::Tag { tag, .. } if tag == "$AAPL"));
        assert_eq!(mentioned_handles(text), ["ana.bsky.social", "ben.test"]);
        // Resolved mentions carry the DID; an unresolved one is left out.
        let json = resolve_mentions(text, &[("ben.test".to_owned(), "did:plc:ben".to_owned())]);
        let mentions: Vec<&Value> = json
            .iter()
            .filter(|f| f["features"][0]["$type"] == "app.bsky.richtext.facet#mention")
            .collect();
        assert_eq!(mentions.len(), 1);
        assert_eq!(mentions[0]["features"][0]["did"], "did:plc:ben");
        assert!(
            facets(text)
                .iter()
                .all(|f| f["features"][0]["$type"] != "app.bsky.richtext.facet#mention")
        );
    }

    #[test]
    fn a_facet_overlapping_an_earlier_one_is_not_sent() {
        let text = "\t##[x](http://example.com/a> end";
        let found = detect(text);
        assert_eq!(found.len(), 2, "the reference finds both: {found:?}");
        let sent = facets(text);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0]["features"][0]["$type"],
            "app.bsky.richtext.facet#tag"
        );
    }

    #[test]
    fn facets_serialise_to_the_lexicon_shape() {
        let json = facets("see http://127.0.0.1:8080/l/abc #employee");
        assert_eq!(
            json[0]["features"][0]["$type"],
            "app.bsky.richtext.facet#link"
        );
        assert_eq!(json[0]["features"][0]["uri"], "http://127.0.0.1:8080/l/abc");
        assert_eq!(
            json[1]["features"][0],
            json!({"$type": "app.bsky.richtext.facet#tag", "tag": "employee"})
        );
    }
}
