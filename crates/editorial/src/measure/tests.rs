//! Tests of the per-network measures through the public API, and properties over all of them.

use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;

use super::*;

const FAMILY: &str = "👨‍👩‍👧‍👦";
const FLAG: &str = "🇫🇷";
const SKIN_TONE: &str = "👍🏽";
const E_ACUTE_COMBINING: &str = "e\u{301}";

#[test]
fn measures_serialise_as_the_editor_expects() {
    let json = serde_json::to_value(measure(Network::X, "Hi http://test.co")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"network":"x","used":26,"limit":280,"unit":"weighted","fits":true,"over_by":0})
    );
    let json = serde_json::to_value(measure(Network::Bluesky, "é")).unwrap();
    assert_eq!(json["bytes"], serde_json::json!([2, 3000]));
    assert_eq!(json["unit"], "graphemes");
    let json = serde_json::to_value(measure(Network::Threads, "")).unwrap();
    assert_eq!(json["links"], serde_json::json!([0, 5]));
    let json = serde_json::to_value(measure(Network::X, "")).unwrap();
    assert_eq!(json["problem"], "empty");
    assert_eq!(measure(Network::LinkedIn, "a").unit, Unit::Utf16Units);
}

#[test]
fn bluesky_counts_graphemes_and_bytes() {
    for (text, graphemes, bytes) in [
        (FAMILY, 1, 25),
        (FLAG, 1, 8),
        (SKIN_TONE, 1, 8),
        (E_ACUTE_COMBINING, 1, 3),
        ("日本語", 3, 9),
        ("https://example.com/a", 21, 21),
        ("example.com", 11, 11),
    ] {
        let measure = measure_bluesky(text);
        assert_eq!(measure.used, graphemes, "{text}");
        assert_eq!(measure.bytes, Some((bytes, 3000)), "{text}");
    }
}

#[test]
fn bluesky_fits_only_within_both_limits() {
    let at_limit = measure_bluesky(&"a".repeat(300));
    assert!(at_limit.fits);
    let one_over = measure_bluesky(&"a".repeat(301));
    assert_eq!((one_over.fits, one_over.over_by), (false, 1));
    // 300 family emoji are 300 graphemes but 7500 bytes: the bytes are what is over.
    let heavy = measure_bluesky(&FAMILY.repeat(300));
    assert_eq!((heavy.used, heavy.fits, heavy.over_by), (300, false, 4500));
    // 120 families fit in graphemes and exactly in bytes; one combining mark more does not.
    let exact_bytes = measure_bluesky(&FAMILY.repeat(120));
    assert_eq!(
        (exact_bytes.bytes, exact_bytes.fits),
        (Some((3000, 3000)), true)
    );
    let over_bytes = measure_bluesky(&format!("{}{}", FAMILY.repeat(120), '\u{301}'));
    assert_eq!((over_bytes.used, over_bytes.over_by), (120, 2));
}

#[test]
fn mastodon_counts_graphemes_with_fixed_url_cost() {
    for (text, used) in [
        (FAMILY, 1),
        (FLAG, 1),
        (SKIN_TONE, 1),
        (E_ACUTE_COMBINING, 1),
        ("日本語", 3),
        ("https://example.com/a/very/long/path/indeed", 23),
        ("http://x.co", 23),
        ("example.com", 11),
        ("@alice@example.social", 6),
    ] {
        assert_eq!(measure_mastodon(text).used, used, "{text}");
    }
    let at_limit = measure_mastodon(&format!(
        "{} {}",
        "a".repeat(476),
        "https://example.com/long"
    ));
    assert_eq!((at_limit.used, at_limit.fits), (500, true));
    let one_over = measure_mastodon(&"é".repeat(501));
    assert_eq!((one_over.fits, one_over.over_by), (false, 1));
}

#[test]
fn mastodon_instances_set_their_own_limits() {
    let measure = measure_mastodon_with("hello https://example.com", 10, 5);
    assert_eq!((measure.used, measure.limit, measure.fits), (11, 10, false));
    assert!(measure_mastodon_with("hello", 5, 5).fits);
}

#[test]
fn linkedin_escapes_reserved_characters_and_counts_utf16_units() {
    assert_eq!(
        escape_linkedin_little_text(r"a\b|c{d}e@f[g]h(i)j<k>l#m*n_o~p"),
        r"a\\b\|c\{d\}e\@f\[g\]h\(i\)j\<k\>l\#m\*n\_o\~p"
    );
    assert_eq!(
        escape_linkedin_little_text("New post (draft)"),
        r"New post \(draft\)"
    );
    for (text, units) in [
        (FAMILY, 11),
        (FLAG, 4),
        (SKIN_TONE, 4),
        (E_ACUTE_COMBINING, 2),
        ("日本語", 3),
        ("#rust @me", 11),
        ("https://example.com/a_(b)", 28),
    ] {
        assert_eq!(measure_linkedin(text).used, units, "{text}");
    }
}

