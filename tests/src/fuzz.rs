//! Fuzzing by generated inputs (stable Rust, no instrumentation): each target takes strings
//! built from the pieces that break text handling (Markdown and HTML syntax, links, hashtags,
//! combining marks, emoji sequences, bidi and control characters, random code points) and
//! checks that nothing panics and that each function keeps its promise. The `fuzz` program runs
//! 100,000 inputs per target and prints the figures; the `fuzz` test runs a few thousand in CI.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chorus_ambassador::connectors::facets::{Facet, detect};
use chorus_ambassador::editorial::markdown::{render_html, sanitize, to_network_text};
use chorus_ambassador::editorial::measure::display::{Segment, display};
use chorus_ambassador::editorial::measure::measure;
use chorus_ambassador::policy::Network;
use chorus_ambassador::policy::disclosure::{Disclosure, contains_disclosure};
use chorus_ambassador::{composer, onboarding};
use chorus_statistics::FilterForm;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

const PIECES: &[&str] = &[
    "*",
    "**",
    "_",
    "__",
    "`",
    "```",
    "~~",
    "# ",
    "## ",
    "> ",
    "- ",
    "1. ",
    "[",
    "](",
    ")",
    "![",
    "<",
    ">",
    "|",
    "---",
    "\n",
    "\n\n",
    " ",
    "  ",
    "\t",
    "\r\n",
    "\\",
    "&amp;",
    "&#0;",
    "<script>",
    "</script>",
    "<a href=\"javascript:alert(1)\">",
    "<img src=x onerror=alert(1)>",
    "<!--",
    "https://example.com/a?b=c#d",
    "http://",
    "example.com",
    "www.example.org/path",
    "例え.jp",
    "ftp://x",
    "mailto:a@b.c",
    "#tag",
    "#",
    "#é",
    "##",
    "@handle",
    "$CASH",
    "👩‍👩‍👧",
    "🙂",
    "é",
    "e\u{301}",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    "\u{fffe}",
    "\u{0}",
    "\u{7f}",
    "\u{1b}[31m",
    "(",
    "((",
    "'",
    "\"",
    ".",
    ",",
    "!",
    "?",
    "0",
    "9999999999999999999999",
    "-1",
    "2026-02-30",
    "1970-01-01",
    "Europe/Paris",
    "UTC",
    "#employee",
    "I work at ACME",
];

/// One generated input: up to `max_pieces` pieces and random code points.
pub fn input(rng: &mut StdRng, max_pieces: usize) -> String {
    let count = rng.gen_range(0..=max_pieces);
    let mut text = String::new();
    for _ in 0..count {
        if rng.gen_bool(0.2) {
            let c = loop {
                if let Some(c) = char::from_u32(rng.gen_range(0..0x11_0000)) {
                    break c;
                }
            };
            text.push(c);
        } else {
            text.push_str(PIECES[rng.gen_range(0..PIECES.len())]);
        }
    }
    text
}

/// A function under test and the promise it keeps for any input.
pub struct Target {
    /// Its name in the figures.
    pub name: &'static str,
    /// `Err(why)` when the promise is broken.
    pub check: fn(&str) -> Result<(), String>,
}

fn markdown(text: &str) -> Result<(), String> {
    let html = render_html(text);
    let again = sanitize(html.as_str());
    if again != html {
        return Err(format!(
            "sanitising the output changed it: {html} -> {again}"
        ));
    }
    // Inside every tag: no script, no event handler, no javascript: address.
    for tag in html.as_str().split('<').skip(1) {
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        let active = attributes(tag).iter().any(|(attribute, value)| {
            attribute.starts_with("on")
                || (matches!(attribute.as_str(), "href" | "src")
                    && value.trim_start().to_lowercase().starts_with("javascript:"))
        });
        if name == "script" || active {
            return Err(format!("active content came out: <{tag} in {html}"));
        }
    }
    Ok(())
}

/// The attributes of a tag as the sanitiser writes them (`name="value"`), up to its `>`.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = tag.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '/');
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
            return found;
        }
        let name_end = rest
            .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_lowercase();
        rest = &rest[name_end..];
        let value = if let Some(after) = rest.strip_prefix("=\"") {
            let end = after.find('"').unwrap_or(after.len());
            rest = after.get(end + 1..).unwrap_or_default();
            after[..end].to_owned()
        } else if name.is_empty() {
            // Not a tag the sanitiser wrote (escaped text never gets here): stop.
            return found;
        } else {
            String::new()
        };
        found.push((name, value));
    }
}

fn network_text(text: &str) -> Result<(), String> {
    let plain = to_network_text(text);
    match plain.lines().find(|line| line.ends_with([' ', '\t'])) {
        Some(line) => Err(format!("a line ends with whitespace: {line:?}")),
        None => Ok(()),
    }
}

fn lengths(text: &str) -> Result<(), String> {
    for network in Network::ALL {
        let m = measure(network, text);
        if m.fits != (m.over_by == 0 && m.problem.is_none()) {
            return Err(format!("{network:?}: fits disagrees with over_by: {m:?}"));
        }
        if m.over_by != m.used.saturating_sub(m.limit) {
            return Err(format!("{network:?}: over_by is not used - limit: {m:?}"));
        }
    }
    Ok(())
}

