//! Serving a stand-in: an accept loop that runs one hyper connection per socket (so that a fault
//! can close a connection without answering), and the middleware in front of every route that
//! records the request and applies the next injected [`Fault`].

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use super::store::{Shared, request_token};
use super::{Fault, Network, RecordedRequest};

/// The largest request body a stand-in reads (above every network's image limit).
pub(crate) const MAX_BODY_BYTES: usize = 32 << 20;

/// Closes the connection a request came on, unanswered, when notified.
#[derive(Clone)]
struct ConnectionKill(Arc<Notify>);

/// Accepts connections until the task is aborted; aborting it ends every open connection too.
pub(crate) async fn serve(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(serve_connection(stream, router.clone()));
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let kill = Arc::new(Notify::new());
    let for_requests = ConnectionKill(Arc::clone(&kill));
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(for_requests.clone());
            router.clone().oneshot(request)
        });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    // Dropping the connection closes the socket: the client sees EOF before any response.
    tokio::select! {
        _ = connection => {}
        () = kill.notified() => {}
    }
}

/// Counts one request as in flight (see [`super::StandIn::wait_until_idle`]) until dropped:
/// when it is answered, or when its connection is closed under it.
struct InFlight<N: Network>(Arc<Shared<N>>);

impl<N: Network> InFlight<N> {
    fn start(shared: &Arc<Shared<N>>) -> Self {
        shared.lock().in_flight += 1;
        Self(Arc::clone(shared))
    }
}

impl<N: Network> Drop for InFlight<N> {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
    }
}

/// Records the request, then injects the next fault meant for its path, if any.
pub(crate) async fn intercept<N: Network>(
    State(shared): State<Arc<Shared<N>>>,
    request: Request,
    next: Next,
) -> Response {
    let in_flight = InFlight::start(&shared);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return (axum::http::StatusCode::BAD_REQUEST, "unreadable body").into_response();
    };
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let fault = {
        let mut store = shared.lock();
        let recorded = RecordedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            at: store.now,
        };
        store.requests.push(recorded);
        store.take_fault(parts.uri.path())
    };
    let token = request_token(&parts.headers, parts.uri.query(), &bytes);
    let request = Request::from_parts(parts, Body::from(bytes));
    match fault {
        None => next.run(request).await,
        Some(Fault::Slow(delay)) => {
            // Handled apart from the connection, like a real server that finishes a request
            // whose client has given up (hyper would drop an in-flight handler with its socket).
            let handling = tokio::spawn(async move {
                let _in_flight = in_flight;
                tokio::time::sleep(delay).await;
                next.run(request).await
            });
            handling.await.unwrap_or_else(|_| {
                (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "stand-in handler failed",
                )
                    .into_response()
            })
        }
        Some(Fault::DropConnection) => drop_connection(kill).await,
        Some(Fault::DropAfterProcessing) => {
            drop(next.run(request).await);
            drop_connection(kill).await
        }
        Some(fault) => {
            let mut store = shared.lock();
            if let (Fault::ExpiredToken, Some(token)) = (&fault, &token) {
                let now = store.now;
                store.oauth.expire(token, now);
            }
            N::fault_reply(&mut store, &fault).into_response()
        }
    }
}

/// Closes the request's connection and never answers.
async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    match kill {
        Some(ConnectionKill(kill)) => {
            kill.notify_one();
            let never: Infallible = std::future::pending().await;
            match never {}
        }
        None => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "no connection to drop",
        )
            .into_response(),
    }
}
