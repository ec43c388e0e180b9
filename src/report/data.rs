//! What a report says, as data: the executive summary, control states with their evidence,
//! scan and signature coverage, remediation and exceptions. `report.json` is this structure
//! as it is (schema [`SCHEMA`]); the HTML and Markdown templates render it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::assessment::Assessment;
use crate::chain::StoredEntry;
use crate::controls::Controls;
use crate::controls::state::State;
use crate::findings::Severity;
use crate::findings::exceptions::Exceptions;
use crate::findings::lifecycle::Tracked;

/// The schema of `report.json`; a breaking change gets a new version.
pub const SCHEMA: &str = "https://evidence-locker.dev/report/v1";

/// Longest list of findings or entries a report prints in one table; the totals are always
/// complete.
pub const MAX_ROWS: usize = 500;

/// Most artifacts listed per control.
const MAX_EVIDENCE: usize = 20;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct ReportData {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The tool that made it.
    pub tool: Tool,
    /// The period.
    pub period: PeriodInfo,
    /// When the report was generated.
    pub generated_at: DateTime<Utc>,
    /// The time the state is taken at.
    pub as_of: DateTime<Utc>,
    /// The store read.
    pub store: String,
    /// The chain's verification.
    pub chain: ChainInfo,
    /// The executive summary.
    pub summary: Summary,
    /// Control by control, per framework.
    pub frameworks: Vec<FrameworkReport>,
    /// Which targets were scanned, by what and how often.
    pub coverage: Coverage,
    /// Open findings, deadlines and time to fix.
    pub remediation: Remediation,
    /// Scanned image digests with and without a verified signature.
    pub signatures: SignatureCoverage,
    /// Accepted risks.
    pub exceptions: ExceptionsReport,
}

/// Name and version of the writer.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// `evidence-locker`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// The period covered.
#[derive(Debug, Serialize)]
pub struct PeriodInfo {
    /// As given (`2026-Q3`) or as dates.
    pub label: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// The chain's verification result.
#[derive(Debug, Serialize)]
pub struct ChainInfo {
    /// Whether it was verified against pinned keys at all.
    pub verified: bool,
    /// Whether the verification found no problem.
    pub ok: bool,
    /// Entries in the chain.
    pub entries: u64,
    /// The last entry's sequence number.
    pub head_seq: Option<u64>,
    /// The last entry's SHA-256.
    pub head_hash: Option<String>,
    /// Problems found, as `code seq path`.
    pub problems: Vec<String>,
    /// The checkpoint the period ends on, as `size` and base64 root, when one covers it.
    pub checkpoint: Option<CheckpointRef>,
}

/// A signed checkpoint, as reports and exports name it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointRef {
    /// Entries it covers.
    pub size: u64,
    /// Its Merkle root, base64.
    pub root: String,
}

/// The first page.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Control states over all frameworks.
    pub controls: StateCounts,
    /// Open critical findings at the period's end.
    pub open_critical: usize,
    /// Open high findings at the period's end.
    pub open_high: usize,
    /// Open findings of any severity at the period's end.
    pub open_total: usize,
    /// Findings past a deadline.
    pub past_sla: usize,
    /// Targets scanned in the period.
    pub scanned_targets: usize,
    /// Scans in the period.
    pub scans: usize,
    /// Targets with a month of the period without a scan.
    pub targets_with_gaps: usize,
    /// Scanned image digests.
    pub images_scanned: usize,
    /// Of those, with a verified signature.
    pub images_signed: usize,
}

/// How many controls are in each state.
#[derive(Debug, Default, Serialize)]
pub struct StateCounts {
    /// Met.
    pub met: usize,
    /// Not met.
    pub not_met: usize,
    /// Rules apply but no evidence.
    pub no_evidence: usize,
    /// No rule applies.
    pub not_applicable: usize,
}

impl StateCounts {
    fn add(&mut self, state: State) {
        match state {
            State::Met => self.met += 1,
            State::NotMet => self.not_met += 1,
            State::NoEvidence => self.no_evidence += 1,
            State::NotApplicable => self.not_applicable += 1,
        }
    }
}

