//! The organisation's settings, read and checked in one place ([`Settings`]). They are stored as
//! key/value text (`org_settings`); every value is parsed into its type when read, and a stored
//! value that does not parse is an error naming its key, never a silent default: a minimum
//! group size that fell back to the default could be lower than the one the admin chose.

use std::collections::HashMap;

use chorus_policy::disclosure::Disclosure;
use chorus_policy::retention::{DataKind, Retention};
use chorus_policy::{MinGroupSize, Network};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait as _, sea_query::OnConflict,
};

use super::entities::org_setting;
use crate::error::EditorialError;
use crate::workflow::Rules;

const SECOND_APPROVAL: &str = "editorial.require_second_approval";
const MIN_GROUP_SIZE: &str = "policy.min_group_size";
const DISCLOSURE_EN: &str = "policy.disclosure.en";
const DISCLOSURE_FR: &str = "policy.disclosure.fr";
const COMPOSER_ONLY: &str = "sharing.composer_only";
const DAILY_CAP: &str = "sharing.daily_cap";
/// Each kind's retention period is stored as `retention.{kind}_days`.
const RETENTION_PREFIX: &str = "retention.";

/// Everything an admin sets for the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// Who may publish (a second editor or not).
    pub workflow: Rules,
    /// No statistic is shown for fewer people than this.
    pub min_group_size: MinGroupSize,
    /// The disclosure suggested to ambassadors for English posts, if the admin wrote one.
    pub disclosure_en: Option<Disclosure>,
    /// The same for French posts.
    pub disclosure_fr: Option<Disclosure>,
    /// The networks on which the organisation chose "post it yourself" only: no account is
    /// connected and nothing is published through an API there, even with client credentials.
    /// In [`Network::ALL`] order.
    pub composer_only: Vec<Network>,
    /// The programme's cap on each person's shares per day, set by editors (a person may
    /// choose fewer, never more). Stored by [`set_daily_cap`], not by [`save`].
    pub daily_cap: Option<u32>,
    /// How long each kind of data about people is kept. Stored by [`set_retention`], not by
    /// [`save`].
    pub retention: Retention,
}

/// The setting key of a kind's retention period.
#[must_use]
pub fn retention_key(kind: DataKind) -> String {
    format!("{RETENTION_PREFIX}{}_days", kind.as_str())
}

impl Settings {
    /// Whether people may connect an account on `network` for Chorus to publish through.
    #[must_use]
    pub fn allows_direct(&self, network: Network) -> bool {
        !self.composer_only.contains(&network)
    }

    /// The disclosure suggested for a post in `language` (a BCP 47 tag such as `fr-CA`).
    #[must_use]
    pub fn disclosure_for(&self, language: &str) -> Option<&Disclosure> {
        if language.starts_with("fr") {
            self.disclosure_fr.as_ref()
        } else {
            self.disclosure_en.as_ref()
        }
    }
}

/// The settings in force (defaults for what was never set).
///
/// # Errors
/// Database failure, or [`EditorialError::BadSetting`] for a stored value that does not parse.
pub async fn load(db: &impl ConnectionTrait) -> Result<Settings, EditorialError> {
    let stored: HashMap<String, String> = org_setting::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.key, row.value))
        .collect();
    let bad = |key: &'static str| EditorialError::BadSetting(key);
    let min_group_size = match stored.get(MIN_GROUP_SIZE) {
        None => MinGroupSize::default(),
        Some(text) => text
            .parse()
            .ok()
            .and_then(|k| MinGroupSize::new(k).ok())
            .ok_or(bad(MIN_GROUP_SIZE))?,
    };
    let disclosure = |key: &'static str| -> Result<Option<Disclosure>, EditorialError> {
        match stored.get(key).map(|text| text.trim()) {
            // Never set: the default the guidelines promise. Emptied by an admin: none.
            None => Ok(default_disclosure(key)),
            Some("") => Ok(None),
            Some(text) => Disclosure::parse(text).map(Some).map_err(|_| bad(key)),
        }
    };
    let mut retention = Retention::default();
    for kind in DataKind::ALL {
        if let Some(text) = stored.get(&retention_key(kind)) {
            retention = retention
                .with_text(kind, text)
                .map_err(|_| EditorialError::BadSetting(retention_key_static(kind)))?;
        }
    }
    Ok(Settings {
        workflow: Rules {
            require_second_approval: match stored.get(SECOND_APPROVAL).map(String::as_str) {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => return Err(bad(SECOND_APPROVAL)),
            },
        },
        min_group_size,
        disclosure_en: disclosure(DISCLOSURE_EN)?,
        disclosure_fr: disclosure(DISCLOSURE_FR)?,
        composer_only: match stored.get(COMPOSER_ONLY) {
            None => Vec::new(),
            Some(text) => networks_of(text).ok_or(bad(COMPOSER_ONLY))?,
        },
        daily_cap: match stored.get(DAILY_CAP) {
            None => None,
            Some(text) => {
                chorus_policy::rhythm::parse_daily_cap(text).map_err(|_| bad(DAILY_CAP))?
            }
        },
        retention,
    })
}

