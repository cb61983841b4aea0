//! Bluesky rich-text facets: links and hashtags found in a post's text, each with the UTF-8
//! byte range it covers (`byteStart` inclusive, `byteEnd` exclusive). Bluesky does not parse
//! text itself: without facets a link is plain text, and wrong offsets give broken links.
//!
//! Detection follows the reference client's rules, simplified: a link starts with `http://` or
//! `https://` at the start of the text or after a space or an opening bracket, and runs to the
//! next space, trailing punctuation excluded (a closing bracket only when the link has more
//! closing than opening ones). A tag is `#` (or the full-width `＃`) at the start or after a space, followed by
//! at least one character that is neither a digit nor punctuation, trailing punctuation
//! excluded, at most 64 characters; `#️⃣` (a keycap) is not a tag.

use serde_json::{Value, json};

/// The longest tag Bluesky accepts, in characters (without the `#`).
const MAX_TAG_CHARS: usize = 64;

/// One facet found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facet {
    /// A link: the URL exactly as written.
    Link {
        /// Byte offset of its first byte.
        start: usize,
        /// Byte offset just past its last byte.
        end: usize,
        /// The URL.
        uri: String,
    },
    /// A hashtag: the range covers the `#`, the tag does not.
    Tag {
        /// Byte offset of the `#`.
        start: usize,
        /// Byte offset just past the tag.
        end: usize,
        /// The tag without `#`.
        tag: String,
    },
}

impl Facet {
    /// The facet as Bluesky's `app.bsky.richtext.facet` record.
    pub fn to_json(&self) -> Value {
        match self {
            Facet::Link { start, end, uri } => json!({
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
            }),
            Facet::Tag { start, end, tag } => json!({
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }),
        }
    }
}

/// The facets of `text` as JSON, in text order, never overlapping.
pub fn facets(text: &str) -> Vec<Value> {
    detect(text).iter().map(Facet::to_json).collect()
}

/// The links and tags of `text`, in text order, never overlapping.
pub fn detect(text: &str) -> Vec<Facet> {
    let mut found = Vec::new();
    let mut previous: Option<char> = None;
    let mut skip_to = 0;
    for (at, c) in text.char_indices() {
        let boundary = previous.is_none_or(|p| p.is_whitespace() || p == '(');
        previous = Some(c);
        if at < skip_to || !boundary {
            continue;
        }
        let rest = &text[at..];
        let word_end = at + rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &text[at..word_end];
        if word.starts_with("https://") || word.starts_with("http://") {
            let uri = trim_link(word);
            let has_host = url::Url::parse(uri)
                .is_ok_and(|url| url.host_str().is_some_and(|host| !host.is_empty()));
            if has_host {
                found.push(Facet::Link {
                    start: at,
                    end: at + uri.len(),
                    uri: uri.to_owned(),
                });
                skip_to = word_end;
            }
        } else if (c == '#' || c == '＃') && previous_is_space_or_start(text, at) {
            let body = &word[c.len_utf8()..];
            if body.starts_with('\u{fe0f}') || body.starts_with('\u{20e3}') {
                continue;
            }
            let tag = body.trim_end_matches(is_punctuation);
            let meaningful = tag
                .chars()
                .any(|t| !t.is_ascii_digit() && !is_punctuation(t));
            if meaningful && tag.chars().count() <= MAX_TAG_CHARS {
                found.push(Facet::Tag {
                    start: at,
                    end: at + c.len_utf8() + tag.len(),
                    tag: tag.to_owned(),
                });
                skip_to = word_end;
            }
        }
    }
    found
}

/// Tags start at the start of the text or after a space only (not after a bracket).
fn previous_is_space_or_start(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace)
}

/// A link without the punctuation that ends its sentence: `.,;:!?'"` and a closing bracket
/// that the link does not open.
fn trim_link(word: &str) -> &str {
    let mut link = word;
    loop {
        let trimmed = link.trim_end_matches(['.', ',', ';', ':', '!', '?', '"', '\'', '…', '»']);
        let unbalanced = trimmed.matches(')').count() > trimmed.matches('(').count();
        let trimmed = match trimmed.strip_suffix(')') {
            Some(inner) if unbalanced => inner,
            _ => trimmed,
        };
        if trimmed.len() == link.len() {
            return link;
        }
        link = trimmed;
    }
}

/// Punctuation as far as tags are concerned: ASCII punctuation and the common Unicode marks.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '…' | '«'
                | '»'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '¡'
                | '¿'
                | '–'
                | '—'
                | '、'
                | '。'
                | '！'
                | '？'
                | '，'
                | '：'
                | '；'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered<'a>(text: &'a str, facet: &Facet) -> &'a str {
        match facet {
            Facet::Link { start, end, .. } | Facet::Tag { start, end, .. } => &text[*start..*end],
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
                "https://example.com/a_(b)",
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
