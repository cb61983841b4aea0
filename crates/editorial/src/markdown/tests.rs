//! Tests of Markdown rendering: an XSS corpus against the sanitiser, the plain text for posts,
//! and properties over arbitrary input.

use proptest::prelude::*;

use super::*;

/// A tag of sanitised HTML: its name and its `(attribute, value)` pairs, values unescaped
/// enough to read their scheme.
type ParsedTag = (String, Vec<(String, String)>);

/// The tags of ammonia's output. Its serialiser escapes `<` in text and quotes every attribute
/// value with `"` (escaping `"` inside), which is what makes this small scanner reliable.
fn tags(html: &str) -> Vec<ParsedTag> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let end = rest.find('>').expect("unterminated tag");
        let inside = rest[..end].trim_end_matches('/');
        rest = &rest[end + 1..];
        if inside.starts_with('/') || inside.starts_with('!') {
            continue;
        }
        let (name, mut attributes) = inside.split_once(' ').unwrap_or((inside, ""));
        let mut pairs = Vec::new();
        while let Some(eq) = attributes.find("=\"") {
            let attribute = attributes[..eq].trim().to_ascii_lowercase();
            let after = &attributes[eq + 2..];
            let close = after.find('"').expect("unterminated attribute value");
            let value = after[..close].replace("&amp;", "&");
            pairs.push((attribute, value));
            attributes = &after[close + 1..];
        }
        assert!(
            attributes.trim().is_empty(),
            "unquoted attribute in {inside}"
        );
        found.push((name.to_ascii_lowercase(), pairs));
    }
    found
}

fn assert_safe(markdown: &str) {
    let html = render_html(markdown);
    let html = html.as_str();
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "{markdown:?} -> {html}"
    );
    for (name, attributes) in tags(html) {
        assert!(
            !matches!(
                name.as_str(),
                "script"
                    | "style"
                    | "iframe"
                    | "svg"
                    | "math"
                    | "form"
                    | "object"
                    | "embed"
                    | "base"
                    | "meta"
                    | "link"
                    | "input"
                    | "button"
                    | "noscript"
            ),
            "{markdown:?} -> {html}"
        );
        for (attribute, value) in attributes {
            assert!(!attribute.starts_with("on"), "{markdown:?} -> {html}");
            if matches!(
                attribute.as_str(),
                "href" | "src" | "srcset" | "action" | "formaction" | "xlink:href" | "data"
            ) {
                let value = value.to_ascii_lowercase();
                assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|scheme| value.starts_with(scheme)),
                    "{markdown:?} -> {html}"
                );
            }
        }
    }
    assert_eq!(
        SANITIZER.clean(html).to_string(),
        html,
        "sanitising twice changed {markdown:?}"
    );
}

const XSS_CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<img srcset=\"javascript:alert(1)\">",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](  javascript:alert(1)  )",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "[x][evil]\n\n[evil]: <JAVASCRIPT:alert(1)> \"t\"",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(1)\">go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\"><meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<img src=\"x\" alt=\"\" onerror=\"alert(1)\">",
    "<img src=\"https://ok.example/a.png\" alt=\"a\"onerror=\"alert(1)\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "[x](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "![x](https://ok.example/a.png\"onerror=\"alert(1))",
    "<https://ok.example/\"onmouseover=\"alert(1)>",
    "| a |\n|---|\n| <a href=\"javascript:alert(1)\">x</a> |",
    "<x onclick=alert(1)>hi</x>",
    "<code class=\"x\" onmouseover=alert(1)>c</code>",
    "```\"><script>alert(1)</script>\nx\n```",
];

#[test]
fn the_tag_scanner_sees_what_the_safety_checks_look_for() {
    let found = tags("<p>a &lt;b&gt; <a href=\"javascript:x&amp;y\" onclick=\"z\">q</a></p>");
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[1],
        (
            "a".to_owned(),
            vec![
                ("href".to_owned(), "javascript:x&y".to_owned()),
                ("onclick".to_owned(), "z".to_owned())
            ]
        )
    );
}

#[test]
fn xss_corpus_comes_out_harmless_and_stable() {
    assert!(XSS_CORPUS.len() >= 25);
    for payload in XSS_CORPUS {
        assert_safe(payload);
    }
}

#[test]
fn dangerous_links_lose_their_href_but_keep_their_text() {
    assert_eq!(
        render_html("[x](javascript:alert(1))").as_str(),
        "<p><a rel=\"noopener noreferrer nofollow\">x</a></p>\n"
    );
    assert_eq!(
        render_html("`<script>alert(1)</script>`").as_str(),
        "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>\n"
    );
}

#[test]
fn markdown_renders_with_links_marked_and_safe_markup_kept() {
    let html = render_html("**bold** _it_ ~~old~~ [site](https://example.com) <mail@example.com>");
    assert_eq!(
        html.as_str(),
        "<p><strong>bold</strong> <em>it</em> <del>old</del> \
         <a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">site</a> \
         <a href=\"mailto:mail@example.com\" rel=\"noopener noreferrer nofollow\">mail@example.com</a></p>\n"
    );
    let table = render_html("| a | b |\n|:-:|--:|\n| 1 | 2 |");
    assert!(
        table
            .as_str()
            .contains("<th style=\"text-align: center\">a</th>")
    );
    assert!(
        table
            .as_str()
            .contains("<td style=\"text-align: right\">2</td>")
    );
    let code = render_html("```rust\nfn main() {}\n```");
    assert!(
        code.as_str()
            .starts_with("<pre><code class=\"language-rust\">")
    );
    let evil_class = render_html("```x\" onclick=\"y\nz\n```");
    assert!(
        evil_class.as_str().starts_with("<pre><code>"),
        "{evil_class}"
    );
    let relative = render_html("[home](/home) ![cat](cat.png)");
    assert_eq!(
        relative.as_str(),
        "<p><a rel=\"noopener noreferrer nofollow\">home</a> <img alt=\"cat\"></p>\n"
    );
}

