//! What a token for the API may do. A token carries scopes, each within one area of Chorus; it
//! never does more than its owner's roles allow (checked when it is made and again at every
//! use, so a role taken away closes the token's door too), and no token acts for a person
//! other than its owner: a service token (an integration's) reads and writes content,
//! statistics and people, but never holds the hub or shares scopes, so nothing is ever
//! published on someone's behalf by a machine (no ghost posting).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Area, Roles, UserId};

/// One thing a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Read items, topics and campaigns (editors).
    #[serde(rename = "items:read")]
    ItemsRead,
    /// Create drafts, change items and move them through the workflow (editors).
    #[serde(rename = "items:write")]
    ItemsWrite,
    /// Read the hub as its owner sees it (ambassadors, opted in).
    #[serde(rename = "hub:read")]
    HubRead,
    /// Read one's own shares (ambassadors).
    #[serde(rename = "shares:read")]
    SharesRead,
    /// Queue and cancel one's own shares (ambassadors, opted in).
    #[serde(rename = "shares:write")]
    SharesWrite,
    /// Read the aggregated statistics, through the minimum group size (analysts).
    #[serde(rename = "stats:read")]
    StatsRead,
    /// Read the list of people (admins).
    #[serde(rename = "people:read")]
    PeopleRead,
    /// Create people, change their roles and team, deactivate them (admins).
    #[serde(rename = "people:write")]
    PeopleWrite,
}

impl Scope {
    /// Every scope, in the order pages list them.
    pub const ALL: [Scope; 8] = [
        Scope::ItemsRead,
        Scope::ItemsWrite,
        Scope::HubRead,
        Scope::SharesRead,
        Scope::SharesWrite,
        Scope::StatsRead,
        Scope::PeopleRead,
        Scope::PeopleWrite,
    ];

    /// The name in tokens, forms and the API's documents.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ItemsRead => "items:read",
            Scope::ItemsWrite => "items:write",
            Scope::HubRead => "hub:read",
            Scope::SharesRead => "shares:read",
            Scope::SharesWrite => "shares:write",
            Scope::StatsRead => "stats:read",
            Scope::PeopleRead => "people:read",
            Scope::PeopleWrite => "people:write",
        }
    }

    /// The area whose role the owner must hold for the scope to work.
    #[must_use]
    pub fn area(self) -> Area {
        match self {
            Scope::ItemsRead | Scope::ItemsWrite => Area::Editorial,
            Scope::HubRead | Scope::SharesRead | Scope::SharesWrite => Area::Hub,
            Scope::StatsRead => Area::Statistics,
            Scope::PeopleRead | Scope::PeopleWrite => Area::Admin,
        }
    }

    /// Whether the scope acts as its owner in person (their hub, their shares): only a
    /// personal token may hold it.
    #[must_use]
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            Scope::HubRead | Scope::SharesRead | Scope::SharesWrite
        )
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name Chorus does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scope {0:?}: expected one of items:read, items:write, hub:read, shares:read, \
     shares:write, stats:read, people:read, people:write"
)]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| UnknownScope(text.to_owned()))
    }
}

