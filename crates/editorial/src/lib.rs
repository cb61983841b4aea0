//! Content: Markdown to safe HTML and per-network text, length rules per network, the editorial
//! workflow, topics and campaigns, and the hub. Rules live in modules that do not touch the
//! database (`content`, `workflow`, `markdown`, `measure`); entities and queries live in
//! `store` and `hub`.

pub mod content;
pub mod error;
pub mod hub;
pub mod markdown;
pub mod measure;
pub mod store;
pub mod workflow;

pub use chorus_policy::Network;
pub use error::EditorialError;
