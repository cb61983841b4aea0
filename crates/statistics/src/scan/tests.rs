//! The scan against a plain reading of the same rows: every person's contribution listed
//! and given to the policy as it is, the way the statistics were computed in SQL before.

use chorus_policy::{Contribution, ItemId, TopicId};
use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

/// A small organisation: people 1..=12 (10 and up not opted in), teams "a" and "b", items
/// 1..=6 with campaigns and topics, rows on 20 days.
#[derive(Debug, Clone)]
struct Org {
    campaigns: Vec<Option<i32>>,
    topics: Vec<Vec<i32>>,
    rows: Vec<(i32, Entry)>,
}

const FIRST: i32 = 20_454; // 2026-01-01

fn org() -> impl Strategy<Value = Org> {
    let entry = (0..20_i32, 1..14_u32, 0..7_u32, 0..5_u8, 0..3_u16, 0..5_u32).prop_map(
        |(day, user, item, network, shares, humans)| {
            (
                FIRST + day,
                Entry {
                    user,
                    item,
                    humans,
                    shares,
                    network,
                },
            )
        },
    );
    (
        prop::collection::vec(prop::option::of(1..4_i32), 6),
        prop::collection::vec(prop::collection::btree_set(1..5_i32, 0..3), 6),
        prop::collection::vec(entry, 0..120),
    )
        .prop_map(|(campaigns, topics, rows)| Org {
            campaigns,
            topics: topics
                .into_iter()
                .map(|t| t.into_iter().collect())
                .collect(),
            rows,
        })
}

fn filter() -> impl Strategy<Value = Filter> {
    (
        0..20_i64,
        0..20_i64,
        any::<bool>(),
        prop::option::of(0..5_usize),
        prop::option::of(prop_oneof![Just("a"), Just("b")]),
        prop::option::of(1..5_i32),
        prop::option::of(1..4_i32),
        prop::option::of(0..7_i32),
    )
        .prop_map(|(a, b, week, network, team, topic, campaign, item)| {
            let day = |n: i64| super::super::date_of_day(FIRST) + chrono::Duration::days(n);
            Filter {
                from: day(a.min(b)),
                to: day(a.max(b)),
                topic: topic.map(TopicId),
                campaign: campaign.map(CampaignId),
                network: network.map(|n| Network::ALL[n]),
                team: team.map(str::to_owned),
                item: item.map(ItemId),
                every: if week { Every::Week } else { Every::Day },
            }
        })
}

fn team_of(user: u32) -> &'static str {
    if user.is_multiple_of(2) { "a" } else { "b" }
}

fn id(n: u32) -> i32 {
    i32::try_from(n).unwrap()
}

fn context(org: &Org) -> Context {
    Context::of(
        (1..10_u32)
            .map(|u| (id(u), team_of(u).to_owned()))
            .collect(),
        (1..=6_u32)
            .map(|i| (id(i), org.campaigns[i as usize - 1]))
            .collect(),
        (1..=6_u32)
            .flat_map(|i| org.topics[i as usize - 1].iter().map(move |&t| (id(i), t)))
            .collect(),
    )
}

fn days(org: &Org) -> Vec<Day> {
    (FIRST..FIRST + 20)
        .map(|day| {
            org.rows
                .iter()
                .filter(|(d, _)| *d == day)
                .map(|(_, e)| *e)
                .collect::<Vec<_>>()
                .into()
        })
        .collect()
}

/// Whether a row is in a view, read straight from the filter.
fn selects(org: &Org, filter: &Filter, day: i32, entry: &Entry) -> bool {
    let date = super::super::date_of_day(day);
    let item = entry.item as usize;
    let campaign = (1..=6)
        .contains(&item)
        .then(|| org.campaigns[item - 1])
        .flatten();
    let topics: &[i32] = if (1..=6).contains(&item) {
        &org.topics[item - 1]
    } else {
        &[]
    };
    (1..10).contains(&entry.user)
        && date >= filter.from
        && date <= filter.to
        && filter
            .network
            .is_none_or(|n| Network::ALL[usize::from(entry.network)] == n)
        && filter
            .team
            .as_deref()
            .is_none_or(|t| team_of(entry.user) == t)
        && filter.topic.is_none_or(|t| topics.contains(&t.get()))
        && filter.campaign.is_none_or(|c| campaign == Some(c.get()))
        && filter
            .item
            .is_none_or(|i| i64::from(i.get()) == i64::from(entry.item))
}

