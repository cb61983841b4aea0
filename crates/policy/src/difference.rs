//! Refusing figures that reveal one person by difference with figures already shown.
//!
//! Each figure of an [`AggregateTable`] has at least `k` people behind it, but two figures can
//! still give someone away: "the team" next to "the team minus Alice", or "January" next to
//! "January without its last day" when only Alice shared on that day. A [`DifferenceGuard`]
//! holds the [`Population`] behind every figure already shown in a session or report (or behind
//! a parent figure) and refuses a new figure whose population differs from any of them by 1 to
//! `k - 1` people, with [`PolicyError::WouldRevealIndividual`].
//!
//! A population is a set of records (a share, a share and hour...) with the person behind each,
//! and two populations "differ by" the distinct people behind the records in one and not the
//! other. When every record is 0 this is the symmetric difference of two sets of people. The
//! empty population is always remembered, so a figure about 1 to `k - 1` people is refused too.
//!
//! Named figures ([`Named`]) are remembered as well: a total of five people next to four of them
//! named would name the fifth, so the people of a figure who are not named must be none or at
//! least `k`. The guard compares figures two by two, plus the named people as one set; deeper
//! combinations of many figures are kept out by showing few overlapping reports per session.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::group_size::{AggregateTable, Contribution, Measure, MinGroupSize};
use crate::visibility::{Named, VisibilityChoices};
use crate::{PersonId, PolicyError};

/// The records behind one figure, each with the person it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Population {
    records: BTreeSet<(PersonId, u64)>,
}

impl Population {
    /// A population of people, when figures are compared person by person.
    pub fn of_people(people: impl IntoIterator<Item = PersonId>) -> Self {
        Population::from_records(people.into_iter().map(|person| (person, 0)).collect())
    }

    /// A population of records: `(person, record)` pairs, as in [`Contribution`].
    pub fn of_records(records: impl IntoIterator<Item = (PersonId, u64)>) -> Self {
        Population::from_records(records.into_iter().collect())
    }

    pub(crate) fn from_records(records: BTreeSet<(PersonId, u64)>) -> Self {
        Population { records }
    }

    /// How many distinct people are behind it.
    pub fn people(&self) -> usize {
        self.people_set().len()
    }

    fn people_set(&self) -> BTreeSet<PersonId> {
        self.records.iter().map(|(person, _)| *person).collect()
    }

    /// Whether `person` is behind any of its records.
    fn has(&self, person: PersonId) -> bool {
        self.records
            .range((person, 0)..=(person, u64::MAX))
            .next()
            .is_some()
    }

    /// How many distinct people are behind the records in one population and not the other.
    pub fn people_differing_from(&self, other: &Population) -> usize {
        people_apart(&self.records, &other.records)
    }
}

/// How many distinct people are behind the records in one set and not the other.
pub(crate) fn people_apart(a: &BTreeSet<(PersonId, u64)>, b: &BTreeSet<(PersonId, u64)>) -> usize {
    a.symmetric_difference(b)
        .map(|(person, _)| *person)
        .collect::<BTreeSet<_>>()
        .len()
}

/// Remembers what a session or report has shown and refuses what would reveal someone by
/// difference. Keep one per session or report (it serialises, so it can be stored with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifferenceGuard {
    k: MinGroupSize,
    shown: Vec<Shown>,
    named: BTreeSet<PersonId>,
}

/// A population remembered, with its people counted: naming one more person then checks each
/// remembered figure in logarithmic time, not by reading its records again (with 20,000 people
/// in a view and 2,000 of them named, reading them again was 40 million steps per view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Shown {
    population: Population,
    /// Distinct people behind it.
    people: usize,
    /// How many of them are named.
    named: usize,
}

impl DifferenceGuard {
    /// A guard that has seen nothing yet.
    pub fn new(k: MinGroupSize) -> Self {
        DifferenceGuard {
            k,
            shown: Vec::new(),
            named: BTreeSet::new(),
        }
    }

    /// The minimum group size it applies.
    pub fn min_group_size(&self) -> MinGroupSize {
        self.k
    }

    /// Whether a figure about `population` may be shown next to everything remembered.
    ///
    /// # Errors
    /// [`PolicyError::WouldRevealIndividual`] when it differs from a remembered population (or
    /// from nothing at all) by 1 to `k - 1` people, or when the people in it who are not named
    /// number 1 to `k - 1`.
    pub fn check(&self, population: &Population) -> Result<(), PolicyError> {
        let k = self.k.get();
        let too_close = |differing: usize| (1..k).contains(&differing);
        let refuse = Err(PolicyError::WouldRevealIndividual { k });
        if too_close(population.people())
            || self
                .shown
                .iter()
                .any(|seen| too_close(seen.population.people_differing_from(population)))
            || reveals_unnamed(&population.records, &self.named, k)
        {
            return refuse;
        }
        Ok(())
    }

