//! Visibility choices, each off by default, and who can see what Chorus stores about a person.
//!
//! The transparency page is generated from [`transparency`]: for each [`PersonalDatum`], the
//! [`Audience`] that can see it given the person's current [`VisibilityChoices`]. The rules are
//! one table ([`rules`]), so the page and the code that enforces them cannot drift apart.
//! Choices take effect at once, for past figures too, because every page asks again.

use serde::{Deserialize, Serialize};

use crate::consent::ConsentState;
use crate::{PersonId, PolicyError};

/// What a person chose to show of themselves. Both choices are off until they turn them on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct VisibilityChoices {
    /// Be named in statistics and in any recognition; otherwise counted only inside totals.
    pub be_named_in_statistics: bool,
    /// Show my name, to my colleagues, on content I shared.
    pub show_name_on_shared_content: bool,
}

impl VisibilityChoices {
    /// The choices as they apply given `consent`: someone who withdrew (or never opted in) is
    /// named nowhere, whatever they chose before; their history stays visible to them alone.
    #[must_use]
    pub fn honoured(self, consent: &ConsentState) -> Self {
        if consent.is_opted_in() {
            self
        } else {
            VisibilityChoices::default()
        }
    }
}

/// A figure about one named person; it exists only for people who chose to be named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named<T> {
    person: PersonId,
    value: T,
}

impl<T> Named<T> {
    /// Names `person` beside `value`. Pass choices through [`VisibilityChoices::honoured`];
    /// next to other figures, use [`crate::DifferenceGuard::named`].
    ///
    /// # Errors
    /// [`PolicyError::NotOptedIntoNaming`] unless `choices.be_named_in_statistics`.
    pub fn new(
        person: PersonId,
        choices: &VisibilityChoices,
        value: T,
    ) -> Result<Self, PolicyError> {
        if !choices.be_named_in_statistics {
            return Err(PolicyError::NotOptedIntoNaming);
        }
        Ok(Named { person, value })
    }

    /// Who it names.
    pub fn person(&self) -> PersonId {
        self.person
    }

    /// The figure.
    pub fn value(&self) -> &T {
        &self.value
    }
}

/// Everything Chorus stores about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalDatum {
    /// The email address of their account.
    AccountEmail,
    /// Their display name.
    AccountName,
    /// The roles they hold.
    Roles,
    /// Each acceptance and withdrawal of the guidelines.
    ConsentReceipts,
    /// The social accounts they connected, and their health.
    ConnectedAccounts,
    /// Which content they shared, where and when.
    Shares,
    /// The text of each share as they wrote it.
    ShareText,
    /// Clicks on the tracked link of each share.
    ClicksPerShare,
    /// The items they passed on, with the reason they gave.
    NotForMeAnswers,
    /// Who viewed statistics that include them, with the filter used.
    StatisticsViews,
}

impl PersonalDatum {
    /// Every datum, in the order the transparency page lists them.
    pub const ALL: [PersonalDatum; 10] = [
        PersonalDatum::AccountEmail,
        PersonalDatum::AccountName,
        PersonalDatum::Roles,
        PersonalDatum::ConsentReceipts,
        PersonalDatum::ConnectedAccounts,
        PersonalDatum::Shares,
        PersonalDatum::ShareText,
        PersonalDatum::ClicksPerShare,
        PersonalDatum::NotForMeAnswers,
        PersonalDatum::StatisticsViews,
    ];
}

/// How much of a datum a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// Only inside totals of at least `k` people.
    Aggregated,
    /// With the person's name.
    Named,
}

/// Who can see a datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The person themselves: always, everything.
    Themselves,
    /// Admins, who run the installation: the account only.
    Admins,
    /// Analysts (marketing).
    Analysts(Detail),
    /// Editors (the comms team).
    Editors(Detail),
    /// Every colleague using Chorus.
    Colleagues,
}

/// A visibility choice a rule depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// [`VisibilityChoices::be_named_in_statistics`].
    NamedInStatistics,
    /// [`VisibilityChoices::show_name_on_shared_content`].
    NameOnSharedContent,
}

impl Choice {
    fn is_on(self, choices: VisibilityChoices) -> bool {
        match self {
            Choice::NamedInStatistics => choices.be_named_in_statistics,
            Choice::NameOnSharedContent => choices.show_name_on_shared_content,
        }
    }
}