/// The groups a row counts in, for each grouping, as the tables show them.
fn groups_of(org: &Org, filter: &Filter, day: i32, entry: &Entry) -> Vec<(Dimension, String)> {
    let item = entry.item as usize;
    let campaign = (1..=6)
        .contains(&item)
        .then(|| org.campaigns[item - 1])
        .flatten();
    let bucket = match filter.every {
        Every::Day => day,
        Every::Week => week_of_day(day),
    };
    let mut out = vec![
        (Dimension::Time, bucket.to_string()),
        (
            Dimension::Network,
            Network::ALL[usize::from(entry.network)].as_str().to_owned(),
        ),
        (Dimension::Campaign, campaign.unwrap_or(0).to_string()),
        (Dimension::Item, entry.item.to_string()),
    ];
    if (1..=6).contains(&item) {
        for topic in &org.topics[item - 1] {
            out.push((Dimension::Topic, topic.to_string()));
        }
    }
    out
}

fn reference(
    org: &Org,
    k: MinGroupSize,
    filter: &Filter,
) -> BTreeMap<Dimension, AggregateTable<String, Activity>> {
    let mut contributions: BTreeMap<Dimension, Vec<Contribution<String, Activity>>> =
        BTreeMap::new();
    for (day, entry) in org.rows.iter().filter(|(d, e)| selects(org, filter, *d, e)) {
        for (dimension, group) in groups_of(org, filter, *day, entry) {
            // Topics compare figures record by record, an item being the record; the other
            // groupings put each record in one group.
            let record = if dimension == Dimension::Topic {
                u64::from(entry.item)
            } else {
                0
            };
            contributions
                .entry(dimension)
                .or_default()
                .push(Contribution {
                    group,
                    person: PersonId(u64::from(entry.user)),
                    record,
                    value: Activity {
                        shares: u64::from(entry.shares),
                        clicks: u64::from(entry.humans),
                    },
                });
        }
    }
    Dimension::ALL
        .into_iter()
        .map(|dimension| {
            let rows = contributions.remove(&dimension).unwrap_or_default();
            let table = if dimension == Dimension::Topic {
                k.aggregate(rows)
            } else {
                let rows = rows.into_iter().map(|r| Contribution { record: 0, ..r });
                let mut by_group: BTreeMap<String, Vec<Contribution<String, Activity>>> =
                    BTreeMap::new();
                for row in rows {
                    by_group.entry(row.group.clone()).or_default().push(row);
                }
                let everyone: BTreeSet<PersonId> =
                    by_group.values().flatten().map(|r| r.person).collect();
                let counts = by_group.into_iter().map(|(group, rows)| {
                    let people: BTreeSet<PersonId> = rows.iter().map(|r| r.person).collect();
                    GroupCount {
                        group,
                        people: people.len(),
                        value: rows
                            .iter()
                            .fold(Activity::default(), |a, r| a.plus(r.value)),
                        members: people.into_iter().collect(),
                    }
                });
                k.aggregate_counts(counts, everyone.len(), &BTreeSet::new())
            };
            (dimension, table)
        })
        .collect()
}

