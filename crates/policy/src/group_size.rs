//! The minimum group size: the only way to turn activity of people into a figure that an analyst
//! or an editor sees.
//!
//! An organisation sets `k` (default 5, never below 3). [`MinGroupSize::aggregate`] sums
//! [`Contribution`]s per group and returns an [`AggregateTable`] whose figures are each either
//! shown (at least `k` distinct people behind it), "fewer than k", or withheld. Groups of fewer
//! than `k` people are folded into one "other" bucket, itself shown only with `k` people or more.
//! When exactly one cell would be hidden while the total is shown, the hidden value would be
//! the total minus the others, so the smallest shown group is withheld as well (the total is the
//! figure people most need, so it is the one kept). The smallest is chosen by its number of
//! people, not by its value, so tables of different measures over the same rows hide the same
//! cells. When a grouping counts one record in several groups (an item under two topics), two
//! figures of the same table could differ by a few people, so the smaller of any such pair is
//! withheld as well.
//!
//! The table has private fields, no person ids and no public constructor: a figure about people
//! can only come out of this module. Figures across several tables are checked by
//! [`crate::DifferenceGuard`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::difference::{Population, people_apart};
use crate::{PersonId, PolicyError};

/// Counts the people with records in exactly one of two figures, each given as the groups it sums.
type PeopleApart<'a, K> = dyn Fn(&[&K], &[&K]) -> usize + 'a;

/// The organisation's minimum group size `k`: no figure about fewer than `k` people is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "usize", into = "usize")]
pub struct MinGroupSize(usize);

impl MinGroupSize {
    /// The smallest `k` an organisation may choose.
    pub const FLOOR: usize = 3;
    /// The `k` of a new installation.
    pub const DEFAULT: usize = 5;

    /// Checks an organisation's setting.
    ///
    /// # Errors
    /// [`PolicyError::GroupSizeTooSmall`] when `k` is below [`Self::FLOOR`].
    pub fn new(k: usize) -> Result<Self, PolicyError> {
        if k < Self::FLOOR {
            return Err(PolicyError::GroupSizeTooSmall { requested: k });
        }
        Ok(MinGroupSize(k))
    }

    /// The number `k`.
    pub fn get(self) -> usize {
        self.0
    }

    /// Sums `rows` per group under this minimum group size. See the module documentation for
    /// the rules; [`crate::DifferenceGuard::aggregate`] is the same with checks across figures.
    pub fn aggregate<K, V>(
        self,
        rows: impl IntoIterator<Item = Contribution<K, V>>,
    ) -> AggregateTable<K, V>
    where
        K: Ord + Clone,
        V: Measure,
    {
        self.build(rows, &BTreeSet::new()).0
    }

    /// [`MinGroupSize::aggregate`], with the groups in `withheld` withheld whatever their size
    /// (because, next to a figure shown earlier, they would differ by fewer than `k` people); a
    /// withheld group folded into "other" withholds "other", which sums its records. The other
    /// figures are then withheld as needed so that none of those can be worked out.
    pub fn aggregate_withholding<K, V>(
        self,
        rows: impl IntoIterator<Item = Contribution<K, V>>,
        withheld: &BTreeSet<K>,
    ) -> AggregateTable<K, V>
    where
        K: Ord + Clone,
        V: Measure,
    {
        self.build(rows, withheld).0
    }

    /// The same rules for figures summed beforehand (by a database), for a grouping that puts
    /// each record in exactly one group (days, networks, items, campaigns; not topics, where an
    /// item can be under two). Each [`GroupCount`] gives its number of distinct people and its
    /// value, and lists its members when it has fewer than `k` people, so that small groups can
    /// be folded into "other" with their people counted once; `total_people` is the number of
    /// distinct people in all groups together. When a small group does not list its members,
    /// "other" cannot be counted and is not shown. Groups in `withheld` are withheld.
    pub fn aggregate_counts<K, V>(
        self,
        groups: impl IntoIterator<Item = GroupCount<K, V>>,
        total_people: usize,
        withheld: &BTreeSet<K>,
    ) -> AggregateTable<K, V>
    where
        K: Ord + Clone,
        V: Measure,
    {
        self.summed(groups, total_people, withheld, None)
    }

