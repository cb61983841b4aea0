//! Markdown to safe HTML for Chorus's own pages, and to plain text for social posts.
//!
//! Authors write Markdown once. [`render_html`] turns it into HTML that is safe to put in a page
//! whatever the author typed (raw HTML included): pulldown-cmark renders, then ammonia keeps only
//! harmless tags, attributes and `http`/`https`/`mailto` URLs. [`to_network_text`] turns the
//! same Markdown into the plain text a social network shows, with the markup gone and the links
//! spelled out.

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::fmt::Write as _;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// HTML produced from Markdown and sanitised: safe to insert into a page as is.
///
/// Only [`render_html`] builds one, so holding a `SafeHtml` means the sanitiser has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// The sanitised HTML.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every link in rendered content carries: no access to the opener, no referrer, and no
/// endorsement for search engines, since authors' links are not Chorus's.
const LINK_REL: &str = "noopener noreferrer nofollow";

/// ammonia's default tag and attribute lists (no script, style, iframe, form, svg, math, no event
/// handlers), narrowed to `http`, `https` and `mailto` URLs with relative URLs removed, plus the
/// two attributes Markdown itself produces: a code block's language class and a table column's
/// alignment, each only with the exact values pulldown-cmark writes.
static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .add_tag_attributes("code", &["class"])
        .add_tag_attributes("th", &["style"])
        .add_tag_attributes("td", &["style"])
        .attribute_filter(keep_known_attribute_values);
    builder
});

fn keep_known_attribute_values<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<Cow<'u, str>> {
    let keep = match (element, attribute) {
        ("code", "class") => value.strip_prefix("language-").is_some_and(|language| {
            !language.is_empty()
                && language
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '#'))
        }),
        ("th" | "td", "style") => matches!(
            value,
            "text-align: left" | "text-align: center" | "text-align: right"
        ),
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// HTML cleaned by the same rules as [`render_html`]'s output (applied to that output, it
/// changes nothing: the fuzz run checks it).
#[must_use]
pub fn sanitize(html: &str) -> SafeHtml {
    let cleaned = SANITIZER.clean(html).to_string();
    // An HTML parser drops a byte-order mark at the very start: drop it now, or cleaning the
    // output again would change it (found by the fuzz run).
    match cleaned.strip_prefix('\u{feff}') {
        Some(rest) => SafeHtml(rest.to_owned()),
        None => SafeHtml(cleaned),
    }
}

/// Renders Markdown (CommonMark with tables and strikethrough) to sanitised HTML.
///
/// Raw HTML in the Markdown goes through the same sanitiser, so `<script>`, event handlers and
/// `javascript:`/`vbscript:`/`data:` URLs never come out; links get
/// `rel="noopener noreferrer nofollow"`; relative links lose their `href`. Sanitising the result
/// again changes nothing.
pub fn render_html(markdown: &str) -> SafeHtml {
    let mut unsanitised = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(
        &mut unsanitised,
        Parser::new_ext(markdown, markdown_options()),
    );
    sanitize(&unsanitised)
}

/// Turns Markdown into the plain text of a social post.
///
/// Emphasis, strong and strikethrough markers go; headings, paragraphs, quotes and code blocks
/// become plain lines with one blank line between blocks; list items become lines starting
/// with `• ` (ordered lists keep their numbers, `1. `), indented two spaces per nesting level;
/// table rows become lines with cells joined by ` | `. A link `[text](url)` becomes `text url`,
/// or just `url` when the text is the URL (with or without its scheme); autolinks keep their
/// URL. Inline code keeps its text, an image becomes its alt text, and hashtags and mentions stay
/// as typed. Line breaks in a paragraph are kept. HTML tags are dropped, and so are whole HTML
/// blocks. No line ends with whitespace.
pub fn to_network_text(markdown: &str) -> String {
    let mut writer = PlainTextWriter::default();
    for event in Parser::new_ext(markdown, markdown_options()) {
        writer.event(event);
    }
    writer.finish()
}