/// One framework's controls.
#[derive(Debug, Serialize)]
pub struct FrameworkReport {
    /// `pci-dss`, `hipaa`, `soc2`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Version of the standard.
    pub version: String,
    /// States of its controls.
    pub counts: StateCounts,
    /// Every control.
    pub controls: Vec<ControlReport>,
}

/// One control.
#[derive(Debug, Serialize)]
pub struct ControlReport {
    /// Its id in the framework.
    pub id: String,
    /// Paraphrased title.
    pub title: String,
    /// `met`, `not-met`, `no-evidence`, `not-applicable`.
    pub state: State,
    /// Why.
    pub reasons: Vec<String>,
    /// The entries behind it.
    pub entries: Vec<u64>,
    /// Their artifacts, so each line can be checked (the first [`MAX_EVIDENCE`]).
    pub evidence: Vec<EvidenceRef>,
}

/// One artifact of an entry.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRef {
    /// Entry.
    pub seq: u64,
    /// Artifact name.
    pub name: String,
    /// Its SHA-256.
    pub sha256: String,
}

/// Scan coverage.
#[derive(Debug, Serialize)]
pub struct Coverage {
    /// The months of the period.
    pub months: Vec<String>,
    /// Each scanned target.
    pub targets: Vec<TargetCoverage>,
    /// Months of the period in which nothing at all was scanned.
    pub months_without_scan: Vec<String>,
}

/// One project and target.
#[derive(Debug, Serialize)]
pub struct TargetCoverage {
    /// CI project, when known.
    pub project: String,
    /// Image repository, or the report's name.
    pub target: String,
    /// Scanners that scanned it.
    pub scanners: Vec<String>,
    /// Scan kinds (`container`, `sast` ...).
    pub kinds: Vec<String>,
    /// Scans in the period.
    pub scans: usize,
    /// Scans per month of the period.
    pub per_month: Vec<usize>,
    /// The last scan up to the evaluation time.
    pub last_scan: DateTime<Utc>,
    /// Months of the period without a scan of it.
    pub missing_months: Vec<String>,
}

/// Remediation.
#[derive(Debug, Serialize)]
pub struct Remediation {
    /// Open findings at the period's end, per severity and age.
    pub open: Vec<OpenBySeverity>,
    /// Findings past a deadline: open and overdue, or fixed late in the period (first
    /// [`MAX_ROWS`]).
    pub past_sla: Vec<FindingRow>,
    /// How many findings are past a deadline, in all.
    pub past_sla_total: usize,
    /// Time to fix of findings fixed in the period, per severity.
    pub time_to_fix: Vec<TimeToFix>,
    /// Median time to fix per month of the period.
    pub trend: Vec<MonthTrend>,
    /// Findings that came back after a fix (first [`MAX_ROWS`]).
    pub reopened: Vec<FindingRow>,
    /// Open findings per severity at the end of each week (for the chart).
    pub weekly: Vec<WeekCounts>,
}

/// Open findings of one severity.
#[derive(Debug, Serialize)]
pub struct OpenBySeverity {
    /// Severity.
    pub severity: Severity,
    /// How many.
    pub count: usize,
    /// Open under 30 days.
    pub under_30_days: usize,
    /// Open 30 to 90 days.
    pub days_30_to_90: usize,
    /// Open over 90 days.
    pub over_90_days: usize,
}

/// One finding in a table.
#[derive(Debug, Serialize)]
pub struct FindingRow {
    /// Fingerprint.
    pub fingerprint: String,
    /// Severity.
    pub severity: Severity,
    /// Vulnerability or rule id.
    pub id: String,
    /// Message.
    pub message: String,
    /// Image, package or path.
    pub target: String,
    /// Tools that reported it.
    pub sources: Vec<String>,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Fixed, if it was.
    pub fixed: Option<DateTime<Utc>>,
    /// The deadline missed or passed, and its framework.
    pub due: Option<String>,
    /// Days open (to the fix, or to the evaluation time).
    pub age_days: i64,
    /// Times reopened.
    pub reopened: u32,
    /// A link to the advisory, for CVE and GHSA ids.
    pub advisory: Option<String>,
    /// The exception in force that accepts it, as `approver until date`.
    pub accepted: Option<String>,
}

