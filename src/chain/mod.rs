//! The hash chain: signed entries appended to a store, and their verification.
//!
//! Entry `n` is stored at `chain/<n, 12 digits>.json`. It is a DSSE envelope signed with
//! Ed25519 whose payload is an in-toto Statement: the subjects are the artifacts of one push,
//! and the predicate records the sequence number and the SHA-256 of entry `n - 1`'s stored
//! bytes. Changing, removing or reordering any entry therefore breaks either a signature or
//! a link, and verification reports which.

mod append;
mod batch;
pub mod dsse;
mod entry;
mod verify;

pub use append::{Appended, RetryPolicy, append, head};
pub use entry::{
    ArtifactRecord, EntryPredicate, PREDICATE_TYPE, STATEMENT_TYPE, Statement, StoredEntry,
    Subject, SubjectDigest, ToolInfo, load_entries,
};
pub use verify::{Head, Problem, ProblemCode, Verification, VerifyOptions, verify, verify_loaded};

use crate::error::ExitStatus;
use crate::store::StoreError;

/// Errors of extending the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Other writers kept winning the race for the next sequence number.
    #[error(
        "gave up appending after {attempts} attempts in {seconds:.1} s: other writers kept \
         taking the next entry; retry the push"
    )]
    Contended {
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        seconds: f64,
    },
    /// The current head entry cannot be read, so nothing can be chained after it.
    #[error("{location}: the head entry cannot be read ({problem}); run `locker verify`")]
    BadHead {
        /// The head entry.
        location: String,
        /// What is wrong.
        problem: String,
    },
}

impl ChainError {
    /// The exit status of this error.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ChainError::Store(e) => e.exit_status(),
            ChainError::Contended { .. } => ExitStatus::Unavailable,
            ChainError::BadHead { .. } => ExitStatus::CheckFailed,
        }
    }
}
