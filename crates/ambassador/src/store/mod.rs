//! The ambassador crate's tables: connected accounts, network apps and OAuth states.

pub mod entities;
