//! Deleting a published share from its network, at its owner's request: the network's own
//! delete call with the owner's account (its token refreshed first where it is about to expire,
//! and once more after a 401, as the publishing worker does), then the share becomes `deleted`.
//!
//! Nothing is erased here: the share keeps its history row, text, address and `published_at`,
//! and the statistics keep counting it as published, because it was: `activity_daily` counts
//! what the platform published, not what is still online.

use chorus_policy::{AccountId, Network, ShareId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, DatabaseConnection, EntityTrait as _, QueryFilter as _};

use super::ShareState;
use crate::AmbassadorError;
use crate::accounts::{self, Networks};
use crate::connectors::{PublishError, deletion_offered};
use crate::publishing::open_account;
use crate::store::entities::{connected_account, share};
use crate::vault::Vault;

/// Deletes `share` of `user` from its network and marks it `deleted`. `holder`
/// names this process for the token-refresh lease. Returns the share's network.
///
/// # Errors
/// [`AmbassadorError::NotFound`] for another person's share or one that is not published with a
/// known post id; [`AmbassadorError::DeletionUnsupported`] where the network offers no deletion;
/// [`AmbassadorError::AccountGone`] when the account was disconnected; [`AmbassadorError::Refused`]
/// with the network's classified answer (the share then stays `published`).
pub async fn delete_from_network(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    user: UserId,
    share: ShareId,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<Network, AmbassadorError> {
    let (user_id, share_id) = (user.get(), share.get());
    let row = share::Entity::find_by_id(share_id)
        .filter(share::Column::UserId.eq(user_id))
        .filter(share::Column::State.eq(ShareState::Published.as_str()))
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    let external_id = row.external_id.clone().ok_or(AmbassadorError::NotFound)?;
    let network = row.network.get();
    if !deletion_offered(network) {
        return Err(AmbassadorError::DeletionUnsupported(network));
    }
    let account_id = row
        .account_id
        .ok_or(AmbassadorError::AccountGone(network))?;
    if matches!(
        accounts::needs_refresh(db, AccountId(account_id)).await,
        Ok(true)
    ) && let Err(e) = accounts::refresh(db, vault, networks, AccountId(account_id), holder).await
    {
        tracing::warn!(account = account_id, error = %e, "could not refresh a token before a deletion");
    }
    let mut refreshed = false;
    loop {
        let (account, instance) =
            open_account(db, vault, account_id)
                .await
                .map_err(|why| match why {
                    AmbassadorError::NotFound => AmbassadorError::AccountGone(network),
                    why => why,
                })?;
        let connector = networks
            .connector(network, instance.as_ref())
            .ok_or(AmbassadorError::DeletionUnsupported(network))?;
        match connector.delete(&account, &external_id).await {
            Ok(()) => break,
            // Nothing was deleted after a 401: refreshing and asking once more is safe.
            Err(PublishError::Unauthorized { .. })
                if !refreshed
                    && refresh_after_401(db, vault, networks, account_id, holder).await =>
            {
                refreshed = true;
            }
            Err(error) => return Err(AmbassadorError::Refused { network, error }),
        }
    }
    // Only the state changes: the post's address, `published_at` and the statistics stay.
    share::Entity::update_many()
        .col_expr(
            share::Column::State,
            Expr::value(ShareState::Deleted.as_str()),
        )
        .col_expr(share::Column::UpdatedAt, Expr::value(now))
        .filter(share::Column::Id.eq(share_id))
        .filter(share::Column::UserId.eq(user_id))
        .filter(share::Column::State.eq(ShareState::Published.as_str()))
        .exec(db)
        .await?;
    tracing::info!(
        user_id,
        share = share_id,
        %network,
        "share deleted from its network by its owner"
    );
    Ok(network)
}

/// Refreshes the account's token after a 401; whether the account still opens afterwards (a
/// network without refresh tokens marks it for reconnection instead).
async fn refresh_after_401(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    account_id: i32,
    holder: &str,
) -> bool {
    let refreshed = match accounts::refresh(db, vault, networks, AccountId(account_id), holder)
        .await
    {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(account = account_id, error = %e, "could not refresh a token after a 401");
            false
        }
    };
    let still_valid = connected_account::Entity::find_by_id(account_id)
        .one(db)
        .await
        .ok()
        .flatten()
        .is_some_and(|account| !account.needs_reconnect);
    refreshed && still_valid
}
