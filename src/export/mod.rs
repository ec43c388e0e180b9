//! Exports for GRC platforms, from the same assessment as the report: OSCAL assessment
//! results, CSV (control states and findings) and JSON.

pub mod oscal;
pub mod rows;
pub mod spreadsheet;

use serde::Serialize;

use crate::report::data::ChainInfo;

/// The schema of the JSON export; a breaking change gets a new version.
pub const SCHEMA: &str = "https://evidence-locker.dev/export/v1";

/// The JSON export: the rows of the CSV files with the period and the chain's verification.
#[derive(Debug, Serialize)]
pub struct JsonExport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The period's name.
    pub period: String,
    /// Generation time (RFC 3339).
    pub generated_at: String,
    /// The time the state is taken at.
    pub as_of: String,
    /// The chain's verification.
    pub chain: ChainInfo,
    /// Every control's state.
    pub controls: Vec<rows::ControlRow>,
    /// Every finding open at some point of the period.
    pub findings: Vec<rows::FindingRow>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// OSCAL 1.2.1 assessment results (JSON), to the file PATH.
    Oscal,
    /// `controls.csv` and `findings.csv` in the directory PATH.
    Csv,
    /// JSON ([`SCHEMA`]), to the file PATH.
    Json,
}