/// The scopes of one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// These scopes.
    #[must_use]
    pub fn of(scopes: impl IntoIterator<Item = Scope>) -> Self {
        Scopes(scopes.into_iter().collect())
    }

    /// Whether `scope` is among them.
    #[must_use]
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Each scope, in [`Scope::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Whether there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes as stored: names separated by spaces.
    #[must_use]
    pub fn to_stored(&self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

impl FromStr for Scopes {
    type Err = UnknownScope;

    /// Scope names separated by spaces or commas.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.split([' ', ','])
            .filter(|part| !part.trim().is_empty())
            .map(str::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Scopes)
    }
}

/// Whose a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Made by a person for themselves.
    Personal,
    /// Made by an admin for an integration; acts with the admin's roles, never as a person.
    Service,
}

/// Why a token cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// No scope was chosen.
    #[error("choose at least one scope")]
    NoScope,
    /// The owner's roles do not open the scope's area.
    #[error("the scope {0} needs a role you do not hold")]
    BeyondRoles(Scope),
    /// A service token cannot act as a person.
    #[error("the scope {0} acts as a person: only a personal token may hold it")]
    Personal(Scope),
}

/// Whether a token of `kind` with `scopes` may be made by someone holding `roles`.
///
/// # Errors
/// The first scope that cannot be granted, and why.
pub fn check_grant(kind: TokenKind, roles: Roles, scopes: &Scopes) -> Result<(), TokenRefusal> {
    if scopes.is_empty() {
        return Err(TokenRefusal::NoScope);
    }
    for scope in scopes.iter() {
        if kind == TokenKind::Service && scope.is_personal() {
            return Err(TokenRefusal::Personal(scope));
        }
        if !roles.can_enter(scope.area()) {
            return Err(TokenRefusal::BeyondRoles(scope));
        }
    }
    Ok(())
}

/// Whether a token of `kind` holding `scopes`, whose owner holds `roles` now, may do what
/// `needed` allows: the scope was granted and the owner still holds a role that opens it.
#[must_use]
pub fn allows(kind: TokenKind, roles: Roles, scopes: &Scopes, needed: Scope) -> bool {
    scopes.contains(needed)
        && roles.can_enter(needed.area())
        && !(kind == TokenKind::Service && needed.is_personal())
}

/// Whether a token of `kind` owned by `owner` may create or cancel a share of `share_owner`:
/// only a personal token, and only for its owner's own shares.
#[must_use]
pub fn may_share_as(kind: TokenKind, owner: UserId, share_owner: UserId) -> bool {
    kind == TokenKind::Personal && owner == share_owner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn roles(list: &[Role]) -> Roles {
        list.iter().copied().collect()
    }

    #[test]
    fn scopes_read_and_write_by_name_and_refuse_unknown_ones() {
        let scopes: Scopes = "items:read, stats:read items:read".parse().unwrap();
        assert_eq!(scopes.to_stored(), "items:read stats:read");
        assert_eq!(
            "items:delete".parse::<Scopes>(),
            Err(UnknownScope("items:delete".into()))
        );
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
            assert_eq!(
                serde_json::to_string(&scope).unwrap(),
                format!("\"{scope}\"")
            );
        }
    }

    #[test]
    fn a_token_never_holds_more_than_its_owners_roles() {
        let editor = roles(&[Role::Editor]);
        let items = Scopes::of([Scope::ItemsRead, Scope::ItemsWrite]);
        assert_eq!(check_grant(TokenKind::Personal, editor, &items), Ok(()));
        assert_eq!(
            check_grant(TokenKind::Personal, editor, &Scopes::of([Scope::StatsRead])),
            Err(TokenRefusal::BeyondRoles(Scope::StatsRead))
        );
        assert_eq!(
            check_grant(TokenKind::Personal, editor, &Scopes::default()),
            Err(TokenRefusal::NoScope)
        );
        // A role taken away after the token was made closes its door at the next use.
        assert!(allows(
            TokenKind::Personal,
            editor,
            &items,
            Scope::ItemsWrite
        ));
        assert!(!allows(
            TokenKind::Personal,
            roles(&[Role::Ambassador]),
            &items,
            Scope::ItemsRead
        ));
        // A scope not granted is not allowed, whatever the roles.
        assert!(!allows(TokenKind::Personal, editor, &items, Scope::HubRead));
    }

    #[test]
    fn no_token_acts_for_someone_else() {
        let everything = roles(&Role::ALL);
        let hub = Scopes::of([Scope::HubRead, Scope::SharesWrite]);
        assert_eq!(
            check_grant(TokenKind::Service, everything, &hub),
            Err(TokenRefusal::Personal(Scope::HubRead))
        );
        assert!(!allows(
            TokenKind::Service,
            everything,
            &hub,
            Scope::SharesWrite
        ));
        assert!(allows(
            TokenKind::Personal,
            everything,
            &hub,
            Scope::SharesWrite
        ));
        assert!(may_share_as(TokenKind::Personal, UserId(4), UserId(4)));
        assert!(!may_share_as(TokenKind::Personal, UserId(4), UserId(5)));
        assert!(!may_share_as(TokenKind::Service, UserId(4), UserId(4)));
    }
}
