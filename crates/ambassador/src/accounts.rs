//! Connected accounts: the OAuth connection of a person's own account on a network, with a
//! single-use `state` bound to their session (10 minutes), PKCE where the network takes it,
//! one callback per network and instance, tokens sealed at rest, and a refresh token never
//! replaced by an empty one when the person reconnects. Bluesky connects with an app password
//! instead ([`connect_bluesky`]): the password is used once to open a session and never stored;
//! the session's tokens are sealed like any other, its PDS kept as the account's instance.
//! Bluesky also connects over atproto OAuth ([`bluesky_oauth`]): DPoP-bound tokens, the
//! account's DPoP key sealed beside them.

use chorus_editorial::preview::AddressGuard;
use chorus_policy::{AccountId, Network, UserId};
use chrono::{Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    EntityTrait as _, QueryFilter as _, QueryOrder as _,
};
use url::Url;

use crate::AmbassadorError;
use crate::connectors::{
    AppCredentials, Bluesky, BlueskyEndpoints, Connector, ConnectorError, DpopKey, DpopNonces,
    HttpClient, Pkce, Secret, Timeouts, TokenSet, X, XEndpoints,
    linkedin::{LinkedIn, LinkedInEndpoints},
    mastodon::{Mastodon, MastodonEndpoints},
    threads::{Threads, ThreadsEndpoints},
};
use crate::store::entities::{connected_account, network_app, oauth_state};
use crate::vault::{Place, Vault, VaultError};

mod app_password;
pub mod bluesky_oauth;
mod credentials;
mod oauth;
mod refresh;
mod registry;
mod rotation;

pub use app_password::{BlueskySignIn, connect_bluesky};
pub use credentials::{app_credentials, configured_networks, set_app_credentials};
pub use oauth::{Begin, begin, finish, purge_stale_states};
pub use refresh::{REFRESH_MARGIN, needs_refresh, refresh, refresh_due};
pub use registry::Networks;
pub use rotation::{Rotation, rotate_keys};

pub use bluesky_oauth::{
    BlueskyOAuthBegin, BlueskyOAuthCallback, begin_bluesky_oauth, finish_bluesky_oauth,
};

/// How long an authorisation may take.
pub const STATE_LIFETIME: Duration = Duration::minutes(10);

/// A connected account as pages show it: never its tokens.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountSummary {
    /// Id.
    pub id: AccountId,
    /// Network.
    pub network: Network,
    /// Instance origin (Mastodon), else "".
    pub instance: String,
    /// Handle.
    pub handle: String,
    /// Display name.
    pub display_name: String,
    /// Profile page.
    pub profile_url: Option<String>,
    /// The owner must reconnect it (revoked or expired).
    pub needs_reconnect: bool,
    /// When its access ends, for an account Chorus cannot renew (no refresh token: LinkedIn's
    /// 60 days).
    pub access_ends: Option<chrono::DateTime<Utc>>,
}