/// Writes plain text from pulldown-cmark events. Block boundaries push newlines freely;
/// [`PlainTextWriter::finish`] then collapses them to at most one blank line.
#[derive(Default)]
struct PlainTextWriter {
    out: String,
    /// One entry per open list: the next number for an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// Where the current list item's own text starts in `out`.
    item_text_start: usize,
    /// One entry per open link: its URL and where its text starts in `out`.
    links: Vec<(String, usize)>,
    /// Whether the next table cell is the first of its row.
    first_cell: bool,
}

impl PlainTextWriter {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text)
            | Event::Code(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => self.out.push_str(&text),
            Event::SoftBreak | Event::HardBreak => self.out.push('\n'),
            Event::Rule => self.out.push_str("\n\n"),
            Event::Html(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.start_paragraph(),
            Tag::Heading { .. }
            | Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::HtmlBlock
            | Tag::Table(_) => self.out.push_str("\n\n"),
            Tag::List(first_number) => {
                // A nested list's items start their own lines already.
                if self.lists.is_empty() {
                    self.out.push_str("\n\n");
                }
                self.lists.push(first_number);
            }
            Tag::Item => self.start_item(),
            Tag::TableHead | Tag::TableRow => {
                self.out.push('\n');
                self.first_cell = true;
            }
            Tag::TableCell => {
                if !self.first_cell {
                    self.out.push_str(" | ");
                }
                self.first_cell = false;
            }
            Tag::Link { dest_url, .. } => self.links.push((dest_url.into_string(), self.out.len())),
            _ => {}
        }
    }

    fn start_paragraph(&mut self) {
        if self.lists.is_empty() {
            self.out.push_str("\n\n");
        } else if self.out.len() != self.item_text_start {
            // A loose list wraps item text in paragraphs: the first one follows the marker, a
            // later one goes on its own line under the item's text.
            self.out.push('\n');
            self.out.push_str(&"  ".repeat(self.lists.len()));
        }
    }

    fn start_item(&mut self) {
        self.out.push('\n');
        self.out
            .push_str(&"  ".repeat(self.lists.len().saturating_sub(1)));
        match self.lists.last_mut() {
            Some(Some(number)) => {
                // Writing to a String cannot fail.
                let _ = write!(self.out, "{number}. ");
                *number += 1;
            }
            _ => self.out.push_str("• "),
        }
        self.item_text_start = self.out.len();
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Link => self.end_link(),
            TagEnd::List(_) => {
                self.lists.pop();
                if self.lists.is_empty() {
                    self.out.push_str("\n\n");
                }
            }
            TagEnd::Paragraph if !self.lists.is_empty() => {}
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::Table => self.out.push_str("\n\n"),
            _ => {}
        }
    }

    /// `text url`, or only `url` when the text says nothing more than the URL.
    fn end_link(&mut self) {
        let Some((url, text_start)) = self.links.pop() else {
            return;
        };
        if url.is_empty() {
            return;
        }
        let text = self.out[text_start..].trim();
        if text.is_empty() || same_address(text, &url) {
            self.out.truncate(text_start);
        } else {
            self.out.push(' ');
        }
        self.out.push_str(&url);
    }

    /// The text with trailing whitespace cut from every line, no blank line at either end and
    /// never two blank lines in a row.
    fn finish(self) -> String {
        let mut text = String::with_capacity(self.out.len());
        let mut blank_before = false;
        for line in self.out.lines().map(str::trim_end) {
            if line.is_empty() {
                blank_before = !text.is_empty();
                continue;
            }
            if !text.is_empty() {
                text.push_str(if blank_before { "\n\n" } else { "\n" });
            }
            text.push_str(line);
            blank_before = false;
        }
        text
    }
}

/// Whether a link's text is its URL, give or take the scheme and a trailing slash.
fn same_address(text: &str, url: &str) -> bool {
    let bare = |s: &'_ str| -> String {
        let lower = s.to_lowercase();
        let without_scheme = ["https://", "http://", "mailto:"]
            .iter()
            .find_map(|scheme| lower.strip_prefix(scheme))
            .unwrap_or(&lower);
        without_scheme.trim_end_matches('/').to_owned()
    };
    text == url || bare(text) == bare(url)
}
