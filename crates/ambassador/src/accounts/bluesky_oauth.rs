//! Connecting a Bluesky account over atproto OAuth: the sign-in starts from the handle or DID
//! typed (its PDS and authorization server found from the DID), the pending authorisation row
//! carries the account's new DPoP key (sealed), the PKCE verifier, the DID, PDS, issuer and
//! client id until the callback, which must come back to the same person and session within
//! ten minutes, once, from the same issuer. The tokens are stored with the key they are bound
//! to; refreshes and revocation use the same key, server and client id.

use chorus_policy::{Network, UserId};
use chrono::Utc;
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, DatabaseConnection, EntityTrait as _};
use url::Url;

use super::{
    AccountSummary, AmbassadorError, Networks, OAuthBinding, STATE_LIFETIME, bluesky_server, place,
    store_account, summary,
};
use crate::connectors::bluesky::{Authorization, OAuthClient};
use crate::connectors::{ConnectorError, DpopKey, Identity, Pkce, Secret, TokenSet};
use crate::store::entities::{connected_account, oauth_state};
use crate::vault::Vault;

/// What starting a Bluesky OAuth sign-in needs.
#[derive(Debug, Clone)]
pub struct BlueskyOAuthBegin<'a> {
    /// Who connects.
    pub user_id: UserId,
    /// Their session (the state is bound to it).
    pub session_hash: &'a str,
    /// The handle or DID typed.
    pub identifier: &'a str,
    /// The PDS of a self-hosted account ("" when the handle or DID says where).
    pub server: &'a str,
    /// Chorus as an OAuth client.
    pub client: &'a OAuthClient,
}

/// What the authorization server sent back, and who received it.
#[derive(Debug, Clone)]
pub struct BlueskyOAuthCallback<'a> {
    /// Who is signed in to Chorus now.
    pub user_id: UserId,
    /// Their session.
    pub session_hash: &'a str,
    /// Chorus as an OAuth client.
    pub client: &'a OAuthClient,
    /// `code`.
    pub code: &'a str,
    /// `state`.
    pub state: &'a str,
    /// `iss`: the authorization server that answered.
    pub iss: Option<&'a str>,
}

/// Where the DPoP key of a pending authorisation is sealed: the row's key is its state, a
/// string, so the row number bound into the sealing is derived from it.
fn oauth_unavailable(error: ConnectorError) -> AmbassadorError {
    match error {
        ConnectorError::Refused { message, .. } => AmbassadorError::OAuthUnavailable(message),
        other => AmbassadorError::Connector(other),
    }
}

/// Starts a Bluesky OAuth sign-in: finds the account's authorization server, pushes the
/// request with a new DPoP key, and returns where to send the person.
///
/// # Errors
/// [`AmbassadorError::InvalidServer`] for a server address that is not usable;
/// [`AmbassadorError::OAuthUnavailable`] for a handle or DID that does not resolve or a server
/// without OAuth; the transport classes of [`ConnectorError`] otherwise.
pub async fn begin_bluesky_oauth(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    begin: BlueskyOAuthBegin<'_>,
) -> Result<Url, AmbassadorError> {
    let server = bluesky_server(networks, begin.server)?;
    let bluesky = networks.bluesky(None);
    let discovered = bluesky
        .discover(begin.identifier, server.as_ref())
        .await
        .map_err(oauth_unavailable)?;
    let pkce = Pkce::generate();
    let state = Pkce::generate().verifier.expose().to_owned();
    let key = DpopKey::generate();
    let login_hint = begin.identifier.trim().trim_start_matches('@');
    let url = bluesky
        .push_authorization(
            &discovered.server,
            &Authorization {
                client: begin.client,
                login_hint,
                state: &state,
                code_challenge: &pkce.challenge,
                key: &key,
            },
        )
        .await
        .map_err(oauth_unavailable)?;
    oauth_state::ActiveModel {
        state: Set(state.clone()),
        user_id: Set(begin.user_id.get()),
        session_hash: Set(begin.session_hash.to_owned()),
        network: Set(Network::Bluesky.into()),
        instance: Set(String::new()),
        pkce_verifier: Set(vault.seal(
            super::state_place(&state, "pkce_verifier"),
            pkce.verifier.expose(),
        )),
        created_at: Set(Utc::now()),
        dpop_key: Set(Some(vault.seal(
            super::state_place(&state, "dpop_key"),
            key.export().expose(),
        ))),
        account_did: Set(Some(discovered.did)),
        pds_url: Set(Some(discovered.pds.into())),
        issuer: Set(Some(discovered.server.issuer)),
        client_id: Set(Some(begin.client.client_id.clone())),
    }
    .insert(db)
    .await?;
    Ok(url)
}

