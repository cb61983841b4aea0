//! Curated RSS and Atom sources: parsing a feed into entries an editor can pick from, and
//! fetching it through the same guarded client as link previews.
//!
//! Entries keep only what curation needs: a stable id, a title, an http(s) link, a plain-text
//! summary and a date. An entry with neither an id nor a usable link cannot be recognised on the
//! next fetch nor shared, so it is left out.

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Link, Text};
use feed_rs::parser;
use url::Url;

use crate::preview::{Accept, PreviewError, PreviewFetcher, html_to_text, tidy};

/// Largest feed read: 5 MiB. A cut feed is not parseable, so a larger one is refused.
pub const FEED_MAX_BYTES: usize = 5 * 1024 * 1024;
const TITLE_MAX_CHARS: usize = 300;
const SUMMARY_MAX_CHARS: usize = 1000;

/// One item of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The entry's id (RSS `guid`, Atom `id`), else its link.
    pub guid: String,
    /// Plain-text title; empty when the feed gives none.
    pub title: String,
    /// Absolute http(s) link to the article.
    pub link: Option<String>,
    /// Plain-text summary (HTML stripped, entities decoded), at most 1000 characters.
    pub summary: Option<String>,
    /// Publication date, else the last update.
    pub published: Option<DateTime<Utc>>,
}

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The feed could not be fetched.
    #[error(transparent)]
    Fetch(#[from] PreviewError),
    /// The bytes are not a feed feed-rs can read.
    #[error(
        "this is not a readable RSS or Atom feed ({0}); check that the address is the feed itself, not the site's home page"
    )]
    Malformed(String),
}

/// Parses an RSS (0.9x, 1.0, 2.0) or Atom feed (feed-rs also reads JSON Feed).
///
/// # Errors
///
/// [`FeedError::Malformed`] when the bytes are not a well-formed feed.
pub fn parse_feed(bytes: &[u8]) -> Result<Vec<FeedEntry>, FeedError> {
    parse_with_base(bytes, None)
}

/// Fetches and parses the feed at `url` with the fetcher's guard and deadline, reading at most
/// [`FEED_MAX_BYTES`].
///
/// # Errors
///
/// [`FeedError::Fetch`] with the reasons of [`PreviewFetcher::fetch`] (a non-feed content type
/// is [`PreviewError::NotAFeed`], a feed past the limit [`PreviewError::TooLarge`]), and
/// [`FeedError::Malformed`] when the body is not a feed.
pub async fn fetch_feed(fetcher: &PreviewFetcher, url: &str) -> Result<Vec<FeedEntry>, FeedError> {
    let download = fetcher
        .fetch_bytes(url, Accept::Feed, FEED_MAX_BYTES)
        .await?;
    if download.truncated {
        return Err(PreviewError::TooLarge {
            max_bytes: FEED_MAX_BYTES,
        }
        .into());
    }
    parse_with_base(&download.body, Some(&download.url))
}

/// Parses with relative links resolved against `base` (the feed's own URL when fetched).
fn parse_with_base(bytes: &[u8], base: Option<&Url>) -> Result<Vec<FeedEntry>, FeedError> {
    // Leave ids empty when the feed has none; `entry` falls back to the link, not a hash.
    let feed = parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        .sanitize_content(false)
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(bytes)
        .map_err(|error| FeedError::Malformed(error.to_string()))?;
    Ok(feed.entries.iter().filter_map(entry).collect())
}

fn entry(entry: &Entry) -> Option<FeedEntry> {
    let link = article_link(&entry.links);
    let id = entry.id.trim();
    let guid = if id.is_empty() {
        link.clone()?
    } else {
        id.to_owned()
    };
    let title = entry
        .title
        .as_ref()
        .and_then(|title| plain_text(title, TITLE_MAX_CHARS))
        .unwrap_or_default();
    let summary = entry
        .summary
        .as_ref()
        .and_then(|summary| plain_text(summary, SUMMARY_MAX_CHARS))
        .or_else(|| {
            let body = entry.content.as_ref()?.body.as_deref()?;
            html_to_text(body, SUMMARY_MAX_CHARS)
        });
    Some(FeedEntry {
        guid,
        title,
        link,
        summary,
        published: entry.published.or(entry.updated),
    })
}

/// The article's page: an `alternate` (or unlabelled) link first, then any; http(s) only, so a
/// `javascript:` link in a hostile feed never reaches a page.
fn article_link(links: &[Link]) -> Option<String> {
    let is_alternate = |link: &&Link| link.rel.as_deref().is_none_or(|rel| rel == "alternate");
    links
        .iter()
        .filter(is_alternate)
        .chain(links.iter())
        .find_map(|link| {
            let url = Url::parse(link.href.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| url.into())
        })
}