    /// Checks `population` and, when it may be shown, remembers it.
    ///
    /// # Errors
    /// As [`DifferenceGuard::check`]; nothing is remembered then.
    pub fn admit(&mut self, population: Population) -> Result<(), PolicyError> {
        self.check(&population)?;
        self.remember(population);
        Ok(())
    }

    /// Remembers a figure shown elsewhere (a parent figure, or one from earlier in the session)
    /// without checking it.
    pub fn remember(&mut self, population: Population) {
        if self.shown.iter().any(|seen| seen.population == population) {
            return;
        }
        let people = population.people_set();
        let named = people.intersection(&self.named).count();
        self.shown.push(Shown {
            population,
            people: people.len(),
            named,
        });
    }

    /// [`MinGroupSize::aggregate`], refused when any figure the table shows differs from one
    /// already shown by 1 to `k - 1` people. The figures of one table are safe together by
    /// construction (see [`crate::group_size`]), so they are only compared with earlier ones.
    ///
    /// # Errors
    /// [`PolicyError::WouldRevealIndividual`]; nothing is remembered then.
    pub fn aggregate<K, V>(
        &mut self,
        rows: impl IntoIterator<Item = Contribution<K, V>>,
    ) -> Result<AggregateTable<K, V>, PolicyError>
    where
        K: Ord + Clone,
        V: Measure,
    {
        let (table, populations) = self.k.build(rows, &BTreeSet::new());
        for population in &populations {
            self.check(population)?;
        }
        for population in populations {
            self.remember(population);
        }
        Ok(table)
    }

    /// A figure naming `person`, who must have chosen to be named, refused when it would leave
    /// 1 to `k - 1` unnamed people in a figure already shown.
    ///
    /// # Errors
    /// [`PolicyError::NotOptedIntoNaming`] or [`PolicyError::WouldRevealIndividual`].
    pub fn named<T>(
        &mut self,
        person: PersonId,
        choices: &VisibilityChoices,
        value: T,
    ) -> Result<Named<T>, PolicyError> {
        let named = Named::new(person, choices, value)?;
        let k = self.k.get();
        let newly = !self.named.contains(&person);
        // Whether each remembered figure would name one more of its people.
        let gains: Vec<bool> = self
            .shown
            .iter()
            .map(|seen| newly && seen.population.has(person))
            .collect();
        let reveals = self.shown.iter().zip(&gains).any(|(seen, &gains)| {
            let named = seen.named + usize::from(gains);
            named > 0 && (1..k).contains(&(seen.people - named))
        });
        if reveals {
            return Err(PolicyError::WouldRevealIndividual { k });
        }
        for (seen, gains) in self.shown.iter_mut().zip(gains) {
            seen.named += usize::from(gains);
        }
        self.named.insert(person);
        Ok(named)
    }
}

