//! Guidelines and consent: an employee becomes an ambassador only by accepting the current
//! guidelines, and can withdraw at any time with one action.
//!
//! The rule for a new version of the guidelines (the stricter reading of the issue):
//! publishing it pauses nothing already scheduled, but every *new* share needs the new version
//! accepted. So an acceptance of an older version still lets shares the person already chose
//! go out ([`ConsentState::scheduled_shares_may_publish`]), while
//! [`ConsentState::is_ambassador`] is false until they accept again, and the hub asks them to
//! ([`ConsentState::needs_reacceptance`]). Withdrawal pauses everything at once; nobody who
//! withdrew or never opted in is asked again (no nagging).

use serde::{Deserialize, Serialize};

use crate::{PersonId, PolicyError};

/// A published version of the organisation's guidelines; versions only grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GuidelineVersion(pub u32);

impl GuidelineVersion {
    /// The version that publishing a new text creates.
    #[must_use]
    pub fn next(self) -> Self {
        GuidelineVersion(self.0.saturating_add(1))
    }
}

/// Where one person stands with the guidelines. Times are Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConsentState {
    /// Never accepted: nothing about them is collected beyond their account.
    #[default]
    NeverOptedIn,
    /// Accepted `version` at `at`.
    Accepted {
        /// The version accepted.
        version: GuidelineVersion,
        /// When.
        at: i64,
    },
    /// Withdrew at `at`, having last accepted `last_version`.
    Withdrawn {
        /// When they withdrew.
        at: i64,
        /// The last version they had accepted.
        last_version: GuidelineVersion,
    },
}

impl ConsentState {
    /// Accepting `version` at `now`, from any state (withdrawing is never final).
    ///
    /// # Errors
    /// [`PolicyError::OlderGuidelines`] when `version` is older than one already accepted, as
    /// when a page stayed open while a new version was published.
    pub fn accept(self, version: GuidelineVersion, now: i64) -> Result<Self, PolicyError> {
        if let Some(accepted) = self.last_accepted_version()
            && version < accepted
        {
            return Err(PolicyError::OlderGuidelines {
                accepted: accepted.0,
                offered: version.0,
            });
        }
        Ok(ConsentState::Accepted { version, at: now })
    }

    /// Withdrawing at `now`: takes effect at once. Withdrawing twice keeps the first time.
    ///
    /// # Errors
    /// [`PolicyError::NothingToWithdraw`] for someone who never opted in.
    pub fn withdraw(self, now: i64) -> Result<Self, PolicyError> {
        match self {
            ConsentState::NeverOptedIn => Err(PolicyError::NothingToWithdraw),
            ConsentState::Accepted { version, .. } => Ok(ConsentState::Withdrawn {
                at: now,
                last_version: version,
            }),
            ConsentState::Withdrawn { .. } => Ok(self),
        }
    }

    /// Whether they accepted some version and have not withdrawn.
    pub fn is_opted_in(self) -> bool {
        matches!(self, ConsentState::Accepted { .. })
    }

    /// Whether they are an active ambassador: only an acceptance of `current` counts.
    pub fn is_ambassador(self, current: GuidelineVersion) -> bool {
        matches!(self, ConsentState::Accepted { version, .. } if version == current)
    }

    /// Whether to ask them to read and accept `current`: they accepted an older version and are
    /// still opted in. Someone who withdrew or never opted in is not asked.
    pub fn needs_reacceptance(self, current: GuidelineVersion) -> bool {
        matches!(self, ConsentState::Accepted { version, .. } if version < current)
    }

    /// Whether shares they already scheduled may still go out: yes while they are opted in,
    /// whatever version they accepted; no from the moment they withdraw.
    pub fn scheduled_shares_may_publish(self) -> bool {
        self.is_opted_in()
    }

    /// The version they last accepted, to show what changed since.
    pub fn last_accepted_version(self) -> Option<GuidelineVersion> {
        match self {
            ConsentState::NeverOptedIn => None,
            ConsentState::Accepted { version, .. } => Some(version),
            ConsentState::Withdrawn { last_version, .. } => Some(last_version),
        }
    }

    /// The state that a person's stored receipts describe: the latest receipt decides.
    pub fn from_receipts(receipts: &[ConsentReceipt]) -> Self {
        match receipts.iter().max_by_key(|r| (r.accepted_at, r.version)) {
            None => ConsentState::NeverOptedIn,
            Some(latest) => match latest.withdrawn_at {
                None => ConsentState::Accepted {
                    version: latest.version,
                    at: latest.accepted_at,
                },
                Some(at) => ConsentState::Withdrawn {
                    at,
                    last_version: latest.version,
                },
            },
        }
    }
}

/// The record of one acceptance, shown to the person on their transparency page and included
/// in their export. A later receipt supersedes it; withdrawing closes the latest one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentReceipt {
    /// Who accepted.
    pub person: PersonId,
    /// Which version.
    pub version: GuidelineVersion,
    /// When, in Unix seconds.
    pub accepted_at: i64,
    /// When they withdrew, if they did.
    pub withdrawn_at: Option<i64>,
}

impl ConsentReceipt {
    /// The receipt of accepting `version` at `at`.
    pub fn accepted(person: PersonId, version: GuidelineVersion, at: i64) -> Self {
        ConsentReceipt {
            person,
            version,
            accepted_at: at,
            withdrawn_at: None,
        }
    }

