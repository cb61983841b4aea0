//! Handler tests in the test's own process: the real router and application state on a test
//! database of its own, requests sent with `oneshot`, no process, socket or worker. For what a
//! running server adds nothing to (routing, extractors, layers, the first-run gate).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chorus_server::app::{App, AppState};
use chorus_server::config::Config;
use chorus_server::store;
use tower::ServiceExt as _;

use crate::db::TestDb;

/// The application in this process.
pub struct InProcess {
    // Dropped before the database (fields drop in order).
    app: AppState,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers and body as text.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: String,
}

impl Answer {
    /// A header's value, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl InProcess {
    /// The application on a fresh database (SQLite, or PostgreSQL with
    /// `CHORUS_TEST_DATABASE_URL`), migrated, with no account yet.
    pub async fn start() -> InProcess {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = TestDb::create(dir.path()).await;
        let env: BTreeMap<String, String> = [
            ("CHORUS_DATABASE_URL", db.url()),
            (
                "CHORUS_SECRET_KEY",
                "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDEyMzQ=",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let config = Config::from_sources(&env).expect("a valid configuration");
        let app = App::connect(config).await.expect("the application starts");
        InProcess {
            app,
            _db: db,
            _dir: dir,
        }
    }

    /// The application state.
    pub fn app(&self) -> &AppState {
        &self.app
    }

    /// Creates an account holding `roles` (`editor,analyst`) and returns a cookie header that
    /// signs its requests in.
    pub async fn session_for(&self, email: &str, roles: &str) -> String {
        let user = store::users::insert(
            &self.app.db,
            store::users::NewUserRow {
                email,
                display_name: email,
                password_hash: Some(
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                ),
                roles: chorus_policy::Roles::parse_list(roles).expect("known roles"),
            },
        )
        .await
        .expect("the account is stored");
        let set_cookie = chorus_server::auth::session::start(&self.app, user.id, None)
            .await
            .expect("a session starts");
        set_cookie
            .split(';')
            .next()
            .expect("a cookie pair")
            .to_owned()
    }

    /// Sends `request` through the router and layers.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = chorus_server::router::build(self.app.clone())
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("a body");
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// `GET path`, with `cookie` when given.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        self.send(request.body(Body::empty()).expect("a request"))
            .await
    }
}
