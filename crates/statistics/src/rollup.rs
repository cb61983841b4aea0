//! The daily roll-up (`activity_daily`) held in memory, day by day, so that a dashboard view
//! reads a year of it in milliseconds instead of asking the database to group it again.
//!
//! A day's rows stop changing once the day is over: shares count on the day they are published
//! and clicks on the day of their hour, flushed within a second. The only later change is a
//! person's erasure, which deletes their rows; the scan reads only people currently opted in,
//! so an erased person's cached rows are never counted. Days before yesterday (UTC) are
//! therefore kept once read, and yesterday and today are read from the database on every view.
//! Several processes can share one database: each keeps its own copy of closed days.
//!
//! A row costs 16 bytes: a year of the scale benchmark's organisation (1.8 million rows) is
//! about 29 MB.

use crate::StatisticsError;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};

use chorus_policy::{ItemId, Network};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// One row of the roll-up: a person's shares and human clicks on one item and network, on the
/// day it is filed under. 16 bytes: a year of 10,000,000 shares and 100,000,000 clicks by
/// 20,000 people is about 18 million of them (`bench scale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// `users.id`.
    pub user: u32,
    /// `content_items.id`, 0 for a share without an item.
    pub item: u32,
    /// Clicks by people.
    pub humans: u32,
    /// Shares published by one person on one item and network in a day (the networks' own
    /// daily limits keep it in the tens; held at 65,535 if it were ever more).
    pub shares: u16,
    /// Index in [`Network::ALL`].
    pub network: u8,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 16);

/// Days of the roll-up read per query: the rows of a query are held twice while they become
/// entries (as the driver's rows, then as entries), so a large range is read in slices.
const DAYS_PER_READ: i32 = 7;

/// A day's rows.
pub type Day = Arc<[Entry]>;

/// The closed days read so far, shared by every view of this process, and the open days
/// (yesterday and today) last read, kept while the version they were read under holds.
#[derive(Debug, Default)]
pub struct Rollup {
    closed: RwLock<HashMap<i32, Day>>,
    open: std::sync::Mutex<Option<Open>>,
    /// One reader of the database at a time, so that two views of a cold year do not both
    /// read it.
    loading: tokio::sync::Mutex<()>,
}

/// Open days as read under one version of the roll-up.
#[derive(Debug)]
struct Open {
    version: i64,
    first: i32,
    last: i32,
    days: Vec<Day>,
}

impl Rollup {
    /// The first day read from the database on every view, given that `today` is the current
    /// day: yesterday, which can still receive the last second's clicks of the day.
    #[must_use]
    pub fn first_open_day(today: i32) -> i32 {
        today - 1
    }

    /// The rows of days `first..=last`, in day order, given that `today` is the current day.
    ///
    /// # Errors
    /// Database failure.
    pub async fn days(
        &self,
        db: &impl ConnectionTrait,
        first: i32,
        last: i32,
        today: i32,
    ) -> Result<Vec<Day>, StatisticsError> {
        self.days_at(db, first, last, today, None).await
    }

    /// As [`Rollup::days`], with the open days kept between calls under `version`: a number
    /// read before the rows, that moves on whenever `activity_daily` changes (the server's
    /// activity cache generation). `None` reads them every time.
    ///
    /// # Errors
    /// Database failure.
    pub async fn days_at(
        &self,
        db: &impl ConnectionTrait,
        first: i32,
        last: i32,
        today: i32,
        version: Option<i64>,
    ) -> Result<Vec<Day>, StatisticsError> {
        if first > last {
            return Ok(Vec::new());
        }
        let open_from = Rollup::first_open_day(today);
        let closed_last = last.min(open_from - 1);
        if self.missing(first, closed_last).is_some() {
            let _one_reader = self.loading.lock().await;
            if let Some((from, to)) = self.missing(first, closed_last) {
                let mut read = read(db, from, to).await?;
                let mut closed = self
                    .closed
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for day in from..=to {
                    closed
                        .entry(day)
                        .or_insert_with(|| read.remove(&day).unwrap_or_else(|| Arc::from([])));
                }
            }
        }
        let mut out = Vec::with_capacity(usize::try_from(last - first + 1).unwrap_or_default());
        {
            let closed = self
                .closed
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for day in first..=closed_last {
                out.push(closed.get(&day).cloned().unwrap_or_else(|| Arc::from([])));
            }
        }
        let open_first = first.max(open_from);
        if open_first <= last {
            out.extend(self.open_days(db, open_first, last, version).await?);
        }
        Ok(out)
    }