/// When a role sees a datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always (for roles without a [`Detail`], and for aggregated figures).
    Always,
    /// Aggregated, or named if the person made the choice.
    NamedIf(Choice),
    /// Only if the person made the choice (and then named).
    OnlyIf(Choice),
}

/// The roles that may see a datum, with the condition for each. Themselves always come first.
pub fn rules(item: PersonalDatum) -> &'static [(Audience, When)] {
    use Audience::{Admins, Analysts, Colleagues, Editors, Themselves};
    use Choice::{NameOnSharedContent as OnContent, NamedInStatistics as InStatistics};
    use Detail::{Aggregated, Named};
    use When::{Always, NamedIf, OnlyIf};
    match item {
        PersonalDatum::AccountEmail | PersonalDatum::Roles => {
            &[(Themselves, Always), (Admins, Always)]
        }
        PersonalDatum::AccountName => &[
            (Themselves, Always),
            (Admins, Always),
            (Analysts(Named), OnlyIf(InStatistics)),
            (Editors(Named), OnlyIf(OnContent)),
            (Colleagues, OnlyIf(OnContent)),
        ],
        // Participation is a statistic: how many opted in, never who.
        PersonalDatum::ConsentReceipts => &[(Themselves, Always), (Analysts(Aggregated), Always)],
        // Account health is told to its owner, never to a manager; share texts stay theirs.
        PersonalDatum::ConnectedAccounts
        | PersonalDatum::ShareText
        | PersonalDatum::StatisticsViews => &[(Themselves, Always)],
        PersonalDatum::Shares => &[
            (Themselves, Always),
            (Analysts(Aggregated), NamedIf(InStatistics)),
            (Editors(Aggregated), NamedIf(OnContent)),
            (Colleagues, OnlyIf(OnContent)),
        ],
        PersonalDatum::ClicksPerShare => &[
            (Themselves, Always),
            (Analysts(Aggregated), NamedIf(InStatistics)),
            (Editors(Aggregated), Always),
        ],
        // Passing on an item is never named, whatever the choices.
        PersonalDatum::NotForMeAnswers => &[(Themselves, Always), (Editors(Aggregated), Always)],
    }
}

/// Who can see `item` about a person with these `choices`, Themselves first.
pub fn audience(item: PersonalDatum, choices: &VisibilityChoices) -> Vec<Audience> {
    rules(item)
        .iter()
        .filter_map(|&(audience, when)| match when {
            When::NamedIf(choice) if choice.is_on(*choices) => Some(named(audience)),
            When::Always | When::NamedIf(_) => Some(audience),
            When::OnlyIf(choice) => choice.is_on(*choices).then_some(audience),
        })
        .collect()
}

fn named(audience: Audience) -> Audience {
    match audience {
        Audience::Analysts(_) => Audience::Analysts(Detail::Named),
        Audience::Editors(_) => Audience::Editors(Detail::Named),
        other => other,
    }
}

/// One line of the transparency page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransparencyRow {
    /// What is stored.
    pub datum: PersonalDatum,
    /// Who can see it now.
    pub audience: Vec<Audience>,
}

