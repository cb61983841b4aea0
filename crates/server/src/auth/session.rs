//! Sessions: a random secret in an HttpOnly cookie, stored in the database only as its hash.
//! A new secret is issued at every sign-in, so a session id planted before sign-in is useless.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use chorus_policy::{Area, Roles};
use chrono::{Duration, Utc};

use crate::app::AppState;
use crate::error::AppError;
use crate::memo::Generation;
use crate::store::{self, users::UserRow};

/// The session cookie's name.
pub const COOKIE: &str = "chorus_session";
/// How long a session lasts.
pub const LIFETIME: Duration = Duration::days(14);

/// The person signed in on this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Account id.
    pub id: i32,
    /// Email (lower-cased).
    pub email: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Roles held.
    pub roles: Roles,
    /// Preferred language, if chosen.
    pub locale: Option<String>,
    /// Hash of this session's secret (to end it).
    pub session_hash: String,
}

impl CurrentUser {
    /// The person's id, typed for the domain crates' functions.
    #[must_use]
    pub fn user_id(&self) -> chorus_policy::UserId {
        chorus_policy::UserId(self.id)
    }

    pub(crate) fn from_row(row: UserRow, session_hash: String) -> Self {
        CurrentUser {
            id: row.id,
            roles: row.roles.0,
            email: row.email,
            display_name: row.display_name,
            locale: row.locale,
            session_hash,
        }
    }

    /// Refuses the request unless these roles open `area`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require(&self, area: Area) -> Result<(), AppError> {
        if self.roles.can_enter(area) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Looks up the session cookie and, when it names a live session of an active account, puts
/// the [`CurrentUser`] into the request.
pub async fn load(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let secret = crate::auth::cookie(request.headers(), COOKIE)
        .filter(|_| !request.uri().path().starts_with("/l/"))
        .map(str::to_owned);
    if let Some(secret) = secret {
        let hash = crate::auth::sha256_hex(&secret);
        match person_behind(&app, &hash).await {
            Ok((generation, found)) => {
                request.extensions_mut().insert(generation);
                if let Some(row) = found {
                    request
                        .extensions_mut()
                        .insert(CurrentUser::from_row(row, hash));
                }
            }
            Err(e) => return crate::views::error_response(&app, &request, &e),
        }
    }
    next.run(request).await
}

/// The active person behind a session (unexpired), remembered while the database does not
/// change; with the cache generation read first, for what the request remembers next.
async fn person_behind(
    app: &AppState,
    hash: &str,
) -> Result<(Generation, Option<UserRow>), AppError> {
    let generation = crate::memo::read_generation(&app.db)
        .await
        .map_err(store::StoreError::from)?;
    let found = match app.memo.session(generation, hash) {
        Some(found) => found,
        None => {
            let found = store::sessions::session_user(&app.db, hash).await?;
            app.memo.remember_session(generation, hash, found.clone());
            found
        }
    };
    let now = Utc::now();
    Ok((
        generation,
        found
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(row, _)| row),
    ))
}

/// Starts a session for `user_id`, returning the `Set-Cookie` value.
///
/// # Errors
/// Database failure.
pub async fn start(
    app: &AppState,
    user_id: i32,
    previous: Option<&str>,
) -> Result<String, AppError> {
    if let Some(previous) = previous {
        store::sessions::delete(&app.db, previous).await?;
    }
    let secret = crate::auth::random_token();
    let hash = crate::auth::sha256_hex(&secret);
    store::sessions::insert(&app.db, &hash, user_id, Utc::now() + LIFETIME).await?;
    Ok(crate::auth::set_cookie(
        COOKIE,
        &secret,
        LIFETIME.num_seconds(),
        app.config.secure_cookies(),
    ))
}

/// Ends the session, returning the `Set-Cookie` value that clears the cookie.
///
/// # Errors
/// Database failure.
pub async fn end(app: &AppState, session_hash: &str) -> Result<String, AppError> {
    store::sessions::delete(&app.db, session_hash).await?;
    Ok(crate::auth::set_cookie(
        COOKIE,
        "",
        0,
        app.config.secure_cookies(),
    ))
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| AppError::SignInRequired {
                next: crate::routes::original_uri(parts)
                    .path_and_query()
                    .map(ToString::to_string),
            })
    }
}
