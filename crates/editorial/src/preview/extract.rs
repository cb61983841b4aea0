//! Reading a page's title, description, image and site name out of its HTML, and HTML to plain
//! text for feed summaries.
//!
//! Uses html5ever's tokenizer only (html5ever is already here through ammonia): the values we
//! want are attributes of `<meta>` tags and the text of `<title>`, which the tokenizer gives us
//! with entities decoded; no tree is built. The sink switches the tokenizer into the raw-text
//! states the tree builder would use (`<script>`, `<style>`, `<title>`, ...), so markup inside a
//! script is not mistaken for tags.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use url::Url;

use super::{AddressGuard, LinkPreview};

const TITLE_MAX_CHARS: usize = 300;
const DESCRIPTION_MAX_CHARS: usize = 1000;
const SITE_NAME_MAX_CHARS: usize = 200;
const IMAGE_URL_MAX_CHARS: usize = 2048;
/// Raw `<title>` text kept before tidying: enough for any real title, bounded for hostile pages.
const RAW_TITLE_MAX_BYTES: usize = 16 * 1024;
/// How far into an undeclared, non-UTF-8 body we look for `<meta charset>`, as browsers do.
const CHARSET_PRESCAN_BYTES: usize = 1024;

/// What the scan of a page found, before choosing and tidying.
#[derive(Debug, Default)]
pub(super) struct PageMeta {
    /// First `content` seen for each `<meta property|name>`, keyed in lower case.
    properties: HashMap<String, String>,
    /// Text of the first `<title>` outside SVG.
    title: Option<String>,
    /// Encoding named by `<meta charset>` or `<meta http-equiv=content-type>`.
    charset: Option<String>,
    /// Whether `</head>` or `<body>` was seen: the preview data is complete even if the body
    /// was cut at the size limit.
    pub(super) head_complete: bool,
}

impl PageMeta {
    fn first_of(&self, keys: &[&str], max_chars: usize) -> Option<String> {
        keys.iter()
            .filter_map(|key| self.properties.get(*key))
            .find_map(|value| tidy(value, max_chars))
    }

    /// The preview an editor sees: OpenGraph first, then Twitter card, then plain HTML.
    pub(super) fn into_preview(self, final_url: &Url, guard: AddressGuard) -> LinkPreview {
        let title = self
            .first_of(&["og:title", "twitter:title"], TITLE_MAX_CHARS)
            .or_else(|| self.title.as_deref().and_then(|t| tidy(t, TITLE_MAX_CHARS)));
        let description = self.first_of(
            &["og:description", "twitter:description", "description"],
            DESCRIPTION_MAX_CHARS,
        );
        let image_url = [
            "og:image",
            "og:image:url",
            "og:image:secure_url",
            "twitter:image",
            "twitter:image:src",
        ]
        .iter()
        .filter_map(|key| self.properties.get(*key))
        .find_map(|raw| image_url(raw, final_url, guard));
        let site_name = self.first_of(&["og:site_name"], SITE_NAME_MAX_CHARS);
        LinkPreview {
            url: final_url.to_string(),
            title,
            description,
            image_url,
            site_name,
        }
    }
}

/// Resolves an image reference against the page; keeps it only if it is http(s), of sane
/// length, and not an IP literal the guard refuses (an editor's browser would load it).
fn image_url(raw: &str, base: &Url, guard: AddressGuard) -> Option<String> {
    let url = base.join(raw.trim()).ok()?;
    let usable = guard.check_url(&url).is_ok() && url.as_str().len() <= IMAGE_URL_MAX_CHARS;
    usable.then(|| url.into())
}

/// Collapses whitespace, drops control characters, and cuts to `max_chars` with an ellipsis.
/// `None` when nothing is left.
pub(crate) fn tidy(raw: &str, max_chars: usize) -> Option<String> {
    let mut words = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty());
    let mut text = String::from(words.next()?);
    for word in words {
        text.push(' ');
        text.push_str(word);
    }
    if text.chars().count() > max_chars {
        text = text.chars().take(max_chars.saturating_sub(1)).collect();
        text.truncate(text.trim_end().len());
        text.push('…');
    }
    Some(text)
}

/// Decodes a body to text: the charset from the `Content-Type` header, else UTF-8 when the bytes
/// are UTF-8 (a character cut at the size limit is tolerated), else `<meta charset>`, else
/// windows-1252 as browsers do.
pub(super) fn decode_html(body: &[u8], declared: Option<&str>) -> String {
    if let Some(encoding) = declared.and_then(|label| Encoding::for_label(label.as_bytes())) {
        return encoding.decode(body).0.into_owned();
    }
    let is_utf8 = match std::str::from_utf8(body) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    };
    if is_utf8 {
        return UTF_8.decode(body).0.into_owned();
    }
    let prefix = body.get(..CHARSET_PRESCAN_BYTES).unwrap_or(body);
    let sniffed = scan_page(&WINDOWS_1252.decode(prefix).0)
        .charset
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .map_or(WINDOWS_1252, Encoding::output_encoding);
    sniffed.decode(body).0.into_owned()
}