fn plain_text(text: &Text, max_chars: usize) -> Option<String> {
    let subtype = text.content_type.subty();
    if subtype.as_ref().contains("html") {
        html_to_text(&text.content, max_chars)
    } else {
        tidy(&text.content, max_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Example news</title>
    <link>https://news.example/</link>
    <item>
      <title>Caf&#233; &amp; culture</title>
      <link>https://news.example/a/1</link>
      <guid isPermaLink="false">tag:news.example,2026:1</guid>
      <description><![CDATA[<p>Our <b>new</b> caf&eacute;</p><p>opens &lt;today&gt;.</p><script>x()</script>]]></description>
      <pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate>
    </item>
    <item>
      <title>No guid here</title>
      <link>https://news.example/a/2</link>
      <description>Plain &amp;amp; escaped &lt;em&gt;html&lt;/em&gt;</description>
    </item>
    <item>
      <title>Hostile link</title>
      <link>javascript:alert(1)</link>
      <guid>hostile-1</guid>
    </item>
    <item>
      <description>No id, no link: left out</description>
    </item>
  </channel>
</rss>"#;

    const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Engineering blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-03-01T12:00:00Z</updated>
  <entry>
    <title type="html">Rust &amp;lt;3 &amp;amp; us</title>
    <link rel="enclosure" href="https://cdn.example/podcast.mp3"/>
    <link rel="alternate" href="https://blog.example/rust"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2026-03-02T08:30:00Z</updated>
    <published>2026-03-01T09:00:00+01:00</published>
    <summary type="html">&lt;p&gt;Why we &lt;i&gt;like&lt;/i&gt; it&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Only content</title>
    <link href="https://blog.example/content"/>
    <id>urn:uuid:2</id>
    <updated>2026-03-03T08:30:00Z</updated>
    <content type="html">&lt;p&gt;Body text&lt;/p&gt;</content>
  </entry>
</feed>"#;

    #[test]
    fn rss_entries_are_read_with_plain_text_summaries() {
        let entries = parse_feed(RSS.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3, "{entries:#?}");

        assert_eq!(entries[0].guid, "tag:news.example,2026:1");
        assert_eq!(entries[0].title, "Café & culture");
        assert_eq!(entries[0].link.as_deref(), Some("https://news.example/a/1"));
        assert_eq!(
            entries[0].summary.as_deref(),
            Some("Our new café opens <today>.")
        );
        assert_eq!(
            entries[0].published.unwrap().to_rfc3339(),
            "2026-03-03T10:00:00+00:00"
        );

        assert_eq!(entries[1].guid, "https://news.example/a/2");
        assert_eq!(entries[1].summary.as_deref(), Some("Plain & escaped html"));
        assert_eq!(entries[1].published, None);

        assert_eq!(entries[2].guid, "hostile-1");
        assert_eq!(entries[2].link, None);
    }

    #[test]
    fn atom_entries_prefer_the_alternate_link() {
        let entries = parse_feed(ATOM.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].guid,
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
        );
        assert_eq!(entries[0].title, "Rust <3 & us");
        assert_eq!(
            entries[0].link.as_deref(),
            Some("https://blog.example/rust")
        );
        assert_eq!(entries[0].summary.as_deref(), Some("Why we like it"));
        assert_eq!(
            entries[0].published.unwrap().to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        assert_eq!(entries[1].summary.as_deref(), Some("Body text"));
        assert_eq!(
            entries[1].published.unwrap().to_rfc3339(),
            "2026-03-03T08:30:00+00:00"
        );
    }

    #[test]
    fn long_summaries_are_capped() {
        let rss = format!(
            r#"<rss version="2.0"><channel><item><guid>1</guid><description>{}</description></item></channel></rss>"#,
            "lorem ".repeat(400)
        );
        let summary = parse_feed(rss.as_bytes()).unwrap()[0]
            .summary
            .clone()
            .unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_MAX_CHARS);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn malformed_feeds_say_what_is_wrong() {
        for bad in [
            &b"<rss version=\"2.0\"><channel><item><title>Cut"[..],
            b"<html><body>Not a feed</body></html>",
            b"",
        ] {
            let error = parse_feed(bad).unwrap_err();
            assert!(matches!(error, FeedError::Malformed(_)), "{error:?}");
            assert!(
                error
                    .to_string()
                    .starts_with("this is not a readable RSS or Atom feed ("),
                "{error}"
            );
        }
    }
}