    /// Days `first..=last` of the open days, as kept under `version` or read again.
    async fn open_days(
        &self,
        db: &impl ConnectionTrait,
        first: i32,
        last: i32,
        version: Option<i64>,
    ) -> Result<Vec<Day>, DbErr> {
        let lock = || {
            self.open
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(version) = version
            && let Some(open) = lock().as_ref()
            && (open.version, open.first, open.last) == (version, first, last)
        {
            return Ok(open.days.clone());
        }
        let mut read = read(db, first, last).await?;
        let days: Vec<Day> = (first..=last)
            .map(|day| read.remove(&day).unwrap_or_else(|| Arc::from([])))
            .collect();
        if let Some(version) = version {
            let mut open = lock();
            // A view that read under an older version never replaces a newer copy.
            if open.as_ref().is_none_or(|held| held.version <= version) {
                *open = Some(Open {
                    version,
                    first,
                    last,
                    days: days.clone(),
                });
            }
        }
        Ok(days)
    }

    /// The first and last closed days of `first..=last` not read yet (the days between may
    /// have been; they are read again, and the copy kept is the first).
    fn missing(&self, first: i32, last: i32) -> Option<(i32, i32)> {
        let closed = self
            .closed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let absent = |day: &i32| !closed.contains_key(day);
        let from = (first..=last).find(absent)?;
        let to = (from..=last).rev().find(absent)?;
        Some((from, to))
    }

    /// How many days and rows are held.
    #[must_use]
    pub fn held(&self) -> (usize, usize) {
        let closed = self
            .closed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (closed.len(), closed.values().map(|day| day.len()).sum())
    }
}

/// Reads the last 400 days into memory, so that the first dashboard view after start-up does not
/// wait for them. Started in the background once the server listens.
pub async fn warm(db: &sea_orm::DatabaseConnection, rollup: &Rollup) {
    let started = std::time::Instant::now();
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    match rollup.days(db, today - 400, today, today).await {
        Ok(_) => {
            let (days, rows) = rollup.held();
            tracing::info!(
                days,
                rows,
                elapsed_ms = started.elapsed().as_millis(),
                "statistics roll-up held in memory"
            );
        }
        Err(error) => {
            tracing::warn!(%error, "statistics roll-up not read ahead; views will read it");
        }
    }
}

/// Reads days `from..=to` from the database, by day.
async fn read(db: &impl ConnectionTrait, from: i32, to: i32) -> Result<HashMap<i32, Day>, DbErr> {
    let mut out = HashMap::new();
    let mut start = from;
    while start <= to {
        let end = to.min(start.saturating_add(DAYS_PER_READ - 1));
        for (day, mut entries) in read_slice(db, start, end).await? {
            // By person, as the scan reads them fastest (see `Scan::count`); already so when
            // the database read them in its key's order, which the sort only checks.
            entries.sort_unstable_by_key(|entry| (entry.user, entry.item, entry.network));
            out.insert(day, Day::from(entries));
        }
        start = end.saturating_add(1);
        if end == i32::MAX {
            break;
        }
    }
    Ok(out)
}

/// The rows of days `from..=to`, by day.
async fn read_slice(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<HashMap<i32, Vec<Entry>>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => read_slice_as_arrays(db, from, to).await,
        _ => read_slice_as_rows(db, from, to).await,
    }
}