/// Scans a whole page for its preview data.
pub(super) fn scan_page(html: &str) -> PageMeta {
    let tokenizer = Tokenizer::new(PageScanner::default(), TokenizerOpts::default());
    run(&tokenizer, html);
    tokenizer.sink.page.into_inner()
}

/// Plain text of an HTML fragment (a feed summary): entities decoded, scripts and styles
/// dropped, block boundaries turned into spaces, tidied and cut to `max_chars`.
pub(crate) fn html_to_text(html: &str, max_chars: usize) -> Option<String> {
    let tokenizer = Tokenizer::new(TextCollector::default(), TokenizerOpts::default());
    run(&tokenizer, html);
    tidy(&tokenizer.sink.text.into_inner(), max_chars)
}

fn run<Sink: TokenSink<Handle = ()>>(tokenizer: &Tokenizer<Sink>, html: &str) {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // Our sinks never ask to pause for a script, so one feed consumes all the input.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
}

/// The tokenizer state the tree builder would switch to after this start tag, if any.
fn raw_state_after(name: &str) -> Option<TokenSinkResult<()>> {
    match name {
        "script" => Some(TokenSinkResult::RawData(RawKind::ScriptData)),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
            Some(TokenSinkResult::RawData(RawKind::Rawtext))
        }
        "title" | "textarea" => Some(TokenSinkResult::RawData(RawKind::Rcdata)),
        "plaintext" => Some(TokenSinkResult::Plaintext),
        _ => None,
    }
}

#[derive(Default)]
struct PageScanner {
    page: RefCell<PageMeta>,
    in_title: Cell<bool>,
    svg_depth: Cell<usize>,
}

impl PageScanner {
    fn tag(&self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let mut page = self.page.borrow_mut();
        match (tag.kind, name) {
            (TagKind::StartTag, "meta") => read_meta(&mut page, tag),
            (TagKind::StartTag, "title") if self.svg_depth.get() == 0 && page.title.is_none() => {
                page.title = Some(String::new());
                self.in_title.set(true);
            }
            (TagKind::EndTag, "title") => self.in_title.set(false),
            (TagKind::StartTag, "svg") if !tag.self_closing => {
                self.svg_depth.set(self.svg_depth.get() + 1);
            }
            (TagKind::EndTag, "svg") => self.svg_depth.set(self.svg_depth.get().saturating_sub(1)),
            (TagKind::StartTag, "body") | (TagKind::EndTag, "head") => page.head_complete = true,
            _ => {}
        }
        match tag.kind {
            TagKind::StartTag => raw_state_after(name).unwrap_or(TokenSinkResult::Continue),
            TagKind::EndTag => TokenSinkResult::Continue,
        }
    }
}

fn read_meta(page: &mut PageMeta, tag: &Tag) {
    let mut keys = Vec::new();
    let mut content = None;
    let mut is_content_type = false;
    for attribute in &tag.attrs {
        let value: &str = &attribute.value;
        match &*attribute.name.local {
            "property" | "name" => keys.push(value.trim().to_ascii_lowercase()),
            "content" => content = Some(value),
            "charset" => {
                page.charset.get_or_insert_with(|| value.trim().to_owned());
            }
            "http-equiv" => is_content_type = value.trim().eq_ignore_ascii_case("content-type"),
            _ => {}
        }
    }
    let Some(content) = content else { return };
    if is_content_type && let Some(charset) = charset_parameter(content) {
        page.charset.get_or_insert(charset);
    }
    for key in keys.into_iter().filter(|key| !key.is_empty()) {
        page.properties
            .entry(key)
            .or_insert_with(|| content.to_owned());
    }
}

/// The `charset` parameter of a media type such as `text/html; charset=ISO-8859-1`.
pub(super) fn charset_parameter(media_type: &str) -> Option<String> {
    media_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_owned())
            .filter(|value| !value.is_empty())
    })
}

