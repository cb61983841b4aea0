//! Who may call a handler, said in its signature: each extractor is the signed-in person whose
//! roles open one area, so a handler that takes an [`Editor`] cannot run for anyone else, and
//! no handler body checks roles itself.
//!
//! | extractor      | who                                                          |
//! | -------------- | ------------------------------------------------------------ |
//! | [`Editor`]     | the editor role (the editorial area)                         |
//! | [`Member`]     | the ambassador role, opted in or not (joining, one's own data) |
//! | [`Ambassador`] | the ambassador role, opted in to the current guidelines      |
//! | [`Analyst`]    | the analyst role (statistics)                                |
//! | [`Admin`]      | the admin role                                               |
//!
//! Without a session each answers "sign in first"; with the wrong roles, 403; an ambassador
//! who has not accepted the current guidelines is sent to them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chorus_policy::Area;

use super::CurrentUser;
use crate::app::AppState;
use crate::error::AppError;

async fn entering(
    parts: &mut Parts,
    state: &AppState,
    area: Area,
) -> Result<CurrentUser, AppError> {
    let user = CurrentUser::from_request_parts(parts, state).await?;
    if user.roles.can_enter(area) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

macro_rules! area_extractor {
    ($(#[$doc:meta])* $name:ident, $area:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                entering(parts, state, $area).await.map($name)
            }
        }
    };
}

area_extractor!(
    /// A person whose roles open the editorial area.
    Editor,
    Area::Editorial
);
area_extractor!(
    /// A person with the ambassador role, whether or not they accepted the guidelines: the
    /// pages to join, and a person's own shares and data, which stay theirs after withdrawing.
    Member,
    Area::Hub
);
area_extractor!(
    /// A person whose roles open statistics.
    Analyst,
    Area::Statistics
);
area_extractor!(
    /// A person whose roles open administration.
    Admin,
    Area::Admin
);

/// A person with the ambassador role who accepted the current guidelines (opted in): the hub,
/// sharing, connecting accounts, suggesting content.
#[derive(Debug, Clone)]
pub struct Ambassador(pub CurrentUser);

impl FromRequestParts<AppState> for Ambassador {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = entering(parts, state, Area::Hub).await?;
        let generation = parts.extensions.get::<crate::memo::Generation>().copied();
        if crate::routes::participation::is_opted_in_at(state, &user, generation).await? {
            Ok(Ambassador(user))
        } else {
            Err(AppError::OptInRequired)
        }
    }
}
