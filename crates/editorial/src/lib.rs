//! Content: Markdown to safe HTML and per-network text, length rules per network, the editorial
//! workflow, topics and campaigns, and the hub. Rules live in modules that do not touch the
//! database; entities and queries live in `store`.

pub mod feeds;
pub mod markdown;
pub mod measure;
pub mod preview;

pub use chorus_policy::Network;
