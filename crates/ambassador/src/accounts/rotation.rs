//! Re-sealing every stored token and client secret under the current key (`chorus keys
//! rotate`), resumable.

// The parent module's imports and shared items.
use super::*;

/// What a key rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Values re-sealed under the current key.
    pub resealed: usize,
    /// Values already under the current key.
    pub current: usize,
}

/// Re-seals every stored secret under the current key. Row by row, each in its own update
/// guarded by the old ciphertext, so it can be interrupted and run again: finished rows are
/// skipped, and a row changed meanwhile is left for the next run.
///
/// # Errors
/// Database failure, or a secret sealed under a key that is not configured.
pub async fn rotate_keys(
    db: &DatabaseConnection,
    vault: &Vault,
) -> Result<Rotation, AmbassadorError> {
    let mut rotation = Rotation::default();
    for row in connected_account::Entity::find().all(db).await? {
        for (column, name, sealed) in [
            (
                connected_account::Column::AccessToken,
                "access_token",
                Some(row.access_token.clone()),
            ),
            (
                connected_account::Column::RefreshToken,
                "refresh_token",
                row.refresh_token.clone(),
            ),
            (
                connected_account::Column::DpopKey,
                "dpop_key",
                row.dpop_key.clone(),
            ),
        ] {
            let Some(sealed) = sealed else { continue };
            if !vault.needs_rotation(&sealed) {
                rotation.current += 1;
                continue;
            }
            let at = place("connected_accounts", name, row.id);
            let resealed = vault.seal(at, &vault.open(at, &sealed)?);
            connected_account::Entity::update_many()
                .col_expr(column, sea_orm::sea_query::Expr::value(resealed))
                .filter(connected_account::Column::Id.eq(row.id))
                .filter(column.eq(sealed))
                .exec(db)
                .await?;
            rotation.resealed += 1;
        }
    }
    for row in network_app::Entity::find().all(db).await? {
        if !vault.needs_rotation(&row.client_secret) {
            rotation.current += 1;
            continue;
        }
        let at = place("network_apps", "client_secret", row.id);
        let resealed = vault.seal(at, &vault.open(at, &row.client_secret)?);
        network_app::Entity::update_many()
            .col_expr(
                network_app::Column::ClientSecret,
                sea_orm::sea_query::Expr::value(resealed),
            )
            .filter(network_app::Column::Id.eq(row.id))
            .filter(network_app::Column::ClientSecret.eq(row.client_secret.clone()))
            .exec(db)
            .await?;
        rotation.resealed += 1;
    }
    Ok(rotation)
}
