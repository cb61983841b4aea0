//! Typed ids of the things people act on. Each is the database's integer key, wrapped so that
//! a function taking a person and an account (or a share) cannot be given them the wrong way
//! round, and so that a signature says what it expects. The store turns them into columns with
//! [`get`](UserId::get); pages and forms read them with `FromStr`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::PersonId;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl $name {
            /// The database key.
            #[must_use]
            pub const fn get(self) -> i32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.trim().parse().map($name)
            }
        }

        impl From<$name> for i32 {
            fn from(id: $name) -> i32 {
                id.0
            }
        }
    };
}

id!(
    /// A person with an account in Chorus.
    UserId
);
id!(
    /// A content item written by editors.
    ItemId
);
id!(
    /// An image of a content item.
    MediaId
);
id!(
    /// A topic items are filed under and people follow.
    TopicId
);
id!(
    /// An RSS or Atom feed editors follow.
    FeedId
);
id!(
    /// A campaign items belong to, for the editors' planning and the analysts' filter.
    CampaignId
);
id!(
    /// A tracked link: the short address a share carries, counted when someone follows it.
    LinkId
);
id!(
    /// One share: a text a person chose to publish (or hand to a network's composer).
    ShareId
);
id!(
    /// A social account a person connected.
    AccountId
);

impl From<UserId> for PersonId {
    /// The same person as the rules of the minimum group size see them.
    fn from(id: UserId) -> PersonId {
        PersonId(u64::try_from(id.0).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_their_number_and_stay_apart() {
        let user: UserId = " 42 ".parse().unwrap();
        assert_eq!(user, UserId(42));
        assert_eq!(user.to_string(), "42");
        assert_eq!(i32::from(user), 42);
        assert!("forty-two".parse::<ShareId>().is_err());
        assert_eq!(serde_json::to_string(&AccountId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<ItemId>("9").unwrap(), ItemId(9));
        assert_eq!(PersonId::from(UserId(3)), PersonId(3));
    }
}