/// [`retention_key`], for the error naming it.
fn retention_key_static(kind: DataKind) -> &'static str {
    match kind {
        DataKind::SignInCounters => "retention.sign_in_counters_days",
        DataKind::AuditLog => "retention.audit_log_days",
        DataKind::Shares => "retention.shares_days",
        DataKind::ClickHours => "retention.click_hours_days",
        DataKind::DailyActivity => "retention.daily_activity_days",
        DataKind::Revisions => "retention.revisions_days",
    }
}

/// A stored list of networks (`linkedin,x`), in [`Network::ALL`] order; `None` when a name is
/// not a network.
fn networks_of(text: &str) -> Option<Vec<Network>> {
    let named: Vec<Network> = text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| name.parse().ok())
        .collect::<Option<_>>()?;
    Some(
        Network::ALL
            .into_iter()
            .filter(|n| named.contains(n))
            .collect(),
    )
}

/// The disclosure suggested until an admin writes their own: the hashtag most used for it in
/// each language.
fn default_disclosure(key: &str) -> Option<Disclosure> {
    Disclosure::parse(default_disclosure_text(key)).ok()
}

fn default_disclosure_text(key: &str) -> &'static str {
    match key {
        DISCLOSURE_FR => "#salarié",
        _ => "#employee",
    }
}

/// The stored text of each setting, as the settings form shows it: even a value that does not
/// parse, so that the admin sees it and corrects it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredText {
    /// The second-approval rule is on.
    pub require_second_approval: bool,
    /// The minimum group size as stored (the default when never set).
    pub min_group_size: String,
    /// The English disclosure as stored.
    pub disclosure_en: String,
    /// The French disclosure as stored.
    pub disclosure_fr: String,
    /// The "post it yourself only" networks as stored.
    pub composer_only: String,
}

/// Which form field holds a setting's stored `key` (for [`EditorialError::BadSetting`]).
#[must_use]
pub fn field_of(key: &str) -> &'static str {
    match key {
        MIN_GROUP_SIZE => "min_group_size",
        DISCLOSURE_EN => "disclosure_en",
        DISCLOSURE_FR => "disclosure_fr",
        COMPOSER_ONLY => "composer_only",
        DAILY_CAP => "daily_cap",
        key if key.starts_with(RETENTION_PREFIX) => "retention",
        _ => "second_approval",
    }
}

/// The stored text of every setting.
///
/// # Errors
/// Database failure.
pub async fn stored_text(db: &impl ConnectionTrait) -> Result<StoredText, EditorialError> {
    let mut stored: HashMap<String, String> = org_setting::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.key, row.value))
        .collect();
    let mut take = |key: &str| stored.remove(key);
    Ok(StoredText {
        require_second_approval: take(SECOND_APPROVAL).as_deref() == Some("true"),
        min_group_size: take(MIN_GROUP_SIZE)
            .unwrap_or_else(|| MinGroupSize::default().get().to_string()),
        disclosure_en: take(DISCLOSURE_EN)
            .unwrap_or_else(|| default_disclosure_text(DISCLOSURE_EN).to_owned()),
        disclosure_fr: take(DISCLOSURE_FR)
            .unwrap_or_else(|| default_disclosure_text(DISCLOSURE_FR).to_owned()),
        composer_only: take(COMPOSER_ONLY).unwrap_or_default(),
    })
}

