//! One pass over the roll-up's rows for a view: every grouping's sums and distinct people at
//! once, and the people that tell the view apart from each earlier one.
//!
//! People are numbered densely (the ambassadors currently opted in), so a group's people are a
//! bit set: a year of 1.8 million rows by 2,000 people groups in tens of milliseconds, where the
//! database needed seconds to count distinct people per group. Comparing with earlier views
//! needs to count people only up to the minimum group size, and does ([`Few`]), in one more
//! pass over the rows of every view compared (the rows of groups under that size are kept as
//! they are met, [`FewRows`], so that comparing the "other" figures reads only them); a row is
//! added to its day, network and item, and the campaigns and topics are made from the items.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chorus_policy::{
    AggregateTable, CampaignId, GroupCount, Measure, MinGroupSize, Network, PersonId,
};
use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::rollup::{Day, Entry};
use super::{Activity, Dimension, Every, Filter, day_number, start_of, week_of_day};

/// A set of people, by their dense number.
#[derive(Debug, Clone)]
struct People(Vec<u64>);

impl People {
    fn members(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(index, &word)| {
            (0..64)
                .filter(move |bit| word & (1 << bit) != 0)
                .map(move |bit| u32::try_from(index * 64 + bit).unwrap_or(u32::MAX))
        })
    }
}

/// The people of a group, as a set: every one of them ([`People`]), or only as many as
/// the minimum group size ([`Few`]).
trait Members: Clone + Send {
    /// An empty set, for people numbered below `people`, that needs count no further than `k`.
    fn with_room(people: usize, k: usize) -> Self;
    fn insert(&mut self, person: u32);
    /// Keeps `row`, one of the rows that put the last person inserted in the set, where the set
    /// keeps rows ([`FewRows`]).
    fn keep(&mut self, _row: Row) {}
    /// How many people are in it (at most `k` for [`Few`]).
    fn len(&self) -> usize;
    fn union_with(&mut self, other: &Self);
    /// Whether inserting more people would change nothing: a set that counts only up to `k`
    /// has `k`. Such sets only count people: their groups' sums are never read.
    fn full(&self) -> bool {
        false
    }
}

impl Members for People {
    fn with_room(people: usize, _: usize) -> Self {
        People(vec![0; people.div_ceil(64)])
    }

    fn insert(&mut self, person: u32) {
        let person = person as usize;
        self.0[person / 64] |= 1 << (person % 64);
    }

    fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    fn union_with(&mut self, other: &People) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// A group's people counted up to `k`: whether a group has fewer than `k` people, or two
/// views differ in it by 1 to `k - 1`, needs no more. Comparing a view with earlier ones
/// counts people that way in every group of every earlier view: with 20,000 people, a bit set
/// per group was 2.5 KB to clear, fill and merge where this holds at most `k - 1` numbers.
#[derive(Debug, Clone)]
struct Few {
    k: usize,
    /// The first people met, until there are `k` of them.
    some: Vec<u32>,
    /// Whether `k` people were met.
    full: bool,
}

impl Members for Few {
    fn with_room(_: usize, k: usize) -> Self {
        Few {
            k,
            some: Vec::new(),
            full: k == 0,
        }
    }

    fn insert(&mut self, person: u32) {
        if self.full || self.some.contains(&person) {
            return;
        }
        self.some.push(person);
        if self.some.len() >= self.k {
            self.full = true;
            self.some = Vec::new();
        }
    }

    fn len(&self) -> usize {
        if self.full { self.k } else { self.some.len() }
    }

    fn full(&self) -> bool {
        self.full
    }

    fn union_with(&mut self, other: &Few) {
        if other.full {
            self.full = true;
            self.some = Vec::new();
            return;
        }
        for &person in &other.some {
            self.insert(person);
        }
    }
}

/// A row of the roll-up with its day.
type Row = (i32, Entry);

/// A group's people counted up to `k` ([`Few`]), with the rows that put them there while
/// there are fewer than `k` of them: a group left with fewer than `k` people, folded into its
/// grouping's "other", has every one of its rows at hand once the rows are counted, so that
/// comparing the "other" figures of two views reads only those rows, not every row again.
#[derive(Debug, Clone)]
struct FewRows {
    few: Few,
    /// Every row added while `few` is not full.
    rows: Vec<Row>,
}

impl Members for FewRows {
    fn with_room(people: usize, k: usize) -> Self {
        FewRows {
            few: Few::with_room(people, k),
            rows: Vec::new(),
        }
    }

    fn insert(&mut self, person: u32) {
        self.few.insert(person);
        if self.few.full && !self.rows.is_empty() {
            self.rows = Vec::new();
        }
    }

    fn keep(&mut self, row: Row) {
        if !self.few.full {
            self.rows.push(row);
        }
    }

    fn len(&self) -> usize {
        self.few.len()
    }

    fn full(&self) -> bool {
        self.few.full
    }

