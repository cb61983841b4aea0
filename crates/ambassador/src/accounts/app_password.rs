//! Connecting Bluesky with an app password: used once to open a session, never stored.

// The parent module's imports and shared items.
use super::*;

/// What a person types to connect Bluesky with an app password.
#[derive(Debug, Clone)]
pub struct BlueskySignIn<'a> {
    /// Who connects.
    pub user_id: UserId,
    /// Their handle (`alice.bsky.social`) or DID (`did:plc:…`).
    pub identifier: &'a str,
    /// An app password made for Chorus in Bluesky's settings (never their main password).
    pub app_password: Secret,
    /// Their PDS, for a self-hosted account ("" to find it from the handle or DID).
    pub server: &'a str,
}

/// Connects a Bluesky account with an app password: signs in once, keeps the session's tokens
/// sealed and the PDS as the account's instance; the app password itself is not kept.
///
/// # Errors
/// [`AmbassadorError::InvalidServer`] for a server address that is not usable;
/// [`AmbassadorError::SignInRefused`] when Bluesky refuses the identifier or password; the
/// transport classes of [`ConnectorError`] otherwise.
pub async fn connect_bluesky(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    sign_in: BlueskySignIn<'_>,
) -> Result<AccountSummary, AmbassadorError> {
    let server = bluesky_server(networks, sign_in.server)?;
    let session = networks
        .bluesky(None)
        .sign_in(sign_in.identifier, &sign_in.app_password, server.as_ref())
        .await
        .map_err(|e| match e {
            ConnectorError::Refused { message, .. } => AmbassadorError::SignInRefused(message),
            other => AmbassadorError::Connector(other),
        })?;
    let instance = session.pds.as_str().trim_end_matches('/').to_owned();
    let id = store_account(
        db,
        vault,
        sign_in.user_id,
        Network::Bluesky,
        &instance,
        &session.identity,
        session.tokens,
        None,
    )
    .await?;
    let row = connected_account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    Ok(summary(row))
}
