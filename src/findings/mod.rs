//! The finding model shared by every report format: the severity scale, per-severity counts,
//! and findings with stable fingerprints.

pub mod exceptions;
pub mod lifecycle;
mod model;
pub mod native;
pub mod sarif;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use model::{
    Category, Finding, RedactedSecret, SeveritySource, Target, cwe_ids, fingerprint_of,
    image_repository, vulnerability_ids,
};

/// Severity on the scale used across the tool, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS 9.0 and above, or the tool's own "critical".
    Critical,
    /// CVSS 7.0 to 8.9.
    High,
    /// CVSS 4.0 to 6.9.
    Medium,
    /// CVSS 0.1 to 3.9.
    Low,
    /// No severity, informational, or a tool's "unknown".
    Info,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    /// The severity band of a CVSS-style score (0.0 to 10.0).
    ///
    /// Returns `None` for values outside that range or not a number.
    pub fn from_score(score: f64) -> Option<Severity> {
        if !(0.0..=10.0).contains(&score) {
            return None;
        }
        Some(match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Info,
        })
    }

    /// Reads a tool's severity word (`CRITICAL`, `High`, `moderate`, `Negligible`, ...) or a
    /// numeric score given as text. Unknown words give `None`.
    pub fn from_label(label: &str) -> Option<Severity> {
        let word = label.trim().to_ascii_lowercase();
        let severity = match word.as_str() {
            "critical" | "defcon1" | "blocker" => Severity::Critical,
            "high" | "error" | "important" => Severity::High,
            "medium" | "moderate" | "warning" => Severity::Medium,
            "low" | "minor" => Severity::Low,
            "info" | "informational" | "information" | "negligible" | "unknown" | "none"
            | "note" | "unspecified" => Severity::Info,
            _ => return word.parse::<f64>().ok().and_then(Severity::from_score),
        };
        Some(severity)
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown severity {s:?} (critical, high, medium, low, info)"))
    }
}

/// The derived artifact that `push` stores beside each report: its findings, normalised, so
/// that later reads never parse raw scanner output again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingsDocument {
    /// Always `evidence-locker-findings`.
    pub format: String,
    /// Version of this document's shape.
    pub version: u32,
    /// The report the findings come from.
    pub source: FindingsSource,
    /// The findings.
    pub findings: Vec<Finding>,
}

/// The report a findings document was derived from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingsSource {
    /// The report's artifact name.
    pub name: String,
    /// The report's SHA-256.
    pub sha256: crate::digest::Sha256,
}

impl FindingsDocument {
    /// The format name.
    pub const FORMAT: &'static str = "evidence-locker-findings";

    /// A document for the findings of the report `name` with digest `sha256`.
    pub fn new(name: &str, sha256: crate::digest::Sha256, findings: Vec<Finding>) -> Self {
        FindingsDocument {
            format: Self::FORMAT.to_string(),
            version: 1,
            source: FindingsSource { name: name.to_string(), sha256 },
            findings,
        }
    }

    /// The stored bytes: compact JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("findings always serialise")
    }
}

/// The severity a SARIF level stands for when no score is given: error → high,
/// warning → medium, note → low, none → info.
pub fn level_severity(level: serde_sarif::sarif::ResultLevel) -> Severity {
    use serde_sarif::sarif::ResultLevel;
    match level {
        ResultLevel::Error => Severity::High,
        ResultLevel::Warning => Severity::Medium,
        ResultLevel::Note => Severity::Low,
        ResultLevel::None => Severity::Info,
    }
}

/// How many results a report holds at each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// Critical results.
    pub critical: u64,
    /// High results.
    pub high: u64,
    /// Medium results.
    pub medium: u64,
    /// Low results.
    pub low: u64,
    /// Informational results.
    pub info: u64,
}

impl SeverityCounts {
    /// Counts one more result at `severity`.
    pub fn add(&mut self, severity: Severity) {
        *self.slot(severity) += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &SeverityCounts) {
        for severity in Severity::ALL {
            *self.slot(severity) += other.get(severity);
        }
    }

    /// The count at `severity`.
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// The sum over all severities.
    pub fn total(&self) -> u64 {
        Severity::ALL.iter().map(|s| self.get(*s)).sum()
    }

    fn slot(&mut self, severity: Severity) -> &mut u64 {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

impl fmt::Display for SeverityCounts {
    /// `2 critical, 1 high` (zero counts left out), or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Severity::ALL
            .iter()
            .filter(|s| self.get(**s) > 0)
            .map(|s| format!("{} {}", self.get(*s), s))
            .collect();
        if parts.is_empty() { f.write_str("none") } else { f.write_str(&parts.join(", ")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bands_follow_cvss() {
        assert_eq!(Severity::from_score(9.8), Some(Severity::Critical));
        assert_eq!(Severity::from_score(9.0), Some(Severity::Critical));
        assert_eq!(Severity::from_score(8.9), Some(Severity::High));
        assert_eq!(Severity::from_score(5.3), Some(Severity::Medium));
        assert_eq!(Severity::from_score(0.1), Some(Severity::Low));
        assert_eq!(Severity::from_score(0.0), Some(Severity::Info));
        assert_eq!(Severity::from_score(11.0), None);
        assert_eq!(Severity::from_score(f64::NAN), None);
    }

    #[test]
    fn labels_of_common_tools() {
        assert_eq!(Severity::from_label("CRITICAL"), Some(Severity::Critical));
        assert_eq!(Severity::from_label("Negligible"), Some(Severity::Info));
        assert_eq!(Severity::from_label("moderate"), Some(Severity::Medium));
        assert_eq!(Severity::from_label("7.5"), Some(Severity::High));
        assert_eq!(Severity::from_label("bogus"), None);
    }
}