/// Time to fix for one severity.
#[derive(Debug, Serialize)]
pub struct TimeToFix {
    /// Severity.
    pub severity: Severity,
    /// Findings fixed in the period.
    pub fixed: usize,
    /// Median days from first sighting to fix.
    pub median_days: Option<f64>,
    /// 90th percentile.
    pub p90_days: Option<f64>,
    /// Fixes in 0-7, 8-30, 31-90 and over 90 days.
    pub buckets: [usize; 4],
}

/// Fixes of one month.
#[derive(Debug, Serialize)]
pub struct MonthTrend {
    /// `2026-07`.
    pub month: String,
    /// Findings fixed.
    pub fixed: usize,
    /// Their median time to fix.
    pub median_days: Option<f64>,
}

/// Open findings at the end of one week.
#[derive(Debug, Serialize)]
pub struct WeekCounts {
    /// The week's last day.
    pub week_end: NaiveDate,
    /// Per severity, critical first.
    pub open: [usize; 5],
}

/// Signature coverage.
#[derive(Debug, Serialize)]
pub struct SignatureCoverage {
    /// Each scanned image digest.
    pub images: Vec<ImageSignature>,
    /// Signatures that failed to verify in the period.
    pub failed: Vec<u64>,
    /// Signatures not checked (no key or trusted root given at push).
    pub not_checked: Vec<u64>,
}

/// One scanned image digest.
#[derive(Debug, Serialize)]
pub struct ImageSignature {
    /// Repository, when known.
    pub repository: Option<String>,
    /// Digest.
    pub digest: String,
    /// Whether a verified signature signs it.
    pub signed: bool,
    /// Entries of its scans.
    pub scans: Vec<u64>,
}

/// Accepted risks.
#[derive(Debug, Serialize)]
pub struct ExceptionsReport {
    /// In force at the evaluation time.
    pub in_force: Vec<ExceptionRow>,
    /// Expired by then (their findings count as open again).
    pub expired: Vec<ExceptionRow>,
}

/// One exception.
#[derive(Debug, Serialize)]
pub struct ExceptionRow {
    /// Fingerprint or rule it covers.
    pub covers: String,
    /// Why.
    pub reason: String,
    /// Who approved.
    pub approver: String,
    /// Expiry.
    pub expires: DateTime<Utc>,
    /// Findings of the period it names.
    pub findings: usize,
}

/// What a report is built from besides the assessment.
pub struct Inputs<'a> {
    /// The period as the user wrote it.
    pub label: String,
    /// Generation time.
    pub generated_at: DateTime<Utc>,
    /// Store location.
    pub store: String,
    /// Catalogs and SLAs.
    pub controls: &'a Controls,
    /// Frameworks asked for (all when `None`).
    pub framework: Option<&'a str>,
    /// Accepted risks.
    pub exceptions: &'a Exceptions,
}

impl ReportData {
    /// Builds the report of `assessment`.
    pub fn build(assessment: &Assessment, inputs: &Inputs) -> ReportData {
        let frameworks = frameworks(assessment, inputs);
        let coverage = coverage(assessment);
        let remediation = remediation(assessment, inputs);
        let signatures = signatures(assessment);
        let exceptions = exceptions(assessment, inputs.exceptions);
        let summary = summary(&frameworks, &coverage, &remediation, &signatures);
        let period = &assessment.period;
        ReportData {
            schema: SCHEMA,
            tool: Tool { name: "evidence-locker", version: env!("CARGO_PKG_VERSION") },
            period: PeriodInfo {
                label: inputs.label.clone(),
                start: period.start.date_naive(),
                end: (period.end - Duration::days(1)).date_naive(),
            },
            generated_at: inputs.generated_at,
            as_of: assessment.at,
            store: inputs.store.clone(),
            chain: chain_info(assessment),
            summary,
            frameworks,
            coverage,
            remediation,
            signatures,
            exceptions,
        }
    }
}

