//! Refreshing tokens before they expire, under a lease so that one process refreshes each
//! account, and marking an account to reconnect when its token is refused.

// The parent module's imports and shared items.
use super::*;

/// How long before expiry a token is refreshed.
pub const REFRESH_MARGIN: Duration = Duration::minutes(5);

/// Refreshes an account's token: one refresh at a time per account across every process (a
/// lease), the new refresh token stored, and never replaced by an empty one. A network that
/// refuses the refresh marks the account as needing reconnection; only its owner is told.
/// Returns `Ok(false)` when another process is refreshing it right now.
///
/// # Errors
/// Database, vault or connector failure.
pub async fn refresh(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    account_id: AccountId,
    holder: &str,
) -> Result<bool, AmbassadorError> {
    let account_id = account_id.get();
    let lease = format!("refresh-account-{account_id}");
    if !chorus_editorial::store::leases::acquire(db, &lease, holder, Duration::seconds(30))
        .await
        .map_err(|e| match e {
            chorus_editorial::EditorialError::Db(e) => AmbassadorError::Db(e),
            _ => AmbassadorError::NotFound,
        })?
    {
        tracing::info!(
            account = account_id,
            "another process is refreshing this token"
        );
        return Ok(false);
    }
    let row = connected_account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    let network = row.network.get();
    let Some(sealed_refresh) = row.refresh_token.clone() else {
        tracing::info!(
            account = account_id,
            "no refresh token: the owner must reconnect"
        );
        mark_needs_reconnect(db, account_id).await?;
        return Ok(true);
    };
    let current = TokenSet {
        access_token: Secret::new(vault.open(
            place("connected_accounts", "access_token", row.id),
            &row.access_token,
        )?),
        refresh_token: Some(Secret::new(vault.open(
            place("connected_accounts", "refresh_token", row.id),
            &sealed_refresh,
        )?)),
        expires_at: row.expires_at,
        scopes: row
            .scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let instance = Url::parse(&row.instance).ok();
    let refreshed = if let Some(key) = account_dpop_key(vault, &row)? {
        bluesky_oauth::refresh_tokens(networks, &row, &current, &key).await
    } else {
        let connector = networks
            .connector(network, instance.as_ref())
            .ok_or(AmbassadorError::Unavailable(network))?;
        let app = match app_credentials(db, vault, network, &row.instance).await? {
            Some(app) => app,
            // Bluesky refreshes with the refresh token alone.
            None if network == Network::Bluesky => AppCredentials {
                client_id: String::new(),
                client_secret: None,
            },
            None => return Err(AmbassadorError::Unavailable(network)),
        };
        connector.refresh(&app, &current).await
    };
    let fresh = match refreshed {
        Ok(fresh) => fresh.merge_refresh(&current),
        Err(e) => {
            tracing::info!(account = account_id, error = %e, "token refresh refused; the owner must reconnect");
            mark_needs_reconnect(db, account_id).await?;
            return Ok(true);
        }
    };
    let mut active: connected_account::ActiveModel = row.into();
    active.access_token = Set(vault.seal(
        place("connected_accounts", "access_token", account_id),
        fresh.access_token.expose(),
    ));
    active.refresh_token = Set(fresh.refresh_token.as_ref().map(|r| {
        vault.seal(
            place("connected_accounts", "refresh_token", account_id),
            r.expose(),
        )
    }));
    active.expires_at = Set(fresh.expires_at);
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(true)
}

/// Whether the account's token expires within [`REFRESH_MARGIN`] and can be refreshed.
///
/// # Errors
/// Database failure.
pub async fn needs_refresh(
    db: &impl ConnectionTrait,
    account_id: AccountId,
) -> Result<bool, AmbassadorError> {
    let account_id = account_id.get();
    Ok(connected_account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .is_some_and(|row| refresh_due(&row)))
}

/// Whether this stored account's token expires within [`REFRESH_MARGIN`] and can be refreshed.
#[must_use]
pub fn refresh_due(row: &connected_account::Model) -> bool {
    row.refresh_token.is_some()
        && row
            .expires_at
            .is_some_and(|at| at - Utc::now() < REFRESH_MARGIN)
}

async fn mark_needs_reconnect(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<(), AmbassadorError> {
    connected_account::Entity::update_many()
        .col_expr(
            connected_account::Column::NeedsReconnect,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(connected_account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}