fn reference_apart(
    org: &Org,
    k: MinGroupSize,
    filter: &Filter,
    earlier: &[Filter],
) -> Option<Withheld> {
    let mut withheld = Withheld::default();
    for before in earlier {
        let mut all = BTreeSet::new();
        let mut groups: BTreeMap<(Dimension, String), BTreeSet<u32>> = BTreeMap::new();
        for (day, entry) in &org.rows {
            if (1..10).contains(&entry.user)
                && selects(org, filter, *day, entry) != selects(org, before, *day, entry)
            {
                all.insert(entry.user);
                let shown = filter.buckets();
                for group in groups_of(org, filter, *day, entry) {
                    // A bar the view does not have is not withheld.
                    if group.0 == Dimension::Time && !shown.iter().any(|b| b.to_string() == group.1)
                    {
                        continue;
                    }
                    groups.entry(group).or_default().insert(entry.user);
                }
            }
        }
        if k.reveals_by_difference(all.len()) {
            return None;
        }
        for ((dimension, group), people) in groups {
            if k.reveals_by_difference(people.len()) {
                withheld.groups.entry(dimension).or_default().insert(group);
            }
        }
        // "Other": the groups under k people of each view, summed.
        let folded = |view: &Filter| {
            let mut people: BTreeMap<(Dimension, String), BTreeSet<u32>> = BTreeMap::new();
            for (day, entry) in org.rows.iter().filter(|(d, e)| selects(org, view, *d, e)) {
                for group in groups_of(org, view, *day, entry) {
                    people.entry(group).or_default().insert(entry.user);
                }
            }
            people
                .into_iter()
                .filter(|(_, people)| people.len() < k.get())
                .map(|(group, _)| group)
                .collect::<BTreeSet<_>>()
        };
        let (folded_now, folded_before) = (folded(filter), folded(before));
        for dimension in Dimension::ALL {
            let in_other = |view: &Filter, folded: &BTreeSet<(Dimension, String)>, day, entry| {
                selects(org, view, day, entry)
                    && groups_of(org, view, day, entry)
                        .into_iter()
                        .any(|group| group.0 == dimension && folded.contains(&group))
            };
            let apart: BTreeSet<u32> = org
                .rows
                .iter()
                .filter(|(day, entry)| {
                    (1..10).contains(&entry.user)
                        && in_other(filter, &folded_now, *day, entry)
                            != in_other(before, &folded_before, *day, entry)
                })
                .map(|(_, entry)| entry.user)
                .collect();
            // The grouping's total: the rows with a group in it.
            let in_total = |view: &Filter, day, entry| {
                selects(org, view, day, entry)
                    && groups_of(org, view, day, entry)
                        .into_iter()
                        .any(|group| group.0 == dimension)
            };
            let total_apart: BTreeSet<u32> = org
                .rows
                .iter()
                .filter(|(day, entry)| {
                    (1..10).contains(&entry.user)
                        && in_total(filter, *day, entry) != in_total(before, *day, entry)
                })
                .map(|(_, entry)| entry.user)
                .collect();
            if k.reveals_by_difference(total_apart.len()) {
                withheld.whole.insert(dimension);
            }
            if k.reveals_by_difference(apart.len()) {
                withheld.groups.entry(dimension).or_default().extend(
                    folded_now
                        .iter()
                        .filter(|(d, _)| *d == dimension)
                        .map(|(_, group)| group.clone()),
                );
            }
        }
    }
    Some(withheld)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every table of a view is the one the policy builds from each person's rows.
    #[test]
    fn a_view_is_the_policy_applied_to_every_row(
        org in org(),
        filter in filter(),
        k in 3_usize..5,
        parts in 1_usize..4,
    ) {
        let k = MinGroupSize::new(k).unwrap();
        let context = context(&org);
        let days = days(&org);
        let scan = Scan { parts, ..Scan::new(&context, &days, FIRST, k) };
        let view = scan.view(&filter, scan.count(&filter), &Withheld::default());
        let expected = reference(&org, k, &filter);
        for dimension in Dimension::ALL {
            prop_assert_eq!(&view.tables[&dimension], &expected[&dimension], "{:?}", dimension);
        }
        let mut people = BTreeMap::new();
        for (_, entry) in org.rows.iter().filter(|(d, e)| selects(&org, &filter, *d, e)) {
            let mine: &mut Activity = people.entry(i32::try_from(entry.user).unwrap()).or_default();
            *mine = mine.plus(Activity { shares: u64::from(entry.shares), clicks: u64::from(entry.humans) });
        }
        prop_assert_eq!(view.per_person, people);
    }

    /// The groups withheld next to earlier views are those whose rows differ by 1 to k - 1
    /// people, and the view is refused when its total does.
    #[test]
    fn groups_too_close_to_earlier_views_are_found(
        org in org(),
        filter in filter(),
        others in prop::collection::vec((filter(), -3..4_i64, -3..4_i64, any::<bool>()), 0..3),
        parts in 1_usize..4,
    ) {
        // Earlier views are either any view or this one a few days wider or narrower (the
        // usual way to single someone out).
        let earlier: Vec<Filter> = others
            .into_iter()
            .map(|(other, from, to, shifted)| {
                if !shifted {
                    return other;
                }
                let from = filter.from + chrono::Duration::days(from);
                let to = (filter.to + chrono::Duration::days(to)).max(from);
                Filter { from, to, ..filter.clone() }
            })
            .collect();
        let k = MinGroupSize::new(3).unwrap();
        let context = context(&org);
        let days = days(&org);
        let before: Vec<&Filter> = earlier.iter().collect();
        prop_assert_eq!(
            {
                let scan = Scan { parts, ..Scan::new(&context, &days, FIRST, k) };
                scan.too_close(&filter, &scan.count(&filter), &before)
            },
            reference_apart(&org, k, &filter, &earlier)
        );
    }
}

type ViewTables = BTreeMap<Dimension, AggregateTable<String, Activity>>;

