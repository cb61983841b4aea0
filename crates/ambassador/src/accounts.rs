//! Connected accounts: the OAuth connection of a person's own account on a network, with a
//! single-use `state` bound to their session (10 minutes), PKCE where the network takes it,
//! one callback per network and instance, tokens sealed at rest, and a refresh token never
//! replaced by an empty one when the person reconnects. Bluesky connects with an app password
//! instead ([`connect_bluesky`]): the password is used once to open a session and never stored;
//! the session's tokens are sealed like any other, its PDS kept as the account's instance.
//! Bluesky also connects over atproto OAuth ([`bluesky_oauth`]): DPoP-bound tokens, the
//! account's DPoP key sealed beside them.

use chorus_editorial::preview::AddressGuard;
use chorus_policy::Network;
use chrono::{Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    EntityTrait as _, QueryFilter as _, QueryOrder as _, TransactionTrait as _,
};
use url::Url;

use crate::connectors::{
    AppCredentials, Bluesky, BlueskyEndpoints, Connector, ConnectorError, DpopKey, DpopNonces,
    HttpClient, Pkce, Secret, Timeouts, TokenSet, X, XEndpoints,
    linkedin::{LinkedIn, LinkedInEndpoints},
    mastodon::{Mastodon, MastodonEndpoints},
    threads::{Threads, ThreadsEndpoints},
};
use crate::store::entities::{connected_account, network_app, oauth_state};
use crate::vault::{Place, Vault, VaultError};

pub mod bluesky_oauth;

pub use bluesky_oauth::{
    BlueskyOAuthBegin, BlueskyOAuthCallback, begin_bluesky_oauth, finish_bluesky_oauth,
};

/// How long an authorisation may take.
pub const STATE_LIFETIME: Duration = Duration::minutes(10);

/// Why connecting or using an account failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// No client credentials for this network: an admin must enter them.
    #[error("{0} is not available: an admin has not entered its client credentials")]
    Unavailable(Network),
    /// The Mastodon instance address is not usable.
    #[error("this is not a Mastodon server address; write it as https://mastodon.example")]
    InvalidInstance,
    /// The server address typed is a private or internal one.
    #[error("{0} is a private or internal address; Chorus only connects to public servers")]
    PrivateAddress(String),
    /// The Bluesky server address is not usable.
    #[error(
        "this is not a Bluesky server address; write it as https://pds.example, or leave it empty"
    )]
    InvalidServer,
    /// Bluesky refused the handle or DID and app password.
    #[error("Bluesky did not accept this sign-in: {0}")]
    SignInRefused(String),
    /// The Bluesky OAuth sign-in could not start for this handle or DID.
    #[error("Bluesky sign-in could not start: {0}")]
    OAuthUnavailable(String),
    /// Unknown, used, expired, or another person's or session's state.
    #[error(
        "this connection attempt expired or did not start here; start again from your accounts page"
    )]
    StateInvalid,
    /// The network refused or failed.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// A stored token could not be opened.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// No such account of this person.
    #[error("no such connected account")]
    NotFound,
}

/// Where each network lives (production by default; stand-ins in tests) and the HTTP client.
#[derive(Debug, Clone)]
pub struct Networks {
    /// Base URL replacing X's hosts (tests, proxies).
    pub x_base: Option<Url>,
    /// Base URL replacing LinkedIn's hosts.
    pub linkedin_base: Option<Url>,
    /// Base URL replacing Threads' hosts.
    pub threads_base: Option<Url>,
    /// The PLC directory that resolves Bluesky DIDs (`https://plc.directory` when `None`).
    pub bluesky_plc: Option<Url>,
    /// Accept `http://` and private Mastodon instances (tests only): see
    /// [`Networks::allow_private_for_tests`].
    pub allow_insecure_instances: bool,
    /// The client of the configured endpoints (X, LinkedIn, Threads): no redirects followed.
    pub http: HttpClient,
    /// The client for places a person named: a Mastodon instance, a Bluesky handle and the
    /// DID document, PDS and authorization server it leads to. Public addresses only.
    pub people_http: HttpClient,
    /// The DPoP nonces Bluesky servers sent, shared by every connector of the process.
    pub bluesky_nonces: DpopNonces,
}