fn previews(text: &str) -> Result<(), String> {
    for network in Network::ALL {
        for segment in display(network, text).segments {
            if let Segment::Link { href, .. } = segment
                && !href.starts_with("http")
            {
                return Err(format!("{network:?}: a link to {href}"));
            }
        }
    }
    Ok(())
}

fn facets(text: &str) -> Result<(), String> {
    // What is sent never overlaps.
    let mut covered_to = 0;
    for facet in chorus_ambassador::connectors::facets::facets(text) {
        let start = usize::try_from(facet["index"]["byteStart"].as_u64().unwrap_or(0)).unwrap_or(0);
        let end = usize::try_from(facet["index"]["byteEnd"].as_u64().unwrap_or(0)).unwrap_or(0);
        if start < covered_to {
            return Err(format!("sent facet {start}..{end} overlaps the one before"));
        }
        covered_to = end;
    }
    // What is detected is sorted, in bounds and on character boundaries.
    let mut last = 0;
    for facet in detect(text) {
        let (start, end) = match &facet {
            Facet::Mention { start, end, .. }
            | Facet::Link { start, end, .. }
            | Facet::Tag { start, end, .. } => (*start, *end),
        };
        if start < last || end <= start || end > text.len() {
            return Err(format!("facet {start}..{end} out of order or bounds"));
        }
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return Err(format!("facet {start}..{end} cuts a character"));
        }
        match &facet {
            // A bare domain is sent with `https://` before it.
            Facet::Link { uri, .. }
                if text[start..end] != **uri
                    && format!("https://{}", &text[start..end]) != **uri =>
            {
                return Err(format!("link facet {:?} is not {uri:?}", &text[start..end]));
            }
            Facet::Tag { .. } if !text[start..end].starts_with(['#', '＃', '$']) => {
                return Err(format!("tag facet {:?}", &text[start..end]));
            }
            Facet::Mention { did, .. } if text[start..end] != format!("@{did}") => {
                return Err(format!("mention facet {:?}", &text[start..end]));
            }
            _ => {}
        }
        last = start;
    }
    Ok(())
}

fn statistics_filter(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('|').collect();
    let part = |i: usize| parts.get(i).copied().unwrap_or_default().to_owned();
    let form = FilterForm {
        from: part(0),
        to: part(1),
        topic: part(2),
        campaign: part(3),
        network: part(4),
        team: part(5),
        every: part(6),
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
    match form.parse(today) {
        Ok(filter) if filter.from > filter.to => Err(format!(
            "a period that ends before it starts: {} to {}",
            filter.from, filter.to
        )),
        Ok(filter) if FilterForm::of(&filter).parse(today).as_ref() != Ok(&filter) => Err(format!(
            "the filter does not survive its own form: {filter:?}"
        )),
        _ => Ok(()),
    }
}

fn composers(text: &str) -> Result<(), String> {
    for network in Network::ALL {
        if let Ok(url) = composer::url(network, Some(text), text) {
            let carried = url
                .query_pairs()
                .find(|(k, _)| k == "text")
                .map(|(_, v)| v.into_owned());
            if carried.as_deref() != Some(text) {
                return Err(format!("{network:?}: the composer does not carry the text"));
            }
        }
    }
    Ok(())
}

fn settings_text(text: &str) -> Result<(), String> {
    let _ = onboarding::parse_time_zone(text);
    if let Ok(disclosure) = Disclosure::parse(text)
        && !contains_disclosure(text, &disclosure)
    {
        return Err("a disclosure is not found in its own text".to_owned());
    }
    Ok(())
}

/// Every target.
#[must_use]
pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "markdown to HTML",
            check: markdown,
        },
        Target {
            name: "markdown to post text",
            check: network_text,
        },
        Target {
            name: "length rules",
            check: lengths,
        },
        Target {
            name: "post previews",
            check: previews,
        },
        Target {
            name: "Bluesky facets",
            check: facets,
        },
        Target {
            name: "statistics filters",
            check: statistics_filter,
        },
        Target {
            name: "composer addresses",
            check: composers,
        },
        Target {
            name: "time zones and disclosures",
            check: settings_text,
        },
    ]
}

/// What one target did.
#[derive(Debug)]
pub struct Outcome {
    /// The target.
    pub name: &'static str,
    /// Inputs tried.
    pub inputs: usize,
    /// The first inputs that broke a promise or panicked, with why.
    pub failures: Vec<(String, String)>,
    /// Time spent.
    pub elapsed: Duration,
}

/// Runs `inputs` generated inputs (seeded by `seed`) through every target.
#[must_use]
pub fn run(inputs: usize, seed: u64) -> Vec<Outcome> {
    // Panics are caught and reported as failures, not printed one by one.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcomes = targets()
        .into_iter()
        .map(|target| {
            let mut rng = StdRng::seed_from_u64(seed);
            let started = Instant::now();
            let mut failures = Vec::new();
            for _ in 0..inputs {
                let text = input(&mut rng, 40);
                let result = catch_unwind(AssertUnwindSafe(|| (target.check)(&text)))
                    .unwrap_or_else(|_| Err("panicked".to_owned()));
                if let Err(why) = result
                    && failures.len() < 5
                {
                    failures.push((text, why));
                }
            }
            Outcome {
                name: target.name,
                inputs,
                failures,
                elapsed: started.elapsed(),
            }
        })
        .collect();
    std::panic::set_hook(previous_hook);
    outcomes
}