/// The transparency page's table for a person with these choices, every datum in order.
pub fn transparency(choices: &VisibilityChoices) -> Vec<TransparencyRow> {
    PersonalDatum::ALL
        .into_iter()
        .map(|datum| TransparencyRow {
            datum,
            audience: audience(datum, choices),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::GuidelineVersion;

    const ALL_ON: VisibilityChoices = VisibilityChoices {
        be_named_in_statistics: true,
        show_name_on_shared_content: true,
    };

    fn every_choice() -> impl Iterator<Item = VisibilityChoices> {
        (0..4).map(|bits| VisibilityChoices {
            be_named_in_statistics: bits & 1 == 1,
            show_name_on_shared_content: bits & 2 == 2,
        })
    }

    fn names(audience: &[Audience]) -> bool {
        audience.iter().any(|a| {
            matches!(
                a,
                Audience::Analysts(Detail::Named)
                    | Audience::Editors(Detail::Named)
                    | Audience::Colleagues
            )
        })
    }

    #[test]
    fn choices_are_off_by_default_even_when_missing_from_storage() {
        let default = VisibilityChoices::default();
        assert!(!default.be_named_in_statistics && !default.show_name_on_shared_content);
        let stored: VisibilityChoices = serde_json::from_str("{}").unwrap();
        assert_eq!(stored, VisibilityChoices::default());
    }

    #[test]
    fn by_default_nobody_but_themselves_and_admins_sees_anything_named() {
        for row in transparency(&VisibilityChoices::default()) {
            assert_eq!(row.audience[0], Audience::Themselves, "{:?}", row.datum);
            assert!(!names(&row.audience), "{:?} is named by default", row.datum);
        }
    }

    #[test]
    fn admins_see_the_account_only() {
        for datum in PersonalDatum::ALL {
            let account = matches!(
                datum,
                PersonalDatum::AccountEmail | PersonalDatum::AccountName | PersonalDatum::Roles
            );
            assert_eq!(
                audience(datum, &ALL_ON).contains(&Audience::Admins),
                account,
                "{datum:?}"
            );
        }
    }

    #[test]
    fn some_things_stay_theirs_whatever_they_choose() {
        for choices in every_choice() {
            for datum in [
                PersonalDatum::ConnectedAccounts,
                PersonalDatum::ShareText,
                PersonalDatum::StatisticsViews,
            ] {
                assert_eq!(audience(datum, &choices), [Audience::Themselves]);
            }
            assert!(!names(&audience(PersonalDatum::NotForMeAnswers, &choices)));
            assert!(!names(&audience(PersonalDatum::ConsentReceipts, &choices)));
        }
    }

    #[test]
    fn each_choice_names_them_to_exactly_its_audience() {
        let in_statistics = VisibilityChoices {
            be_named_in_statistics: true,
            ..VisibilityChoices::default()
        };
        let shares = audience(PersonalDatum::Shares, &in_statistics);
        assert!(shares.contains(&Audience::Analysts(Detail::Named)));
        assert!(shares.contains(&Audience::Editors(Detail::Aggregated)));
        assert!(!shares.contains(&Audience::Colleagues));

        let on_content = VisibilityChoices {
            show_name_on_shared_content: true,
            ..VisibilityChoices::default()
        };
        let shares = audience(PersonalDatum::Shares, &on_content);
        assert!(shares.contains(&Audience::Analysts(Detail::Aggregated)));
        assert!(shares.contains(&Audience::Editors(Detail::Named)));
        assert!(shares.contains(&Audience::Colleagues));
        let name = audience(PersonalDatum::AccountName, &on_content);
        assert!(name.contains(&Audience::Colleagues));
        assert!(!name.contains(&Audience::Analysts(Detail::Named)));
    }

    #[test]
    fn turning_a_choice_on_only_adds_or_names() {
        let base = |a: Audience| match a {
            Audience::Analysts(_) => Audience::Analysts(Detail::Aggregated),
            Audience::Editors(_) => Audience::Editors(Detail::Aggregated),
            other => other,
        };
        for datum in PersonalDatum::ALL {
            let off = audience(datum, &VisibilityChoices::default());
            let on: Vec<_> = audience(datum, &ALL_ON).into_iter().map(base).collect();
            for a in off {
                assert!(on.contains(&a), "{datum:?}: {a:?} lost when choices are on");
            }
        }
    }

    #[test]
    fn withdrawal_names_them_nowhere() {
        let withdrawn = ConsentState::Withdrawn {
            at: 1,
            last_version: GuidelineVersion(1),
        };
        let accepted = ConsentState::Accepted {
            version: GuidelineVersion(1),
            at: 1,
        };
        assert_eq!(ALL_ON.honoured(&withdrawn), VisibilityChoices::default());
        assert_eq!(
            ALL_ON.honoured(&ConsentState::NeverOptedIn),
            VisibilityChoices::default()
        );
        assert_eq!(ALL_ON.honoured(&accepted), ALL_ON);
        let err = Named::new(PersonId(1), &ALL_ON.honoured(&withdrawn), 3).unwrap_err();
        assert_eq!(err, PolicyError::NotOptedIntoNaming);
    }

    #[test]
    fn named_figures_exist_only_for_people_who_opted_in() {
        assert!(Named::new(PersonId(1), &VisibilityChoices::default(), 3).is_err());
        let named = Named::new(PersonId(1), &ALL_ON, 3).unwrap();
        assert_eq!((named.person(), *named.value()), (PersonId(1), 3));
    }

    #[test]
    fn the_transparency_table_serialises_for_the_page() {
        let rows = serde_json::to_value(transparency(&ALL_ON)).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), PersonalDatum::ALL.len());
        assert_eq!(
            rows[5],
            serde_json::json!({"datum": "shares", "audience": [
                "themselves", {"analysts": "named"}, {"editors": "named"}, "colleagues"
            ]})
        );
    }
}
