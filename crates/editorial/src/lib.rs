//! Content: Markdown to safe HTML and per-network text, length rules per network, the editorial
//! workflow, topics and campaigns, and the hub.
//!
//! The editorial capability lands in its own issue; this crate fixes its place in the
//! dependency order (`policy <- editorial <- ambassador <- server`).

pub use chorus_policy as policy;
