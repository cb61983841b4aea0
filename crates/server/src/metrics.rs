//! Prometheus metrics: requests by route and status, a latency histogram by route, and the
//! database pool. Served as text at `/metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::app::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    pool_size: Gauge,
    pool_idle: Gauge,
    link_redirects: Counter,
    link_unknown: Counter,
    link_latency: Histogram,
    worker_idle_passes: Counter,
    pages_from_memory: Counter,
    pages_made: Counter,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chorus");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let pool_size = Gauge::default();
        let pool_idle = Gauge::default();
        let link_redirects = Counter::default();
        let link_unknown = Counter::default();
        let link_latency = latency_histogram();
        let worker_idle_passes = Counter::default();
        let pages_from_memory = Counter::default();
        let pages_made = Counter::default();
        registry.register(
            "memo_pages_served",
            "Signed-in pages (hub, item, My shares) served from memory: the database had not changed since they were made",
            pages_from_memory.clone(),
        );
        registry.register(
            "memo_pages_made",
            "Signed-in pages (hub, item, My shares) made from the database: first view, or something changed",
            pages_made.clone(),
        );
        registry.register(
            "worker_idle_passes",
            "Publishing passes of this process's worker that ended with nothing left due",
            worker_idle_passes.clone(),
        );
        registry.register(
            "link_redirects",
            "Tracked-link redirects answered (people and robots)",
            link_redirects.clone(),
        );
        registry.register(
            "link_unknown",
            "Tracked-link requests for an unknown code",
            link_unknown.clone(),
        );
        registry.register(
            "link_redirect_duration_seconds",
            "Time to answer a tracked link, in the handler",
            link_latency.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            link_redirects,
            link_unknown,
            link_latency,
            worker_idle_passes,
            pages_from_memory,
            pages_made,
        }
    }
}

impl Metrics {
    /// Counts one tracked-link request, found or not, and its time. The redirect path counts
    /// here, with handles made once, instead of in the per-route layer (which builds label
    /// strings for every request).
    pub fn link(&self, found: bool, started: Instant) {
        if found {
            self.link_redirects.inc();
        } else {
            self.link_unknown.inc();
        }
        self.link_latency.observe(started.elapsed().as_secs_f64());
    }

    /// Counts a publishing pass that ended with nothing left due: every share due before it
    /// started has been attempted (tests wait for two before counting posts).
    pub fn worker_idle_pass(&self) {
        self.worker_idle_passes.inc();
    }

    /// Counts a remembered kind of page served from memory (`true`) or made from the database.
    pub fn memo_page(&self, from_memory: bool) {
        if from_memory {
            self.pages_from_memory.inc();
        } else {
            self.pages_made.inc();
        }
    }

    /// The Prometheus text exposition, after reading the pool's state.
    #[must_use]
    pub fn render(&self, db: &sea_orm::DatabaseConnection) -> String {
        let (size, idle) = pool_state(db);
        self.pool_size.set(size);
        self.pool_idle.set(idle);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("metrics could not be encoded");
        }
        out
    }
}

fn pool_state(db: &sea_orm::DatabaseConnection) -> (i64, i64) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                i64::from(pool.size()),
                i64::try_from(pool.num_idle()).unwrap_or(i64::MAX),
            )
        }
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                i64::from(pool.size()),
                i64::try_from(pool.num_idle()).unwrap_or(i64::MAX),
            )
        }
        _ => (0, 0),
    }
}

/// The route template a request matched, carried out on the response for [`track`].
#[derive(Debug, Clone)]
struct RouteName(String);

/// Runs inside routing (as a route layer) and records which route matched.
pub async fn tag_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteName(route));
    }
    response
}

/// Counts each request and times it; requests that matched no route count as `unmatched`.
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteName>()
        .map_or_else(|| "unmatched".to_owned(), |r| r.0.clone());
    let status = response.status().as_u16();
    app.metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    app.metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}
