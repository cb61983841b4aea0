//! Content: Markdown to safe HTML and per-network text, length rules per network, the editorial
//! workflow, topics and campaigns, and the hub. Rules live in modules that do not touch the
//! database; entities and queries live in `store`.

pub mod markdown;
pub mod measure;

pub use chorus_policy::Network;
