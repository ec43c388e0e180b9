//! evidence-locker: a tamper-evident archive of CI security evidence.
//!
//! Scanner reports and image signatures are read ([`ingest`]), stored content-addressed
//! ([`store`]) and recorded as signed entries of a hash chain ([`chain`]). Anyone holding the
//! right public keys can later check that nothing was added, removed, reordered or changed.
//!
//! The `locker` binary is a thin layer over this library: every step it runs can be called
//! directly, which is how the tests drive it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod chain;
pub mod checkpoint;
pub mod ci;
pub mod cli;
pub mod commands;
pub mod controls;
pub mod digest;
pub mod error;
pub mod export;
pub mod findings;
pub mod ingest;
pub mod keys;
pub mod period;
pub mod progress;
pub mod report;
pub mod settings;
pub mod store;

pub use error::{Error, ExitStatus};