/// The chain's verification as reports and exports state it.
pub fn chain_info(assessment: &Assessment) -> ChainInfo {
    use base64::Engine as _;
    let checkpoint = assessment.checkpoint.as_ref().map(|c| CheckpointRef {
        size: c.size,
        root: base64::engine::general_purpose::STANDARD.encode(c.root),
    });
    let Some(verification) = &assessment.verification else {
        let head = assessment.entries.last();
        return ChainInfo {
            verified: false,
            ok: false,
            entries: assessment.entries.len() as u64,
            head_seq: head.map(|e| e.seq),
            head_hash: head.map(|e| e.hash.to_string()),
            problems: vec![],
            checkpoint,
        };
    };
    let problems = verification
        .problems
        .iter()
        .map(|p| {
            let seq = p.seq.map(|s| format!(" {s}")).unwrap_or_default();
            let path = p.path.as_deref().map(|s| format!(" {s}")).unwrap_or_default();
            format!("{}{seq}{path}", p.code.as_str())
        })
        .collect();
    ChainInfo {
        verified: true,
        ok: verification.ok,
        entries: verification.entries,
        head_seq: verification.head.as_ref().map(|h| h.seq),
        head_hash: verification.head.as_ref().map(|h| h.hash.to_string()),
        problems,
        checkpoint,
    }
}

fn frameworks(assessment: &Assessment, inputs: &Inputs) -> Vec<FrameworkReport> {
    let by_seq: BTreeMap<u64, &StoredEntry> =
        assessment.entries.iter().map(|e| (e.seq, e)).collect();
    let asked = inputs.controls.frameworks.iter();
    asked
        .filter(|f| inputs.framework.is_none_or(|w| w == f.id))
        .map(|framework| {
            let mut counts = StateCounts::default();
            let controls: Vec<ControlReport> = assessment
                .states
                .iter()
                .filter(|s| s.framework == framework.id)
                .map(|s| {
                    counts.add(s.state);
                    ControlReport {
                        id: s.id.clone(),
                        title: s.title.clone(),
                        state: s.state,
                        reasons: s.reasons.clone(),
                        entries: s.entries.clone(),
                        evidence: evidence_of(&s.entries, &by_seq),
                    }
                })
                .collect();
            FrameworkReport {
                id: framework.id.clone(),
                name: framework.name.clone(),
                version: framework.version.clone(),
                counts,
                controls,
            }
        })
        .collect()
}

fn evidence_of(seqs: &[u64], by_seq: &BTreeMap<u64, &StoredEntry>) -> Vec<EvidenceRef> {
    let mut refs = Vec::new();
    for seq in seqs {
        let Some(statement) = by_seq.get(seq).and_then(|e| e.statement()) else { continue };
        for artifact in &statement.predicate.artifacts {
            if refs.len() == MAX_EVIDENCE {
                return refs;
            }
            refs.push(EvidenceRef {
                seq: *seq,
                name: artifact.name.clone(),
                sha256: artifact.sha256.to_string(),
            });
        }
    }
    refs
}

/// The months a period touches, as `YYYY-MM`.
fn months_of(assessment: &Assessment) -> Vec<String> {
    let mut months = Vec::new();
    let mut day = assessment.period.start.date_naive();
    let last = (assessment.period.end - Duration::days(1)).date_naive();
    while day <= last {
        let month = format!("{:04}-{:02}", day.year(), day.month());
        if months.last() != Some(&month) {
            months.push(month);
        }
        day += Duration::days(1);
    }
    months
}

fn month_of(time: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", time.year(), time.month())
}

