//! Tests of the minimum group size: each rule by example, then as properties over random rows.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

fn k(k: usize) -> MinGroupSize {
    MinGroupSize::new(k).unwrap()
}

/// `people` people in `group`, each contributing `value` once, ids starting at `first`.
fn group(
    group: &'static str,
    first: u64,
    people: u64,
    value: u64,
) -> Vec<Contribution<&'static str, u64>> {
    (first..first + people)
        .map(|person| Contribution {
            group,
            person: PersonId(person),
            record: 0,
            value,
        })
        .collect()
}

fn status_of<K: PartialEq, V: Copy>(table: &AggregateTable<K, V>, key: &K) -> Option<FigureStatus> {
    table
        .groups()
        .iter()
        .find(|g| g.key() == key)
        .map(|g| g.figure().status())
}

#[test]
fn k_is_five_by_default_and_never_below_three() {
    assert_eq!(MinGroupSize::default().get(), 5);
    assert_eq!(
        MinGroupSize::new(2),
        Err(PolicyError::GroupSizeTooSmall { requested: 2 })
    );
    assert_eq!(MinGroupSize::new(3).unwrap().get(), 3);
    assert!(serde_json::from_str::<MinGroupSize>("1").is_err());
    assert_eq!(serde_json::from_str::<MinGroupSize>("7").unwrap().get(), 7);
}

#[test]
fn a_group_withheld_because_of_an_earlier_figure_is_not_given_away_by_the_total() {
    let rows = [
        group("linkedin", 0, 6, 1),
        group("x", 10, 5, 1),
        group("threads", 20, 7, 1),
    ]
    .concat();
    let plain = k(5).aggregate(rows.clone());
    assert_eq!(status_of(&plain, &"x"), Some(FigureStatus::Shown));
    let table = k(5).aggregate_withholding(rows, &BTreeSet::from(["x"]));
    assert_eq!(status_of(&table, &"x"), Some(FigureStatus::Withheld));
    // x = total - linkedin - threads, so a second figure is withheld with it: the smallest.
    assert_eq!(status_of(&table, &"linkedin"), Some(FigureStatus::Withheld));
    assert_eq!(status_of(&table, &"threads"), Some(FigureStatus::Shown));
    assert_eq!(table.total().value(), Some(18));
}

#[test]
fn figures_apart_by_one_to_k_minus_one_people_reveal_someone() {
    let k5 = k(5);
    assert!(!k5.reveals_by_difference(0), "the same people");
    assert!((1..5).all(|apart| k5.reveals_by_difference(apart)));
    assert!(!k5.reveals_by_difference(5));
    assert!(!k5.reveals_by_difference(40));
}

#[test]
fn small_groups_are_folded_into_other() {
    let rows = [
        group("linkedin", 0, 6, 1),
        group("x", 10, 2, 1),
        group("threads", 20, 2, 1),
    ]
    .concat();
    let table = k(3).aggregate(rows);
    let keys: Vec<_> = table.groups().iter().map(|g| *g.key()).collect();
    assert_eq!(keys, ["linkedin"], "x and threads are not named");
    assert_eq!(table.other().unwrap().people(), Some(4));
    assert_eq!(table.other().unwrap().value(), Some(4));
    assert_eq!(table.total().value(), Some(10));
}

#[test]
fn a_small_other_is_shown_as_fewer_than_k_and_the_smallest_group_is_withheld() {
    let rows = [
        group("bluesky", 0, 5, 3),
        group("linkedin", 10, 6, 2),
        group("x", 20, 1, 40),
    ]
    .concat();
    let table = k(5).aggregate(rows);
    let other = table.other().unwrap();
    assert_eq!(other.status(), FigureStatus::FewerThanMinimum);
    assert_eq!(other.value(), None);
    // Without withholding bluesky, x's 40 would be 67 - 15 - 12.
    assert_eq!(status_of(&table, &"bluesky"), Some(FigureStatus::Withheld));
    assert_eq!(status_of(&table, &"linkedin"), Some(FigureStatus::Shown));
    assert_eq!(table.total().value(), Some(67));
    assert_eq!(table.min_group_size(), 5);
}

