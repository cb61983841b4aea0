//! Chorus's rules as pure code, with no I/O: who may enter which area, and (as the product
//! grows) consent, visibility choices, the minimum group size and advice on a draft.
//!
//! Nothing here knows about the web, the database or HTTP clients, so every rule is tested
//! without them and the rest of the system can only show what these types allow.

pub mod network;
pub mod roles;

pub use network::{Network, UnknownNetwork};
pub use roles::{Area, Role, Roles, UnknownRole};