/// PostgreSQL: each day's rows as one row of arrays, one array per column. Each row of a
/// result is decoded on its own (its columns found by name, its values checked against their
/// types, a string made of its network): 50,000 rows were 50,000 times that, where an array of
/// 50,000 numbers decodes in one loop. At ten times the benchmark's scale, yesterday and
/// today (about 100,000 rows, read again after every change) took most of a dashboard view.
async fn read_slice_as_arrays(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<HashMap<i32, Vec<Entry>>, DbErr> {
    // The network's index in `Network::ALL`, -1 for a name this build does not know (skipped,
    // as the rows' reading skips it).
    let mut networks = String::new();
    for (index, network) in Network::ALL.iter().enumerate() {
        let _ = write!(networks, " WHEN '{}' THEN {index}", network.as_str());
    }
    // The aggregates of one group receive its rows in the same order: the arrays line up.
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT day, array_agg(user_id) AS users, array_agg(item_id) AS items, \
                 array_agg(CASE network{networks} ELSE -1 END) AS networks, \
                 array_agg(shares) AS shares, array_agg(humans) AS humans \
                 FROM activity_daily WHERE day >= $1 AND day <= $2 GROUP BY day"
            ),
            [from.into(), to.into()],
        ))
        .await?;
    let mut out: HashMap<i32, Vec<Entry>> = HashMap::with_capacity(rows.len());
    for row in rows {
        let day: i32 = row.try_get("", "day")?;
        let users: Vec<i32> = row.try_get("", "users")?;
        let items: Vec<i32> = row.try_get("", "items")?;
        let networks: Vec<i32> = row.try_get("", "networks")?;
        let shares: Vec<i64> = row.try_get("", "shares")?;
        let humans: Vec<i64> = row.try_get("", "humans")?;
        if [items.len(), networks.len(), shares.len(), humans.len()]
            .iter()
            .any(|&len| len != users.len())
        {
            return Err(DbErr::Custom(format!(
                "activity_daily: the columns of day {day} were read as arrays of different lengths"
            )));
        }
        let clamp = |value: i64| u32::try_from(value.max(0)).unwrap_or(u32::MAX);
        let entries = out.entry(day).or_default();
        entries.reserve(users.len());
        for index in 0..users.len() {
            let Ok(network) = u8::try_from(networks[index]) else {
                continue;
            };
            entries.push(Entry {
                user: clamp(i64::from(users[index])),
                item: clamp(i64::from(items[index])),
                humans: clamp(humans[index]),
                shares: u16::try_from(clamp(shares[index])).unwrap_or(u16::MAX),
                network,
            });
        }
    }
    Ok(out)
}

/// SQLite (in the process: no result to decode from the network): row by row.
async fn read_slice_as_rows(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<HashMap<i32, Vec<Entry>>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT day, CAST(user_id AS BIGINT) AS user_id, CAST(item_id AS BIGINT) AS item_id, \
             network, CAST(shares AS BIGINT) AS shares, CAST(humans AS BIGINT) AS humans \
             FROM activity_daily WHERE day >= $1 AND day <= $2",
            [from.into(), to.into()],
        ))
        .await?;
    let mut out: HashMap<i32, Vec<Entry>> = HashMap::new();
    for row in rows {
        let network: String = row.try_get("", "network")?;
        let Some(network) = Network::ALL
            .iter()
            .position(|n| n.as_str() == network)
            .and_then(|i| u8::try_from(i).ok())
        else {
            continue;
        };
        let number = |column: &str| -> Result<u32, DbErr> {
            let value: i64 = row.try_get("", column)?;
            Ok(u32::try_from(value.max(0)).unwrap_or(u32::MAX))
        };
        let day: i32 = row.try_get("", "day")?;
        out.entry(day).or_default().push(Entry {
            user: number("user_id")?,
            item: number("item_id")?,
            humans: number("humans")?,
            shares: u16::try_from(number("shares")?).unwrap_or(u16::MAX),
            network,
        });
    }
    Ok(out)
}

/// The first day with activity (a share or a click) on `item`, if any.
///
/// # Errors
/// Database failure.
pub async fn first_day_of_item(
    db: &impl ConnectionTrait,
    item: ItemId,
) -> Result<Option<i32>, StatisticsError> {
    let item = item.get();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "SELECT MIN(day) AS first FROM activity_daily WHERE item_id = $1"
                }
                _ => "SELECT MIN(day) AS first FROM activity_daily WHERE item_id = ?",
            },
            [item.into()],
        ))
        .await?;
    match row {
        Some(row) => Ok(row.try_get::<Option<i32>>("", "first")?),
        None => Ok(None),
    }
}
