//! GitLab security reports: container and dependency scanning, SAST, secret detection and
//! the other report types of GitLab's public security-report schemas.

use serde::Deserialize;

use super::{RunSummary, ScanSummary, parse_document};
use crate::findings::{Severity, SeverityCounts};

/// Report types defined by GitLab's security report schemas.
const REPORT_TYPES: [&str; 8] = [
    "container_scanning",
    "dependency_scanning",
    "sast",
    "secret_detection",
    "dast",
    "api_fuzzing",
    "coverage_fuzzing",
    "cluster_image_scanning",
];

#[derive(Deserialize)]
struct Report {
    version: String,
    vulnerabilities: Vec<Vulnerability>,
    scan: Scan,
}

#[derive(Deserialize)]
struct Vulnerability {
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Scan {
    #[serde(rename = "type")]
    report_type: String,
    status: Option<String>,
    scanner: Scanner,
}

#[derive(Deserialize)]
struct Scanner {
    name: String,
    version: Option<String>,
}

/// Summarises a GitLab security report.
pub(super) fn summarize(bytes: &[u8]) -> Result<ScanSummary, String> {
    let report: Report = parse_document(bytes, "GitLab security report")?;
    if !REPORT_TYPES.contains(&report.scan.report_type.as_str()) {
        return Err(format!(
            "unknown GitLab report type {:?} (expected one of {})",
            report.scan.report_type,
            REPORT_TYPES.join(", ")
        ));
    }

    let mut by_severity = SeverityCounts::default();
    for vulnerability in &report.vulnerabilities {
        let label = vulnerability.severity.as_deref().unwrap_or("Unknown");
        by_severity.add(Severity::from_label(label).unwrap_or(Severity::Info));
    }
    let successful = report.scan.status.as_deref().map(|s| s == "success");
    let results = report.vulnerabilities.len() as u64;
    let run = RunSummary {
        tool: report.scan.scanner.name,
        version: report.scan.scanner.version,
        successful,
        results,
        by_severity,
        by_level: None,
    };
    Ok(ScanSummary {
        format: "gitlab".to_string(),
        format_version: report.version,
        report_type: Some(report.scan.report_type),
        failed_runs: u64::from(successful == Some(false)),
        results,
        by_severity,
        runs: vec![run],
        images: Vec::new(),
    })
}