    /// The same receipt, closed by a withdrawal at `at` (an earlier withdrawal is kept).
    #[must_use]
    pub fn withdrawn(self, at: i64) -> Self {
        ConsentReceipt {
            withdrawn_at: Some(self.withdrawn_at.unwrap_or(at)),
            ..self
        }
    }
}

const GUIDELINES_EN: &str = include_str!("guidelines/en.md");
const GUIDELINES_FR: &str = include_str!("guidelines/fr.md");

/// The guidelines Chorus ships, in Markdown, for `lang` (`en`, `fr`, or a tag such as `fr-CA`);
/// English for any other language. Organisations edit them as their version 1.
pub fn default_guidelines(lang: &str) -> &'static str {
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    if primary.eq_ignore_ascii_case("fr") {
        GUIDELINES_FR
    } else {
        GUIDELINES_EN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: GuidelineVersion = GuidelineVersion(1);
    const V2: GuidelineVersion = GuidelineVersion(2);

    #[test]
    fn only_acceptance_of_the_current_version_makes_an_ambassador() {
        assert!(!ConsentState::NeverOptedIn.is_ambassador(V1));
        let accepted = ConsentState::NeverOptedIn.accept(V1, 100).unwrap();
        assert!(accepted.is_ambassador(V1));
        assert!(!accepted.is_ambassador(V2));
        let withdrawn = accepted.withdraw(200).unwrap();
        assert!(!withdrawn.is_ambassador(V1));
    }

    #[test]
    fn a_new_version_asks_again_but_pauses_nothing_already_scheduled() {
        let accepted = ConsentState::NeverOptedIn.accept(V1, 100).unwrap();
        assert!(!accepted.needs_reacceptance(V1));
        assert!(accepted.needs_reacceptance(V2));
        assert!(
            !accepted.is_ambassador(V2),
            "new shares need the new version"
        );
        assert!(accepted.scheduled_shares_may_publish());
        let again = accepted.accept(V2, 300).unwrap();
        assert!(again.is_ambassador(V2) && !again.needs_reacceptance(V2));
        assert_eq!(accepted.last_accepted_version(), Some(V1));
    }

    #[test]
    fn withdrawal_takes_effect_at_once_and_nobody_is_nagged() {
        let withdrawn = ConsentState::NeverOptedIn
            .accept(V1, 100)
            .unwrap()
            .withdraw(200)
            .unwrap();
        assert_eq!(
            withdrawn,
            ConsentState::Withdrawn {
                at: 200,
                last_version: V1
            }
        );
        assert!(!withdrawn.scheduled_shares_may_publish());
        assert!(!withdrawn.needs_reacceptance(V2));
        assert!(!ConsentState::NeverOptedIn.needs_reacceptance(V2));
        assert_eq!(
            withdrawn.withdraw(300).unwrap(),
            withdrawn,
            "the first time is kept"
        );
        assert!(
            withdrawn.accept(V2, 400).unwrap().is_ambassador(V2),
            "one can come back"
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            ConsentState::NeverOptedIn.withdraw(1),
            Err(PolicyError::NothingToWithdraw)
        );
        let on_v2 = ConsentState::NeverOptedIn.accept(V2, 1).unwrap();
        assert_eq!(
            on_v2.accept(V1, 2),
            Err(PolicyError::OlderGuidelines {
                accepted: 2,
                offered: 1
            })
        );
    }

    #[test]
    fn receipts_describe_the_state_and_serialise() {
        let me = PersonId(7);
        assert_eq!(ConsentState::from_receipts(&[]), ConsentState::NeverOptedIn);
        let first = ConsentReceipt::accepted(me, V1, 100);
        let second = ConsentReceipt::accepted(me, V2, 200);
        let state = ConsentState::from_receipts(&[second.clone(), first.clone()]);
        assert_eq!(
            state,
            ConsentState::Accepted {
                version: V2,
                at: 200
            }
        );
        let closed = second.withdrawn(300).withdrawn(400);
        assert_eq!(closed.withdrawn_at, Some(300));
        let state = ConsentState::from_receipts(&[first, closed.clone()]);
        assert_eq!(
            state,
            ConsentState::Withdrawn {
                at: 300,
                last_version: V2
            }
        );
        let json = serde_json::to_value(&closed).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"person": 7, "version": 2, "accepted_at": 200, "withdrawn_at": 300})
        );
        assert_eq!(
            serde_json::from_value::<ConsentReceipt>(json).unwrap(),
            closed
        );
    }

    #[test]
    fn default_guidelines_exist_in_english_and_french() {
        let en = default_guidelines("en");
        let fr = default_guidelines("fr-CA");
        assert_ne!(en, fr);
        assert_eq!(default_guidelines("de"), en);
        for (text, words) in [
            (
                en,
                [
                    "yourself",
                    "work here",
                    "confidential",
                    "say no",
                    "withdraw",
                ],
            ),
            (
                fr,
                [
                    "vous-même",
                    "travaillez ici",
                    "confidentiel",
                    "dire non",
                    "retirer",
                ],
            ),
        ] {
            assert!(text.starts_with("# "));
            for word in words {
                assert!(text.contains(word), "{word:?} missing");
            }
        }
    }
}