    fn union_with(&mut self, other: &FewRows) {
        self.few.union_with(&other.few);
        if self.few.full {
            self.rows = Vec::new();
        } else {
            self.rows.extend_from_slice(&other.rows);
        }
    }
}

/// An item's campaign and topics, by their place in [`Context`].
#[derive(Debug, Clone, Default)]
struct Item {
    campaign: Option<i32>,
    /// Index in `Context::campaigns` (0: none).
    campaign_index: usize,
    /// Indexes in `Context::topics`.
    topics: Vec<usize>,
}

/// What a scan needs besides the rows: who is opted in (and their team), and what each item is
/// filed under (a few thousand rows at most; see [`crate::Sources`]).
#[derive(Debug)]
pub(super) struct Context {
    /// Dense number → `users.id`.
    ids: Vec<i32>,
    /// `users.id` → dense number, `u32::MAX` for people not opted in.
    slot: Vec<u32>,
    /// Dense number → team name.
    team: Vec<String>,
    /// By item id.
    items: Vec<Item>,
    /// Campaign ids; index 0 is "no campaign".
    campaigns: Vec<i32>,
    /// Topic ids.
    topics: Vec<i32>,
}

const NOBODY: u32 = u32::MAX;

/// The place of `id` in `known`, added at the end when it is not there yet.
fn place_of(known: &mut Vec<i32>, id: i32) -> usize {
    known.iter().position(|&k| k == id).unwrap_or_else(|| {
        known.push(id);
        known.len() - 1
    })
}

impl Context {
    pub(super) async fn read(db: &impl ConnectionTrait) -> Result<Context, DbErr> {
        let query = |text: &str| {
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                text.to_owned(),
            ))
        };
        let (people, items, topics) = tokio::try_join!(
            query(
                "SELECT u.id AS id, COALESCE(u.team, '') AS team FROM users u \
                 WHERE u.id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL) ORDER BY u.id"
            ),
            query("SELECT id, campaign_id FROM content_items"),
            query("SELECT item_id, topic_id FROM content_item_topics"),
        )?;
        let mut read_people = Vec::with_capacity(people.len());
        for row in people {
            read_people.push((row.try_get("", "id")?, row.try_get("", "team")?));
        }
        let mut read_items = Vec::with_capacity(items.len());
        for row in items {
            read_items.push((row.try_get("", "id")?, row.try_get("", "campaign_id")?));
        }
        let mut read_topics = Vec::with_capacity(topics.len());
        for row in topics {
            read_topics.push((row.try_get("", "item_id")?, row.try_get("", "topic_id")?));
        }
        Ok(Context::of(read_people, read_items, read_topics))
    }

    /// From the people opted in (id, team), the items (id, campaign) and the items' topics
    /// (item, topic).
    fn of(
        people: Vec<(i32, String)>,
        items: Vec<(i32, Option<i32>)>,
        topics: Vec<(i32, i32)>,
    ) -> Context {
        let mut context = Context {
            ids: Vec::with_capacity(people.len()),
            slot: Vec::new(),
            team: Vec::with_capacity(people.len()),
            items: Vec::new(),
            campaigns: vec![0],
            topics: Vec::new(),
        };
        for (id, team) in people {
            let Ok(index) = usize::try_from(id) else {
                continue;
            };
            if context.slot.len() <= index {
                context.slot.resize(index + 1, NOBODY);
            }
            context.slot[index] = u32::try_from(context.ids.len()).unwrap_or(NOBODY);
            context.ids.push(id);
            context.team.push(team);
        }
        for (id, campaign) in items {
            let campaign_index = campaign.map_or(0, |c| place_of(&mut context.campaigns, c));
            *context.item_mut(id) = Item {
                campaign,
                campaign_index,
                topics: Vec::new(),
            };
        }
        for (item, topic) in topics {
            let index = place_of(&mut context.topics, topic);
            context.item_mut(item).topics.push(index);
        }
        context
    }

    fn item_mut(&mut self, id: i32) -> &mut Item {
        let index = usize::try_from(id).unwrap_or_default();
        if self.items.len() <= index {
            self.items.resize(index + 1, Item::default());
        }
        &mut self.items[index]
    }

    fn item(&self, id: u32) -> &Item {
        static NONE: Item = Item {
            campaign: None,
            campaign_index: 0,
            topics: Vec::new(),
        };
        self.items.get(id as usize).unwrap_or(&NONE)
    }

    fn person(&self, user: u32) -> u32 {
        self.slot.get(user as usize).copied().unwrap_or(NOBODY)
    }

    /// The `users.id` of everyone opted in, of `team` when given.
    pub(super) fn ambassadors(&self, team: Option<&str>) -> Vec<i32> {
        self.ids
            .iter()
            .zip(&self.team)
            .filter(|(_, t)| team.is_none_or(|team| team == t.as_str()))
            .map(|(id, _)| *id)
            .collect()
    }

    fn person_id(&self, person: u32) -> PersonId {
        PersonId(u64::try_from(self.ids[person as usize]).unwrap_or_default())
    }
}

/// A filter made ready to test rows.
struct Compiled<'a> {
    from: i32,
    to: i32,
    network: Option<u8>,
    team: Option<&'a str>,
    item: Option<u32>,
    /// The topic's index; one no item has when the topic has no items.
    topic: Option<usize>,
    campaign: Option<i32>,
}

impl<'a> Compiled<'a> {
    fn of(filter: &'a Filter, context: &Context) -> Self {
        Compiled {
            from: day_number(start_of(filter.from)),
            to: day_number(start_of(filter.to)),
            network: filter.network.map(network_index),
            team: filter.team.as_deref(),
            item: filter
                .item
                .map(|i| u32::try_from(i.get()).unwrap_or(u32::MAX)),
            topic: filter.topic.map(|t| {
                context
                    .topics
                    .iter()
                    .position(|&known| known == t.get())
                    .unwrap_or(usize::MAX)
            }),
            campaign: filter.campaign.map(CampaignId::get),
        }
    }

    /// Whether every row of a day in the period is in the view (no other condition).
    fn dates_only(&self) -> bool {
        self.network.is_none()
            && self.team.is_none()
            && self.item.is_none()
            && self.topic.is_none()
            && self.campaign.is_none()
    }