#[test]
fn with_one_group_and_a_small_other_only_the_total_is_shown() {
    let table = k(5).aggregate([group("bluesky", 0, 9, 1), group("x", 20, 1, 1)].concat());
    assert_eq!(status_of(&table, &"bluesky"), Some(FigureStatus::Withheld));
    assert_eq!(table.total().people(), Some(10));
}

#[test]
fn fewer_than_k_people_in_all_shows_nothing() {
    let table = k(5).aggregate([group("bluesky", 0, 2, 1), group("x", 0, 2, 1)].concat());
    assert!(table.groups().is_empty());
    assert_eq!(
        table.other().unwrap().status(),
        FigureStatus::FewerThanMinimum
    );
    assert_eq!(table.total().status(), FigureStatus::FewerThanMinimum);
    let empty = k(5).aggregate(Vec::<Contribution<&str, u64>>::new());
    assert_eq!(empty.total().status(), FigureStatus::FewerThanMinimum);
    assert!(empty.other().is_none());
}

#[test]
fn records_counted_in_two_groups_keep_the_groups_k_people_apart() {
    // The same records (say, items under two topics) in both groups, except person 5's in
    // "a" and person 8's in "b": a - b would be 5's figure minus 8's.
    let both = |group| {
        (0..5).map(move |p| Contribution {
            group,
            person: PersonId(p),
            record: 0,
            value: 1_u64,
        })
    };
    let rows: Vec<_> = both("a")
        .chain(both("b"))
        .chain(group("a", 5, 1, 1))
        .chain(group("b", 8, 1, 1))
        .collect();
    let table = k(6).aggregate(rows);
    assert_eq!(status_of(&table, &"a"), Some(FigureStatus::Withheld));
    assert_eq!(status_of(&table, &"b"), Some(FigureStatus::Withheld));
    assert_eq!(table.total().people(), Some(7));
}

#[test]
fn people_are_counted_once_however_many_rows_they_have() {
    let busy: Vec<_> = (0..50)
        .map(|record| Contribution {
            group: "x",
            person: PersonId(1),
            record,
            value: 1,
        })
        .collect();
    let table = k(3).aggregate([busy, group("x", 2, 1, 1)].concat());
    assert_eq!(
        table.total().status(),
        FigureStatus::FewerThanMinimum,
        "two people, 51 rows"
    );
}

#[test]
fn measures_over_the_same_rows_hide_the_same_cells() {
    let people = [
        group("a", 0, 5, 0),
        group("b", 10, 5, 0),
        group("c", 20, 1, 0),
    ]
    .concat();
    let shares = people.iter().map(|r| Contribution {
        value: 1_u64,
        ..r.clone()
    });
    let clicks = people.iter().map(|r| Contribution {
        value: r.person.0 * 7,
        ..r.clone()
    });
    let statuses = |table: AggregateTable<&str, u64>| {
        table
            .groups()
            .iter()
            .map(|g| g.figure().status())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(k(5).aggregate(shares)),
        statuses(k(5).aggregate(clicks))
    );
}

#[test]
fn the_table_serialises_without_person_ids() {
    let table = k(3).aggregate([group("linkedin", 0, 3, 2), group("x", 10, 1, 5)].concat());
    let json = serde_json::to_value(&table).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "k": 3,
            "groups": [{"key": "linkedin", "figure": {"status": "withheld"}}],
            "other": {"status": "fewer_than_minimum", "k": 3},
            "total": {"status": "shown", "people": 4, "value": 11},
        })
    );
}

type Rows = Vec<Contribution<u8, u64>>;

/// Random rows; in half the cases every row is its own record (each record in one group), in
/// the other half records repeat across groups (an item counted under two topics).
fn rows() -> impl Strategy<Value = Rows> {
    let rows = prop::collection::vec((0_u8..6, 0_u64..20, 0_u64..3, 0_u64..100), 0..60);
    (rows, any::<bool>()).prop_map(|(rows, one_group_per_record)| {
        rows.into_iter()
            .zip(0..)
            .map(|((group, person, record, value), index)| Contribution {
                group,
                person: PersonId(person),
                record: if one_group_per_record { index } else { record },
                value,
            })
            .collect()
    })
}

