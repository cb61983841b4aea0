//! Content: Markdown to safe HTML and per-network text, length rules per network, the editorial
//! workflow, topics and campaigns, link previews, curated feeds and the hub. Rules live in
//! modules that do not touch the database (`content`, `workflow`, `markdown`, `measure`);
//! entities and queries live in `store` and `hub`; `preview` and `feeds` fetch from the web
//! behind an address guard.

pub mod content;
pub mod error;
pub mod feeds;
pub mod hub;
pub mod items;
pub mod markdown;
pub mod measure;
pub mod media;
pub mod preview;
pub mod programme;
pub mod sources;
pub mod store;
pub mod workflow;

pub use chorus_policy::Network;
pub use error::EditorialError;
