//! Sameness across colleagues: twenty identical posts from one company's people read as a
//! campaign, not as people. While a person makes a post their own, Chorus compares it with what
//! colleagues already posted for the same item on the same network, and says how many posted
//! nearly the same words, as advice, never a block and never naming anyone, and only when at
//! least the minimum group size of colleagues' texts are compared (fewer would say something
//! about a few people).
//!
//! Texts are compared as sets of three-word shingles (words case-folded, links and mentions
//! left out, since each person's tracked link differs) by their Jaccard similarity.

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use crate::MinGroupSize;

/// From this Jaccard similarity of shingles (in percent), two posts say "nearly the same words".
pub const NEARLY_SAME_PERCENT: u8 = 60;

/// The three-word shingles of a text, hashed (each word alone for texts under three words).
#[must_use]
pub fn shingles(text: &str) -> BTreeSet<u64> {
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|w| !(w.contains("://") || w.starts_with('@') || w.starts_with("www.")))
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '#')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let hash = |parts: &[String]| {
        let mut hasher = DefaultHasher::new();
        parts.hash(&mut hasher);
        hasher.finish()
    };
    if words.len() < 3 {
        return words
            .iter()
            .map(|w| hash(std::slice::from_ref(w)))
            .collect();
    }
    words.windows(3).map(hash).collect()
}

/// The Jaccard similarity of two shingle sets, in percent (0 when both are empty).
#[must_use]
pub fn similarity_percent(a: &BTreeSet<u64>, b: &BTreeSet<u64>) -> u8 {
    let union = a.union(b).count();
    if union == 0 {
        return 0;
    }
    let common = a.intersection(b).count();
    u8::try_from(common * 100 / union).unwrap_or(100)
}

/// What colleagues' posts say about a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sameness {
    /// How many colleagues' posts were compared.
    pub compared: usize,
    /// How many of them are nearly the same words as the draft.
    pub nearly_same: usize,
}

/// Compares `draft` with one post per colleague (`colleagues`, already shingled); `None` when
/// fewer than `k` colleagues posted, or the draft has no words.
#[must_use]
pub fn among_colleagues(
    draft: &str,
    colleagues: &[BTreeSet<u64>],
    k: MinGroupSize,
) -> Option<Sameness> {
    if colleagues.len() < k.get() {
        return None;
    }
    let mine = shingles(draft);
    if mine.is_empty() {
        return None;
    }
    let nearly_same = colleagues
        .iter()
        .filter(|theirs| similarity_percent(&mine, theirs) >= NEARLY_SAME_PERCENT)
        .count();
    Some(Sameness {
        compared: colleagues.len(),
        nearly_same,
    })
}

/// How far a post went from the suggested copy: what editors see of an item's posts, counted
/// through the minimum group size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variety {
    /// Nearly the suggested words ([`NEARLY_SAME_PERCENT`] or more).
    NearlySuggested,
    /// Partly the suggested words ([`CLOSE_PERCENT`] or more).
    Close,
    /// The person's own words.
    OwnWords,
}

/// From this similarity with the suggested copy (in percent), a post is "close" to it.
pub const CLOSE_PERCENT: u8 = 30;

impl Variety {
    /// The stored name, for labels.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Variety::NearlySuggested => "nearly_suggested",
            Variety::Close => "close",
            Variety::OwnWords => "own_words",
        }
    }

    /// How far `post` went from `suggested` (already shingled).
    #[must_use]
    pub fn of(post: &str, suggested: &BTreeSet<u64>) -> Variety {
        let percent = similarity_percent(&shingles(post), suggested);
        if percent >= NEARLY_SAME_PERCENT {
            Variety::NearlySuggested
        } else if percent >= CLOSE_PERCENT {
            Variety::Close
        } else {
            Variety::OwnWords
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: usize) -> MinGroupSize {
        MinGroupSize::new(n).unwrap()
    }

    const SUGGESTED: &str = "Our new solar farm in Lyon powers 4,000 homes. Proud of the team!";

    #[test]
    fn links_case_and_punctuation_do_not_make_posts_different() {
        let a = shingles(&format!("{SUGGESTED} https://chorus.example/l/abc"));
        let b = shingles(
            "our NEW solar farm in lyon powers 4,000 homes... proud of the team https://chorus.example/l/xyz @ana",
        );
        assert_eq!(similarity_percent(&a, &b), 100);
        let own = shingles(
            "I spent two years on the Lyon solar farm: seeing it power 4,000 homes today is why I do this job.",
        );
        assert!(
            similarity_percent(&a, &own) < 20,
            "{}",
            similarity_percent(&a, &own)
        );
        assert_eq!(similarity_percent(&BTreeSet::new(), &BTreeSet::new()), 0);
    }

    #[test]
    fn posts_are_sorted_by_how_far_they_went_from_the_suggestion() {
        let suggested = shingles(SUGGESTED);
        assert_eq!(
            Variety::of(
                &format!("{SUGGESTED} #employee https://x.example/l/1"),
                &suggested
            ),
            Variety::NearlySuggested
        );
        assert_eq!(
            Variety::of(
                "Our new solar farm in Lyon powers 4,000 homes. I worked on the grid link myself.",
                &suggested
            ),
            Variety::Close
        );
        assert_eq!(
            Variety::of(
                "Two years of work, and the sun now lights 4,000 homes near Lyon.",
                &suggested
            ),
            Variety::OwnWords
        );
    }

    #[test]
    fn colleagues_are_counted_only_from_k_and_never_below() {
        let same = shingles(SUGGESTED);
        let different = shingles("Something else entirely, written in my own words for once.");
        let four = vec![same.clone(), same.clone(), same.clone(), different.clone()];
        assert_eq!(among_colleagues(SUGGESTED, &four, k(5)), None, "4 < k");
        let five = vec![
            same.clone(),
            same.clone(),
            same,
            different.clone(),
            different,
        ];
        assert_eq!(
            among_colleagues(SUGGESTED, &five, k(5)),
            Some(Sameness {
                compared: 5,
                nearly_same: 3
            })
        );
        assert_eq!(
            among_colleagues(
                "Something else entirely, written in my own words for once!",
                &five,
                k(5)
            )
            .map(|s| s.nearly_same),
            Some(2)
        );
        assert_eq!(among_colleagues("  ", &five, k(5)), None);
    }
}