/// A figure of a table: a group, the groups folded into "other", or the total.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Figure {
    Group(String),
    Other,
    Total,
}

/// The figures a table shows (not withheld or under the minimum), each with the records
/// behind it: `(person, row)`, the row being the place of the row in `org.rows`.
fn shown_records(
    org: &Org,
    filter: &Filter,
    dimension: Dimension,
    table: &AggregateTable<String, Activity>,
) -> BTreeMap<Figure, BTreeSet<(u32, usize)>> {
    let listed: BTreeSet<&String> = table
        .groups()
        .iter()
        .map(chorus_policy::GroupFigure::key)
        .collect();
    let mut shown: BTreeMap<Figure, BTreeSet<(u32, usize)>> = BTreeMap::new();
    let mut figures: Vec<Figure> = table
        .groups()
        .iter()
        .filter(|g| g.figure().value().is_some())
        .map(|g| Figure::Group(g.key().clone()))
        .collect();
    if table.other().is_some_and(|f| f.value().is_some()) {
        figures.push(Figure::Other);
    }
    if table.total().value().is_some() {
        figures.push(Figure::Total);
    }
    for figure in figures {
        shown.insert(figure, BTreeSet::new());
    }
    for (row, (day, entry)) in org.rows.iter().enumerate() {
        if !selects(org, filter, *day, entry) {
            continue;
        }
        let groups: Vec<String> = groups_of(org, filter, *day, entry)
            .into_iter()
            .filter(|(d, _)| *d == dimension)
            .map(|(_, group)| group)
            .collect();
        let record = (entry.user, row);
        for group in &groups {
            if let Some(records) = shown.get_mut(&Figure::Group(group.clone())) {
                records.insert(record);
            }
        }
        if groups.iter().any(|g| !listed.contains(g))
            && let Some(records) = shown.get_mut(&Figure::Other)
        {
            records.insert(record);
        }
        if !groups.is_empty()
            && let Some(records) = shown.get_mut(&Figure::Total)
        {
            records.insert(record);
        }
    }
    shown
}

