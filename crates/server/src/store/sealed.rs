//! Re-sealing the server's own secrets under the current key (`chorus keys rotate`, after the
//! network tokens): the organisation's single sign-on client secret and chat channel secrets,
//! each person's own chat address, and each webhook address's signing secret. Each value is replaced only if it is still the one read,
//! so a rotation can run while people save their settings, and be run again.

use sea_orm::{ConnectionTrait, Statement};

use chorus_ambassador::vault::{Place, Vault, VaultError};

use crate::store::StoreError;

/// Every sealed organisation setting.
const SEALED_SETTINGS: [&str; 4] = [
    crate::sso::CLIENT_SECRET,
    crate::notify::chat::SLACK,
    crate::notify::chat::TEAMS,
    crate::notify::chat::MATRIX_TOKEN,
];

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Values re-sealed under the current key.
    pub resealed: usize,
    /// Values already under it.
    pub current: usize,
}

/// Why a rotation stopped.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A value is sealed under a key that is not configured.
    #[error("{place}: {source}")]
    Vault {
        /// Which value.
        place: String,
        /// Why.
        source: VaultError,
    },
}

impl From<sea_orm::DbErr> for RotationError {
    fn from(e: sea_orm::DbErr) -> Self {
        RotationError::Store(e.into())
    }
}

fn reseal(vault: &Vault, place: Place<'_>, sealed: &str) -> Result<String, RotationError> {
    let plain = vault
        .open(place, sealed)
        .map_err(|source| RotationError::Vault {
            place: format!("{}.{} #{}", place.table, place.column, place.row),
            source,
        })?;
    Ok(vault.seal(place, &plain))
}

/// Re-seals the server's secrets under the current key.
///
/// # Errors
/// [`RotationError`].
pub async fn rotate(db: &impl ConnectionTrait, vault: &Vault) -> Result<Resealed, RotationError> {
    let backend = db.get_database_backend();
    let mut done = Resealed::default();
    for key in SEALED_SETTINGS {
        let Some(sealed) = crate::sso::read(db, key).await? else {
            continue;
        };
        if !vault.needs_rotation(&sealed) {
            done.current += 1;
            continue;
        }
        let place = Place {
            table: "org_settings",
            column: key,
            row: 0,
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE org_settings SET value = $1 WHERE key = $2 AND value = $3",
            [
                reseal(vault, place, &sealed)?.into(),
                key.into(),
                sealed.into(),
            ],
        ))
        .await?;
        done.resealed += 1;
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT user_id, chat_address FROM notification_prefs WHERE chat_address IS NOT NULL",
        ))
        .await?;
    for row in rows {
        let user: i32 = row.try_get("", "user_id")?;
        let sealed: String = row.try_get("", "chat_address")?;
        if !vault.needs_rotation(&sealed) {
            done.current += 1;
            continue;
        }
        let place = crate::notify::chat_place(user);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE notification_prefs SET chat_address = $1 WHERE user_id = $2 \
             AND chat_address = $3",
            [
                reseal(vault, place, &sealed)?.into(),
                user.into(),
                sealed.into(),
            ],
        ))
        .await?;
        done.resealed += 1;
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, secret_sealed FROM webhook_endpoints",
        ))
        .await?;
    for row in rows {
        let id: i32 = row.try_get("", "id")?;
        let sealed: String = row.try_get("", "secret_sealed")?;
        if !vault.needs_rotation(&sealed) {
            done.current += 1;
            continue;
        }
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE webhook_endpoints SET secret_sealed = $1 WHERE id = $2 AND secret_sealed = $3",
            [
                reseal(vault, crate::webhooks::secret_place(id), &sealed)?.into(),
                id.into(),
                sealed.into(),
            ],
        ))
        .await?;
        done.resealed += 1;
    }
    Ok(done)
}
