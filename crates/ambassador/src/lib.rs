//! What an ambassador does with their own accounts: connecting them over OAuth ([`accounts`]),
//! the network [`connectors`], queuing what they chose to share ([`sharing`]), the shares
//! themselves and their one attempt at a time as the worker runs it ([`shares`]), and tracked
//! links ([`links`]).

pub mod accounts;
pub mod activity;
pub mod composer;
pub mod connectors;
mod error;
pub mod images;
pub mod linkedin_version;
pub mod links;
pub mod onboarding;
pub mod publishing;
pub mod rhythm;
pub mod shares;
pub mod sharing;
pub mod store;
pub mod vault;

pub use chorus_editorial as editorial;
pub use chorus_policy as policy;
pub use error::AmbassadorError;
