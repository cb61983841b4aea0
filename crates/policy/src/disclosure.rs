//! The disclosure an ambassador is invited to add: "#employee", "I work at ACME"...
//!
//! Employees who speak about their employer should say so (for example the US FTC endorsement
//! guides). The organisation chooses the text per language; Chorus suggests it when a draft
//! lacks it, and never blocks a post for it. Matching is word by word, ignoring case and the
//! punctuation around words, so "I work at ACME!" and "(#Employee)" count; a leading `#` or `@`
//! is part of a word, so "#employee" is not found in "employee" nor in "#employeelife".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// A disclosure text with at least one word.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Disclosure(String);

impl Disclosure {
    /// Checks a disclosure text typed by an admin or editor; surrounding spaces are trimmed.
    ///
    /// # Errors
    /// [`PolicyError::EmptyDisclosure`] when it has no word in it.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let text = text.trim();
        if words(text).is_empty() {
            return Err(PolicyError::EmptyDisclosure);
        }
        Ok(Disclosure(text.to_owned()))
    }

    /// The text as the organisation wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Disclosure {
    type Error = PolicyError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Disclosure::parse(&text)
    }
}

impl From<Disclosure> for String {
    fn from(disclosure: Disclosure) -> String {
        disclosure.0
    }
}

/// Whether `text` already contains `disclosure`, ignoring case and surrounding punctuation.
pub fn contains_disclosure(text: &str, disclosure: &Disclosure) -> bool {
    let wanted = words(disclosure.as_str());
    let found = words(text);
    !wanted.is_empty()
        && found
            .windows(wanted.len())
            .any(|window| window == wanted.as_slice())
}

/// The organisation's disclosures, one per language tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Disclosures(BTreeMap<String, Disclosure>);

impl Disclosures {
    /// Sets the disclosure for `lang` (stored lower-case, such as `fr` or `fr-ca`).
    pub fn set(&mut self, lang: &str, disclosure: Disclosure) {
        self.0.insert(lang.trim().to_ascii_lowercase(), disclosure);
    }

    /// Removes the disclosure for `lang`.
    pub fn remove(&mut self, lang: &str) -> Option<Disclosure> {
        self.0.remove(&lang.trim().to_ascii_lowercase())
    }

    /// The disclosure for a post in `lang`: an exact tag first (`fr-ca`), then its language
    /// (`fr`). No other language stands in: suggesting English words in a French post helps
    /// nobody, so a language without a disclosure gets no suggestion.
    pub fn for_language(&self, lang: &str) -> Option<&Disclosure> {
        let lang = lang.trim().to_ascii_lowercase().replace('_', "-");
        let primary = lang.split('-').next().unwrap_or_default();
        self.0.get(&lang).or_else(|| self.0.get(primary))
    }
}

/// The words of `text`, lower-cased, without the punctuation around them; a leading `#` or `@`
/// stays. Typographic apostrophes become straight ones so "I’m" matches "I'm".
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|word| {
            word.trim_end_matches(|c: char| !c.is_alphanumeric())
                .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '@')
        })
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| word.replace(['\u{2019}', '\u{2018}'], "'").to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn disclosure(text: &str) -> Disclosure {
        Disclosure::parse(text).unwrap()
    }

    #[test]
    fn found_whatever_the_case_and_punctuation_around_it() {
        let hashtag = disclosure("#employee");
        for text in [
            "Great news #Employee",
            "(#employee)",
            "great!\n#EMPLOYEE.",
            "#employee: yes",
        ] {
            assert!(contains_disclosure(text, &hashtag), "{text:?}");
        }
        let sentence = disclosure("I work at ACME");
        for text in [
            "Proud of this. I work at ACME!",
            "i  work\nat acme, and",
            "(I work at «ACME»)",
        ] {
            assert!(contains_disclosure(text, &sentence), "{text:?}");
        }
        let apostrophe = disclosure("I'm an ACME employee");
        assert!(contains_disclosure("I’m an ACME employee.", &apostrophe));
    }

    #[test]
    fn not_found_in_other_words() {
        let hashtag = disclosure("#employee");
        for text in ["employee of the month", "#employeelife", "#employees", ""] {
            assert!(!contains_disclosure(text, &hashtag), "{text:?}");
        }
        let sentence = disclosure("I work at ACME");
        assert!(!contains_disclosure("I work at ACMEcorp", &sentence));
        assert!(!contains_disclosure("ACME at work I", &sentence));
    }

    #[test]
    fn an_empty_disclosure_is_refused() {
        assert_eq!(Disclosure::parse("  "), Err(PolicyError::EmptyDisclosure));
        assert_eq!(Disclosure::parse("!!"), Err(PolicyError::EmptyDisclosure));
        assert!(serde_json::from_str::<Disclosure>("\" \"").is_err());
        assert_eq!(disclosure("  #staff ").as_str(), "#staff");
    }

    #[test]
    fn each_language_has_its_own_disclosure() {
        let mut set = Disclosures::default();
        set.set("EN", disclosure("I work at ACME"));
        set.set("fr", disclosure("Je travaille chez ACME"));
        set.set("fr-CA", disclosure("Je travaille chez ACME Canada"));
        assert_eq!(
            set.for_language("en-GB").unwrap().as_str(),
            "I work at ACME"
        );
        assert_eq!(
            set.for_language("fr_FR").unwrap().as_str(),
            "Je travaille chez ACME"
        );
        assert_eq!(
            set.for_language("fr-ca").unwrap().as_str(),
            "Je travaille chez ACME Canada"
        );
        assert_eq!(set.for_language("de"), None);
        assert!(set.remove("fr-ca").is_some());
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(serde_json::from_str::<Disclosures>(&json).unwrap(), set);
    }

    proptest! {
        /// Adding the disclosure anywhere between words, in any case, is always found.
        #[test]
        fn an_added_disclosure_is_always_found(
            before in "[a-z ,.!]{0,30}",
            after in "[a-z ,.!]{0,30}",
            upper in any::<bool>(),
        ) {
            let wanted = disclosure("I work at ACME");
            let added = if upper { "I WORK AT ACME" } else { "i work at acme" };
            let text = format!("{before} {added}. {after}");
            prop_assert!(contains_disclosure(&text, &wanted));
        }
    }
}