/// The workflow rules in force.
///
/// # Errors
/// As [`load`].
pub async fn workflow_rules(db: &impl ConnectionTrait) -> Result<Rules, EditorialError> {
    Ok(load(db).await?.workflow)
}

/// Sets the programme's cap on each person's shares per day (`None`: no cap), leaving the other
/// settings as they are.
///
/// # Errors
/// Database failure.
pub async fn set_daily_cap(
    db: &impl ConnectionTrait,
    cap: Option<u32>,
) -> Result<(), EditorialError> {
    set(
        db,
        DAILY_CAP,
        &cap.map(|n| n.to_string()).unwrap_or_default(),
    )
    .await
}

/// Stores every retention period, together.
///
/// # Errors
/// Database failure; then nothing changed.
pub async fn set_retention(
    db: &DatabaseConnection,
    retention: &Retention,
) -> Result<(), EditorialError> {
    let txn = crate::store::begin_write(db).await?;
    for (kind, days) in retention.iter() {
        set(&txn, &retention_key(kind), &days.to_string()).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Stores every setting the admins' form holds, together (the editors' daily cap is
/// [`set_daily_cap`]'s).
///
/// # Errors
/// Database failure; then nothing changed.
pub async fn save(db: &DatabaseConnection, settings: &Settings) -> Result<(), EditorialError> {
    let text = |d: &Option<Disclosure>| {
        d.as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default()
    };
    let txn = crate::store::begin_write(db).await?;
    for (key, value) in [
        (
            SECOND_APPROVAL,
            settings.workflow.require_second_approval.to_string(),
        ),
        (MIN_GROUP_SIZE, settings.min_group_size.get().to_string()),
        (DISCLOSURE_EN, text(&settings.disclosure_en)),
        (DISCLOSURE_FR, text(&settings.disclosure_fr)),
        (
            COMPOSER_ONLY,
            settings
                .composer_only
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ] {
        set(&txn, key, &value).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Turns the second-approval rule on or off, leaving the other settings as they are.
///
/// # Errors
/// Database failure.
pub async fn set_require_second_approval(
    db: &impl ConnectionTrait,
    on: bool,
) -> Result<(), EditorialError> {
    set(db, SECOND_APPROVAL, &on.to_string()).await
}

async fn set(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), EditorialError> {
    org_setting::Entity::insert(org_setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(
        OnConflict::column(org_setting::Column::Key)
            .update_column(org_setting::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_only_networks_are_read_in_order_and_a_wrong_name_is_refused() {
        assert_eq!(
            networks_of("x, linkedin"),
            Some(vec![Network::LinkedIn, Network::X])
        );
        assert_eq!(networks_of(""), Some(vec![]));
        assert_eq!(networks_of("x,myspace"), None);
        let settings = Settings {
            composer_only: vec![Network::X],
            ..Settings::default()
        };
        assert!(!settings.allows_direct(Network::X) && settings.allows_direct(Network::Bluesky));
    }

    #[test]
    fn retention_keys_are_one_per_kind() {
        for kind in DataKind::ALL {
            assert_eq!(retention_key(kind), retention_key_static(kind));
        }
    }

    #[test]
    fn the_default_disclosures_are_hashtags_in_each_language() {
        assert_eq!(
            default_disclosure(DISCLOSURE_EN).map(|d| d.as_str().to_owned()),
            Some("#employee".to_owned())
        );
        assert_eq!(
            default_disclosure(DISCLOSURE_FR).map(|d| d.as_str().to_owned()),
            Some("#salarié".to_owned())
        );
    }

    #[test]
    fn the_disclosure_follows_the_posts_language() {
        let settings = Settings {
            disclosure_en: Disclosure::parse("#employee").ok(),
            disclosure_fr: Disclosure::parse("#collaborateur").ok(),
            ..Settings::default()
        };
        assert_eq!(
            settings.disclosure_for("fr-CA").map(Disclosure::as_str),
            Some("#collaborateur")
        );
        assert_eq!(
            settings.disclosure_for("en").map(Disclosure::as_str),
            Some("#employee")
        );
        assert_eq!(
            settings.disclosure_for("de").map(Disclosure::as_str),
            Some("#employee")
        );
    }
}
