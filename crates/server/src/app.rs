//! The application: its shared state, and [`Application`], which connects the database,
//! applies migrations, binds the listener and serves until a shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::i18n::I18n;
use crate::metrics::Metrics;
use crate::store;
use crate::views::Views;

/// Everything a request handler may need. Shared by every request through [`AppState`].
#[derive(Debug)]
pub struct App {
    /// The database pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// The validated configuration.
    pub config: Config,
    /// Templates, catalogues and static assets.
    pub views: Views,
    /// Request and pool metrics.
    pub metrics: Metrics,
    /// Fetches link previews and feeds, only from public addresses (unless configured for tests).
    pub fetcher: chorus_editorial::preview::PreviewFetcher,
    /// Seals and opens tokens at rest.
    pub vault: chorus_ambassador::vault::Vault,
    /// Where each network lives, and the client that talks to them.
    pub networks: chorus_ambassador::accounts::Networks,
    /// Tracked links' cache and the clicks not yet flushed.
    pub redirects: chorus_ambassador::links::Redirects,
    /// The statistics' daily roll-up, held in memory day by day.
    pub rollup: chorus_statistics::Rollup,
    /// Writes views of statistics to the audit log, together when they come at once.
    pub audit: chorus_statistics::audit::Log,
    /// Sessions, opt-in and pages remembered while the database does not change.
    pub memo: crate::memo::Memo,
    /// The API's calls per token in the current minute.
    pub api_limits: crate::routes::api::limits::Limits,
    /// The webhook subscriptions as this process last read them.
    pub webhooks: crate::webhooks::Subscriptions,
    /// Set once at least one account exists; until then only the first-run page answers.
    initialised: AtomicBool,
    /// The address actually bound, for absolute URLs when no base URL is configured.
    bound: std::sync::OnceLock<SocketAddr>,
}

/// The shared application state.
pub type AppState = Arc<App>;

/// Why Chorus could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database did not answer.
    #[error(
        "could not connect to the database at {url}: {source}. Check CHORUS_DATABASE_URL and that the database server is running and reachable."
    )]
    Database {
        /// The URL, password hidden.
        url: String,
        /// The driver's error.
        source: sea_orm::DbErr,
    },
    /// A migration failed.
    #[error("could not apply the database migrations: {0}")]
    Migration(sea_orm::DbErr),
    /// The address is taken or not ours.
    #[error("could not listen on {addr}: {source}. Set CHORUS_BIND to a free address and port.")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Shipped templates or catalogues are broken (a build defect).
    #[error("{0}")]
    Views(String),
}

impl App {
    /// Connects to the database, applies migrations and loads the views.
    ///
    /// # Errors
    /// See [`StartError`].
    pub async fn connect(config: Config) -> Result<AppState, StartError> {
        let db = store::connect(&config.database_url)
            .await
            .map_err(|source| StartError::Database {
                url: store::redact_url(&config.database_url),
                source,
            })?;
        store::migrate(&db).await.map_err(StartError::Migration)?;
        let i18n = I18n::load().map_err(|e| StartError::Views(e.to_string()))?;
        let views = Views::load(i18n).map_err(|e| StartError::Views(e.to_string()))?;
        let guard = if config.unsafe_allow_private_fetch {
            tracing::warn!(
                "CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH is on: previews and feeds may reach private addresses (tests only)"
            );
            chorus_editorial::preview::AddressGuard::allow_private_for_tests()
        } else {
            chorus_editorial::preview::AddressGuard::public_only()
        };
        let fetcher = chorus_editorial::preview::PreviewFetcher::new(guard)
            .map_err(|e| StartError::Views(e.to_string()))?;
        let previous: Vec<[u8; 32]> = config
            .previous_secret_keys
            .iter()
            .map(|k| *k.bytes())
            .collect();
        let vault = chorus_ambassador::vault::Vault::new(config.secret_key.bytes(), &previous)
            .ok_or_else(|| StartError::Views("the token key could not be derived".into()))?;
        let mut networks = chorus_ambassador::accounts::Networks::production()
            .map_err(|e| StartError::Views(e.to_string()))?;
        networks.x_base.clone_from(&config.network_base_urls.x);
        networks
            .linkedin_base
            .clone_from(&config.network_base_urls.linkedin);
        networks
            .threads_base
            .clone_from(&config.network_base_urls.threads);
        networks
            .bluesky_plc
            .clone_from(&config.network_base_urls.bluesky_plc);
        networks.linkedin_version = config.linkedin_version.to_string();
        if config.unsafe_allow_private_fetch {
            networks
                .allow_private_for_tests()
                .map_err(|e| StartError::Views(e.to_string()))?;
        }
        Ok(Arc::new(App {
            redirects: chorus_ambassador::links::Redirects::default(),
            rollup: chorus_statistics::Rollup::default(),
            audit: chorus_statistics::audit::Log::default(),
            memo: crate::memo::Memo::default(),
            api_limits: crate::routes::api::limits::Limits::default(),
            webhooks: crate::webhooks::Subscriptions::default(),
            fetcher,
            vault,
            networks,
            db,
            config,
            views,
            metrics: Metrics::default(),
            initialised: AtomicBool::new(false),
            bound: std::sync::OnceLock::new(),
        }))
    }

    /// The public address of Chorus: the configured base URL, else the bound address.
    #[must_use]
    pub fn public_url(&self, path: &str) -> String {
        let base = match self.bound.get() {
            Some(addr) if !self.config.base_url_configured => format!("http://{addr}"),
            _ => self
                .config
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        };
        format!("{base}{path}")
    }

    /// Whether the first account exists. Cached once true: accounts are never all removed
    /// while a process runs (the last admin cannot be deactivated).
    ///
    /// # Errors
    /// Database failure.
    pub async fn is_initialised(&self) -> Result<bool, store::StoreError> {
        if self.initialised.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let exists = store::users::count(&self.db).await? > 0;
        if exists {
            self.initialised.store(true, Ordering::Relaxed);
        }
        Ok(exists)
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    app: AppState,
}

impl Application {
    /// Binds the configured address.
    ///
    /// # Errors
    /// See [`StartError`].
    pub async fn bind(app: AppState) -> Result<Self, StartError> {
        let addr = app.config.bind;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        if let Ok(bound) = listener.local_addr() {
            let _ = app.bound.set(bound);
        }
        Ok(Application { listener, app })
    }

    /// The address actually bound (the port is chosen by the system when configured as 0).
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests; runs the background
    /// worker alongside when configured to.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = self
            .app
            .config
            .run_worker
            .then(|| tokio::spawn(crate::worker::run(self.app.clone(), stop_rx.clone())));
        let router = crate::router::build(self.app.clone());
        let flusher = tokio::spawn(flush_clicks(self.app.clone(), stop_rx.clone()));
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutdown requested: finishing in-flight requests");
            let _ = stop_tx.send(true);
        })
        .await;
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        let _ = flusher.await;
        // Clicks counted while in-flight requests finished are written too: none is lost on
        // a graceful shutdown.
        match self.app.redirects.flush(&self.app.db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(clicks = n, "clicks flushed at shutdown"),
            Err(e) => tracing::error!(error = %e, "clicks could not be flushed at shutdown"),
        }
        self.app.db.clone().close().await.ok();
        served
    }
}

/// Writes counted clicks to the database every second until `stop`.
async fn flush_clicks(app: AppState, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(e) = app.redirects.flush(&app.db).await {
                    tracing::warn!(error = %e, "clicks could not be flushed; kept for the next try");
                }
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
