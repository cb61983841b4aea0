//! Markdown to safe HTML and to plain per-network text. (Interim version; the full one, with
//! its XSS corpus, is being written on a branch.)

/// HTML that went through the sanitiser. Built only by [`render_html`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// The HTML.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Renders Markdown and sanitises the result.
#[must_use]
pub fn render_html(markdown: &str) -> SafeHtml {
    let parser = pulldown_cmark::Parser::new(markdown);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    SafeHtml(ammonia::clean(&html))
}

/// Plain text for a social post.
#[must_use]
pub fn to_network_text(markdown: &str) -> String {
    markdown.replace("**", "").replace('*', "")
}
