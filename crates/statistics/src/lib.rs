//! Voluntary share statistics: what the platform itself did (shares it published, clicks on its
//! own links), read from the daily roll-up and shown only through `chorus_policy`'s minimum
//! group size. No web types: the server extracts, calls one function here, and renders.
//!
//! A [`Filter`] (period, topic, campaign, network, team, item) selects roll-up rows of people who
//! are currently opted in; [`dashboard`] turns them into [`AggregateTable`]s, one per grouping,
//! so every figure has at least `k` distinct people behind it or is not shown. The rows are read
//! once per day into memory ([`rollup`]) and grouped in one pass ([`scan`]). Two views can
//! still give someone away by difference ("January" next to "January without its last day"):
//! before a view is shown, it is compared with the viewer's views of the last 24 hours
//! ([`Memory`]), record by record (a person counted in both views with different rows counts
//! as apart, so two views of the same people that differ by what a few of them did are told
//! apart): any figure (a group, "other", a grouping's total) whose records differ from the same
//! figure of an earlier view by the records of 1 to `k - 1` people is withheld, and the whole
//! view is refused when its total would be. Every
//! view and export is written to the audit log ([`audit`]) with its filter and the people it
//! included, so each person sees on their transparency page who looked at figures that include
//! them. A person's own figures, for their eyes only, are in [`personal`].
//!
//! [`AggregateTable`]: chorus_policy::AggregateTable

pub mod audit;
mod error;
mod filter;
pub mod personal;
pub mod rollup;
mod scan;
mod view;

pub use error::StatisticsError;
pub use filter::{Filter, FilterForm};
pub use rollup::Rollup;
pub use view::{
    Dashboard, Memory, NamedFigure, Participation, Sources, VIEW_ACTIONS, dashboard, labels,
};

pub(crate) use chorus_ambassador::activity::{date_of_day, day_number, week_of_day};
use chorus_policy::Measure;
pub(crate) use filter::start_of;
use serde::{Deserialize, Serialize};

/// The longest period a view may cover.
pub const MAX_DAYS: i64 = 800;
/// How far back a viewer's earlier views are remembered for the difference check.
pub const MEMORY_HOURS: i64 = 24;
/// How many distinct earlier views are compared with a new one.
pub const MEMORY_VIEWS: usize = 12;

/// Shares and human clicks: the measure summed into every figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Shares published.
    pub shares: u64,
    /// Clicks by people (robots apart) on the shares' tracked links.
    pub clicks: u64,
}

impl Measure for Activity {
    fn plus(self, other: Self) -> Self {
        Activity {
            shares: self.shares.saturating_add(other.shares),
            clicks: self.clicks.saturating_add(other.clicks),
        }
    }
}

/// Days or weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// One bar per day.
    Day,
    /// One bar per week (starting on Monday).
    Week,
}

/// A grouping of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Day or week.
    Time,
    /// Network.
    Network,
    /// Topic (an item can be under several).
    Topic,
    /// Campaign (0: none).
    Campaign,
    /// Content item.
    Item,
}

impl Dimension {
    /// Every grouping.
    pub const ALL: [Dimension; 5] = [
        Dimension::Time,
        Dimension::Network,
        Dimension::Topic,
        Dimension::Campaign,
        Dimension::Item,
    ];

    /// The stored name, for the audit log and the CSV.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Time => "time",
            Dimension::Network => "network",
            Dimension::Topic => "topic",
            Dimension::Campaign => "campaign",
            Dimension::Item => "item",
        }
    }
}

/// The label of a bar: its date (the Monday, for weeks).
#[must_use]
pub fn bucket_label(day: i32) -> String {
    date_of_day(day).to_string()
}