    /// [`MinGroupSize::aggregate_counts`] for a grouping that can count one record in several
    /// groups (an item under two topics): the same as [`MinGroupSize::aggregate_withholding`]
    /// on the rows, from figures summed beforehand. Since two figures of such a table can differ
    /// by a few people, `people_apart(a, b)` must say how many distinct people have records in
    /// exactly one of two figures, each given as the groups it sums (one group, the groups
    /// folded into "other", or every group for the total).
    pub fn aggregate_overlapping<K, V>(
        self,
        groups: impl IntoIterator<Item = GroupCount<K, V>>,
        total_people: usize,
        withheld: &BTreeSet<K>,
        people_apart: impl Fn(&[&K], &[&K]) -> usize,
    ) -> AggregateTable<K, V>
    where
        K: Ord + Clone,
        V: Measure,
    {
        self.summed(groups, total_people, withheld, Some(&people_apart))
    }

    fn summed<K, V>(
        self,
        groups: impl IntoIterator<Item = GroupCount<K, V>>,
        total_people: usize,
        withheld: &BTreeSet<K>,
        people_apart: Option<&PeopleApart<'_, K>>,
    ) -> AggregateTable<K, V>
    where
        K: Ord + Clone,
        V: Measure,
    {
        let k = self.0;
        // One entry per key; a key given twice keeps the larger count (never more people than
        // one of its counts says) and all listed members.
        let mut by_key: BTreeMap<K, GroupCount<K, V>> = BTreeMap::new();
        for group in groups {
            match by_key.get_mut(&group.group) {
                Some(seen) => {
                    seen.people = seen.people.max(group.people);
                    seen.value = seen.value.plus(group.value);
                    seen.members.extend(group.members);
                }
                None => {
                    by_key.insert(group.group.clone(), group);
                }
            }
        }
        let mut listed: Vec<(K, usize, V)> = Vec::new();
        let mut other: Option<(BTreeSet<PersonId>, V, bool)> = None;
        let mut folded: Vec<K> = Vec::new();
        let mut total_value = V::default();
        let mut largest = 0;
        for (key, group) in by_key {
            total_value = total_value.plus(group.value);
            largest = largest.max(group.people);
            if group.people >= k {
                listed.push((key, group.people, group.value));
            } else {
                let entry = other.get_or_insert_with(|| (BTreeSet::new(), V::default(), true));
                let members: BTreeSet<PersonId> = group.members.into_iter().collect();
                entry.2 &= members.len() >= group.people;
                entry.0.extend(members);
                entry.1 = entry.1.plus(group.value);
                folded.push(key);
            }
        }
        let total_people = total_people.max(largest);
        let shown_if = |people: usize, value: V, countable: bool| {
            if countable && people >= k {
                Cell::Shown { people, value }
            } else {
                Cell::FewerThanMinimum { k }
            }
        };
        let mut people: Vec<usize> = listed.iter().map(|(_, p, _)| *p).collect();
        let mut cells: Vec<Cell<V>> = listed
            .iter()
            .map(|(key, p, value)| {
                if withheld.contains(key) {
                    Cell::Withheld
                } else {
                    shown_if(*p, *value, true)
                }
            })
            .collect();
        if let Some((members, value, complete)) = &other {
            people.push(members.len());
            cells.push(if folded.iter().any(|key| withheld.contains(key)) {
                Cell::Withheld
            } else {
                shown_if(members.len(), *value, *complete)
            });
        }
        people.push(total_people);
        cells.push(shown_if(total_people, total_value, true));
        // The groups each cell sums, for `people_apart`.
        let mut sums: Vec<Vec<&K>> = listed.iter().map(|(key, _, _)| vec![key]).collect();
        if other.is_some() {
            sums.push(folded.iter().collect());
        }
        sums.push(
            listed
                .iter()
                .map(|(key, _, _)| key)
                .chain(&folded)
                .collect(),
        );
        let apart = people_apart.map(|count| move |a: usize, b: usize| count(&sums[a], &sums[b]));
        withhold_until_safe(
            &mut cells,
            &people,
            k,
            apart.as_ref().map(|f| f as &dyn Fn(usize, usize) -> usize),
        );
        let mut cells = cells.into_iter().map(Figure);
        let groups = listed
            .into_iter()
            .zip(cells.by_ref())
            .map(|((key, _, _), figure)| GroupFigure { key, figure })
            .collect();
        let other = other.and_then(|_| cells.next());
        let total = cells.next().unwrap_or(Figure(Cell::FewerThanMinimum { k }));
        AggregateTable {
            k,
            groups,
            other,
            total,
        }
    }

