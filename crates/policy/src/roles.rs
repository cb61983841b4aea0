//! Roles a person may hold, and the areas of Chorus each role opens.
//!
//! A person may hold several roles at once. Holding the ambassador role does not make someone
//! an ambassador: that only happens when they accept the guidelines (opt-in).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One role in the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The comms team: writes and curates content.
    Editor,
    /// Any employee who may take part in sharing.
    Ambassador,
    /// Marketing: sees aggregated, voluntary statistics.
    Analyst,
    /// Runs the installation: users, roles, settings.
    Admin,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 4] = [Role::Ambassador, Role::Editor, Role::Analyst, Role::Admin];

    /// The stable name used in the database, the CLI and forms.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Ambassador => "ambassador",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// The area that is this role's home.
    #[must_use]
    pub fn home(self) -> Area {
        match self {
            Role::Editor => Area::Editorial,
            Role::Ambassador => Area::Hub,
            Role::Analyst => Area::Statistics,
            Role::Admin => Area::Admin,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Role::Editor => 1,
            Role::Ambassador => 2,
            Role::Analyst => 4,
            Role::Admin => 8,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that Chorus does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected editor, ambassador, analyst or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "editor" => Ok(Role::Editor),
            "ambassador" => Ok(Role::Ambassador),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

/// The set of roles one person holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Roles(u8);

impl Roles {
    /// No role at all: such a person can only sign in and see their account.
    #[must_use]
    pub fn none() -> Self {
        Roles(0)
    }

    /// Whether the person holds `role`.
    #[must_use]
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The same set with `role` added.
    #[must_use]
    pub fn with(self, role: Role) -> Self {
        Roles(self.0 | role.bit())
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles held, in [`Role::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }

    /// Whether these roles open `area`.
    #[must_use]
    pub fn can_enter(self, area: Area) -> bool {
        area.open_to().iter().any(|r| self.has(*r))
    }

    /// The area a person lands on after signing in: their first role's home.
    #[must_use]
    pub fn home(self) -> Option<Area> {
        self.iter().next().map(Role::home)
    }

    /// Parses a comma-separated list such as `editor,analyst`.
    ///
    /// # Errors
    /// Returns the first name that is not a role.
    pub fn parse_list(list: &str) -> Result<Self, UnknownRole> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .try_fold(Roles::none(), |roles, name| Ok(roles.with(name.parse()?)))
    }

    /// The comma-separated form stored in the database.
    #[must_use]
    pub fn to_list(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().fold(Roles::none(), Roles::with)
    }
}

/// An area of Chorus, behind its own entrance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Writing, reviewing and publishing content.
    Editorial,
    /// The hub of content to share, and one's own shares.
    Hub,
    /// Aggregated share statistics.
    Statistics,
    /// Users, roles and organisation settings.
    Admin,
}

impl Area {
    /// Every area.
    pub const ALL: [Area; 4] = [Area::Hub, Area::Editorial, Area::Statistics, Area::Admin];

    /// The roles that open this area. Only analysts see statistics: neither editors nor
    /// admins get them by default, because statistics are about people.
    #[must_use]
    pub fn open_to(self) -> &'static [Role] {
        match self {
            Area::Editorial => &[Role::Editor],
            Area::Hub => &[Role::Ambassador],
            Area::Statistics => &[Role::Analyst],
            Area::Admin => &[Role::Admin],
        }
    }

    /// The path of the area's home page.
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Area::Editorial => "/editor",
            Area::Hub => "/hub",
            Area::Statistics => "/stats",
            Area::Admin => "/admin",
        }
    }

    /// A stable name for templates and logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Editorial => "editorial",
            Area::Hub => "hub",
            Area::Statistics => "statistics",
            Area::Admin => "admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_opens_exactly_its_own_area() {
        for role in Role::ALL {
            let roles = Roles::none().with(role);
            for area in Area::ALL {
                assert_eq!(
                    roles.can_enter(area),
                    role.home() == area,
                    "{role} in {area:?}"
                );
            }
        }
    }

    #[test]
    fn no_role_opens_no_area() {
        assert!(Area::ALL.iter().all(|a| !Roles::none().can_enter(*a)));
        assert_eq!(Roles::none().home(), None);
    }

    #[test]
    fn role_lists_round_trip() {
        let roles = Roles::parse_list(" Editor, analyst ,,").unwrap();
        assert!(roles.has(Role::Editor) && roles.has(Role::Analyst));
        assert!(!roles.has(Role::Admin));
        assert_eq!(roles.to_list(), "editor,analyst");
        assert_eq!(Roles::parse_list(&roles.to_list()).unwrap(), roles);
    }

    #[test]
    fn unknown_role_is_named_in_the_error() {
        let err = Roles::parse_list("editor,boss").unwrap_err();
        assert_eq!(err, UnknownRole("boss".into()));
        assert!(err.to_string().contains("expected editor"));
    }

    #[test]
    fn home_follows_the_first_role_in_page_order() {
        let roles = Roles::none().with(Role::Admin).with(Role::Ambassador);
        assert_eq!(roles.home(), Some(Area::Hub));
    }
}
