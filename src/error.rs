//! The crate's error type and the exit statuses of the command line.
//!
//! Each module has its own error type; they meet here, where each is given the exit status a
//! script can act on: 2 means the caller should fix the command, the configuration or the
//! input; 3 means the store could not be reached or written and a retry may help.

use std::process::ExitCode;

use crate::chain::ChainError;
use crate::controls::ControlsError;
use crate::ingest::IngestError;
use crate::keys::KeyError;
use crate::settings::SettingsError;
use crate::store::StoreError;

/// The exit statuses of `locker`, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the command did what was asked and every check passed.
    Success,
    /// 1: the evidence failed a check (tampering found, a posture item failed).
    CheckFailed,
    /// 2: usage, configuration or input error.
    Usage,
    /// 3: the store could not be reached or an I/O operation failed; worth a retry.
    Unavailable,
}

impl ExitStatus {
    /// The numeric process status.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::CheckFailed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Unavailable => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// Any failure of a `locker` command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or settings are wrong.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A key could not be generated, read or written.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// An input file could not be archived.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain could not be extended.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The control data is invalid.
    #[error(transparent)]
    Controls(#[from] ControlsError),
    /// A report template is invalid.
    #[error(transparent)]
    Template(#[from] crate::report::TemplateError),
    /// Writing to standard output failed (for example a closed pipe).
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Settings(_)
            | Error::Key(_)
            | Error::Ingest(_)
            | Error::Controls(_)
            | Error::Template(_) => ExitStatus::Usage,
            Error::Store(e) => e.exit_status(),
            Error::Chain(e) => e.exit_status(),
            Error::Output(_) => ExitStatus::Unavailable,
        }
    }
}