    /// "Shared by N+ colleagues" for `people` who did something: `None` under `k`, otherwise the
    /// largest of k, 10, 20, 50, 100, 200, 500, 1,000... (each at least k) that is not more than
    /// `people`. Rounded down so that one more person seldom changes what colleagues read,
    /// which would tell them someone just did it.
    #[must_use]
    pub fn social_proof(self, people: usize) -> Option<usize> {
        let k = self.0;
        if people < k {
            return None;
        }
        let mut shown = k;
        let mut step: usize = 10;
        loop {
            for threshold in [step, step * 2, step * 5] {
                if threshold > people {
                    return Some(shown);
                }
                shown = shown.max(threshold);
            }
            step = step.saturating_mul(10);
            if step == usize::MAX {
                return Some(shown);
            }
        }
    }

    /// Whether two figures whose populations differ by `people_apart` distinct people may not
    /// be shown side by side: the difference would be a figure about 1 to `k - 1` people.
    pub fn reveals_by_difference(self, people_apart: usize) -> bool {
        (1..self.0).contains(&people_apart)
    }

    /// The table and the populations behind each figure it shows, for the difference guard.
    pub(crate) fn build<K, V>(
        self,
        rows: impl IntoIterator<Item = Contribution<K, V>>,
        withheld: &BTreeSet<K>,
    ) -> (AggregateTable<K, V>, Vec<Population>)
    where
        K: Ord + Clone,
        V: Measure,
    {
        let k = self.0;
        let mut groups: BTreeMap<K, Tally<V>> = BTreeMap::new();
        for row in rows {
            groups
                .entry(row.group)
                .or_default()
                .add(row.person, row.record, row.value);
        }
        let mut listed: Vec<(K, Tally<V>)> = Vec::new();
        let mut other: Option<Tally<V>> = None;
        let mut other_withheld = false;
        let mut total = Tally::default();
        for (key, tally) in groups {
            total.merge(&tally);
            if tally.people.len() >= k {
                listed.push((key, tally));
            } else {
                other_withheld |= withheld.contains(&key);
                other.get_or_insert_with(Tally::default).merge(&tally);
            }
        }
        // One slot per figure: the listed groups, then "other" if any, then the total.
        let mut slots: Vec<(&Tally<V>, Cell<V>)> = listed
            .iter()
            .map(|(_, tally)| tally)
            .chain(other.as_ref())
            .chain([&total])
            .map(|tally| (tally, first_look(tally, k)))
            .collect();
        for (slot, (key, _)) in slots.iter_mut().zip(&listed) {
            if withheld.contains(key) {
                slot.1 = Cell::Withheld;
            }
        }
        if other_withheld {
            slots[listed.len()].1 = Cell::Withheld;
        }
        let records_in_cells: usize = slots
            .iter()
            .rev()
            .skip(1)
            .map(|(t, _)| t.records.len())
            .sum();
        {
            let people: Vec<usize> = slots.iter().map(|(t, _)| t.people.len()).collect();
            let records: Vec<&BTreeSet<(PersonId, u64)>> =
                slots.iter().map(|(t, _)| &t.records).collect();
            let overlapping = records_in_cells != total.records.len();
            let apart = |a: usize, b: usize| people_apart(records[a], records[b]);
            let mut cells: Vec<Cell<V>> = slots.iter().map(|(_, cell)| *cell).collect();
            withhold_until_safe(
                &mut cells,
                &people,
                k,
                overlapping.then_some(&apart as &dyn Fn(usize, usize) -> usize),
            );
            for (slot, cell) in slots.iter_mut().zip(cells) {
                slot.1 = cell;
            }
        }
        let populations = slots
            .iter()
            .filter(|(_, cell)| matches!(cell, Cell::Shown { .. }))
            .map(|(tally, _)| Population::from_records(tally.records.clone()))
            .collect();
        let mut cells = slots.into_iter().map(|(_, cell)| Figure(cell));
        let groups = listed
            .iter()
            .zip(cells.by_ref())
            .map(|((key, _), figure)| GroupFigure {
                key: key.clone(),
                figure,
            })
            .collect();
        let other = other.as_ref().and_then(|_| cells.next());
        let total = cells.next().unwrap_or(Figure(Cell::FewerThanMinimum { k }));
        (
            AggregateTable {
                k,
                groups,
                other,
                total,
            },
            populations,
        )
    }
}