impl TokenSink for PageScanner {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => self.tag(&tag),
            Token::CharacterTokens(text) if self.in_title.get() => {
                if let Some(title) = self.page.borrow_mut().title.as_mut()
                    && title.len() < RAW_TITLE_MAX_BYTES
                {
                    title.push_str(&text);
                }
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

#[derive(Default)]
struct TextCollector {
    text: RefCell<String>,
    /// Inside `<script>`, `<style>` and the like, whose text is not prose.
    skipping: Cell<bool>,
}

impl TokenSink for TextCollector {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                // Tags separate words ("<p>a</p><p>b</p>" is "a b"); inline ones do not.
                if !is_inline(name) {
                    self.text.borrow_mut().push(' ');
                }
                let raw = raw_state_after(name);
                match tag.kind {
                    TagKind::StartTag if raw.is_some() => {
                        self.skipping
                            .set(!matches!(name, "title" | "textarea" | "plaintext"));
                        return raw.unwrap_or(TokenSinkResult::Continue);
                    }
                    TagKind::EndTag => self.skipping.set(false),
                    TagKind::StartTag => {}
                }
            }
            Token::CharacterTokens(text) if !self.skipping.get() => {
                self.text.borrow_mut().push_str(&text);
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "bdi"
            | "bdo"
            | "cite"
            | "code"
            | "data"
            | "del"
            | "dfn"
            | "em"
            | "font"
            | "i"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "u"
            | "var"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview(html: &str) -> LinkPreview {
        let base = Url::parse("https://news.example/articles/1?ref=x").unwrap();
        scan_page(html).into_preview(&base, AddressGuard::public_only())
    }

    #[test]
    fn opengraph_wins_over_twitter_and_plain_html() {
        let page = preview(
            r#"<html><head><title>Plain</title>
            <meta name="description" content="Plain description">
            <meta name="twitter:title" content="Twitter title">
            <meta property="og:title" content="OG title">
            <meta property="og:description" content="OG description">
            <meta name="twitter:image" content="https://cdn.example/t.png">
            <meta property="og:image" content="../img/a b.png">
            </head></html>"#,
        );
        assert_eq!(page.title.as_deref(), Some("OG title"));
        assert_eq!(page.description.as_deref(), Some("OG description"));
        assert_eq!(
            page.image_url.as_deref(),
            Some("https://news.example/img/a%20b.png")
        );
    }

    #[test]
    fn empty_opengraph_values_fall_back() {
        let page = preview(
            r#"<meta property="og:title" content="   "><meta name="twitter:title" content="Tw">"#,
        );
        assert_eq!(page.title.as_deref(), Some("Tw"));
    }

    #[test]
    fn markup_inside_scripts_and_svg_titles_is_ignored() {
        let page = preview(
            r#"<head><script>var s = '<meta property="og:title" content="fake">';</script>
            <svg><title>Icon</title></svg><title>Real &lt;title&gt;</title></head>"#,
        );
        assert_eq!(page.title.as_deref(), Some("Real <title>"));
    }

    #[test]
    fn unsafe_or_unusable_image_urls_are_dropped() {
        for image in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "ftp://files.example/a.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/a.png",
        ] {
            let page = preview(&format!(r#"<meta property="og:image" content="{image}">"#));
            assert_eq!(page.image_url, None, "{image}");
        }
        let long = format!("/{}", "a".repeat(IMAGE_URL_MAX_CHARS));
        let page = preview(&format!(r#"<meta property="og:image" content="{long}">"#));
        assert_eq!(page.image_url, None);
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        let page = preview(&format!("<title>{}</title>", "word ".repeat(200)));
        let title = page.title.unwrap();
        assert_eq!(title.chars().count(), TITLE_MAX_CHARS);
        assert!(title.ends_with("word…"), "{title}");
        assert_eq!(tidy(" a\n\t b\u{0}c ", 10).as_deref(), Some("a b c"));
        assert_eq!(tidy(" \n ", 10), None);
    }

    #[test]
    fn head_completion_is_detected() {
        assert!(!scan_page("<html><head><title>x</title>").head_complete);
        assert!(scan_page("<head></head>").head_complete);
        assert!(scan_page("<title>x</title><body>").head_complete);
    }

    #[test]
    fn bodies_are_decoded_by_header_then_utf8_then_meta_charset() {
        let latin1 = b"<title>Caf\xe9</title>";
        assert_eq!(
            decode_html(latin1, Some("iso-8859-1")),
            "<title>Café</title>"
        );
        assert_eq!(
            decode_html("<title>Café</title>".as_bytes(), None),
            "<title>Café</title>"
        );
        let cut = &"é".as_bytes()[..1];
        assert_eq!(decode_html(cut, None), "\u{fffd}");
        let koi8 = b"<meta charset=koi8-r><title>\xf0\xf2\xe9\xf7\xe5\xf4</title>";
        assert_eq!(
            scan_page(&decode_html(koi8, None)).title.as_deref(),
            Some("ПРИВЕТ")
        );
        let http_equiv =
            b"<meta http-equiv=Content-Type content='text/html; charset=ISO-8859-2'><title>\xb1</title>";
        assert_eq!(
            scan_page(&decode_html(http_equiv, None)).title.as_deref(),
            Some("ą")
        );
        assert_eq!(decode_html(b"\xe9 ", None), "é ");
    }

    #[test]
    fn charset_parameters_are_read() {
        assert_eq!(
            charset_parameter("text/html; Charset=\"UTF-8\"").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(charset_parameter("text/html"), None);
    }

    #[test]
    fn html_becomes_plain_text() {
        let text = html_to_text(
            "<p>Caf&eacute; <b>au</b> lait</p><p>Second&nbsp;para</p><script>alert(1)</script><style>p{}</style>done",
            100,
        );
        assert_eq!(text.as_deref(), Some("Café au lait Second para done"));
    }
}