#[derive(Default)]
struct TargetScans {
    scanners: BTreeSet<String>,
    kinds: BTreeSet<String>,
    times: Vec<DateTime<Utc>>,
}

fn coverage(assessment: &Assessment) -> Coverage {
    let months = months_of(assessment);
    let mut targets: BTreeMap<(String, String), TargetScans> = BTreeMap::new();
    for entry in &assessment.entries {
        let Some(statement) = entry.statement() else { continue };
        let time = statement.predicate.time;
        if time > assessment.at {
            continue;
        }
        let project = statement.predicate.ci.project.clone().unwrap_or_default();
        for record in &statement.predicate.artifacts {
            let (Some(scan), Some(kind)) =
                (&record.scan, crate::controls::state::scan_kind(record))
            else {
                continue;
            };
            let names: Vec<String> = match scan.images.first() {
                Some(image) => vec![image.repository.clone().unwrap_or(image.digest.clone())],
                None => vec![record.name.clone()],
            };
            for target in names {
                let scans = targets.entry((project.clone(), target)).or_default();
                scans.scanners.extend(scan.runs.iter().map(|r| r.tool.clone()));
                scans.kinds.insert(kind.to_string());
                scans.times.push(time);
            }
        }
    }

    let period = &assessment.period;
    let rows: Vec<TargetCoverage> = targets
        .into_iter()
        .filter(|(_, s)| s.times.iter().any(|t| period.contains(*t)))
        .map(|((project, target), scans)| {
            let in_period: Vec<&DateTime<Utc>> =
                scans.times.iter().filter(|t| period.contains(**t)).collect();
            let per_month: Vec<usize> = months
                .iter()
                .map(|m| in_period.iter().filter(|t| month_of(***t) == *m).count())
                .collect();
            let missing_months = months
                .iter()
                .zip(&per_month)
                .filter(|(_, n)| **n == 0)
                .map(|(m, _)| m.clone())
                .collect();
            TargetCoverage {
                project,
                target,
                scanners: scans.scanners.into_iter().collect(),
                kinds: scans.kinds.into_iter().collect(),
                scans: in_period.len(),
                per_month,
                last_scan: scans.times.iter().copied().max().unwrap_or(period.start),
                missing_months,
            }
        })
        .collect();
    let months_without_scan = months
        .iter()
        .enumerate()
        .filter(|(i, _)| rows.iter().all(|r| r.per_month[*i] == 0))
        .map(|(_, m)| m.clone())
        .collect();
    Coverage { months, targets: rows, months_without_scan }
}

