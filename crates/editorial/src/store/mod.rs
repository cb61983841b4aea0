//! The editorial crate's tables: entities and queries. Rules live outside this module.

pub mod columns;
pub mod entities;
pub mod feeds;
pub mod items;
pub mod leases;
pub mod media;
pub mod settings;
pub mod topics;

pub use columns::NetworkColumn;
pub use items::{ItemRecord, Revision};
