//! How long Chorus keeps each kind of data about people: a period per kind, set by an admin
//! within bounds, with defaults chosen to be lawful without any setting (short for security
//! counters, a year for the log people read on their transparency page, two years for shares).
//! The worker deletes what is older; the works-council pack and the transparency page say the
//! same periods, read from here.

use serde::Serialize;

/// A kind of data with its own retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// Failed sign-in counters (by address and by account), kept to slow down guessing.
    SignInCounters,
    /// Who looked at which statistics, and about whom: what people read on their
    /// transparency page.
    AuditLog,
    /// Shares that reached an end (published, failed, cancelled, missed, deleted, handed over):
    /// their text and post addresses. Shares still waiting are never removed. Their tracked
    /// links keep redirecting, no longer attached to anyone.
    Shares,
    /// Clicks per link and hour. The daily totals the statistics read are kept separately.
    ClickHours,
    /// Shares and clicks per person, item, network and day: what statistics are computed from.
    DailyActivity,
    /// Earlier versions of items (the editors' history). An item's latest version is kept.
    Revisions,
}

impl DataKind {
    /// Every kind, in the order pages list them.
    pub const ALL: [DataKind; 6] = [
        DataKind::SignInCounters,
        DataKind::AuditLog,
        DataKind::Shares,
        DataKind::ClickHours,
        DataKind::DailyActivity,
        DataKind::Revisions,
    ];

    /// Its name in settings and forms.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::SignInCounters => "sign_in_counters",
            DataKind::AuditLog => "audit_log",
            DataKind::Shares => "shares",
            DataKind::ClickHours => "click_hours",
            DataKind::DailyActivity => "daily_activity",
            DataKind::Revisions => "revisions",
        }
    }

    /// The period in days when the admin set none.
    #[must_use]
    pub fn default_days(self) -> u32 {
        match self {
            DataKind::SignInCounters => 1,
            DataKind::AuditLog | DataKind::Revisions => 365,
            DataKind::Shares => 730,
            DataKind::ClickHours => 90,
            DataKind::DailyActivity => 1095,
        }
    }

    /// The shortest period an admin may set: below it the data no longer does its job (the
    /// log people read must cover months, statistics compare periods).
    #[must_use]
    pub fn min_days(self) -> u32 {
        match self {
            DataKind::SignInCounters => 1,
            DataKind::AuditLog => 180,
            DataKind::Shares | DataKind::Revisions => 30,
            DataKind::ClickHours => 7,
            DataKind::DailyActivity => 90,
        }
    }

    /// The longest period an admin may set.
    #[must_use]
    pub fn max_days(self) -> u32 {
        match self {
            DataKind::SignInCounters => 30,
            _ => 3650,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The retention period of every kind, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention([u32; 6]);

impl Default for Retention {
    fn default() -> Self {
        Retention(DataKind::ALL.map(DataKind::default_days))
    }
}

/// A period outside a kind's bounds, or not a whole number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} is kept from {} to {} days", .0.as_str(), .0.min_days(), .0.max_days())]
pub struct OutOfBounds(pub DataKind);

impl Retention {
    /// Days `kind` is kept.
    #[must_use]
    pub fn days(&self, kind: DataKind) -> u32 {
        self.0[kind.index()]
    }

    /// The same periods with `kind` kept `days`.
    ///
    /// # Errors
    /// [`OutOfBounds`] when `days` is outside the kind's bounds.
    pub fn with(mut self, kind: DataKind, days: u32) -> Result<Retention, OutOfBounds> {
        if !(kind.min_days()..=kind.max_days()).contains(&days) {
            return Err(OutOfBounds(kind));
        }
        self.0[kind.index()] = days;
        Ok(self)
    }

    /// The same periods with `kind` read from a form or a stored setting (a whole number of
    /// days; empty is the default).
    ///
    /// # Errors
    /// [`OutOfBounds`] when it is not a whole number within the kind's bounds.
    pub fn with_text(self, kind: DataKind, text: &str) -> Result<Retention, OutOfBounds> {
        let text = text.trim();
        if text.is_empty() {
            return self.with(kind, kind.default_days());
        }
        let days = text.parse::<u32>().map_err(|_| OutOfBounds(kind))?;
        self.with(kind, days)
    }

    /// Each kind with its period, in [`DataKind::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (DataKind, u32)> + '_ {
        DataKind::ALL
            .into_iter()
            .map(|kind| (kind, self.days(kind)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_sit_within_their_bounds_and_bounds_are_enforced() {
        let retention = Retention::default();
        for (kind, days) in retention.iter() {
            assert!(
                (kind.min_days()..=kind.max_days()).contains(&days),
                "{kind:?}"
            );
        }
        assert_eq!(retention.days(DataKind::Shares), 730);
        assert_eq!(
            retention.with(DataKind::AuditLog, 30),
            Err(OutOfBounds(DataKind::AuditLog))
        );
        assert_eq!(
            retention.with(DataKind::SignInCounters, 31),
            Err(OutOfBounds(DataKind::SignInCounters))
        );
        let shorter = retention.with_text(DataKind::ClickHours, " 30 ").unwrap();
        assert_eq!(shorter.days(DataKind::ClickHours), 30);
        assert_eq!(shorter.days(DataKind::Shares), 730, "the others unchanged");
        assert_eq!(
            shorter.with_text(DataKind::ClickHours, "").unwrap(),
            retention
        );
        for bad in ["-1", "1.5", "a year", "0"] {
            assert!(
                retention.with_text(DataKind::Revisions, bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            OutOfBounds(DataKind::AuditLog).to_string(),
            "audit_log is kept from 180 to 3650 days"
        );
    }
}