/// A figure as its own number of people allows: shown from `k` people, "fewer than k" below.
fn first_look<V: Measure>(tally: &Tally<V>, k: usize) -> Cell<V> {
    if tally.people.len() >= k {
        Cell::Shown {
            people: tally.people.len(),
            value: tally.value,
        }
    } else {
        Cell::FewerThanMinimum { k }
    }
}

/// Withholds figures until none can be worked out from the others; the last cell is the total.
/// `people` is the number of distinct people behind each cell.
///
/// 1. Complementary suppression: with exactly one cell hidden and the total shown, the hidden
///    cell is the total minus the rest, so the smallest shown cell (by people) is withheld too.
/// 2. When records are counted in several groups (an item with two topics), two figures can
///    differ by a few people's records; the smaller of any two figures of the table that differ
///    by 1 to `k - 1` people is withheld (never the total). `people_apart(a, b)` counts the
///    people with records in exactly one of cells `a` and `b` then. When every record is in one group, rule 1 alone already keeps every two figures `k`
///    people apart (a property test checks it), so the pairwise comparison is skipped.
fn withhold_until_safe<V: Measure>(
    cells: &mut [Cell<V>],
    people: &[usize],
    k: usize,
    people_apart: Option<&dyn Fn(usize, usize) -> usize>,
) {
    let Some(total) = cells.len().checked_sub(1) else {
        return;
    };
    let shown = |cell: &Cell<V>| matches!(cell, Cell::Shown { .. });
    loop {
        let hidden = cells[..total].iter().filter(|cell| !shown(cell)).count();
        if shown(&cells[total]) && hidden == 1 {
            let smallest = (0..total)
                .filter(|&i| shown(&cells[i]))
                .min_by_key(|&i| people[i]);
            cells[smallest.unwrap_or(total)] = Cell::Withheld;
            continue;
        }
        if let Some(people_apart) = people_apart {
            let visible: Vec<usize> = (0..cells.len()).filter(|&i| shown(&cells[i])).collect();
            let too_close = visible.iter().enumerate().find_map(|(n, &a)| {
                visible[n + 1..].iter().find_map(|&b| {
                    let apart = people_apart(a, b);
                    let smaller = if b == total || people[a] < people[b] {
                        a
                    } else {
                        b
                    };
                    (1..k).contains(&apart).then_some(smaller)
                })
            });
            if let Some(index) = too_close {
                cells[index] = Cell::Withheld;
                continue;
            }
        }
        return;
    }
}

impl Default for MinGroupSize {
    fn default() -> Self {
        MinGroupSize(Self::DEFAULT)
    }
}

impl TryFrom<usize> for MinGroupSize {
    type Error = PolicyError;

    fn try_from(k: usize) -> Result<Self, Self::Error> {
        MinGroupSize::new(k)
    }
}

impl From<MinGroupSize> for usize {
    fn from(k: MinGroupSize) -> usize {
        k.0
    }
}

/// A quantity that can be summed into a figure: shares, clicks, or a struct of both.
pub trait Measure: Copy + Default {
    /// The sum of two amounts. Implementations should saturate rather than overflow.
    #[must_use]
    fn plus(self, other: Self) -> Self;
}

impl Measure for u64 {
    fn plus(self, other: Self) -> Self {
        self.saturating_add(other)
    }
}

impl Measure for u32 {
    fn plus(self, other: Self) -> Self {
        self.saturating_add(other)
    }
}

/// A group summed beforehand: the input of [`MinGroupSize::aggregate_counts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount<K, V> {
    /// The group.
    pub group: K,
    /// How many distinct people are behind it.
    pub people: usize,
    /// The summed amount.
    pub value: V,
    /// Who they are; needed only when `people` is below `k`. Never part of the output.
    pub members: Vec<PersonId>,
}

