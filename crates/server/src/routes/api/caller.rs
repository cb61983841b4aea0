//! Who calls the API: the owner of a live token sent as `Authorization: Bearer`, and what the
//! token lets them do, said in each handler's signature. A handler taking `Need<ItemsWrite>`
//! runs only for a token granted `items:write` whose owner still holds a role that opens the
//! editorial area; one taking `Need<HubRead>` (or another personal scope) also needs the owner
//! to be opted in, as the hub's pages do. No handler body checks a scope or a role.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chorus_policy::tokens::{self, Scope, TokenKind};
use chrono::Utc;

use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::store::api_tokens::{self, TokenRow};

/// The owner of the token the request carries, as the rest of Chorus sees a signed-in person,
/// and the token itself.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's owner (a service token's maker), active.
    pub user: CurrentUser,
    /// The token.
    pub token: TokenRow,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(Problem::unauthenticated)?;
        let token = api_tokens::authenticate(&state.db, presented, Utc::now())
            .await?
            .ok_or_else(Problem::unauthenticated)?;
        let user = crate::store::users::by_id(&state.db, token.owner.get())
            .await?
            .filter(|row| row.active)
            .ok_or_else(Problem::unauthenticated)?;
        let caller = Caller {
            user: CurrentUser::from_row(user, String::new()),
            token,
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A scope a handler needs.
pub trait Needs {
    /// The scope.
    const SCOPE: Scope;
}

macro_rules! scope_marker {
    ($($(#[$doc:meta])* $name:ident => $scope:expr),* $(,)?) => {
        $($(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl Needs for $name {
            const SCOPE: Scope = $scope;
        })*
    };
}

scope_marker!(
    /// `items:read`.
    ItemsRead => Scope::ItemsRead,
    /// `items:write`.
    ItemsWrite => Scope::ItemsWrite,
    /// `hub:read`.
    HubRead => Scope::HubRead,
    /// `shares:read`.
    SharesRead => Scope::SharesRead,
    /// `shares:write`.
    SharesWrite => Scope::SharesWrite,
    /// `stats:read`.
    StatsRead => Scope::StatsRead,
    /// `people:read`.
    PeopleRead => Scope::PeopleRead,
    /// `people:write`.
    PeopleWrite => Scope::PeopleWrite,
);

/// The caller, when their token allows `S`.
#[derive(Debug, Clone)]
pub struct Need<S>(pub Caller, pub PhantomData<S>);

impl<S: Needs + Send + Sync> FromRequestParts<AppState> for Need<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let token = &caller.token;
        if !token.scopes.contains(S::SCOPE) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "scope_missing",
                format!(
                    "this operation needs a token with the scope {}; make one on your account page",
                    S::SCOPE
                ),
            )
            .into());
        }
        if !tokens::allows(token.kind, caller.user.roles, &token.scopes, S::SCOPE) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "the token's owner no longer holds a role that opens {} (scope {})",
                    S::SCOPE.area().as_str(),
                    S::SCOPE
                ),
            )
            .into());
        }
        if S::SCOPE.is_personal() && token.kind == TokenKind::Personal && needs_opt_in(S::SCOPE) {
            let generation = parts.extensions.get::<crate::memo::Generation>().copied();
            if !crate::routes::participation::is_opted_in_at(state, &caller.user, generation)
                .await?
            {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "opt_in_required",
                    "accept the current guidelines in Chorus (the hub asks for it) first",
                )
                .into());
            }
        }
        Ok(Need(caller, PhantomData))
    }
}

/// Whether a personal scope needs its owner opted in: the hub and sharing do; reading one's
/// own shares does not (they stay theirs after withdrawing).
fn needs_opt_in(scope: Scope) -> bool {
    matches!(scope, Scope::HubRead | Scope::SharesWrite)
}