impl Networks {
    /// Production endpoints.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn production() -> Result<Self, ConnectorError> {
        Ok(Networks {
            x_base: None,
            linkedin_base: None,
            threads_base: None,
            bluesky_plc: None,
            allow_insecure_instances: false,
            http: HttpClient::new(Timeouts::default())?,
            people_http: HttpClient::guarded(Timeouts::default(), AddressGuard::public_only())?,
            bluesky_nonces: DpopNonces::default(),
        })
    }

    /// Lets Mastodon instances and Bluesky servers be `http://` and private addresses, as the
    /// stand-ins and test peers are. Never outside tests.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn allow_private_for_tests(&mut self) -> Result<(), ConnectorError> {
        self.allow_insecure_instances = true;
        self.people_http =
            HttpClient::guarded(Timeouts::default(), AddressGuard::allow_private_for_tests())?;
        Ok(())
    }

    /// Checks a Mastodon instance address typed by a person and returns its origin.
    ///
    /// # Errors
    /// [`AccountsError::InvalidInstance`], or [`AccountsError::PrivateAddress`] for an IP
    /// address outside the public internet.
    pub fn instance(&self, typed: &str) -> Result<Url, AccountsError> {
        let typed = typed.trim().trim_end_matches('/');
        let with_scheme = if typed.contains("://") {
            typed.to_owned()
        } else {
            format!("https://{typed}")
        };
        let url = Url::parse(&with_scheme).map_err(|_| AccountsError::InvalidInstance)?;
        let secure =
            url.scheme() == "https" || (self.allow_insecure_instances && url.scheme() == "http");
        if !secure || url.host_str().is_none() || !url.username().is_empty() {
            return Err(AccountsError::InvalidInstance);
        }
        // Names are checked once resolved, by the client (`people_http`).
        if !self.allow_insecure_instances && AddressGuard::public_only().check_url(&url).is_err() {
            return Err(AccountsError::PrivateAddress(
                url.host_str().unwrap_or_default().to_owned(),
            ));
        }
        Url::parse(&url.origin().ascii_serialization()).map_err(|_| AccountsError::InvalidInstance)
    }

    /// The Bluesky connector, with the account's PDS where known.
    #[must_use]
    pub fn bluesky(&self, pds: Option<&Url>) -> Bluesky {
        let defaults = BlueskyEndpoints::default();
        Bluesky::new(
            self.people_http.clone(),
            BlueskyEndpoints {
                plc: self.bluesky_plc.clone().unwrap_or(defaults.plc),
                pds: pds.cloned(),
                allow_http: self.allow_insecure_instances,
                ..defaults
            },
        )
        .with_nonces(self.bluesky_nonces.clone())
    }

    /// The connector for `network` (and the instance: Mastodon's, or the Bluesky PDS).
    #[must_use]
    pub fn connector(&self, network: Network, instance: Option<&Url>) -> Option<Connector> {
        let http = self.http.clone();
        Some(match network {
            Network::Mastodon => Connector::Mastodon(Mastodon::new(
                self.people_http.clone(),
                MastodonEndpoints {
                    instance: instance?.clone(),
                },
            )),
            Network::LinkedIn => Connector::LinkedIn(LinkedIn::new(
                http,
                self.linkedin_base
                    .as_ref()
                    .map_or_else(LinkedInEndpoints::default, LinkedInEndpoints::at),
            )),
            Network::X => Connector::X(X::new(
                http,
                self.x_base
                    .as_ref()
                    .map_or_else(XEndpoints::default, XEndpoints::at),
            )),
            Network::Threads => Connector::Threads(Threads::new(
                http,
                self.threads_base
                    .as_ref()
                    .map_or_else(ThreadsEndpoints::default, ThreadsEndpoints::at),
            )),
            Network::Bluesky => Connector::Bluesky(self.bluesky(instance)),
        })
    }
}