/// Whether the people behind `records` include named people (those of `named`) and leave 1 to
/// `k - 1` who are not named.
fn reveals_unnamed(
    records: &BTreeSet<(PersonId, u64)>,
    named: &BTreeSet<PersonId>,
    k: usize,
) -> bool {
    // Records are ordered by person: each person is counted at their first record.
    let mut previous = None;
    let (mut any_named, mut unnamed) = (false, 0);
    for (someone, _) in records {
        if previous == Some(someone) {
            continue;
        }
        previous = Some(someone);
        if named.contains(someone) {
            any_named = true;
        } else {
            unnamed += 1;
        }
    }
    any_named && (1..k).contains(&unnamed)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn people(ids: impl IntoIterator<Item = u64>) -> Population {
        Population::of_people(ids.into_iter().map(PersonId))
    }

    fn guard(k: usize) -> DifferenceGuard {
        DifferenceGuard::new(MinGroupSize::new(k).unwrap())
    }

    fn row(group: &'static str, person: u64, record: u64) -> Contribution<&'static str, u64> {
        Contribution {
            group,
            person: PersonId(person),
            record,
            value: 1,
        }
    }

    const NAMED: VisibilityChoices = VisibilityChoices {
        be_named_in_statistics: true,
        show_name_on_shared_content: false,
    };

    #[test]
    fn team_minus_one_is_refused_after_team() {
        let mut guard = guard(5);
        guard.admit(people(1..=10)).unwrap();
        let err = guard.admit(people(1..=9)).unwrap_err();
        assert_eq!(err, PolicyError::WouldRevealIndividual { k: 5 });
        // The same figure again, or one that differs by k people, is fine.
        guard.admit(people(1..=10)).unwrap();
        guard.admit(people(6..=10)).unwrap();
    }

    #[test]
    fn overlapping_windows_differing_by_one_persons_late_share_are_refused() {
        // Person 3 shared on the 5th (record 5) and on the 31st (record 31); nobody else did
        // on the 31st. The people are the same; the records are not.
        let january: Vec<_> = (1..=10)
            .map(|p| row("all", p, 5))
            .chain([row("all", 3, 31)])
            .collect();
        let mut guard = guard(5);
        guard.aggregate(january.clone()).unwrap();
        let until_the_30th: Vec<_> = january.into_iter().filter(|r| r.record != 31).collect();
        assert!(guard.aggregate(until_the_30th).is_err());
    }

    #[test]
    fn a_population_smaller_than_k_is_refused_on_its_own() {
        assert!(guard(5).check(&people(1..=4)).is_err());
        assert!(guard(5).check(&people(1..=5)).is_ok());
        assert!(guard(5).check(&Population::default()).is_ok());
    }

    #[test]
    fn a_refused_table_leaves_nothing_remembered() {
        let mut guard = guard(3);
        guard.admit(people(1..=6)).unwrap();
        let before = guard.clone();
        let rows: Vec<_> = (1..=5).map(|p| row("a", p, 0)).collect();
        assert!(guard.aggregate(rows).is_err());
        assert_eq!(guard, before);
    }

    #[test]
    fn naming_all_but_a_few_people_of_a_shown_total_is_refused() {
        let mut guard = guard(3);
        guard.admit(people(1..=6)).unwrap();
        for person in 1..=3 {
            guard.named(PersonId(person), &NAMED, 10_u64).unwrap();
        }
        // Naming person 4 would leave only 5 and 6 unnamed in the total of six.
        let err = guard.named(PersonId(4), &NAMED, 7_u64).unwrap_err();
        assert_eq!(err, PolicyError::WouldRevealIndividual { k: 3 });
        // A later figure made of the three named people and two others is refused too...
        assert!(guard.check(&people([1, 2, 3, 7, 8])).is_err());
        // ...but not with three others.
        assert!(guard.check(&people([1, 2, 3, 7, 8, 9])).is_ok());
    }

    #[test]
    fn a_person_who_did_not_opt_in_is_never_named() {
        let err = guard(3)
            .named(PersonId(1), &VisibilityChoices::default(), 1_u64)
            .unwrap_err();
        assert_eq!(err, PolicyError::NotOptedIntoNaming);
    }

    #[test]
    fn the_guard_survives_a_round_trip_through_storage() {
        let mut guard = guard(4);
        guard.admit(people(1..=8)).unwrap();
        let stored = serde_json::to_string(&guard).unwrap();
        let restored: DifferenceGuard = serde_json::from_str(&stored).unwrap();
        assert!(restored.check(&people(1..=7)).is_err());
    }

    /// One record of a view: who, which day, which network, and their team.
    #[derive(Debug, Clone, Copy)]
    struct Record {
        person: u64,
        day: u8,
        network: u8,
    }

    /// A view: a period (both ends included), maybe one team (person parity) and one network,
    /// grouped by day or by network.
    #[derive(Debug, Clone, Copy)]
    struct View {
        from: u8,
        to: u8,
        team: Option<u64>,
        network: Option<u8>,
        by_day: bool,
    }

    impl View {
        fn selects(self, r: &Record) -> bool {
            (self.from..=self.to).contains(&r.day)
                && self.team.is_none_or(|t| r.person % 2 == t)
                && self.network.is_none_or(|n| r.network == n)
        }

        fn group(self, r: &Record) -> u8 {
            if self.by_day { r.day } else { r.network }
        }
    }

    fn view() -> impl Strategy<Value = View> {
        (
            0_u8..12,
            0_u8..12,
            prop::option::of(0_u64..2),
            prop::option::of(0_u8..3),
            any::<bool>(),
        )
            .prop_map(|(a, b, team, network, by_day)| View {
                from: a.min(b),
                to: a.max(b),
                team,
                network,
                by_day,
            })
    }

    #[derive(Debug, Clone)]
    enum Step {
        Remember(BTreeSet<u64>),
        Name(u64),
    }

    proptest! {
        /// Any sequence of views of the same records, each built through one guard (a view
        /// whose figures would reveal someone is refused and shows nothing): no two figures
        /// shown, in one view or in two, differ by the records of 1 to k - 1 people. The usual
        /// attacks are in the sequences: a period with one end moved by a day, the same view
        /// narrowed to a team or a network.
        #[test]
        fn no_two_figures_of_a_sequence_of_views_differ_by_fewer_than_k_people(
            k in 3_usize..6,
            records in prop::collection::vec((0_u64..16, 0_u8..12, 0_u8..3), 0..80),
            first in view(),
            steps in prop::collection::vec((view(), 0_u8..4, -2_i8..3), 1..8),
        ) {
            let records: Vec<Record> = records
                .into_iter()
                .map(|(person, day, network)| Record { person, day, network })
                .collect();
            let mut views = vec![first];
            for (other, how, by) in steps {
                let last = *views.last().unwrap();
                let moved = |day: u8| day.saturating_add_signed(by).min(11);
                views.push(match how {
                    0 => other,
                    1 => View { from: moved(last.from).min(last.to), ..last },
                    2 => View { to: moved(last.to).max(last.from), ..last },
                    _ => View { team: other.team, network: other.network.or(last.network), ..last },
                });
            }
            let mut guard = guard(k);
            let mut shown: Vec<BTreeSet<(PersonId, u64)>> = Vec::new();
            for view in views {
                let rows = records.iter().enumerate().filter(|(_, r)| view.selects(r)).map(
                    |(id, r)| Contribution {
                        group: view.group(r),
                        person: PersonId(r.person),
                        record: id as u64,
                        value: 1_u64,
                    },
                );
                let Ok(table) = guard.aggregate(rows) else {
                    continue;
                };
                let listed: BTreeSet<u8> = table.groups().iter().map(|g| *g.key()).collect();
                let of = |wanted: &dyn Fn(u8) -> bool| -> BTreeSet<(PersonId, u64)> {
                    records
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| view.selects(r) && wanted(view.group(r)))
                        .map(|(id, r)| (PersonId(r.person), id as u64))
                        .collect()
                };
                for group in table.groups() {
                    if group.figure().value().is_some() {
                        shown.push(of(&|g| g == *group.key()));
                    }
                }
                if table.other().is_some_and(|f| f.value().is_some()) {
                    shown.push(of(&|g| !listed.contains(&g)));
                }
                if table.total().value().is_some() {
                    shown.push(of(&|_| true));
                }
            }
            for (n, a) in shown.iter().enumerate() {
                prop_assert!(!(1..k).contains(&Population::from_records(a.clone()).people()));
                for b in &shown[n + 1..] {
                    let apart = people_apart(a, b);
                    prop_assert!(!(1..k).contains(&apart), "{apart} people apart: {a:?} {b:?}");
                }
            }
        }

        /// A second population next to a first one: refused exactly when they differ by 1 to
        /// k - 1 people (or when the second has 1 to k - 1 people on its own).
        #[test]
        fn refuses_exactly_the_pairs_that_differ_by_fewer_than_k(
            k in 3_usize..8,
            first in prop::collection::btree_set(0_u64..40, 8..30),
            toggled in prop::collection::btree_set(0_u64..40, 0..12),
        ) {
            let second: BTreeSet<u64> = first.symmetric_difference(&toggled).copied().collect();
            let small = |n: usize| (1..k).contains(&n);
            let mut guard = guard(k);
            guard.admit(people(first.iter().copied())).unwrap();
            let outcome = guard.check(&people(second.iter().copied()));
            if small(toggled.len()) || small(second.len()) {
                prop_assert_eq!(outcome, Err(PolicyError::WouldRevealIndividual { k }));
            } else {
                prop_assert_eq!(outcome, Ok(()));
            }
        }

        /// Naming keeps counts per remembered figure; it refuses exactly what reading each
        /// figure's people again would refuse, whatever the order of figures and names.
        #[test]
        fn naming_refuses_what_reading_every_figure_again_refuses(
            steps in prop::collection::vec(
                prop_oneof![
                    prop::collection::btree_set(0_u64..14, 0..12).prop_map(Step::Remember),
                    (0_u64..14).prop_map(Step::Name),
                ],
                1..20,
            ),
            k in MinGroupSize::FLOOR..MinGroupSize::FLOOR + 3,
        ) {
            let mut guard = guard(k);
            let mut figures: Vec<BTreeSet<u64>> = Vec::new();
            let mut named: BTreeSet<u64> = BTreeSet::new();
            for step in steps {
                match step {
                    Step::Remember(figure) => {
                        guard.remember(people(figure.iter().copied()));
                        figures.push(figure);
                    }
                    Step::Name(person) => {
                        let with: BTreeSet<u64> = named.iter().copied().chain([person]).collect();
                        let refused = figures.iter().any(|figure| {
                            let named_in = figure.intersection(&with).count();
                            named_in > 0 && (1..k).contains(&(figure.len() - named_in))
                        });
                        let outcome = guard.named(PersonId(person), &NAMED, 1_u64);
                        prop_assert_eq!(outcome.is_err(), refused);
                        if !refused {
                            named = with;
                        }
                    }
                }
            }
        }
    }
}
