//! Personalisation, connected accounts over OAuth, network connectors, the publishing queue and
//! worker, shares, tracked links and statistics.
//!
//! The ambassador capability lands in its own issue; this crate fixes its place in the
//! dependency order (`policy <- editorial <- ambassador <- server`).

pub use chorus_editorial as editorial;