#[test]
fn linkedin_limit_applies_to_the_escaped_text() {
    assert!(measure_linkedin(&"a".repeat(3000)).fits);
    let one_over = measure_linkedin(&"a".repeat(3001));
    assert_eq!((one_over.fits, one_over.over_by), (false, 1));
    let escaped_at_limit = measure_linkedin(&"(".repeat(1500));
    assert_eq!((escaped_at_limit.used, escaped_at_limit.fits), (3000, true));
    let escaped_over = measure_linkedin(&format!("{}a", "(".repeat(1500)));
    assert_eq!((escaped_over.fits, escaped_over.over_by), (false, 1));
}

#[test]
fn threads_counts_characters_and_emoji_as_their_utf8_bytes() {
    for (text, used) in [
        ("😀😀", 8),
        (FAMILY, 25),
        (FLAG, 8),
        (SKIN_TONE, 8),
        ("1\u{FE0F}\u{20E3}", 7),
        ("Solar 🌞!", 11),
        (E_ACUTE_COMBINING, 2),
        ("日本語", 3),
        ("#1", 2),
        ("https://example.com/a", 21),
    ] {
        assert_eq!(measure_threads(text).used, used, "{text}");
    }
    assert!(measure_threads(&"ü".repeat(500)).fits);
    let one_over = measure_threads(&"ü".repeat(501));
    assert_eq!((one_over.fits, one_over.over_by), (false, 1));
    // 125 emoji fill a post; one character more does not fit.
    assert!(measure_threads(&"😀".repeat(125)).fits);
    let over = measure_threads(&format!("{}a", "😀".repeat(125)));
    assert_eq!((over.fits, over.over_by), (false, 1));
}

#[test]
fn threads_allows_five_distinct_links() {
    let five = "a.com https://b.com c.org/x www.d.net http://e.fr/";
    assert_eq!(measure_threads(five).links, Some((5, 5)));
    assert!(measure_threads(five).fits);
    let repeated = format!("{five} https://A.com/ e.fr");
    assert_eq!(
        measure_threads(&repeated).links,
        Some((5, 5)),
        "same addresses"
    );
    let six = measure_threads(&format!("{five} f.io"));
    assert_eq!(six.links, Some((6, 5)));
    assert_eq!(
        (six.fits, six.over_by, six.problem),
        (false, 0, Some(Problem::TooManyLinks))
    );
}

#[test]
fn dispatch_reaches_every_network() {
    for network in Network::ALL {
        let measure = measure(network, "hello");
        assert_eq!(
            (measure.network, measure.used, measure.fits),
            (network, 5, true)
        );
    }
}

fn text_strategy() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<char>().prop_map(String::from),
        "[a-zA-Z #@_()\\\\.]{1,8}",
        Just(FAMILY.to_owned()),
        Just(FLAG.to_owned()),
        Just(SKIN_TONE.to_owned()),
        Just("\u{301}".to_owned()),
        Just("\u{200D}".to_owned()),
        Just("漢".to_owned()),
        Just(" https://example.com/x ".to_owned()),
        Just(" example.org ".to_owned()),
        Just(" @ann@example.social ".to_owned()),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn fits_exactly_when_nothing_is_over_and_nothing_is_wrong(text in text_strategy()) {
        for network in Network::ALL {
            let measure = measure(network, &text);
            prop_assert_eq!(measure.fits, measure.over_by == 0 && measure.problem.is_none());
            if network != Network::Bluesky {
                prop_assert_eq!(measure.over_by, measure.used.saturating_sub(measure.limit));
            }
        }
    }

    #[test]
    fn appending_text_never_lowers_what_is_used(text in text_strategy(), tail in "[a-z 漢]{0,12}") {
        // Appended letters cannot merge into an earlier link: a space comes first.
        let longer = format!("{text} {tail}");
        for network in Network::ALL {
            prop_assert!(measure(network, &longer).used >= measure(network, &text).used, "{network}");
        }
    }

    #[test]
    fn bluesky_bytes_are_the_utf8_length(text in text_strategy()) {
        prop_assert_eq!(measure_bluesky(&text).bytes, Some((text.len(), BLUESKY_BYTE_LIMIT)));
    }

    #[test]
    fn linkedin_escaping_never_shortens_and_measures_the_escaped_form(text in text_strategy()) {
        let escaped = escape_linkedin_little_text(&text);
        prop_assert!(escaped.len() >= text.len());
        prop_assert_eq!(measure_linkedin(&text).used, escaped.encode_utf16().count());
        prop_assert!(measure_linkedin(&escaped).used >= measure_linkedin(&text).used);
    }

    #[test]
    fn x_weighs_plain_text_at_least_one_per_grapheme(text in "[^./:]{0,60}") {
        prop_assert!(measure_x(&text).used >= text.graphemes(true).count() || text.is_empty());
    }
}
