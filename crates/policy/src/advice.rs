//! Advice on a draft, never censorship: hints for the ambassador while they make a post their
//! own. Only the network's own hard length limit blocks publishing, because the network would
//! refuse the post anyway.
//!
//! Lengths are measured elsewhere (the editorial crate counts the way each network counts), so
//! a [`Draft`] carries the numbers in and this module needs no text-measuring dependency.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Network;
use crate::disclosure::{Disclosure, contains_disclosure, words};

/// From this share of words in common with the suggested copy (and not identical), a draft is
/// "nearly identical": adding a hashtag to a suggestion of ten words or more still is.
pub const NEARLY_IDENTICAL_PERCENT: u8 = 90;

/// What an ambassador is about to publish, with what the rest of Chorus measured about it.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    /// The network it is for.
    pub network: Network,
    /// The text as the ambassador wrote it.
    pub text: &'a str,
    /// The copy the editors suggested for this network (empty when there is none).
    pub suggested_copy: &'a str,
    /// The organisation's disclosure for the post's language, if it set one.
    pub disclosure: Option<&'a Disclosure>,
    /// How far the text is over a length, in the network's unit (0 when it fits).
    pub length_over_by: usize,
    /// Whether the network itself would refuse the text (too long, too many links...).
    pub hard_limit_exceeded: bool,
}

/// One hint about a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Advice {
    /// Too long: `hard_limit` when the network would refuse it, the only advice that blocks.
    OverLength {
        /// The network whose count this is.
        network: Network,
        /// How much must go, in the network's unit.
        by: usize,
        /// Whether the network would refuse the post.
        hard_limit: bool,
    },
    /// The disclosure is missing; `suggestion` is the text to add.
    MissingDisclosure {
        /// The organisation's disclosure text.
        suggestion: String,
    },
    /// The text is the suggested copy unchanged: an invitation to make it their own.
    IdenticalToSuggestion,
    /// Almost all the words are the suggested copy's.
    NearlyIdentical {
        /// Words in common, as a percentage of both texts' words.
        same_words_percent: u8,
    },
    /// Colleagues already posted nearly the same words for this item on this network (counted
    /// only when at least the minimum group size of colleagues' posts were compared; see
    /// [`crate::sameness`]).
    SameAsColleagues {
        /// How many colleagues' posts are nearly the same words.
        colleagues: usize,
    },
}

/// The hints for `draft`, the blocking one first.
pub fn advise(draft: &Draft<'_>) -> Vec<Advice> {
    let mut advice = Vec::new();
    if draft.hard_limit_exceeded || draft.length_over_by > 0 {
        advice.push(Advice::OverLength {
            network: draft.network,
            by: draft.length_over_by,
            hard_limit: draft.hard_limit_exceeded,
        });
    }
    if let Some(disclosure) = draft.disclosure
        && !contains_disclosure(draft.text, disclosure)
    {
        advice.push(Advice::MissingDisclosure {
            suggestion: disclosure.as_str().to_owned(),
        });
    }
    if !draft.suggested_copy.trim().is_empty() {
        if normalised(draft.text) == normalised(draft.suggested_copy) {
            advice.push(Advice::IdenticalToSuggestion);
        } else {
            let percent = same_words_percent(draft.text, draft.suggested_copy);
            if percent >= NEARLY_IDENTICAL_PERCENT {
                advice.push(Advice::NearlyIdentical {
                    same_words_percent: percent,
                });
            }
        }
    }
    advice
}

/// Whether the advice stops publishing: only when the network's hard limit is exceeded.
pub fn blocks_publishing(advice: &[Advice]) -> bool {
    advice.iter().any(|a| {
        matches!(
            a,
            Advice::OverLength {
                hard_limit: true,
                ..
            }
        )
    })
}

