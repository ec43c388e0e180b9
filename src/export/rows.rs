//! The rows every export shares: one per control state and one per finding of the period.

use serde::Serialize;

use crate::controls::Controls;
use crate::controls::state::State;
use crate::findings::Severity;
use crate::report::Assessment;

/// One control's state.
#[derive(Debug, Serialize)]
pub struct ControlRow {
    /// `pci-dss`, `hipaa`, `soc2`.
    pub framework: String,
    /// The framework's own id.
    pub control_id: String,
    /// Paraphrased title.
    pub title: String,
    /// `met`, `not-met`, `no-evidence`, `not-applicable`.
    pub state: State,
    /// Why, one sentence per rule.
    pub reasons: Vec<String>,
    /// Entries behind it.
    pub evidence: Vec<u64>,
}

/// One finding open at some point of the period.
#[derive(Debug, Serialize)]
pub struct FindingRow {
    /// Stable fingerprint.
    pub fingerprint: String,
    /// Severity.
    pub severity: Severity,
    /// Message, as the scanner wrote it.
    pub message: String,
    /// Rule id of the scanner.
    pub rule: String,
    /// CVE, GHSA and CWE ids.
    pub ids: Vec<String>,
    /// Image, package and location.
    pub target: String,
    /// Tools that reported it.
    pub sources: Vec<String>,
    /// First seen.
    pub first_seen: String,
    /// Fixed, when it was.
    pub fixed: Option<String>,
    /// The earliest deadline of the frameworks asked, with its framework.
    pub sla_due: Option<String>,
    /// `open`, `overdue`, `met` or `missed` against that deadline; `open` or `fixed` when
    /// no deadline applies.
    pub state: String,
}

/// Control rows of `framework` (or all).
pub fn controls(assessment: &Assessment) -> Vec<ControlRow> {
    assessment
        .states
        .iter()
        .map(|s| ControlRow {
            framework: s.framework.clone(),
            control_id: s.id.clone(),
            title: s.title.clone(),
            state: s.state,
            reasons: s.reasons.clone(),
            evidence: s.entries.clone(),
        })
        .collect()
}

/// Finding rows, sorted by severity then fingerprint.
pub fn findings(
    assessment: &Assessment,
    controls: &Controls,
    framework: Option<&str>,
) -> Vec<FindingRow> {
    let slas = controls.slas_for(framework);
    let mut rows: Vec<FindingRow> = assessment
        .findings_in_period()
        .map(|t| {
            let finding = &t.finding;
            let mut states = t.sla_states(&slas, assessment.at);
            states.sort_by_key(|s| s.due);
            let first = states.first();
            let plain = if t.is_open() { "open" } else { "fixed" };
            let target = [
                finding.target.image.clone(),
                finding.package.clone(),
                finding.location.clone().or(finding.target.path.clone()),
            ];
            FindingRow {
                fingerprint: finding.fingerprint.clone(),
                severity: finding.severity,
                message: finding.message.clone(),
                rule: finding.rule.clone(),
                ids: finding.vulnerabilities.iter().chain(&finding.cwe).cloned().collect(),
                target: target.into_iter().flatten().collect::<Vec<_>>().join(" "),
                sources: t.sources.iter().cloned().collect(),
                first_seen: t.first_seen.to_rfc3339(),
                fixed: t.fixed.map(|f| f.to_rfc3339()),
                sla_due: first.map(|s| format!("{} {}", s.framework, s.due.to_rfc3339())),
                state: first.map_or(plain, |s| s.state).to_string(),
            }
        })
        .collect();
    rows.sort_by(|a, b| (a.severity, &a.fingerprint).cmp(&(b.severity, &b.fingerprint)));
    rows
}