fn place(table: &'static str, column: &'static str, row: i32) -> Place<'static> {
    Place {
        table,
        column,
        row: i64::from(row),
    }
}

/// The client credentials for `network` (`instance` is the Mastodon origin, else "").
///
/// # Errors
/// Database failure, or a secret that does not open.
pub async fn app_credentials(
    db: &impl ConnectionTrait,
    vault: &Vault,
    network: Network,
    instance: &str,
) -> Result<Option<AppCredentials>, AccountsError> {
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
) -> Result<(), AccountsError> {
    let txn = db.begin().await?;
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
pub async fn configured_networks(db: &impl ConnectionTrait) -> Result<Vec<Network>, AccountsError> {
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

/// What starting a connection needs.
#[derive(Debug, Clone)]
pub struct Begin<'a> {
    /// Who connects.
    pub user_id: i32,
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
/// [`AccountsError::Unavailable`] without credentials; connector failures for Mastodon
/// registration.
pub async fn begin(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    begin: Begin<'_>,
) -> Result<Url, AccountsError> {
    let instance_key = begin
        .instance
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let connector = networks
        .connector(begin.network, begin.instance.as_ref())
        .ok_or(AccountsError::Unavailable(begin.network))?;
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
            _ => return Err(AccountsError::Unavailable(begin.network)),
        },
    };
    let pkce = Pkce::generate();
    let state = crate::connectors::Pkce::generate()
        .verifier
        .expose()
        .to_owned();
    oauth_state::ActiveModel {
        state: Set(state.clone()),
        user_id: Set(begin.user_id),
        session_hash: Set(begin.session_hash.to_owned()),
        network: Set(begin.network.into()),
        instance: Set(instance_key),
        pkce_verifier: Set(pkce.verifier.expose().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(connector.authorize_url(&app, begin.redirect_uri, &state, &pkce.challenge)?)
}

/// A connected account as pages show it: never its tokens.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountSummary {
    /// Id.
    pub id: i32,
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
}

/// Finishes a connection from the network's callback.
///
/// # Errors
/// [`AccountsError::StateInvalid`] for any state that is unknown, used, expired, or not this
/// person's, session's, network's or instance's; connector failures.
pub async fn finish(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    expected: Begin<'_>,
    code: &str,
    state: &str,
) -> Result<AccountSummary, AccountsError> {
    // Single use: the state row is deleted whatever happens next.
    let row = oauth_state::Entity::find_by_id(state.to_owned())
        .one(db)
        .await?
        .ok_or(AccountsError::StateInvalid)?;
    oauth_state::Entity::delete_by_id(state.to_owned())
        .exec(db)
        .await?;
    let instance_key = expected
        .instance
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let valid = row.user_id == expected.user_id
        && row.session_hash == expected.session_hash
        && row.network == expected.network
        && row.instance == instance_key
        && Utc::now() - row.created_at < STATE_LIFETIME;
    if !valid {
        return Err(AccountsError::StateInvalid);
    }
    let connector = networks
        .connector(expected.network, expected.instance.as_ref())
        .ok_or(AccountsError::Unavailable(expected.network))?;
    let app = app_credentials(db, vault, expected.network, &instance_key)
        .await?
        .ok_or(AccountsError::Unavailable(expected.network))?;
    let code = code.trim_end_matches("#_");
    let tokens = connector
        .exchange_code(
            &app,
            expected.redirect_uri,
            code,
            &Secret::new(row.pkce_verifier),
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
        .ok_or(AccountsError::NotFound)?;
    Ok(summary(row))
}

/// What a person types to connect Bluesky with an app password.
#[derive(Debug, Clone)]
pub struct BlueskySignIn<'a> {
    /// Who connects.
    pub user_id: i32,
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
/// [`AccountsError::InvalidServer`] for a server address that is not usable;
/// [`AccountsError::SignInRefused`] when Bluesky refuses the identifier or password; the
/// transport classes of [`ConnectorError`] otherwise.
pub async fn connect_bluesky(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    sign_in: BlueskySignIn<'_>,
) -> Result<AccountSummary, AccountsError> {
    let server = match sign_in.server.trim() {
        "" => None,
        typed => Some(
            networks
                .instance(typed)
                .map_err(|_| AccountsError::InvalidServer)?,
        ),
    };
    let session = networks
        .bluesky(None)
        .sign_in(sign_in.identifier, &sign_in.app_password, server.as_ref())
        .await
        .map_err(|e| match e {
            ConnectorError::Refused { message, .. } => AccountsError::SignInRefused(message),
            other => AccountsError::Connector(other),
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
        .ok_or(AccountsError::NotFound)?;
    Ok(summary(row))
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

fn summary(row: connected_account::Model) -> AccountSummary {
    AccountSummary {
        id: row.id,
        network: row.network.get(),
        instance: row.instance,
        handle: row.handle,
        display_name: row.display_name,
        profile_url: row.profile_url,
        needs_reconnect: row.needs_reconnect,
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "a private helper with three callers; a struct would only repeat the names"
)]
async fn store_account(
    db: &DatabaseConnection,
    vault: &Vault,
    user_id: i32,
    network: Network,
    instance: &str,
    identity: &crate::connectors::Identity,
    tokens: TokenSet,
    oauth: Option<&OAuthBinding>,
) -> Result<i32, AccountsError> {
    let txn = db.begin().await?;
    let now = Utc::now();
    connected_account::Entity::insert(connected_account::ActiveModel {
        user_id: Set(user_id),
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
        .filter(connected_account::Column::UserId.eq(user_id))
        .filter(connected_account::Column::Network.eq(network.as_str()))
        .filter(connected_account::Column::Instance.eq(instance))
        .filter(connected_account::Column::ExternalId.eq(identity.external_id.clone()))
        .one(&txn)
        .await?
        .ok_or(AccountsError::NotFound)?;
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
    user_id: i32,
) -> Result<Vec<AccountSummary>, AccountsError> {
    Ok(connected_account::Entity::find()
        .filter(connected_account::Column::UserId.eq(user_id))
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
/// [`AccountsError::NotFound`] when it is not this person's.
pub async fn disconnect(
    db: &DatabaseConnection,
    vault: &Vault,
    networks: &Networks,
    user_id: i32,
    account_id: i32,
) -> Result<(), AccountsError> {
    let row = connected_account::Entity::find_by_id(account_id)
        .filter(connected_account::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(AccountsError::NotFound)?;
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
    user_id: i32,
) -> Result<(), AccountsError> {
    for account in list(db, user_id).await? {
        disconnect(db, vault, networks, user_id, account.id).await?;
    }
    Ok(())
}

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
) -> Result<Rotation, AccountsError> {
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
    account_id: i32,
    holder: &str,
) -> Result<bool, AccountsError> {
    let lease = format!("refresh-account-{account_id}");
    if !chorus_editorial::store::leases::acquire(db, &lease, holder, Duration::seconds(30))
        .await
        .map_err(|e| match e {
            chorus_editorial::EditorialError::Db(e) => AccountsError::Db(e),
            _ => AccountsError::NotFound,
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
        .ok_or(AccountsError::NotFound)?;
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
            .ok_or(AccountsError::Unavailable(network))?;
        let app = match app_credentials(db, vault, network, &row.instance).await? {
            Some(app) => app,
            // Bluesky refreshes with the refresh token alone.
            None if network == Network::Bluesky => AppCredentials {
                client_id: String::new(),
                client_secret: None,
            },
            None => return Err(AccountsError::Unavailable(network)),
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
    account_id: i32,
) -> Result<bool, AccountsError> {
    let Some(row) = connected_account::Entity::find_by_id(account_id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    Ok(row.refresh_token.is_some()
        && row
            .expires_at
            .is_some_and(|at| at - Utc::now() < REFRESH_MARGIN))
}

async fn mark_needs_reconnect(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<(), AccountsError> {
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