/// Finishes a Bluesky OAuth sign-in from the callback: the state is used up whatever happens;
/// the DID is resolved again and must still live on the PDS whose server answered; the tokens
/// must be for that DID.
///
/// # Errors
/// [`AmbassadorError::StateInvalid`] for a state that is unknown, used, expired, another
/// person's or session's, or answered by another issuer or for another client; connector
/// failures otherwise.
pub async fn finish_bluesky_oauth(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    callback: BlueskyOAuthCallback<'_>,
) -> Result<AccountSummary, AmbassadorError> {
    let row = oauth_state::Entity::find_by_id(callback.state.to_owned())
        .one(db)
        .await?
        .ok_or(AmbassadorError::StateInvalid)?;
    oauth_state::Entity::delete_by_id(callback.state.to_owned())
        .exec(db)
        .await?;
    let valid = row.user_id == callback.user_id.get()
        && row.session_hash == callback.session_hash
        && row.network == Network::Bluesky
        && Utc::now() - row.created_at < STATE_LIFETIME
        && row.client_id.as_deref() == Some(callback.client.client_id.as_str());
    let (Some(sealed_key), Some(did), Some(pds), Some(issuer)) =
        (&row.dpop_key, &row.account_did, &row.pds_url, &row.issuer)
    else {
        return Err(AmbassadorError::StateInvalid);
    };
    if !valid {
        return Err(AmbassadorError::StateInvalid);
    }
    if callback.iss != Some(issuer.as_str()) {
        tracing::info!(
            expected = issuer.as_str(),
            "the callback came from another issuer"
        );
        return Err(AmbassadorError::StateInvalid);
    }
    let key = DpopKey::import(&Secret::new(
        vault.open(super::state_place(callback.state, "dpop_key"), sealed_key)?,
    ))
    .ok_or(AmbassadorError::StateInvalid)?;
    let bluesky = networks.bluesky(None);
    let discovered = bluesky
        .discover(did, None)
        .await
        .map_err(oauth_unavailable)?;
    if discovered.server.issuer != *issuer || discovered.pds.as_str() != pds {
        return Err(AmbassadorError::Connector(ConnectorError::Malformed {
            detail: "the account moved to another Bluesky server during sign-in; try again"
                .to_owned(),
        }));
    }
    let tokens = bluesky
        .exchange_oauth_code(
            &discovered.server,
            callback.client,
            callback.code,
            &Secret::new(
                vault
                    .open(
                        super::state_place(callback.state, "pkce_verifier"),
                        &row.pkce_verifier,
                    )
                    .map_err(|_| AmbassadorError::StateInvalid)?,
            ),
            &key,
            did,
        )
        .await?;
    let identity = Identity {
        external_id: discovered.did.clone(),
        handle: discovered.handle.clone(),
        display_name: discovered.handle.clone(),
        profile_url: Some(bluesky.profile_url(&discovered.did)),
    };
    let binding = OAuthBinding {
        key,
        issuer: issuer.clone(),
        client_id: callback.client.client_id.clone(),
    };
    let instance = discovered.pds.as_str().trim_end_matches('/').to_owned();
    let id = store_account(
        db,
        vault,
        callback.user_id,
        Network::Bluesky,
        &instance,
        &identity,
        tokens,
        Some(&binding),
    )
    .await?;
    let row = connected_account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    Ok(summary(row))
}

/// Refreshes the DPoP-bound tokens of an OAuth account at the server that issued them, with
/// the client id they were issued to.
pub(super) async fn refresh_tokens(
    networks: &Networks,
    row: &connected_account::Model,
    current: &TokenSet,
    key: &DpopKey,
) -> Result<TokenSet, ConnectorError> {
    let (Some(issuer), Some(client_id)) = (&row.oauth_issuer, &row.oauth_client_id) else {
        return Err(ConnectorError::Malformed {
            detail: "the account has no authorization server on record; reconnect it".to_owned(),
        });
    };
    let bluesky = networks.bluesky(Url::parse(&row.instance).ok().as_ref());
    let server = bluesky.authorization_server(issuer).await?;
    bluesky
        .refresh_oauth(&server, client_id, current, key, &row.external_id)
        .await
}

/// Revokes an OAuth account's refresh token (best effort: the account is deleted anyway).
pub(super) async fn revoke(vault: &Vault, networks: &Networks, row: &connected_account::Model) {
    let Ok(Some(key)) = super::account_dpop_key(vault, row) else {
        return;
    };
    let (Some(issuer), Some(client_id), Some(sealed)) =
        (&row.oauth_issuer, &row.oauth_client_id, &row.refresh_token)
    else {
        return;
    };
    let Ok(token) = vault.open(place("connected_accounts", "refresh_token", row.id), sealed) else {
        return;
    };
    let bluesky = networks.bluesky(Url::parse(&row.instance).ok().as_ref());
    let revoked = match bluesky.authorization_server(issuer).await {
        Ok(server) => {
            bluesky
                .revoke_oauth(&server, client_id, &Secret::new(token), &key)
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = revoked {
        tracing::info!(network = "bluesky", error = %e, "token revocation failed; deleting it anyway");
    }
}