/// Distinct people and summed value of each input group.
fn by_group(rows: &Rows) -> BTreeMap<u8, (BTreeSet<PersonId>, u64)> {
    let mut groups: BTreeMap<u8, (BTreeSet<PersonId>, u64)> = BTreeMap::new();
    for row in rows {
        let entry = groups.entry(row.group).or_default();
        entry.0.insert(row.person);
        entry.1 += row.value;
    }
    groups
}

proptest! {
    /// No figure shown, "other" and the total included, has fewer than k people, and every
    /// people count shown is exact.
    #[test]
    fn no_shown_figure_has_fewer_than_k_people(k in 3_usize..7, rows in rows()) {
        let expected = by_group(&rows);
        let table = MinGroupSize::new(k).unwrap().aggregate(rows.clone());
        for g in table.groups() {
            prop_assert!(expected[g.key()].0.len() >= k, "a small group is listed by name");
            if let Some(people) = g.figure().people() {
                prop_assert_eq!(people, expected[g.key()].0.len());
            }
        }
        let all: BTreeSet<_> = rows.iter().map(|r| r.person).collect();
        let figures = table.groups().iter().map(GroupFigure::figure).chain(table.other()).chain([table.total()]);
        for figure in figures {
            if let Some(people) = figure.people() {
                prop_assert!(people >= k);
            }
        }
        prop_assert_eq!(table.total().people().is_some(), all.len() >= k);
        if table.total().people().is_some() {
            prop_assert_eq!(table.total().value(), Some(rows.iter().map(|r| r.value).sum()));
        }
    }

    /// When the total is shown, what it hides (total minus every shown figure) is either
    /// nothing or the sum of at least two cells over at least k people: never one small group.
    #[test]
    fn the_total_never_gives_away_a_hidden_group(k in 3_usize..7, rows in rows()) {
        let expected = by_group(&rows);
        let table = MinGroupSize::new(k).unwrap().aggregate(rows);
        if table.total().value().is_none() {
            return Ok(()); // a hidden total gives nothing away
        }
        let mut hidden_cells = 0;
        let mut hidden_people = BTreeSet::new();
        let mut shown_value = 0;
        for g in table.groups() {
            match g.figure().value() {
                Some(value) => shown_value += value,
                None => {
                    hidden_cells += 1;
                    hidden_people.extend(expected[g.key()].0.iter().copied());
                }
            }
        }
        let small = expected.values().filter(|(people, _)| people.len() < k);
        match table.other().map(Figure::value) {
            Some(Some(value)) => shown_value += value,
            Some(None) => {
                hidden_cells += 1;
                for (people, _) in small {
                    hidden_people.extend(people.iter().copied());
                }
            }
            None => {}
        }
        prop_assert_ne!(hidden_cells, 1, "one hidden cell would be total minus the rest");
        prop_assert!(hidden_people.is_empty() || hidden_people.len() >= k);
        prop_assert!(table.total().value().unwrap() >= shown_value);
    }

    /// Any two figures of one table differ by no one or by at least k people, whether records
    /// are counted in one group or in several.
    #[test]
    fn figures_of_one_table_never_differ_by_fewer_than_k(k in 3_usize..7, rows in rows()) {
        let (_, populations) = MinGroupSize::new(k).unwrap().build(rows, &BTreeSet::new());
        for a in &populations {
            for b in &populations {
                let differing = a.people_differing_from(b);
                prop_assert!(differing == 0 || differing >= k, "{differing} people apart");
            }
        }
    }
}

/// Each group's people and sum, as a database would count them, with the members of groups
/// under k.
fn counts_of(rows: &Rows, k: MinGroupSize) -> Vec<GroupCount<u8, u64>> {
    by_group(rows)
        .into_iter()
        .map(|(group, (people, value))| GroupCount {
            group,
            people: people.len(),
            value,
            members: if people.len() < k.get() {
                people.into_iter().collect()
            } else {
                Vec::new()
            },
        })
        .collect()
}

proptest! {
    /// Figures summed beforehand give the same table as the rows themselves, for a grouping
    /// that puts each record in one group (records keyed by their group).
    #[test]
    fn counts_summed_beforehand_give_the_same_table(k in 3_usize..7, rows in rows()) {
        let rows: Rows = rows
            .into_iter()
            .map(|row| Contribution { record: u64::from(row.group), ..row })
            .collect();
        let k = MinGroupSize::new(k).unwrap();
        let from_rows = k.aggregate(rows.clone());
        let counts = counts_of(&rows, k);
        let all: BTreeSet<_> = rows.iter().map(|r| r.person).collect();
        let from_counts = k.aggregate_counts(counts, all.len(), &BTreeSet::new());
        prop_assert_eq!(from_rows, from_counts);
    }
}

