//! The organisation's client credentials per network (and per instance for Mastodon), sealed
//! at rest; which networks can be connected.

// The parent module's imports and shared items.
use super::*;

/// The client credentials for `network` (`instance` is the Mastodon origin, else "").
///
/// # Errors
/// Database failure, or a secret that does not open.
pub async fn app_credentials(
    db: &impl ConnectionTrait,
    vault: &Vault,
    network: Network,
    instance: &str,
) -> Result<Option<AppCredentials>, AmbassadorError> {
    let Some(row) = network_app::Entity::find()
        .filter(network_app::Column::Network.eq(network.as_str()))
        .filter(network_app::Column::Instance.eq(instance))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let secret = vault.open(
        place("network_apps", "client_secret", row.id),
        &row.client_secret,
    )?;
    Ok(Some(AppCredentials {
        client_id: row.client_id,
        client_secret: (!secret.is_empty()).then(|| Secret::new(secret)),
    }))
}

/// Stores (or replaces) client credentials; an empty secret means a public client.
///
/// # Errors
/// Database failure.
pub async fn set_app_credentials(
    db: &DatabaseConnection,
    vault: &Vault,
    network: Network,
    instance: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<(), AmbassadorError> {
    let txn = chorus_editorial::store::begin_write(db).await?;
    network_app::Entity::delete_many()
        .filter(network_app::Column::Network.eq(network.as_str()))
        .filter(network_app::Column::Instance.eq(instance))
        .exec(&txn)
        .await?;
    let row = network_app::ActiveModel {
        network: Set(network.into()),
        instance: Set(instance.to_owned()),
        client_id: Set(client_id.to_owned()),
        client_secret: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let sealed = vault.seal(
        place("network_apps", "client_secret", row.id),
        client_secret,
    );
    let mut active: network_app::ActiveModel = row.into();
    active.client_secret = Set(sealed);
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Which networks have credentials (Mastodon needs none: Chorus registers per instance;
/// Bluesky neither: it connects with an app password).
///
/// # Errors
/// Database failure.
pub async fn configured_networks(
    db: &impl ConnectionTrait,
) -> Result<Vec<Network>, AmbassadorError> {
    let rows = network_app::Entity::find()
        .filter(network_app::Column::Instance.eq(""))
        .all(db)
        .await?;
    Ok(Network::ALL
        .into_iter()
        .filter(|n| {
            matches!(n, Network::Mastodon | Network::Bluesky)
                || rows.iter().any(|r| r.network == *n)
        })
        .collect())
}