fn remediation(assessment: &Assessment, inputs: &Inputs) -> Remediation {
    let at = assessment.at;
    let slas = inputs.controls.slas_for(inputs.framework);
    let findings: Vec<&Tracked> = assessment.findings_in_period().collect();

    let open = Severity::ALL
        .iter()
        .map(|severity| {
            let ages: Vec<i64> = findings
                .iter()
                .filter(|t| t.is_open() && t.finding.severity == *severity)
                .map(|t| t.age_days(at))
                .collect();
            OpenBySeverity {
                severity: *severity,
                count: ages.len(),
                under_30_days: ages.iter().filter(|a| **a < 30).count(),
                days_30_to_90: ages.iter().filter(|a| (30..=90).contains(*a)).count(),
                over_90_days: ages.iter().filter(|a| **a > 90).count(),
            }
        })
        .collect();

    let mut past_sla: Vec<FindingRow> = findings
        .iter()
        .filter_map(|t| {
            let late = t.sla_states(&slas, at).into_iter().find(|s| {
                s.state == "overdue"
                    || (s.state == "missed"
                        && t.fixed.is_some_and(|f| assessment.period.contains(f)))
            })?;
            let due = format!("{} {} ({})", late.framework, late.due.date_naive(), late.state);
            Some(row(t, at, Some(due), inputs.exceptions))
        })
        .collect();
    past_sla.sort_by(|a, b| {
        (a.severity, &a.due, &a.fingerprint).cmp(&(b.severity, &b.due, &b.fingerprint))
    });

    let fixed: Vec<&&Tracked> = findings
        .iter()
        .filter(|t| t.fixed.is_some_and(|f| assessment.period.contains(f)))
        .collect();
    let time_to_fix = Severity::ALL
        .iter()
        .map(|severity| {
            let mut days: Vec<f64> = fixed
                .iter()
                .filter(|t| t.finding.severity == *severity)
                .map(|t| fix_days(t))
                .collect();
            days.sort_by(f64::total_cmp);
            TimeToFix {
                severity: *severity,
                fixed: days.len(),
                median_days: percentile(&days, 0.5),
                p90_days: percentile(&days, 0.9),
                buckets: [
                    days.iter().filter(|d| **d <= 7.0).count(),
                    days.iter().filter(|d| **d > 7.0 && **d <= 30.0).count(),
                    days.iter().filter(|d| **d > 30.0 && **d <= 90.0).count(),
                    days.iter().filter(|d| **d > 90.0).count(),
                ],
            }
        })
        .collect();
    let trend = months_of(assessment)
        .into_iter()
        .map(|month| {
            let mut days: Vec<f64> = fixed
                .iter()
                .filter(|t| t.fixed.is_some_and(|f| month_of(f) == month))
                .map(|t| fix_days(t))
                .collect();
            days.sort_by(f64::total_cmp);
            MonthTrend { month, fixed: days.len(), median_days: percentile(&days, 0.5) }
        })
        .collect();

    let mut reopened: Vec<FindingRow> = findings
        .iter()
        .filter(|t| t.reopened > 0)
        .map(|t| row(t, at, None, inputs.exceptions))
        .collect();
    reopened.sort_by(|a, b| (a.severity, &a.fingerprint).cmp(&(b.severity, &b.fingerprint)));

    Remediation {
        open,
        past_sla_total: past_sla.len(),
        past_sla: past_sla.into_iter().take(MAX_ROWS).collect(),
        time_to_fix,
        trend,
        reopened: reopened.into_iter().take(MAX_ROWS).collect(),
        weekly: weekly(assessment, &findings),
    }
}