proptest! {
    /// Figures summed beforehand for a grouping that counts one record in several groups (an
    /// item under two topics) give the same table as the rows, when the caller counts the
    /// people apart between two figures from each record's people.
    #[test]
    fn overlapping_counts_summed_beforehand_give_the_same_table(
        k in 3_usize..7,
        uses in prop::collection::vec((0_u8..6, 0_u64..20, 0_u64..100), 0..60),
        records_groups in prop::collection::vec(prop::collection::btree_set(0_u8..5, 1..3), 8),
    ) {
        // Each use is a person's amount on one record (an item); the record counts in each of
        // its groups (topics).
        let rows: Rows = uses
            .iter()
            .flat_map(|&(record, person, value)| {
                records_groups[usize::from(record % 8)].iter().map(move |&group| Contribution {
                    group,
                    person: PersonId(person),
                    record: u64::from(record),
                    value,
                })
            })
            .collect();
        let k = MinGroupSize::new(k).unwrap();
        let from_rows = k.aggregate(rows.clone());
        let counts = counts_of(&rows, k);
        let records_of = |groups: &[&u8]| -> BTreeSet<(PersonId, u64)> {
            rows.iter()
                .filter(|row| groups.contains(&&row.group))
                .map(|row| (row.person, row.record))
                .collect()
        };
        let apart = |a: &[&u8], b: &[&u8]| {
            let (a, b) = (records_of(a), records_of(b));
            a.symmetric_difference(&b).map(|(person, _)| *person).collect::<BTreeSet<_>>().len()
        };
        let all: BTreeSet<_> = rows.iter().map(|r| r.person).collect();
        let from_counts = k.aggregate_overlapping(counts, all.len(), &BTreeSet::new(), apart);
        prop_assert_eq!(from_rows, from_counts);
    }
}

#[test]
fn a_small_group_without_its_members_keeps_other_hidden() {
    let counts = [
        GroupCount {
            group: "a",
            people: 6,
            value: 6_u64,
            members: Vec::new(),
        },
        GroupCount {
            group: "b",
            people: 2,
            value: 2,
            members: Vec::new(),
        },
        GroupCount {
            group: "c",
            people: 7,
            value: 7,
            members: Vec::new(),
        },
    ];
    let table = k(5).aggregate_counts(counts, 15, &BTreeSet::new());
    assert_eq!(
        table.other().unwrap().status(),
        FigureStatus::FewerThanMinimum
    );
    // One hidden cell next to a shown total: the smallest shown group goes too.
    assert_eq!(status_of(&table, &"a"), Some(FigureStatus::Withheld));
    assert_eq!(status_of(&table, &"c"), Some(FigureStatus::Shown));
    assert_eq!(table.total().value(), Some(15));
}

#[test]
fn social_proof_is_never_under_k_and_rounds_down_to_steps() {
    let k5 = MinGroupSize::new(5).unwrap();
    assert_eq!(k5.social_proof(0), None);
    assert_eq!(k5.social_proof(4), None);
    assert_eq!(k5.social_proof(5), Some(5));
    assert_eq!(k5.social_proof(9), Some(5));
    assert_eq!(k5.social_proof(10), Some(10));
    assert_eq!(k5.social_proof(19), Some(10));
    assert_eq!(k5.social_proof(20), Some(20));
    assert_eq!(k5.social_proof(49), Some(20));
    assert_eq!(k5.social_proof(50), Some(50));
    assert_eq!(k5.social_proof(1_234), Some(1_000));
    let k12 = MinGroupSize::new(12).unwrap();
    assert_eq!(k12.social_proof(11), None);
    assert_eq!(k12.social_proof(12), Some(12));
    assert_eq!(k12.social_proof(19), Some(12));
    assert_eq!(k12.social_proof(20), Some(20));
    for people in 0..3_000 {
        if let Some(shown) = k5.social_proof(people) {
            assert!(shown >= 5 && shown <= people, "{people} -> {shown}");
        }
    }
}