#[test]
fn network_text_drops_emphasis_and_keeps_blocks_apart() {
    assert_eq!(
        to_network_text("Hello **bold**, _it_ and ~~gone~~."),
        "Hello bold, it and gone."
    );
    assert_eq!(
        to_network_text("# Title\n\nFirst paragraph.\n\n\n\nSecond  \nline two\nline three"),
        "Title\n\nFirst paragraph.\n\nSecond\nline two\nline three"
    );
    assert_eq!(
        to_network_text("> quoted *words*\n\nafter"),
        "quoted words\n\nafter"
    );
    assert_eq!(
        to_network_text("\\*not emphasis\\* & co"),
        "*not emphasis* & co"
    );
    assert_eq!(to_network_text("a\n\n---\n\nb"), "a\n\nb");
}

#[test]
fn network_text_lists_become_bullet_lines() {
    assert_eq!(
        to_network_text("Intro\n- one\n- **two**\n  - nested\n- three\n\nOutro"),
        "Intro\n\n• one\n• two\n  • nested\n• three\n\nOutro"
    );
    assert_eq!(to_network_text("3. x\n4. y"), "3. x\n4. y");
    assert_eq!(
        to_network_text("- loose\n\n  more\n\n- next"),
        "• loose\n  more\n• next"
    );
}

#[test]
fn network_text_spells_links_out() {
    assert_eq!(
        to_network_text("[Read this](https://example.com/a) now"),
        "Read this https://example.com/a now"
    );
    assert_eq!(
        to_network_text("[https://example.com/a](https://example.com/a)"),
        "https://example.com/a"
    );
    assert_eq!(
        to_network_text("[example.com](https://example.com/)"),
        "https://example.com/"
    );
    assert_eq!(
        to_network_text("<https://example.com/a> and <me@example.com>"),
        "https://example.com/a and me@example.com"
    );
    assert_eq!(
        to_network_text("[ref][r]\n\n[r]: https://example.com/r"),
        "ref https://example.com/r"
    );
    assert_eq!(
        to_network_text("[![Logo](logo.png)](https://example.com)"),
        "Logo https://example.com"
    );
    assert_eq!(
        to_network_text("bare https://example.com/x stays"),
        "bare https://example.com/x stays"
    );
}

#[test]
fn network_text_keeps_code_alt_text_tags_and_mentions() {
    assert_eq!(
        to_network_text("Run `cargo test` today"),
        "Run cargo test today"
    );
    assert_eq!(
        to_network_text("![A cat on a mat](cat.png)"),
        "A cat on a mat"
    );
    assert_eq!(
        to_network_text("#rust and #opensource with @alice@example.social and @bob"),
        "#rust and #opensource with @alice@example.social and @bob"
    );
    assert_eq!(
        to_network_text("Launch!\n#rust #release"),
        "Launch!\n#rust #release"
    );
    assert_eq!(
        to_network_text("```\nlet x = 1;\n\nlet y = 2;\n```"),
        "let x = 1;\n\nlet y = 2;"
    );
    assert_eq!(
        to_network_text("| a | b |\n|---|---|\n| 1 | 2 |"),
        "a | b\n1 | 2"
    );
}

#[test]
fn network_text_drops_html() {
    assert_eq!(to_network_text("Hi <b>there</b> <br/>you"), "Hi there you");
    assert_eq!(to_network_text("<div>\nhidden\n</div>\n\nafter"), "after");
    assert_eq!(to_network_text("<script>alert(1)</script>\n\nok"), "ok");
}

fn html_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<String>(),
        "[<>\"'=/ a-z:&#;()\\[\\]!*_`-]{0,20}",
        prop::sample::select(XSS_CORPUS.to_vec()).prop_map(str::to_owned),
        Just("\n\n".to_owned()),
        Just("- ".to_owned()),
        Just("| a |\n|---|\n".to_owned()),
    ];
    proptest::collection::vec(pieces, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn rendering_anything_is_safe_and_sanitising_again_changes_nothing(markdown in html_like()) {
        let html = render_html(&markdown);
        prop_assert_eq!(SANITIZER.clean(html.as_str()).to_string(), html.as_str());
        prop_assert!(!html.as_str().to_ascii_lowercase().contains("<script"));
    }

    #[test]
    fn network_text_has_no_trailing_whitespace_or_double_blank_lines(markdown in html_like()) {
        let text = to_network_text(&markdown);
        prop_assert!(text.lines().all(|line| line == line.trim_end()));
        prop_assert!(!text.contains("\n\n\n"));
        prop_assert_eq!(text.trim_end(), text.as_str());
    }

    #[test]
    fn emphasis_markers_never_survive(words in proptest::collection::vec("[a-zA-Z0-9]{1,10}", 3)) {
        let markdown = format!("**{}** *{}* ~~{}~~ __{}__", words[0], words[1], words[2], words[0]);
        let text = to_network_text(&markdown);
        prop_assert_eq!(&text, &format!("{} {} {} {}", words[0], words[1], words[2], words[0]));
        prop_assert!(!text.contains("**") && !text.contains("~~"));
    }
}

#[test]
fn cleaning_the_output_again_changes_nothing_even_after_a_byte_order_mark() {
    // Found by the fuzz run: a leading U+FEFF survived the first cleaning, not the second.
    for markdown in ["\u{feff}text", "\u{feff}", "a\u{feff}b", "<b>\u{feff}</b>"] {
        let html = render_html(markdown);
        assert_eq!(sanitize(html.as_str()), html, "{markdown:?}");
    }
}