fn summary(row: connected_account::Model) -> AccountSummary {
    AccountSummary {
        id: AccountId(row.id),
        network: row.network.get(),
        instance: row.instance,
        handle: row.handle,
        display_name: row.display_name,
        profile_url: row.profile_url,
        needs_reconnect: row.needs_reconnect,
        access_ends: row.expires_at.filter(|_| row.refresh_token.is_none()),
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "a private helper with three callers; a struct would only repeat the names"
)]
async fn store_account(
    db: &DatabaseConnection,
    vault: &Vault,
    user_id: UserId,
    network: Network,
    instance: &str,
    identity: &crate::connectors::Identity,
    tokens: TokenSet,
    oauth: Option<&OAuthBinding>,
) -> Result<i32, AmbassadorError> {
    let txn = chorus_editorial::store::begin_write(db).await?;
    let now = Utc::now();
    connected_account::Entity::insert(connected_account::ActiveModel {
        user_id: Set(user_id.get()),
        network: Set(network.into()),
        instance: Set(instance.to_owned()),
        external_id: Set(identity.external_id.clone()),
        handle: Set(identity.handle.clone()),
        display_name: Set(identity.display_name.clone()),
        profile_url: Set(identity.profile_url.clone()),
        access_token: Set(String::new()),
        refresh_token: Set(None),
        expires_at: Set(None),
        scopes: Set(String::new()),
        needs_reconnect: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            connected_account::Column::UserId,
            connected_account::Column::Network,
            connected_account::Column::Instance,
            connected_account::Column::ExternalId,
        ])
        .update_columns([
            connected_account::Column::Handle,
            connected_account::Column::DisplayName,
            connected_account::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let row = connected_account::Entity::find()
        .filter(connected_account::Column::UserId.eq(user_id.get()))
        .filter(connected_account::Column::Network.eq(network.as_str()))
        .filter(connected_account::Column::Instance.eq(instance))
        .filter(connected_account::Column::ExternalId.eq(identity.external_id.clone()))
        .one(&txn)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    // Reconnecting never loses a refresh token to an answer that carries none.
    let previous_refresh = match &row.refresh_token {
        Some(sealed) => Some(Secret::new(
            vault.open(place("connected_accounts", "refresh_token", row.id), sealed)?,
        )),
        None => None,
    };
    // ... unless the account changes kind (app password / OAuth): the old token is useless then.
    let same_kind = row.dpop_key.is_some() == oauth.is_some();
    let refresh = tokens
        .refresh_token
        .or(previous_refresh.filter(|_| same_kind));
    let id = row.id;
    let mut active: connected_account::ActiveModel = row.into();
    active.access_token = Set(vault.seal(
        place("connected_accounts", "access_token", id),
        tokens.access_token.expose(),
    ));
    active.refresh_token =
        Set(refresh
            .map(|r| vault.seal(place("connected_accounts", "refresh_token", id), r.expose())));
    active.expires_at = Set(tokens.expires_at);
    active.scopes = Set(tokens.scopes.join(" "));
    active.dpop_key = Set(oauth.map(|binding| {
        vault.seal(
            place("connected_accounts", "dpop_key", id),
            binding.key.export().expose(),
        )
    }));
    active.oauth_issuer = Set(oauth.map(|binding| binding.issuer.clone()));
    active.oauth_client_id = Set(oauth.map(|binding| binding.client_id.clone()));
    active.needs_reconnect = Set(false);
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(id)
}

/// A person's connected accounts, without tokens.
///
/// # Errors
/// Database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<AccountSummary>, AmbassadorError> {
    Ok(connected_account::Entity::find()
        .filter(connected_account::Column::UserId.eq(user.get()))
        .order_by_asc(connected_account::Column::Network)
        .order_by_asc(connected_account::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

/// Disconnects an account: the token is revoked at the network where it offers revocation
/// (best effort: a network that is down does not keep the account connected here), then
/// deleted.
///
/// # Errors
/// [`AmbassadorError::NotFound`] when it is not this person's.
pub async fn disconnect(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    user: UserId,
    account: AccountId,
) -> Result<(), AmbassadorError> {
    let row = connected_account::Entity::find_by_id(account.get())
        .filter(connected_account::Column::UserId.eq(user.get()))
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    let network = row.network.get();
    let instance = Url::parse(&row.instance).ok();
    if network == Network::Bluesky && row.dpop_key.is_some() {
        bluesky_oauth::revoke(vault, networks, &row).await;
    } else if network == Network::Bluesky {
        // Bluesky ends a session with its refresh token, and needs no app credentials.
        if let Some(sealed) = &row.refresh_token
            && let Ok(refresh) =
                vault.open(place("connected_accounts", "refresh_token", row.id), sealed)
            && let Err(e) = networks
                .bluesky(instance.as_ref())
                .delete_session(&Secret::new(refresh))
                .await
        {
            tracing::info!(network = network.as_str(), error = %e, "ending the session failed; deleting it anyway");
        }
    } else if let (Some(connector), Ok(token)) = (
        networks.connector(network, instance.as_ref()),
        vault.open(
            place("connected_accounts", "access_token", row.id),
            &row.access_token,
        ),
    ) && let Some(app) = app_credentials(db, vault, network, &row.instance).await?
        && let Err(e) = connector.revoke(&app, &Secret::new(token)).await
    {
        tracing::info!(network = network.as_str(), error = %e, "token revocation failed; deleting it anyway");
    }
    connected_account::Entity::delete_by_id(row.id)
        .exec(db)
        .await?;
    Ok(())
}

/// Disconnects every account of a person (before erasing them).
///
/// # Errors
/// Database failure.
pub async fn disconnect_all(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    user: UserId,
) -> Result<(), AmbassadorError> {
    for account in list(db, user).await? {
        disconnect(db, vault, networks, user, account.id).await?;
    }
    Ok(())
}

/// Where a pending authorisation's sealed value lives: its state (random, the row's key)
/// stands for the row in the vault's associated data.
fn state_place(state: &str, column: &'static str) -> Place<'static> {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(state.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    Place {
        table: "oauth_states",
        column,
        row: i64::from_be_bytes(first),
    }
}

/// The Bluesky server a person typed (checked by the address guard), or `None` when they left
/// it empty and their handle or DID decides.
fn bluesky_server(networks: &Networks, typed: &str) -> Result<Option<Url>, AmbassadorError> {
    match typed.trim() {
        "" => Ok(None),
        typed => networks
            .instance(typed)
            .map(Some)
            .map_err(|_| AmbassadorError::InvalidServer),
    }
}

/// Where a sealed value lives, for the vault's associated data.
fn place(table: &'static str, column: &'static str, row: i32) -> Place<'static> {
    Place {
        table,
        column,
        row: i64::from(row),
    }
}

/// What binds an OAuth account's tokens: its DPoP key, the server that issued them, and the
/// client id they were issued to.
pub(crate) struct OAuthBinding {
    key: DpopKey,
    issuer: String,
    client_id: String,
}

/// The DPoP key of an account connected over OAuth (`None` for bearer tokens).
///
/// # Errors
/// A sealed key that does not open, or opens to something that is not a key.
pub(crate) fn account_dpop_key(
    vault: &Vault,
    row: &connected_account::Model,
) -> Result<Option<DpopKey>, VaultError> {
    let Some(sealed) = &row.dpop_key else {
        return Ok(None);
    };
    let exported = vault.open(place("connected_accounts", "dpop_key", row.id), sealed)?;
    DpopKey::import(&Secret::new(exported))
        .map(Some)
        .ok_or(VaultError::Malformed)
}