/// Case folded, runs of white space made one space, ends trimmed.
fn normalised(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Words in common (counted with repeats) over the words of both texts, in percent.
fn same_words_percent(text: &str, suggestion: &str) -> u8 {
    let count = |text: &str| {
        let mut counts = BTreeMap::<String, usize>::new();
        for word in words(text) {
            *counts.entry(word).or_default() += 1;
        }
        counts
    };
    let (ours, theirs) = (count(text), count(suggestion));
    let all = ours.values().sum::<usize>() + theirs.values().sum::<usize>();
    if all == 0 {
        return 0;
    }
    let common: usize = ours
        .iter()
        .map(|(word, n)| (*n).min(*theirs.get(word).unwrap_or(&0)))
        .sum();
    u8::try_from(200 * common / all).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SUGGESTION: &str =
        "We just opened our new office in Lyon, come and say hello to the team!";

    fn draft(text: &str) -> Draft<'_> {
        Draft {
            network: Network::Mastodon,
            text,
            suggested_copy: SUGGESTION,
            disclosure: None,
            length_over_by: 0,
            hard_limit_exceeded: false,
        }
    }

    #[test]
    fn a_personal_text_that_fits_gets_no_advice() {
        let advice = advise(&draft(
            "Our Lyon office is open and I love the view. Drop by!",
        ));
        assert!(advice.is_empty(), "{advice:?}");
    }

    #[test]
    fn the_suggested_copy_unchanged_is_an_invitation_not_a_block() {
        let pasted = "  We just opened our new office in Lyon,\n\ncome and say hello to the TEAM! ";
        let advice = advise(&draft(pasted));
        assert_eq!(advice, [Advice::IdenticalToSuggestion]);
        assert!(!blocks_publishing(&advice));
    }

    #[test]
    fn adding_a_hashtag_to_the_suggestion_is_still_nearly_identical() {
        let text = format!("{SUGGESTION} #employee");
        let advice = advise(&draft(&text));
        assert!(
            matches!(advice[..], [Advice::NearlyIdentical { same_words_percent }] if same_words_percent >= 90)
        );
        let rewritten = advise(&draft("We opened an office in Lyon: say hello to my team!"));
        assert!(rewritten.is_empty(), "{rewritten:?}");
    }

    #[test]
    fn a_missing_disclosure_is_suggested() {
        let disclosure = Disclosure::parse("#employee").unwrap();
        let mut without = draft("Lyon office open!");
        without.disclosure = Some(&disclosure);
        assert_eq!(
            advise(&without),
            [Advice::MissingDisclosure {
                suggestion: "#employee".into()
            }]
        );
        let mut with = draft("Lyon office open! #Employee");
        with.disclosure = Some(&disclosure);
        assert!(advise(&with).is_empty());
        assert!(!blocks_publishing(&advise(&without)));
    }

    #[test]
    fn only_the_networks_hard_limit_blocks() {
        let mut soft = draft("Lyon!");
        soft.length_over_by = 12;
        let advice = advise(&soft);
        assert_eq!(
            advice,
            [Advice::OverLength {
                network: Network::Mastodon,
                by: 12,
                hard_limit: false
            }]
        );
        assert!(!blocks_publishing(&advice));
        soft.hard_limit_exceeded = true;
        assert!(blocks_publishing(&advise(&soft)));
    }

    #[test]
    fn no_suggestion_means_no_copy_advice() {
        let mut own = draft("");
        own.suggested_copy = " ";
        assert!(advise(&own).is_empty());
    }

    #[test]
    fn advice_serialises_for_the_page() {
        let json = serde_json::to_value(Advice::MissingDisclosure {
            suggestion: "#staff".into(),
        });
        assert_eq!(
            json.unwrap(),
            serde_json::json!({"kind": "missing_disclosure", "suggestion": "#staff"})
        );
    }

    proptest! {
        /// Whatever the text and numbers, publishing is blocked exactly by the hard limit.
        #[test]
        fn blocks_exactly_on_the_hard_limit(
            text in ".{0,80}",
            over in 0_usize..50,
            hard in any::<bool>(),
            with_disclosure in any::<bool>(),
        ) {
            let disclosure = Disclosure::parse("I work at ACME").unwrap();
            let draft = Draft {
                network: Network::X,
                text: &text,
                suggested_copy: SUGGESTION,
                disclosure: with_disclosure.then_some(&disclosure),
                length_over_by: over,
                hard_limit_exceeded: hard,
            };
            prop_assert_eq!(blocks_publishing(&advise(&draft)), hard);
        }

        /// Changing only white space never hides that the text is the suggestion.
        #[test]
        fn whitespace_alone_does_not_make_it_your_own(spaces in prop::collection::vec("[ \t\n]{1,3}", 15)) {
            let mut text = String::new();
            for (word, space) in SUGGESTION.split(' ').zip(spaces.iter()) {
                text.push_str(space);
                text.push_str(word);
            }
            prop_assert_eq!(advise(&draft(&text)), vec![Advice::IdenticalToSuggestion]);
        }
    }
}
