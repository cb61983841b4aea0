//! LinkedIn's API versions. Every call to LinkedIn's `/rest` API names a version
//! (`LinkedIn-Version: YYYYMM`); LinkedIn serves each for at least a year, then answers 426
//! `NONEXISTENT_VERSION`. The version is a setting (`CHORUS_LINKEDIN_VERSION`); this module says
//! when the configured one is expected to end (admins are warned well before), which shares a
//! retired version failed, and puts those back in the queue once the setting names another.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QuerySelect as _,
};

use crate::shares::ShareState;
use crate::store::entities::share;

/// How long before its expected end the version is flagged to admins.
pub const WARN_BEFORE: Duration = Duration::days(60);

/// How far back a share failed by a retired version is tried again once the version changes:
/// older ones stay failed (their owner may no longer want them out).
pub const RETRY_WITHIN: Duration = Duration::days(7);

/// What LinkedIn's refusal of a version says at the start of a share's `last_error` (the
/// `Display` of [`crate::connectors::PublishError::VersionRetired`]; a test keeps them equal).
const REFUSAL_PREFIX: &str = "LinkedIn no longer accepts API version ";

/// A `LinkedIn-Version` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    year: i32,
    month: u32,
}

impl ApiVersion {
    /// Reads `YYYYMM` (a month from 2020 on).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = text[..4].parse().ok()?;
        let month: u32 = text[4..].parse().ok()?;
        ((2020..=2099).contains(&year) && (1..=12).contains(&month))
            .then_some(ApiVersion { year, month })
    }

    /// When LinkedIn is expected to stop serving it: twelve months after its month began (it
    /// promises at least a year; the real date is on its versioning page).
    #[must_use]
    pub fn expected_end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year + 1, self.month, 1).unwrap_or(NaiveDate::MAX)
    }

    /// Days from `today` to [`Self::expected_end`] (negative once past).
    #[must_use]
    pub fn days_left(self, today: NaiveDate) -> i64 {
        (self.expected_end() - today).num_days()
    }

    /// Whether admins should hear about it on `today`.
    #[must_use]
    pub fn ends_soon(self, today: NaiveDate) -> bool {
        self.days_left(today) <= WARN_BEFORE.num_days()
    }

    /// The current month's version, the newest LinkedIn could serve on `today`.
    #[must_use]
    pub fn of_month(today: NaiveDate) -> Self {
        ApiVersion {
            year: today.year(),
            month: today.month(),
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.month)
    }
}

/// The version a share's `last_error` says LinkedIn refused, if that is why it failed.
#[must_use]
pub fn refused_version(last_error: &str) -> Option<&str> {
    let rest = last_error.strip_prefix(REFUSAL_PREFIX)?;
    Some(rest.split([';', ' ']).next().unwrap_or(rest)).filter(|v| !v.is_empty())
}

/// A version LinkedIn refused lately, and how many shares it failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// The version refused.
    pub version: String,
    /// Shares it failed in the last [`RETRY_WITHIN`].
    pub shares: usize,
}

/// LinkedIn shares failed in the last [`RETRY_WITHIN`] because their version was retired: the
/// ids, with the version each named.
async fn refused_shares(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(i32, String)>, sea_orm::DbErr> {
    let rows: Vec<(i32, Option<String>)> = share::Entity::find()
        .select_only()
        .column(share::Column::Id)
        .column(share::Column::LastError)
        .filter(share::Column::Network.eq("linkedin"))
        .filter(share::Column::State.eq(ShareState::Failed.as_str()))
        .filter(share::Column::UpdatedAt.gt(now - RETRY_WITHIN))
        .filter(share::Column::LastError.starts_with(REFUSAL_PREFIX))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, error)| Some((id, refused_version(error.as_deref()?)?.to_owned())))
        .collect())
}

/// The versions LinkedIn refused lately, each with the shares it failed (still failed: once
/// the setting changes, [`retry_refused`] queues them again).
///
/// # Errors
/// Database failure.
pub async fn refusals(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<Refusal>, sea_orm::DbErr> {
    let mut out: Vec<Refusal> = Vec::new();
    for (_, version) in refused_shares(db, now).await? {
        match out.iter_mut().find(|r| r.version == version) {
            Some(refusal) => refusal.shares += 1,
            None => out.push(Refusal { version, shares: 1 }),
        }
    }
    Ok(out)
}

/// Puts back in the queue, due now, the shares a retired version failed in the last
/// [`RETRY_WITHIN`], when the setting now names another version. Returns how many.
///
/// # Errors
/// Database failure.
pub async fn retry_refused(
    db: &impl ConnectionTrait,
    current: ApiVersion,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let current = current.to_string();
    let ids: Vec<i32> = refused_shares(db, now)
        .await?
        .into_iter()
        .filter(|(_, version)| *version != current)
        .map(|(id, _)| id)
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(share::Entity::update_many()
        .col_expr(
            share::Column::State,
            Expr::value(ShareState::Scheduled.as_str()),
        )
        .col_expr(share::Column::NextAttemptAt, Expr::value(now))
        .col_expr(share::Column::Attempts, Expr::value(0))
        .col_expr(
            share::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(share::Column::UpdatedAt, Expr::value(now))
        .filter(share::Column::Id.is_in(ids))
        .filter(share::Column::State.eq(ShareState::Failed.as_str()))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::PublishError;

    #[test]
    fn versions_read_yyyymm_and_end_a_year_after_their_month() {
        let version = ApiVersion::parse("202604").unwrap();
        assert_eq!(version.to_string(), "202604");
        assert_eq!(
            version.expected_end(),
            NaiveDate::from_ymd_opt(2027, 4, 1).unwrap()
        );
        let today = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(version.days_left(today), 59);
        assert!(version.ends_soon(today));
        assert!(!version.ends_soon(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()));
        for bad in [
            "", "2026", "202613", "202600", "20260a", "1999012", "201912", " 2026-04",
        ] {
            assert!(ApiVersion::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(
            ApiVersion::of_month(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()).to_string(),
            "202612"
        );
    }

    #[test]
    fn the_refusal_recorded_on_a_share_names_its_version() {
        let recorded = PublishError::VersionRetired {
            version: "202401".to_owned(),
        }
        .to_string();
        assert_eq!(refused_version(&recorded), Some("202401"));
        assert_eq!(refused_version("LinkedIn said no"), None);
    }
}
