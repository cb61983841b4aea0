//! Personalisation, connected accounts over OAuth, network connectors, the publishing queue and
//! worker, shares, tracked links and statistics.
//!
//! So far: the network [`connectors`] (Mastodon, LinkedIn, X, Threads) with OAuth, identity,
//! publishing and error classification; the queue, shares and accounts come next.

pub mod accounts;
pub mod activity;
pub mod connectors;
pub mod links;
pub mod shares;
pub mod store;
pub mod vault;

pub use chorus_editorial as editorial;
pub use chorus_policy as policy;
