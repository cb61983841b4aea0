//! Bluesky facets against the reference client (issue 17, part 3): Chorus's detection of
//! mentions, links (bare domains included), tags and cashtags gives the same byte ranges and
//! values as `@atproto/api`'s `RichText` (run with node from the test peers,
//! `tests/peers/richtext.mjs`) on a corpus of generated texts: links with punctuation and
//! brackets, emoji, CJK, tags, mentions, bare domains, cashtags, odd spaces.

use std::path::Path;
use std::process::Stdio;

use chorus_ambassador::connectors::facets::{Facet, detect};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

/// Pieces the texts are made of.
const PIECES: &[&str] = &[
    "Solar in Lyon",
    "https://example.com/a",
    "https://example.com/a_(b)",
    "(https://example.com/x)",
    "https://example.com/path?q=1&r=2#frag.",
    "http://127.0.0.1:8080/l/abc,",
    "HTTPS://EXAMPLE.COM/UP",
    "example.com",
    "example.com/path!",
    "www.example.org/x?",
    "sub.example.co.uk/page;",
    "my-site.com",
    "notes.txt",
    "main.rs",
    "foo.bar.notatld",
    "ftp://example.com/file",
    "@ana.bsky.social",
    "@ben.test",
    "(@carla.example.com)",
    "@notahandle",
    "@UPPER.BSKY.SOCIAL",
    "@dot.end.com.",
    "me@example.com",
    "#solar",
    "#été!",
    "#2026",
    "#️⃣",
    "#1⃣",
    "＃全角タグ",
    "#tag_with_underscore",
    "#a-b",
    "C#",
    "x#y",
    "#…",
    "$AAPL",
    "$toolong1",
    "($TSLA)",
    "$9bad",
    "pay $5",
    "日本語のテキスト",
    "한국어",
    "emoji 👩‍👩‍👧‍👦 and 🇫🇷",
    "✨",
    "«guillemets»",
    "“quoted https://example.com/q”",
    "l’été",
    "a\u{200B}b",
    "#zero\u{200B}width",
    "tab\tseparated",
];

const SEPARATORS: &[&str] = &[
    " ", "  ", "\n", " — ", ", ", "\u{3000}", "\u{A0}", " (", ") ",
];

/// A deterministic generator (no dependency, the same corpus everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % u64::try_from(bound).unwrap()).unwrap()
    }
}

fn corpus() -> Vec<String> {
    let mut texts: Vec<String> = PIECES.iter().map(|p| (*p).to_owned()).collect();
    let mut rng = Lcg(2026);
    while texts.len() < 320 {
        let count = 2 + rng.next(4);
        let mut text = String::new();
        for i in 0..count {
            if i > 0 {
                text.push_str(SEPARATORS[rng.next(SEPARATORS.len())]);
            }
            text.push_str(PIECES[rng.next(PIECES.len())]);
        }
        texts.push(text);
    }
    texts
}

fn ours(text: &str) -> Value {
    Value::Array(
        detect(text)
            .into_iter()
            .map(|facet| match facet {
                Facet::Mention { start, end, did } => {
                    json!({"start": start, "end": end, "type": "mention", "value": did})
                }
                Facet::Link { start, end, uri } => {
                    json!({"start": start, "end": end, "type": "link", "value": uri})
                }
                Facet::Tag { start, end, tag } => {
                    json!({"start": start, "end": end, "type": "tag", "value": tag})
                }
            })
            .collect(),
    )
}

async fn reference(texts: &[String]) -> Vec<Value> {
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
    let mut child = tokio::process::Command::new("node")
        .arg("richtext.mjs")
        .current_dir(&peers)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs tests/peers/richtext.mjs (./scripts/test installs its packages)");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(serde_json::to_string(texts).unwrap().as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the oracle prints JSON")
}

#[tokio::test]
async fn facets_match_the_reference_client_on_a_corpus_of_texts() {
    let texts = corpus();
    assert!(texts.len() >= 200);
    let expected = reference(&texts).await;
    assert_eq!(expected.len(), texts.len());
    let mut differences = Vec::new();
    let mut facets = 0;
    for (text, expected) in texts.iter().zip(&expected) {
        let ours = ours(text);
        facets += ours.as_array().map_or(0, Vec::len);
        if &ours != expected {
            differences.push(format!(
                "{text:?}\n  reference {expected}\n  chorus    {ours}"
            ));
        }
    }
    assert!(facets > 300, "the corpus exercises facets: {facets}");
    assert!(
        differences.is_empty(),
        "{} of {} texts differ:\n{}",
        differences.len(),
        texts.len(),
        differences.join("\n")
    );
}