    /// Whether the row of `person` (opted in) on `day` is in the view.
    fn matches(&self, context: &Context, day: i32, entry: &Entry, person: u32) -> bool {
        if day < self.from || day > self.to {
            return false;
        }
        if self.network.is_some_and(|n| n != entry.network)
            || self.item.is_some_and(|i| i != entry.item)
            || self
                .team
                .is_some_and(|t| context.team[person as usize] != t)
        {
            return false;
        }
        if self.topic.is_none() && self.campaign.is_none() {
            return true;
        }
        let item = context.item(entry.item);
        self.topic.is_none_or(|t| item.topics.contains(&t))
            && self.campaign.is_none_or(|c| item.campaign == Some(c))
    }
}

fn network_index(network: Network) -> u8 {
    Network::ALL
        .iter()
        .position(|&n| n == network)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

/// The groups of one grouping, by index, each with its sums and people.
struct Groups<S> {
    people: usize,
    k: usize,
    groups: Vec<Option<(Activity, S)>>,
    /// The groups whose people are [`Members::full`], by index (some may be full and not
    /// marked yet): adding to them is skipped without reading the group. Reading it was the
    /// costliest instruction of the comparison (hundreds of items' groups in each of several
    /// tables do not fit in the processor's nearest cache; these marks do).
    full: Vec<bool>,
}

impl<S: Members> Groups<S> {
    fn new(people: usize, k: usize) -> Self {
        Groups {
            people,
            k,
            groups: Vec::new(),
            full: Vec::new(),
        }
    }

    fn add(&mut self, group: usize, person: u32, activity: Activity, row: Row) {
        if self.full.get(group).copied().unwrap_or(false) {
            return;
        }
        if self.groups.len() <= group {
            self.groups.resize_with(group + 1, || None);
        }
        let (sum, people) = self.groups[group]
            .get_or_insert_with(|| (Activity::default(), S::with_room(self.people, self.k)));
        *sum = sum.plus(activity);
        people.insert(person);
        people.keep(row);
        if people.full() {
            if self.full.len() <= group {
                self.full.resize(group + 1, false);
            }
            self.full[group] = true;
        }
    }

    /// Adds a whole group's sums and people to group `group`.
    fn absorb(&mut self, group: usize, activity: Activity, members: &S) {
        if self.groups.len() <= group {
            self.groups.resize_with(group + 1, || None);
        }
        match &mut self.groups[group] {
            Some((sum, people)) => {
                *sum = sum.plus(activity);
                people.union_with(members);
            }
            empty => *empty = Some((activity, members.clone())),
        }
    }

    fn merge(&mut self, other: Groups<S>) {
        for (index, group) in other.groups.into_iter().enumerate() {
            let Some((activity, people)) = group else {
                continue;
            };
            if self.groups.len() <= index {
                self.groups.resize_with(index + 1, || None);
            }
            match &mut self.groups[index] {
                Some((sum, members)) => {
                    *sum = sum.plus(activity);
                    members.union_with(&people);
                }
                empty => *empty = Some((activity, people)),
            }
        }
    }

    fn present(&self) -> impl Iterator<Item = (usize, &Activity, &S)> {
        self.groups
            .iter()
            .enumerate()
            .filter_map(|(index, group)| group.as_ref().map(|(a, p)| (index, a, p)))
    }
}

/// The groups of one grouping as [`Scan::count`] fills them: every group's sum and set of
/// people in two flat arrays, sized before the rows are read, turned into [`Groups`] once they
/// are counted.
struct Dense {
    /// Words of a group's bit set.
    words: usize,
    sums: Vec<Activity>,
    bits: Vec<u64>,
}

impl Dense {
    fn new(groups: usize, people: usize) -> Self {
        let words = people.div_ceil(64);
        Dense {
            words,
            sums: vec![Activity::default(); groups],
            bits: vec![0; groups * words],
        }
    }

    /// Groups `0..groups` whose people are `bits` (a row of `people.div_ceil(64)` words per
    /// group), their sums still to add.
    fn of_people(groups: usize, people: usize, bits: Vec<u64>) -> Self {
        let words = people.div_ceil(64);
        debug_assert_eq!(bits.len(), groups * words);
        Dense {
            words,
            sums: vec![Activity::default(); groups],
            bits,
        }
    }

    /// Makes room for group `group` (a group the count was not sized for: an item newer than the
    /// sources read).
    #[cold]
    fn grow(&mut self, group: usize) {
        self.sums.resize(group + 1, Activity::default());
        self.bits.resize((group + 1) * self.words, 0);
    }

    #[inline]
    fn insert(&mut self, group: usize, person: u32) {
        if group >= self.sums.len() {
            self.grow(group);
        }
        let person = person as usize;
        self.bits[group * self.words + person / 64] |= 1 << (person % 64);
    }

    /// Adds to the sum of group `group`, whose people are inserted apart.
    fn add_sum(&mut self, group: usize, activity: Activity) {
        if group >= self.sums.len() {
            self.grow(group);
        }
        self.sums[group] = self.sums[group].plus(activity);
    }

    /// The groups with people, as the other scans keep them.
    fn into_groups(self, people: usize) -> Groups<People> {
        let mut groups = Groups::new(people, 0);
        groups.groups = self
            .sums
            .into_iter()
            .zip(self.bits.chunks_exact(self.words.max(1)))
            .map(|(sum, bits)| {
                bits.iter()
                    .any(|&word| word != 0)
                    .then(|| (sum, People(bits.to_vec())))
            })
            .collect();
        groups
    }
}

/// The items of each person, a row of bits per person: [`Scan::count`] marks a row's item in
/// its person's row, which a day's rows, coming by person, keep in the nearest cache. Marking
/// it in the item's set of people instead (500 sets of 2.5 KB at 20,000 people, one met at
/// random on each row) missed that cache on most rows: a third of a year's count at ten times
/// the benchmark's scale. Turned into a set of people per item once the rows are counted, 64
/// people by 64 items at a time.
struct ItemsByPerson {
    /// Words of a person's row.
    words: usize,
    bits: Vec<u64>,
    people: usize,
}

impl ItemsByPerson {
    fn new(people: usize, items: usize) -> Self {
        let words = items.div_ceil(64).max(1);
        ItemsByPerson {
            words,
            bits: vec![0; people * words],
            people,
        }
    }

    /// Makes room for item `item` (newer than the sources read).
    #[cold]
    fn grow(&mut self, item: usize) {
        let words = (item + 1).div_ceil(64);
        let mut bits = vec![0; self.people * words];
        for (to, from) in bits
            .chunks_exact_mut(words)
            .zip(self.bits.chunks_exact(self.words))
        {
            to[..self.words].copy_from_slice(from);
        }
        (self.words, self.bits) = (words, bits);
    }

    #[inline]
    fn insert(&mut self, person: u32, item: usize) {
        if item >= self.words * 64 {
            self.grow(item);
        }
        self.bits[person as usize * self.words + item / 64] |= 1 << (item % 64);
    }

    /// The people of each item, as [`Dense`] keeps them (one row of `people.div_ceil(64)`
    /// words per item), for items `0..self.words * 64`.
    fn by_item(&self) -> Vec<u64> {
        let person_words = self.people.div_ceil(64);
        let mut out = vec![0; self.words * 64 * person_words];
        let mut block = [0_u64; 64];
        for people in 0..person_words {
            for items in 0..self.words {
                // Rows: 64 people (fewer in the last block), each word: 64 items.
                for (place, word) in block.iter_mut().enumerate() {
                    let person = people * 64 + place;
                    *word = if person < self.people {
                        self.bits[person * self.words + items]
                    } else {
                        0
                    };
                }
                if block.iter().all(|&word| word == 0) {
                    continue;
                }
                transpose(&mut block);
                for (place, word) in block.iter().enumerate() {
                    out[(items * 64 + place) * person_words + people] = *word;
                }
            }
        }
        out
    }
}

/// Transposes a 64 by 64 matrix of bits: bit `c` of word `r` becomes bit `r` of word `c`
/// (the exchange of ever smaller blocks, as in Hacker's Delight, 7-3).
fn transpose(block: &mut [u64; 64]) {
    let mut width = 32;
    let mut mask: u64 = 0x0000_0000_FFFF_FFFF;
    while width != 0 {
        let mut row = 0;
        while row < 64 {
            let swap = ((block[row] >> width) ^ block[row + width]) & mask;
            block[row] ^= swap << width;
            block[row + width] ^= swap;
            row = (row + width + 1) & !width;
        }
        width >>= 1;
        mask ^= mask << width;
    }
}

/// How a view puts days into bars.
struct Grouping {
    first_bucket: i32,
    last_bucket: i32,
    step: i32,
}

impl Grouping {
    fn of(filter: &Filter) -> Self {
        let first = day_number(start_of(filter.from));
        let last = day_number(start_of(filter.to));
        match filter.every {
            Every::Day => Grouping {
                first_bucket: first,
                last_bucket: last,
                step: 1,
            },
            Every::Week => Grouping {
                first_bucket: week_of_day(first),
                last_bucket: week_of_day(last),
                step: 7,
            },
        }
    }

    /// The bar of a day, if the view has it (a day just outside the view can be in the same
    /// week as its first or last day).
    fn time(&self, day: i32) -> Option<usize> {
        let bucket = if self.step == 7 {
            week_of_day(day)
        } else {
            day
        };
        if bucket < self.first_bucket || bucket > self.last_bucket {
            return None;
        }
        usize::try_from((bucket - self.first_bucket) / self.step).ok()
    }

    /// How many bars the view has.
    fn len(&self) -> usize {
        usize::try_from((self.last_bucket - self.first_bucket) / self.step + 1).unwrap_or(0)
    }

    fn time_key(&self, index: usize) -> String {
        (self.first_bucket + i32::try_from(index).unwrap_or_default() * self.step).to_string()
    }
}

/// Every grouping of a view at once.
struct Tables<S> {
    time: Groups<S>,
    network: Groups<S>,
    campaign: Groups<S>,
    item: Groups<S>,
    topic: Groups<S>,
}

impl<S: Members> Tables<S> {
    fn new(people: usize, k: usize) -> Self {
        Tables {
            time: Groups::new(people, k),
            network: Groups::new(people, k),
            campaign: Groups::new(people, k),
            item: Groups::new(people, k),
            topic: Groups::new(people, k),
        }
    }

    fn add(
        &mut self,
        time: Option<usize>,
        day: i32,
        entry: &Entry,
        person: u32,
        activity: Activity,
    ) {
        let row = (day, *entry);
        if let Some(time) = time {
            self.time.add(time, person, activity, row);
        }
        self.network
            .add(usize::from(entry.network), person, activity, row);
        self.item.add(entry.item as usize, person, activity, row);
    }

    /// Fills the campaigns and topics from the items, once every row is added: a row's
    /// campaign and topics are its item's, so each row is added to three groupings, not five
    /// or more (a year of rows next to three earlier views spent most of its time adding).
    fn fill_campaigns_and_topics(&mut self, context: &Context) {
        for (index, activity, members) in self.item.present() {
            let item = context.item(u32::try_from(index).unwrap_or(u32::MAX));
            self.campaign
                .absorb(item.campaign_index, *activity, members);
            for &topic in &item.topics {
                self.topic.absorb(topic, *activity, members);
            }
        }
    }

    fn merge(&mut self, other: Tables<S>) {
        self.time.merge(other.time);
        self.network.merge(other.network);
        self.campaign.merge(other.campaign);
        self.item.merge(other.item);
        self.topic.merge(other.topic);
    }

    fn of(&self, dimension: Dimension) -> &Groups<S> {
        match dimension {
            Dimension::Time => &self.time,
            Dimension::Network => &self.network,
            Dimension::Campaign => &self.campaign,
            Dimension::Item => &self.item,
            Dimension::Topic => &self.topic,
        }
    }
}

/// The key of a group as the tables and the audit log show it.
fn group_key(context: &Context, grouping: &Grouping, dimension: Dimension, index: usize) -> String {
    match dimension {
        Dimension::Time => grouping.time_key(index),
        Dimension::Network => Network::ALL
            .get(index)
            .map_or_else(String::new, |n| n.as_str().to_owned()),
        Dimension::Campaign => context.campaigns[index].to_string(),
        Dimension::Item => index.to_string(),
        Dimension::Topic => context.topics[index].to_string(),
    }
}

/// The groups of each grouping that a view folds into "other" (fewer than k people), by
/// index, to tell which of its rows "other" sums.
struct Folded {
    groups: [Vec<bool>; 5],
    /// Whether any grouping folds any group.
    any: bool,
}

impl Folded {
    fn of<S: Members>(tables: &Tables<S>, k: MinGroupSize) -> Self {
        let groups = Dimension::ALL.map(|dimension| {
            let groups = &tables.of(dimension).groups;
            groups
                .iter()
                .map(|group| group.as_ref().is_some_and(|(_, p)| p.len() < k.get()))
                .collect::<Vec<bool>>()
        });
        let any = groups.iter().flatten().any(|folded| *folded);
        Folded { groups, any }
    }

    fn folded(&self, place: usize, index: usize) -> bool {
        self.groups[place].get(index).copied().unwrap_or(false)
    }

    /// Whether the row is summed in the "other" figure of each grouping, in
    /// [`Dimension::ALL`]'s order.
    fn in_other(&self, context: &Context, time: Option<usize>, entry: &Entry) -> [bool; 5] {
        if !self.any {
            return [false; 5];
        }
        let item = context.item(entry.item);
        Dimension::ALL.map(|dimension| match dimension {
            Dimension::Time => time.is_some_and(|t| self.folded(0, t)),
            Dimension::Network => self.folded(1, usize::from(entry.network)),
            Dimension::Topic => item.topics.iter().any(|&t| self.folded(2, t)),
            Dimension::Campaign => self.folded(3, item.campaign_index),
            Dimension::Item => self.folded(4, entry.item as usize),
        })
    }
}

/// Days `from..=to` of `days` (which start at day `first`), numbered, with their rows.
fn numbered(days: &[Day], first: i32, from: i32, to: i32) -> impl Iterator<Item = (i32, &[Entry])> {
    days.iter()
        .zip(first..)
        .filter(move |(_, day)| (from..=to).contains(day))
        .map(|(rows, day)| (day, &rows[..]))
}

/// How many parts to scan `days` in: one per core, each of at least 50,000 rows.
fn parts_for(days: &[Day]) -> usize {
    const ROWS_WORTH_A_THREAD: usize = 50_000;
    let rows: usize = days.iter().map(|day| day.len()).sum();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    cores.min(rows / ROWS_WORTH_A_THREAD).clamp(1, 8)
}

/// Runs `scan` on `parts` parts of `days` (which start at day `first`) side by side, with about
/// as many rows each, and merges what the parts found.
fn side_by_side<T: Send>(
    days: &[Day],
    first: i32,
    parts: usize,
    scan: impl Fn(&[Day], i32) -> T + Sync,
    merge: impl Fn(&mut T, T),
) -> T {
    let rows: usize = days.iter().map(|day| day.len()).sum();
    if parts <= 1 {
        return scan(days, first);
    }
    let mut bounds = Vec::with_capacity(parts);
    let (mut start, mut taken) = (0, 0);
    for (index, day) in days.iter().enumerate() {
        taken += day.len();
        if bounds.len() + 1 < parts && taken >= rows.div_ceil(parts) * (bounds.len() + 1) {
            bounds.push((start, index + 1));
            start = index + 1;
        }
    }
    bounds.push((start, days.len()));
    let found: Vec<T> = std::thread::scope(|threads| {
        let scan = &scan;
        let running: Vec<_> = bounds
            .iter()
            .map(|&(from, to)| {
                let part_first = first + i32::try_from(from).unwrap_or_default();
                threads.spawn(move || scan(&days[from..to], part_first))
            })
            .collect();
        running
            .into_iter()
            .map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut found = found.into_iter();
    let mut out = found.next().unwrap_or_else(|| scan(&[], first));
    for more in found {
        merge(&mut out, more);
    }
    out
}

/// What tells a view apart from one earlier view: the people with rows in one and not the
/// other, in all, by group, in the topics' total (the items under a topic; every other
/// grouping's total is the view's), and in each grouping's "other" (in [`Dimension::ALL`]'s
/// order).
struct Apart {
    all: Few,
    groups: Tables<Few>,
    topics_total: Few,
    others: [Few; 5],
}

impl Apart {
    fn new(people: usize, k: usize) -> Self {
        Apart {
            all: Few::with_room(people, k),
            groups: Tables::new(people, k),
            topics_total: Few::with_room(people, k),
            others: std::array::from_fn(|_| Few::with_room(people, k)),
        }
    }

    fn merge(&mut self, more: Apart) {
        self.all.union_with(&more.all);
        self.groups.merge(more.groups);
        self.topics_total.union_with(&more.topics_total);
        for (others, more) in self.others.iter_mut().zip(&more.others) {
            others.union_with(more);
        }
    }
}

/// A view's rows counted: every grouping's sums and people, and each person's activity (by
/// dense number).
pub(super) struct Counted {
    tables: Tables<People>,
    per_person: Vec<Option<Activity>>,
}

impl Counted {
    /// Adds the count of other rows of the same view ([`Scan::count_part`]).
    pub(super) fn merge(&mut self, more: Counted) {
        self.tables.merge(more.tables);
        if self.per_person.len() < more.per_person.len() {
            self.per_person.resize(more.per_person.len(), None);
        }
        for (mine, more) in self.per_person.iter_mut().zip(more.per_person) {
            if let Some(more) = more {
                let mine = mine.get_or_insert_with(Activity::default);
                *mine = mine.plus(more);
            }
        }
    }

    /// Makes the campaigns and topics from the items, once every part is merged.
    pub(super) fn finish(&mut self, context: &Context) {
        self.tables.fill_campaigns_and_topics(context);
    }
}

/// What a view withholds because of the viewer's earlier views.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Withheld {
    /// By grouping, the groups withheld (a group folded into "other" withholds "other").
    pub(super) groups: HashMap<Dimension, BTreeSet<String>>,
    /// Groupings withheld whole, their totals being too close: topics, whose total leaves out
    /// the items under no topic (the other groupings' totals are the view's).
    pub(super) whole: BTreeSet<Dimension>,
}

impl Withheld {
    /// How many groups or groupings are withheld.
    pub(super) fn count(&self) -> usize {
        self.groups.values().map(BTreeSet::len).sum::<usize>() + self.whole.len()
    }
}

/// A view's rows and what they mean, ready to be scanned.
#[derive(Clone, Copy)]
pub(super) struct Scan<'a> {
    context: &'a Context,
    /// The rows, by day, from day `first`; they cover every view scanned.
    days: &'a [Day],
    first: i32,
    k: MinGroupSize,
    /// How many parts the rows are scanned in, side by side.
    parts: usize,
}

impl<'a> Scan<'a> {
    pub(super) fn new(context: &'a Context, days: &'a [Day], first: i32, k: MinGroupSize) -> Self {
        Scan {
            context,
            days,
            first,
            k,
            parts: parts_for(days),
        }
    }

    /// For each grouping, the groups whose people differ by 1 to `k - 1` between `filter` and
    /// one of the `earlier` views (row by row: a person counted in both with different rows
    /// counts as apart); `None` when the totals themselves do. When the "other" figures of a
    /// grouping (the groups under k people, summed) are that close, every group folded into
    /// this view's "other" is withheld, which withholds "other"; when the totals of a grouping
    /// are, the grouping is withheld whole.
    pub(super) fn too_close(
        &self,
        filter: &Filter,
        now_counted: &Counted,
        earlier: &[&Filter],
    ) -> Option<Withheld> {
        let Scan {
            context,
            days,
            first,
            k,
            parts,
        } = *self;
        // Nothing to compare with: no pass over the rows.
        if earlier.is_empty() {
            return Some(Withheld::default());
        }
        let now = Compiled::of(filter, context);
        let grouping = Grouping::of(filter);
        let people = context.ids.len();
        let then: Vec<Compiled> = earlier.iter().map(|f| Compiled::of(f, context)).collect();
        let then_grouping: Vec<Grouping> = earlier.iter().map(|f| Grouping::of(f)).collect();
        let from = then.iter().map(|c| c.from).fold(now.from, i32::min);
        let to = then.iter().map(|c| c.to).fold(now.to, i32::max);
        // One pass over the rows: the people of every group of each earlier view, to know what
        // each folds into "other" (this view's are counted already), with the rows of each of
        // its groups while they have fewer than k people; the people whose rows are in one view
        // and not the other, by group; and the rows that this view folds into "other".
        let folded_now = &Folded::of(&now_counted.tables, k);
        let scan = |days: &[Day], first: i32| {
            let mut tables: Vec<Tables<FewRows>> =
                then.iter().map(|_| Tables::new(people, k.get())).collect();
            let mut apart: Vec<Apart> = then.iter().map(|_| Apart::new(people, k.get())).collect();
            let mut in_other_now: Vec<Row> = Vec::new();
            for (day, rows) in numbered(days, first, from, to) {
                let time = grouping.time(day);
                let then_times: Vec<Option<usize>> =
                    then_grouping.iter().map(|g| g.time(day)).collect();
                for entry in rows {
                    let person = context.person(entry.user);
                    if person == NOBODY {
                        continue;
                    }
                    let in_now = now.matches(context, day, entry, person);
                    if in_now && folded_now.in_other(context, time, entry).contains(&true) {
                        in_other_now.push((day, *entry));
                    }
                    for (v, (apart, tables)) in apart.iter_mut().zip(&mut tables).enumerate() {
                        let in_then = then[v].matches(context, day, entry, person);
                        if in_then {
                            tables.add(then_times[v], day, entry, person, Activity::default());
                        }
                        if in_then != in_now {
                            apart.all.insert(person);
                            apart
                                .groups
                                .add(time, day, entry, person, Activity::default());
                            if !context.item(entry.item).topics.is_empty() {
                                apart.topics_total.insert(person);
                            }
                        }
                    }
                }
            }
            (tables, apart, in_other_now)
        };
        let (mut counted, mut apart, in_other_now) = side_by_side(
            days,
            first,
            parts,
            scan,
            |(tables, apart, in_other), more| {
                for (tables, more) in tables.iter_mut().zip(more.0) {
                    tables.merge(more);
                }
                for (apart, more) in apart.iter_mut().zip(more.1) {
                    apart.merge(more);
                }
                in_other.extend(more.2);
            },
        );
        for tables in &mut counted {
            tables.fill_campaigns_and_topics(context);
        }
        for apart in &mut apart {
            apart.groups.fill_campaigns_and_topics(context);
        }
        let folded_then: Vec<Folded> = counted.iter().map(|tables| Folded::of(tables, k)).collect();
        // Then the people whose rows are in one "other" and not the other's. Only a row in a
        // folded group is in an "other", and a folded group has fewer than k people, so its
        // rows were kept: those of this view's folded groups, met above, and those of each
        // earlier view's, read from its groups. No other row can be in either "other".
        let mut in_some_other = in_other_now;
        for tables in &counted {
            for dimension in Dimension::ALL {
                for (_, _, members) in tables.of(dimension).present() {
                    if members.len() < k.get() {
                        in_some_other.extend_from_slice(&members.rows);
                    }
                }
            }
        }
        for (day, entry) in &in_some_other {
            let (day, entry) = (*day, entry);
            let person = context.person(entry.user);
            let in_now = now.matches(context, day, entry, person);
            let other_now = if in_now {
                folded_now.in_other(context, grouping.time(day), entry)
            } else {
                [false; 5]
            };
            for (v, apart) in apart.iter_mut().enumerate() {
                let in_then = then[v].matches(context, day, entry, person);
                let other_then = if in_then {
                    folded_then[v].in_other(context, then_grouping[v].time(day), entry)
                } else {
                    [false; 5]
                };
                for (place, others) in apart.others.iter_mut().enumerate() {
                    if other_now[place] != other_then[place] {
                        others.insert(person);
                    }
                }
            }
        }
        let mut withheld = Withheld::default();
        for apart in &apart {
            if k.reveals_by_difference(apart.all.len()) {
                return None;
            }
            if k.reveals_by_difference(apart.topics_total.len()) {
                withheld.whole.insert(Dimension::Topic);
            }
            for (place, dimension) in Dimension::ALL.into_iter().enumerate() {
                for (index, _, people) in apart.groups.of(dimension).present() {
                    if k.reveals_by_difference(people.len()) {
                        withheld
                            .groups
                            .entry(dimension)
                            .or_default()
                            .insert(group_key(context, &grouping, dimension, index));
                    }
                }
                if k.reveals_by_difference(apart.others[place].len()) {
                    let in_other = folded_now.groups[place]
                        .iter()
                        .enumerate()
                        .filter(|(_, folded)| **folded)
                        .map(|(index, _)| group_key(context, &grouping, dimension, index));
                    withheld
                        .groups
                        .entry(dimension)
                        .or_default()
                        .extend(in_other);
                }
            }
        }
        Some(withheld)
    }

    /// One pass over the rows of `filter`: every grouping's sums and people, and each
    /// person's activity (the dashboard counts its closed and open days apart).
    #[cfg(test)]
    pub(super) fn count(&self, filter: &Filter) -> Counted {
        let mut counted = self.count_part(filter);
        counted.finish(self.context);
        counted
    }

    /// [`Scan::count`] of the rows this scan holds, to be merged with the count of other rows
    /// ([`Counted::merge`]) and then finished ([`Counted::finish`]).
    pub(super) fn count_part(&self, filter: &Filter) -> Counted {
        let Scan {
            context,
            days,
            first,
            parts,
            ..
        } = *self;
        let now = Compiled::of(filter, context);
        let grouping = Grouping::of(filter);
        let people = context.ids.len();
        let dates_only = now.dates_only();
        let networks = Network::ALL.len();
        let scan = |days: &[Day], first: i32| {
            let mut time = Dense::new(grouping.len(), people);
            let mut network = Dense::new(networks, people);
            let mut items_of = ItemsByPerson::new(people, context.items.len());
            // The sums by item and network, from which both groupings' sums are made.
            let mut sums = vec![Activity::default(); context.items.len() * networks];
            let mut per_person = vec![Activity::default(); people];
            // The networks each person used, a bit per network (none: the person has no row).
            let mut networks_of = vec![0_u8; people];
            // A day's rows come by person (see `rollup`): what a row adds to its person (their
            // sum, networks, items and place in the day's bar) is written where the person's
            // previous row wrote, still in the nearest cache; the groups' people are made from
            // these once the rows are counted. Nothing depends on the order of the rows but
            // the speed.
            for (day, rows) in numbered(days, first, now.from, now.to) {
                let Some(bar) = grouping.time(day) else {
                    continue;
                };
                if bar >= time.sums.len() {
                    time.grow(bar);
                }
                let words = time.words;
                let in_bar = &mut time.bits[bar * words..(bar + 1) * words];
                let mut day_sum = Activity::default();
                for entry in rows {
                    let person = context.person(entry.user);
                    // (`rollup` reads no other network: the test costs nothing.)
                    if person == NOBODY
                        || usize::from(entry.network) >= networks
                        || (!dates_only && !now.matches(context, day, entry, person))
                    {
                        continue;
                    }
                    let activity = Activity {
                        shares: u64::from(entry.shares),
                        clicks: u64::from(entry.humans),
                    };
                    let at = person as usize;
                    per_person[at] = per_person[at].plus(activity);
                    networks_of[at] |= 1 << entry.network;
                    in_bar[at / 64] |= 1 << (at % 64);
                    items_of.insert(person, entry.item as usize);
                    day_sum = day_sum.plus(activity);
                    let cell = entry.item as usize * networks + usize::from(entry.network);
                    if cell >= sums.len() {
                        sums.resize(cell + networks, Activity::default());
                    }
                    sums[cell] = sums[cell].plus(activity);
                }
                time.add_sum(bar, day_sum);
            }
            for (person, used) in (0..).zip(&networks_of) {
                for index in 0..networks {
                    if used & (1 << index) != 0 {
                        network.insert(index, person);
                    }
                }
            }
            let mut item = Dense::of_people(items_of.words * 64, people, items_of.by_item());
            for (index, by_network) in sums.chunks_exact(networks).enumerate() {
                for (place, sum) in by_network.iter().enumerate() {
                    if *sum != Activity::default() {
                        item.add_sum(index, *sum);
                        network.add_sum(place, *sum);
                    }
                }
            }
            let mut tables = Tables::<People>::new(people, 0);
            tables.time = time.into_groups(people);
            tables.network = network.into_groups(people);
            tables.item = item.into_groups(people);
            let per_person: Vec<Option<Activity>> = per_person
                .into_iter()
                .zip(networks_of)
                .map(|(activity, used)| (used != 0).then_some(activity))
                .collect();
            Counted { tables, per_person }
        };
        side_by_side(days, first, parts, scan, Counted::merge)
    }

    /// Every grouping of `filter`, counted by [`Scan::count`], through the minimum group
    /// size, with what `withheld` says withheld.
    pub(super) fn view(&self, filter: &Filter, counted: Counted, withheld: &Withheld) -> View {
        let Scan { context, k, .. } = *self;
        let grouping = Grouping::of(filter);
        let people = context.ids.len();
        let Counted { tables, per_person } = counted;
        let total_people = per_person.iter().filter(|a| a.is_some()).count();
        let none = BTreeSet::new();
        let withheld_in = |dimension: Dimension| withheld.groups.get(&dimension).unwrap_or(&none);
        let counts = |dimension: Dimension| -> Vec<GroupCount<String, Activity>> {
            tables
                .of(dimension)
                .present()
                .map(|(index, value, members)| {
                    let people = members.len();
                    GroupCount {
                        group: group_key(context, &grouping, dimension, index),
                        people,
                        value: *value,
                        members: if people < k.get() {
                            members.members().map(|p| context.person_id(p)).collect()
                        } else {
                            Vec::new()
                        },
                    }
                })
                .collect()
        };
        let mut out = BTreeMap::new();
        for dimension in [
            Dimension::Time,
            Dimension::Network,
            Dimension::Campaign,
            Dimension::Item,
        ] {
            out.insert(
                dimension,
                k.aggregate_counts(counts(dimension), total_people, withheld_in(dimension)),
            );
        }
        // Topics share items: a figure's records are its items' people, so two figures are apart
        // by the people of the items in one and not the other.
        let items_of = |topics: &[&String]| -> BTreeSet<usize> {
            let wanted: Vec<usize> = topics
                .iter()
                .filter_map(|key| {
                    let id: i32 = key.parse().ok()?;
                    context.topics.iter().position(|&t| t == id)
                })
                .collect();
            tables
                .item
                .present()
                .filter(|(item, _, _)| {
                    context
                        .item(u32::try_from(*item).unwrap_or(u32::MAX))
                        .topics
                        .iter()
                        .any(|t| wanted.contains(t))
                })
                .map(|(item, _, _)| item)
                .collect()
        };
        let people_apart = |a: &[&String], b: &[&String]| {
            let (a, b) = (items_of(a), items_of(b));
            let mut apart = People::with_room(people, 0);
            for item in a.symmetric_difference(&b) {
                if let Some(Some((_, members))) = tables.item.groups.get(*item) {
                    apart.union_with(members);
                }
            }
            apart.len()
        };
        let topic_people = {
            let mut all = People::with_room(people, 0);
            for (_, _, members) in tables.topic.present() {
                all.union_with(members);
            }
            all.len()
        };
        out.insert(
            Dimension::Topic,
            k.aggregate_overlapping(
                counts(Dimension::Topic),
                topic_people,
                withheld_in(Dimension::Topic),
                people_apart,
            ),
        );
        for dimension in &withheld.whole {
            if let Some(table) = out.remove(dimension) {
                out.insert(*dimension, table.withheld_whole());
            }
        }
        let per_person = per_person
            .into_iter()
            .enumerate()
            .filter_map(|(person, activity)| Some((context.ids[person], activity?)))
            .collect();
        View {
            tables: out,
            per_person,
        }
    }
}

/// A view's tables through the minimum group size, and each person's activity in it.
pub(super) struct View {
    pub(super) tables: BTreeMap<Dimension, AggregateTable<String, Activity>>,
    pub(super) per_person: BTreeMap<i32, Activity>,
}

#[cfg(test)]
mod tests;