fn fix_days(tracked: &Tracked) -> f64 {
    let fixed = tracked.fixed.unwrap_or(tracked.first_seen);
    let hours = (fixed - tracked.first_seen).num_hours();
    (hours as f64 / 24.0 * 10.0).round() / 10.0
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn weekly(assessment: &Assessment, findings: &[&Tracked]) -> Vec<WeekCounts> {
    let mut weeks = Vec::new();
    let mut end = assessment.period.start + Duration::days(7);
    loop {
        let at = end.min(assessment.period.end).min(assessment.at);
        let mut open = [0usize; 5];
        for t in findings {
            if t.first_seen < at && t.fixed.is_none_or(|f| f >= at) {
                open[severity_index(t.finding.severity)] += 1;
            }
        }
        weeks.push(WeekCounts { week_end: (at - Duration::seconds(1)).date_naive(), open });
        if end >= assessment.period.end || end >= assessment.at {
            return weeks;
        }
        end += Duration::days(7);
    }
}

fn severity_index(severity: Severity) -> usize {
    Severity::ALL.iter().position(|s| *s == severity).unwrap_or(4)
}

fn row(
    tracked: &Tracked,
    at: DateTime<Utc>,
    due: Option<String>,
    exceptions: &Exceptions,
) -> FindingRow {
    let finding = &tracked.finding;
    let accepted = exceptions
        .list
        .iter()
        .find(|e| e.active_at(at) && e.names(finding))
        .map(|e| format!("{} until {}", e.approver, e.expires.date_naive()));
    let id = finding.vulnerabilities.first().unwrap_or(&finding.rule).clone();
    let target = [
        finding.target.image.clone(),
        finding.package.clone(),
        finding.location.clone().or(finding.target.path.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    FindingRow {
        fingerprint: finding.fingerprint.clone(),
        severity: finding.severity,
        advisory: advisory_link(&id),
        id,
        message: finding.message.clone(),
        target,
        sources: tracked.sources.iter().cloned().collect(),
        first_seen: tracked.first_seen,
        fixed: tracked.fixed,
        due,
        age_days: tracked.age_days(at),
        reopened: tracked.reopened,
        accepted,
    }
}

/// A public advisory page for CVE and GHSA ids.
fn advisory_link(id: &str) -> Option<String> {
    let well_formed = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !well_formed {
        return None;
    }
    if id.starts_with("CVE-") {
        return Some(format!("https://nvd.nist.gov/vuln/detail/{id}"));
    }
    if id.starts_with("GHSA-") {
        return Some(format!("https://github.com/advisories/{id}"));
    }
    None
}

fn signatures(assessment: &Assessment) -> SignatureCoverage {
    let mut images: BTreeMap<&str, ImageSignature> = BTreeMap::new();
    for (seq, image) in &assessment.scanned_images {
        let entry = images.entry(image.digest.as_str()).or_insert_with(|| ImageSignature {
            repository: image.repository.clone(),
            digest: image.digest.clone(),
            signed: assessment.is_signed(&image.digest),
            scans: Vec::new(),
        });
        entry.scans.push(*seq);
    }
    let in_period = assessment.signatures.iter().filter(|s| s.in_period);
    let of = |check| in_period.clone().filter(|s| s.check == check).map(|s| s.seq).collect();
    SignatureCoverage {
        images: images.into_values().collect(),
        failed: of(crate::ingest::SignatureCheck::Failed),
        not_checked: of(crate::ingest::SignatureCheck::NotChecked),
    }
}

fn exceptions(assessment: &Assessment, exceptions: &Exceptions) -> ExceptionsReport {
    let mut report = ExceptionsReport { in_force: Vec::new(), expired: Vec::new() };
    for exception in &exceptions.list {
        let covers = exception.fingerprint.clone().or(exception.rule.clone()).unwrap_or_default();
        let findings =
            assessment.findings_in_period().filter(|t| exception.names(&t.finding)).count();
        let row = ExceptionRow {
            covers,
            reason: exception.reason.clone(),
            approver: exception.approver.clone(),
            expires: exception.expires,
            findings,
        };
        if exception.active_at(assessment.at) {
            report.in_force.push(row);
        } else {
            report.expired.push(row);
        }
    }
    report
}

fn summary(
    frameworks: &[FrameworkReport],
    coverage: &Coverage,
    remediation: &Remediation,
    signatures: &SignatureCoverage,
) -> Summary {
    let mut controls = StateCounts::default();
    for control in frameworks.iter().flat_map(|f| &f.controls) {
        controls.add(control.state);
    }
    let open =
        |severity| remediation.open.iter().find(|o| o.severity == severity).map_or(0, |o| o.count);
    Summary {
        controls,
        open_critical: open(Severity::Critical),
        open_high: open(Severity::High),
        open_total: remediation.open.iter().map(|o| o.count).sum(),
        past_sla: remediation.past_sla_total,
        scanned_targets: coverage.targets.len(),
        scans: coverage.targets.iter().map(|t| t.scans).sum(),
        targets_with_gaps: coverage.targets.iter().filter(|t| !t.missing_months.is_empty()).count(),
        images_scanned: signatures.images.len(),
        images_signed: signatures.images.iter().filter(|i| i.signed).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[4.0], 0.9), Some(4.0));
        let days: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&days, 0.5), Some(5.0));
        assert_eq!(percentile(&days, 0.9), Some(9.0));
    }

    #[test]
    fn advisories_only_for_well_formed_ids() {
        assert_eq!(
            advisory_link("CVE-2019-14697").as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2019-14697")
        );
        assert!(advisory_link("GHSA-abcd-efgh-ijkl").is_some());
        assert_eq!(advisory_link("CVE-1\"><script>"), None);
        assert_eq!(advisory_link("python.lang.security"), None);
    }
}