fn people_apart(a: &BTreeSet<(u32, usize)>, b: &BTreeSet<(u32, usize)>) -> usize {
    a.symmetric_difference(b)
        .map(|(person, _)| *person)
        .collect::<BTreeSet<_>>()
        .len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A viewer's sequence of views, each compared with the earlier ones shown as the
    /// dashboard does: no figure of one view differs from the same figure (the same group,
    /// "other" or the total) of another by the records of 1 to k - 1 people, whatever the
    /// filters and their periods' ends.
    #[test]
    fn no_two_views_of_a_sequence_single_out_fewer_than_k_people(
        org in org(),
        first in filter(),
        steps in prop::collection::vec((filter(), -3..4_i64, -3..4_i64, 0..3_u8), 1..6),
        k in 3_usize..5,
    ) {
        let k = MinGroupSize::new(k).unwrap();
        let context = context(&org);
        let days = days(&org);
        let scan = Scan::new(&context, &days, FIRST, k);
        // Each next view is another one, or the last one with one end moved or with one
        // more filter (the usual ways to single someone out).
        let mut filters = vec![first];
        for (other, from, to, how) in steps {
            let last = filters.last().unwrap().clone();
            let next = match how {
                0 => other,
                1 => {
                    let from = last.from + chrono::Duration::days(from);
                    let to = (last.to + chrono::Duration::days(to)).max(from);
                    Filter { from, to, ..last }
                }
                _ => Filter {
                    network: other.network.or(last.network),
                    team: other.team.or(last.team.clone()),
                    ..last
                },
            };
            filters.push(next);
        }
        let mut shown: Vec<(Filter, ViewTables)> = Vec::new();
        for filter in filters {
            let mut earlier: Vec<&Filter> = Vec::new();
            for (seen, _) in shown.iter().rev() {
                let same = |a: &Filter, b: &Filter| Filter { every: b.every, ..a.clone() } == *b;
                if !same(seen, &filter) && !earlier.iter().any(|e| same(e, seen)) {
                    earlier.push(seen);
                }
            }
            let counted = scan.count(&filter);
            let Some(withheld) = scan.too_close(&filter, &counted, &earlier) else {
                continue;
            };
            let view = scan.view(&filter, counted, &withheld);
            shown.push((filter, view.tables));
        }
        for (n, (a, tables_a)) in shown.iter().enumerate() {
            for (b, tables_b) in &shown[n + 1..] {
                for dimension in Dimension::ALL {
                    if dimension == Dimension::Time && a.every != b.every {
                        continue;
                    }
                    let figures_a = shown_records(&org, a, dimension, &tables_a[&dimension]);
                    let figures_b = shown_records(&org, b, dimension, &tables_b[&dimension]);
                    for (figure, records) in &figures_a {
                        if let Some(other) = figures_b.get(figure) {
                            let apart = people_apart(records, other);
                            prop_assert!(
                                !k.reveals_by_difference(apart),
                                "{:?} {:?} differs by {} people between {:?} and {:?}",
                                dimension, figure, apart, a, b
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_first_day_is_new_year_2026() {
    assert_eq!(
        super::super::date_of_day(FIRST),
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    );
}

#[test]
fn a_block_of_bits_is_transposed() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut block = [0_u64; 64];
    for word in &mut block {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        *word = state;
    }
    let before = block;
    transpose(&mut block);
    for (row, before) in before.iter().enumerate() {
        for (column, after) in block.iter().enumerate() {
            assert_eq!(
                (after >> row) & 1,
                (before >> column) & 1,
                "bit {column} of word {row}"
            );
        }
    }
}

/// Past one word of people and of items (64), every block of the count's transposition is met:
/// each group's people and sums are those of its rows, rows in any order.
#[test]
fn a_count_over_many_people_and_items_finds_each_groups_people() {
    let (people, items) = (200_u32, 150_u32);
    let context = Context::of(
        (1..=people)
            .map(|u| (id(u), team_of(u).to_owned()))
            .collect(),
        (1..=items).map(|i| (id(i), None)).collect(),
        Vec::new(),
    );
    let mut state = 7_u64;
    let mut next = |below: u32| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from((state >> 33) % u64::from(below)).unwrap()
    };
    let mut rows: Vec<(i32, Entry)> = (0..3_000)
        .map(|_| {
            (
                FIRST + i32::try_from(next(10)).unwrap(),
                Entry {
                    user: 1 + next(people),
                    item: 1 + next(items),
                    humans: next(4),
                    shares: u16::try_from(next(3)).unwrap(),
                    network: u8::try_from(next(5)).unwrap(),
                },
            )
        })
        .collect();
    // Some (day, person, item, network) met twice, as the roll-up never has: counted the same.
    rows.extend_from_within(..100);
    let days: Vec<Day> = (FIRST..FIRST + 10)
        .map(|day| {
            rows.iter()
                .filter(|(d, _)| *d == day)
                .map(|(_, e)| *e)
                .collect::<Vec<_>>()
                .into()
        })
        .collect();
    let filter = Filter {
        from: super::super::date_of_day(FIRST),
        to: super::super::date_of_day(FIRST + 9),
        topic: None,
        campaign: None,
        network: None,
        team: None,
        item: None,
        every: Every::Day,
    };
    let counted = Scan::new(&context, &days, FIRST, MinGroupSize::default()).count(&filter);
    let expect = |key: &dyn Fn(i32, &Entry) -> usize| {
        let mut groups: BTreeMap<usize, (Activity, BTreeSet<u32>)> = BTreeMap::new();
        for (day, entry) in &rows {
            let (sum, members) = groups.entry(key(*day, entry)).or_default();
            *sum = sum.plus(Activity {
                shares: u64::from(entry.shares),
                clicks: u64::from(entry.humans),
            });
            members.insert(context.person(entry.user));
        }
        groups
    };
    let found = |groups: &Groups<People>| -> BTreeMap<usize, (Activity, BTreeSet<u32>)> {
        groups
            .present()
            .map(|(index, sum, members)| (index, (*sum, members.members().collect())))
            .collect()
    };
    assert_eq!(found(&counted.tables.item), expect(&|_, e| e.item as usize));
    assert_eq!(
        found(&counted.tables.network),
        expect(&|_, e| usize::from(e.network))
    );
    assert_eq!(
        found(&counted.tables.time),
        expect(&|day, _| usize::try_from(day - FIRST).unwrap())
    );
    let per_person: BTreeMap<u32, Activity> = expect(&|_, e| e.user as usize)
        .into_iter()
        .map(|(user, (sum, _))| (context.person(u32::try_from(user).unwrap()), sum))
        .collect();
    let counted_people: BTreeMap<u32, Activity> = counted
        .per_person
        .iter()
        .enumerate()
        .filter_map(|(person, sum)| Some((u32::try_from(person).unwrap(), (*sum)?)))
        .collect();
    assert_eq!(counted_people, per_person);
    assert!(
        counted.tables.item.present().count() > 64,
        "items past one word"
    );
}