/// One person's contribution to a group: the input of [`MinGroupSize::aggregate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution<K, V> {
    /// The group it counts in (a network, a topic, a week...).
    pub group: K,
    /// Who contributed. Never part of the output.
    pub person: PersonId,
    /// What was measured, such as a share id or a share and hour. The difference guard
    /// compares figures record by record, so two time windows that differ only by one person's
    /// late share are told apart. Use 0 everywhere to compare people only.
    pub record: u64,
    /// The measured amount.
    pub value: V,
}

/// The running sum of one group while a table is built.
#[derive(Debug, Clone, Default)]
struct Tally<V> {
    people: BTreeSet<PersonId>,
    records: BTreeSet<(PersonId, u64)>,
    value: V,
}

impl<V: Measure> Tally<V> {
    fn add(&mut self, person: PersonId, record: u64, value: V) {
        self.people.insert(person);
        self.records.insert((person, record));
        self.value = self.value.plus(value);
    }

    fn merge(&mut self, other: &Tally<V>) {
        self.people.extend(other.people.iter().copied());
        self.records.extend(other.records.iter().copied());
        self.value = self.value.plus(other.value);
    }
}

/// Whether a figure may be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureStatus {
    /// At least `k` distinct people are behind it.
    Shown,
    /// Fewer than `k` people are behind it: shown as "fewer than k".
    FewerThanMinimum,
    /// Large enough, but hidden so that a smaller hidden figure cannot be worked out from it.
    Withheld,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Cell<V> {
    Shown { people: usize, value: V },
    FewerThanMinimum { k: usize },
    Withheld,
}

/// One figure of an [`AggregateTable`], built only by this module.
///
/// It serialises as `{"status":"shown","people":7,"value":12}`,
/// `{"status":"fewer_than_minimum","k":5}` or `{"status":"withheld"}`; it cannot be deserialised,
/// because that would be a way to build one without the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Figure<V>(Cell<V>);

impl<V: Copy> Figure<V> {
    /// Whether the figure may be read.
    pub fn status(&self) -> FigureStatus {
        match self.0 {
            Cell::Shown { .. } => FigureStatus::Shown,
            Cell::FewerThanMinimum { .. } => FigureStatus::FewerThanMinimum,
            Cell::Withheld => FigureStatus::Withheld,
        }
    }

    /// The summed value, when it may be shown.
    pub fn value(&self) -> Option<V> {
        match self.0 {
            Cell::Shown { value, .. } => Some(value),
            _ => None,
        }
    }

    /// How many distinct people are behind it, when it may be shown (always at least `k`).
    pub fn people(&self) -> Option<usize> {
        match self.0 {
            Cell::Shown { people, .. } => Some(people),
            _ => None,
        }
    }
}

/// A group's key with its figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupFigure<K, V> {
    key: K,
    figure: Figure<V>,
}

impl<K, V> GroupFigure<K, V> {
    /// The group.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Its figure.
    pub fn figure(&self) -> &Figure<V> {
        &self.figure
    }
}

/// Figures per group, "other" and the total, with every rule of the minimum group size applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AggregateTable<K, V> {
    k: usize,
    groups: Vec<GroupFigure<K, V>>,
    other: Option<Figure<V>>,
    total: Figure<V>,
}

impl<K, V> AggregateTable<K, V> {
    /// The groups of at least `k` people, in key order (some may be withheld).
    pub fn groups(&self) -> &[GroupFigure<K, V>] {
        &self.groups
    }

    /// The groups of fewer than `k` people folded together, if there were any.
    pub fn other(&self) -> Option<&Figure<V>> {
        self.other.as_ref()
    }

    /// All rows together.
    pub fn total(&self) -> &Figure<V> {
        &self.total
    }

    /// The `k` the table was built with, for the "fewer than k" label.
    pub fn min_group_size(&self) -> usize {
        self.k
    }

    /// The same table with every figure withheld, for a table whose total would differ from
    /// an earlier one by fewer than `k` people (with the total hidden, the sum of the groups
    /// would still give it).
    #[must_use]
    pub fn withheld_whole(self) -> Self {
        let withheld = || Figure(Cell::Withheld);
        AggregateTable {
            k: self.k,
            groups: self
                .groups
                .into_iter()
                .map(|group| GroupFigure {
                    key: group.key,
                    figure: withheld(),
                })
                .collect(),
            other: self.other.map(|_| withheld()),
            total: withheld(),
        }
    }
}

#[cfg(test)]
mod tests;
