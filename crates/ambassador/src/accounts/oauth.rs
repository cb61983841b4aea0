//! Connecting an account over OAuth 2: a single-use `state` bound to the person's session,
//! PKCE where the network takes it, then the code exchanged and the account stored.

// The parent module's imports and shared items.
use super::*;

/// What starting a connection needs.
#[derive(Debug, Clone)]
pub struct Begin<'a> {
    /// Who connects.
    pub user_id: UserId,
    /// Their session (the state is bound to it).
    pub session_hash: &'a str,
    /// Which network.
    pub network: Network,
    /// The Mastodon instance origin.
    pub instance: Option<Url>,
    /// This network's (and instance's) own callback URL.
    pub redirect_uri: &'a str,
}

/// Starts a connection: returns the network's consent page address.
///
/// # Errors
/// [`AmbassadorError::Unavailable`] without credentials; connector failures for Mastodon
/// registration.
pub async fn begin(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    begin: Begin<'_>,
) -> Result<Url, AmbassadorError> {
    let instance_key = begin
        .instance
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let connector = networks
        .connector(begin.network, begin.instance.as_ref())
        .ok_or(AmbassadorError::Unavailable(begin.network))?;
    let app = match app_credentials(db, vault, begin.network, &instance_key).await? {
        Some(app) => app,
        None => match &connector {
            // Registered once per instance, then reused.
            Connector::Mastodon(mastodon) => {
                let app = mastodon
                    .register_app("Chorus", begin.redirect_uri, None)
                    .await?;
                let secret = app
                    .client_secret
                    .as_ref()
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default();
                set_app_credentials(
                    db,
                    vault,
                    Network::Mastodon,
                    &instance_key,
                    &app.client_id,
                    &secret,
                )
                .await?;
                app
            }
            _ => return Err(AmbassadorError::Unavailable(begin.network)),
        },
    };
    let pkce = Pkce::generate();
    let state = crate::connectors::Pkce::generate()
        .verifier
        .expose()
        .to_owned();
    oauth_state::ActiveModel {
        state: Set(state.clone()),
        user_id: Set(begin.user_id.get()),
        session_hash: Set(begin.session_hash.to_owned()),
        network: Set(begin.network.into()),
        instance: Set(instance_key),
        // Sealed like tokens: a database dump holds no usable verifier.
        pkce_verifier: Set(vault.seal(
            state_place(&state, "pkce_verifier"),
            pkce.verifier.expose(),
        )),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(connector.authorize_url(&app, begin.redirect_uri, &state, &pkce.challenge)?)
}

/// Finishes a connection from the network's callback.
///
/// # Errors
/// [`AmbassadorError::StateInvalid`] for any state that is unknown, used, expired, or not this
/// person's, session's, network's or instance's; connector failures.
pub async fn finish(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    expected: Begin<'_>,
    code: &str,
    state: &str,
) -> Result<AccountSummary, AmbassadorError> {
    // Single use: the state row is deleted whatever happens next.
    let row = oauth_state::Entity::find_by_id(state.to_owned())
        .one(db)
        .await?
        .ok_or(AmbassadorError::StateInvalid)?;
    oauth_state::Entity::delete_by_id(state.to_owned())
        .exec(db)
        .await?;
    let instance_key = expected
        .instance
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let valid = row.user_id == expected.user_id.get()
        && row.session_hash == expected.session_hash
        && row.network == expected.network
        && row.instance == instance_key
        && Utc::now() - row.created_at < STATE_LIFETIME;
    if !valid {
        return Err(AmbassadorError::StateInvalid);
    }
    let connector = networks
        .connector(expected.network, expected.instance.as_ref())
        .ok_or(AmbassadorError::Unavailable(expected.network))?;
    let app = app_credentials(db, vault, expected.network, &instance_key)
        .await?
        .ok_or(AmbassadorError::Unavailable(expected.network))?;
    let code = code.trim_end_matches("#_");
    let tokens = connector
        .exchange_code(
            &app,
            expected.redirect_uri,
            code,
            &Secret::new(
                vault
                    .open(state_place(&row.state, "pkce_verifier"), &row.pkce_verifier)
                    .map_err(|_| AmbassadorError::StateInvalid)?,
            ),
        )
        .await?;
    let identity = connector.identity(&tokens.access_token).await?;
    let id = store_account(
        db,
        vault,
        expected.user_id,
        expected.network,
        &instance_key,
        &identity,
        tokens,
        None,
    )
    .await?;
    let row = connected_account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    Ok(summary(row))
}

/// Removes connection attempts that were never finished, once they can no longer be used.
///
/// # Errors
/// Database failure.
pub async fn purge_stale_states(
    db: &impl sea_orm::ConnectionTrait,
    now: chrono::DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    Ok(oauth_state::Entity::delete_many()
        .filter(oauth_state::Column::CreatedAt.lt(now - STATE_LIFETIME))
        .exec(db)
        .await?
        .rows_affected)
}
