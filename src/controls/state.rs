//! Each control's state for a period, derived from the evidence in the chain: met, not met
//! (with the findings past their deadline or the scans missing), no evidence, or not
//! applicable (no mapping rule speaks to it).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Controls, Rule, Sla};
use crate::chain::{ArtifactRecord, StoredEntry};
use crate::findings::Category;
use crate::findings::lifecycle::Tracked;
use crate::ingest::{ArtifactKind, ScannedImage, SignatureCheck};
use crate::period::Period;
use crate::store::posture::{PostureItem, Status};

/// A scan older than this is stale (PCI DSS 11.3.1: at least once every three months).
const STALE_AFTER_DAYS: i64 = 90;

/// A control's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// The evidence supports it and nothing counts against it.
    Met,
    /// Something counts against it: findings past their deadline, missing scans, a failed
    /// signature or a broken chain.
    NotMet,
    /// Rules speak to it, but the period holds no evidence they can use.
    NoEvidence,
    /// No rule speaks to it: the tool's evidence does not cover it.
    NotApplicable,
}

/// One control's state with its reasons and the entries behind them.
#[derive(Debug, Clone, Serialize)]
pub struct ControlState {
    /// Framework id.
    pub framework: String,
    /// Control id.
    pub id: String,
    /// Paraphrased title.
    pub title: String,
    /// The state.
    pub state: State,
    /// Why, one sentence per rule that had something to say.
    pub reasons: Vec<String>,
    /// Entries whose evidence was used.
    pub entries: Vec<u64>,
}

/// One scan in the period.
#[derive(Debug, Clone)]
pub struct Scan {
    /// Entry holding the report.
    pub seq: u64,
    /// When it was pushed.
    pub time: DateTime<Utc>,
    /// `container`, `dependency`, `sast`, `secret` or `iac`.
    pub kind: &'static str,
}

/// One checked signature.
#[derive(Debug, Clone)]
pub struct SignatureEvidence {
    /// Entry holding it.
    pub seq: u64,
    /// Whether it was pushed within the period (earlier signatures still sign).
    pub in_period: bool,
    /// The outcome of its check.
    pub check: SignatureCheck,
    /// The digests it signs.
    pub digests: Vec<String>,
}

/// The latest store posture recorded by `locker doctor --record`.
#[derive(Debug, Clone)]
pub struct PostureEvidence {
    /// Entry holding it.
    pub seq: u64,
    /// When it was recorded.
    pub time: DateTime<Utc>,
    /// Each check's outcome.
    pub items: Vec<PostureItem>,
}

/// The evidence of a period.
#[derive(Debug, Default)]
pub struct Evidence<'a> {
    /// Scans pushed up to the evaluation time.
    pub scans: Vec<Scan>,
    /// Signatures pushed up to the evaluation time.
    pub signatures: Vec<SignatureEvidence>,
    /// Image digests scanned in the period, with the entry of the scan.
    pub scanned_images: Vec<(u64, ScannedImage)>,
    /// The last posture record up to the evaluation time.
    pub posture: Option<PostureEvidence>,
    /// Findings open at some point of the period.
    pub findings: Vec<&'a Tracked>,
    /// The chain's verification: `Some(problems)`, or `None` when it could not be run.
    pub chain_problems: Option<usize>,
}

/// What every rule of one framework is evaluated against.
struct Context<'a> {
    framework: &'a str,
    slas: Vec<Sla>,
    period: &'a Period,
    at: DateTime<Utc>,
    evidence: &'a Evidence<'a>,
}

enum Outcome {
    Support(String, Vec<u64>),
    Gap(String, Vec<u64>),
    Silent(Option<String>),
}

impl<'a> Evidence<'a> {
    /// Collects scans from `entries` up to `at`, signatures of `period`, and keeps
    /// `findings`.
    pub fn collect(
        entries: &[StoredEntry],
        period: &Period,
        at: DateTime<Utc>,
        findings: Vec<&'a Tracked>,
    ) -> Self {
        let mut evidence = Evidence { findings, ..Evidence::default() };
        for entry in entries {
            let Some(statement) = entry.statement() else { continue };
            if statement.predicate.time > at {
                continue;
            }
            let (time, seq) = (statement.predicate.time, entry.seq);
            for record in &statement.predicate.artifacts {
                evidence.add(seq, time, period.contains(time), record);
            }
        }
        evidence
    }

    fn add(&mut self, seq: u64, time: DateTime<Utc>, in_period: bool, record: &ArtifactRecord) {
        if let Some(kind) = scan_kind(record) {
            self.scans.push(Scan { seq, time, kind });
        }
        if let Some(scan) = record.scan.as_ref().filter(|_| in_period) {
            self.scanned_images.extend(scan.images.iter().map(|image| (seq, image.clone())));
        }
        if let Some(signature) = &record.signature {
            self.signatures.push(SignatureEvidence {
                seq,
                in_period,
                check: signature.check,
                digests: signature.signed.iter().map(|s| s.digest.clone()).collect(),
            });
        }
        if let Some(items) = &record.posture {
            self.posture = Some(PostureEvidence { seq, time, items: items.clone() });
        }
    }
}

/// What kind of scan a report is, from its kind, report type or tool.
pub fn scan_kind(record: &ArtifactRecord) -> Option<&'static str> {
    let scan = record.scan.as_ref()?;
    match record.kind {
        ArtifactKind::Trivy | ArtifactKind::Clair | ArtifactKind::Anchore => {
            return Some("container");
        }
        ArtifactKind::Gitlab => {
            return match scan.report_type.as_deref()? {
                "container_scanning" | "cluster_image_scanning" => Some("container"),
                "dependency_scanning" => Some("dependency"),
                "secret_detection" => Some("secret"),
                _ => Some("sast"),
            };
        }
        _ => {}
    }
    let tool = scan.runs.first()?.tool.to_ascii_lowercase();
    let is = |names: &[&str]| names.iter().any(|n| tool.contains(n));
    Some(if is(&["trivy", "grype", "clair", "anchore"]) {
        "container"
    } else if is(&["gitleaks", "secretlint", "trufflehog", "detect-secrets"]) {
        "secret"
    } else if is(&["checkov", "hadolint", "kics", "tfsec", "terrascan"]) {
        "iac"
    } else {
        "sast"
    })
}

fn kind_of_category(category: Category) -> &'static str {
    match category {
        Category::ContainerVulnerability => "container",
        Category::DependencyVulnerability => "dependency",
        Category::Code => "sast",
        Category::Secret => "secret",
        Category::IacMisconfiguration => "iac",
    }
}

/// The state of every control of `framework` (or of all), as of `at` within `period`.
pub fn evaluate(
    controls: &Controls,
    framework: Option<&str>,
    period: &Period,
    at: DateTime<Utc>,
    evidence: &Evidence,
) -> Vec<ControlState> {
    let mut states = Vec::new();
    for fw in controls.frameworks.iter().filter(|f| framework.is_none_or(|w| w == f.id)) {
        let slas = controls.slas.iter().filter(|s| s.framework == fw.id).cloned().collect();
        let context = Context { framework: &fw.id, slas, period, at, evidence };
        for control in &fw.controls {
            let rules = controls.rules_for(&fw.id, &control.id);
            let outcomes: Vec<Outcome> = rules.iter().map(|r| rule_outcome(r, &context)).collect();
            states.push(control_state(
                &fw.id,
                &control.id,
                &control.title,
                rules.is_empty(),
                outcomes,
            ));
        }
    }
    states
}

fn control_state(
    framework: &str,
    id: &str,
    title: &str,
    unmapped: bool,
    outcomes: Vec<Outcome>,
) -> ControlState {
    let mut reasons = Vec::new();
    let mut entries = Vec::new();
    let (mut gap, mut support) = (false, false);
    for outcome in outcomes {
        match outcome {
            Outcome::Gap(reason, seqs) => {
                gap = true;
                reasons.push(reason);
                entries.extend(seqs);
            }
            Outcome::Support(reason, seqs) => {
                support = true;
                reasons.push(reason);
                entries.extend(seqs);
            }
            Outcome::Silent(reason) => reasons.extend(reason),
        }
    }
    entries.sort_unstable();
    entries.dedup();
    let state = match (unmapped, gap, support) {
        (true, _, _) => State::NotApplicable,
        (_, true, _) => State::NotMet,
        (_, _, true) => State::Met,
        _ => State::NoEvidence,
    };
    if state == State::NotApplicable {
        reasons.push("no mapping rule speaks to this control".into());
    }
    ControlState {
        framework: framework.into(),
        id: id.into(),
        title: title.into(),
        state,
        reasons,
        entries,
    }
}

fn rule_outcome(rule: &Rule, context: &Context) -> Outcome {
    match rule.evidence.as_str() {
        "finding" => finding_outcome(rule, context),
        "scan" => scan_outcome(rule, context.period, context.at, context.evidence),
        "signature" => signature_outcome(rule, context.evidence),
        "store" => store_outcome(rule, context.evidence),
        "chain" => match context.evidence.chain_problems {
            None => Outcome::Silent(Some(format!(
                "{}: the chain was not verified (no trusted key)",
                rule.id
            ))),
            Some(0) => Outcome::Support(format!("{}: the chain verifies", rule.id), vec![]),
            Some(n) => Outcome::Gap(
                format!("{}: the chain verification found {n} problem(s)", rule.id),
                vec![],
            ),
        },
        other => Outcome::Silent(Some(format!("{}: unknown evidence {other:?}", rule.id))),
    }
}

fn finding_outcome(rule: &Rule, context: &Context) -> Outcome {
    let Context { framework, slas, period, at, evidence } = context;
    let (period, at) = (*period, *at);
    let kinds: Vec<&str> = if rule.category.is_empty() {
        vec!["container", "dependency", "sast", "secret", "iac"]
    } else {
        rule.category.iter().map(|c| kind_of_category(*c)).collect()
    };
    let scanned = evidence.scans.iter().any(|s| period.contains(s.time) && kinds.contains(&s.kind));
    let matching: Vec<&&Tracked> =
        evidence.findings.iter().filter(|t| rule.matches_finding(&t.finding)).collect();
    let late: Vec<&&Tracked> = matching
        .iter()
        .copied()
        .filter(|t| {
            t.sla_states(slas, at).iter().any(|s| s.state == "overdue" || s.state == "missed")
        })
        .collect();
    if !late.is_empty() {
        let names: Vec<String> = late.iter().take(5).map(|t| describe(t)).collect();
        let seqs = late.iter().flat_map(|t| t.entries.iter().copied()).collect();
        let more =
            if late.len() > 5 { format!(" and {} more", late.len() - 5) } else { String::new() };
        return Outcome::Gap(
            format!(
                "{}: {} finding(s) past the {framework} deadline: {}{more}",
                rule.id,
                late.len(),
                names.join(", ")
            ),
            seqs,
        );
    }
    if !scanned && matching.is_empty() {
        return Outcome::Silent(None);
    }
    let seqs = matching.iter().flat_map(|t| t.entries.iter().copied()).collect();
    Outcome::Support(
        format!("{}: {} matching finding(s), none past its deadline", rule.id, matching.len()),
        seqs,
    )
}

fn describe(tracked: &Tracked) -> String {
    let finding = &tracked.finding;
    let what = finding.vulnerabilities.first().unwrap_or(&finding.rule);
    match (&finding.target.image, &finding.package) {
        (Some(image), Some(package)) => format!("{what} in {package} of {image}"),
        _ => what.clone(),
    }
}

fn scan_outcome(rule: &Rule, period: &Period, at: DateTime<Utc>, evidence: &Evidence) -> Outcome {
    let wanted = |kind: &str| rule.scan_kind.is_empty() || rule.scan_kind.iter().any(|k| k == kind);
    let label =
        if rule.scan_kind.is_empty() { "security".to_string() } else { rule.scan_kind.join("/") };
    let relevant: Vec<&Scan> = evidence.scans.iter().filter(|s| wanted(s.kind)).collect();
    match rule.check.as_deref() {
        Some("after-change") => Outcome::Silent(Some(format!(
            "{}: changes are not recorded, so scans after them cannot be checked",
            rule.id
        ))),
        Some("stale") => {
            let Some(last) = relevant.iter().map(|s| s.time).max() else {
                return Outcome::Silent(None);
            };
            let age = at - last;
            if age > Duration::days(STALE_AFTER_DAYS) {
                Outcome::Gap(
                    format!("{}: the last {label} scan is {} days old", rule.id, age.num_days()),
                    vec![],
                )
            } else {
                Outcome::Support(
                    format!("{}: the last {label} scan is {} days old", rule.id, age.num_days()),
                    vec![],
                )
            }
        }
        _ => {
            let in_period: Vec<&&Scan> =
                relevant.iter().filter(|s| period.contains(s.time)).collect();
            if in_period.is_empty() {
                return Outcome::Gap(format!("{}: no {label} scan in {period}", rule.id), vec![]);
            }
            let seqs = in_period.iter().map(|s| s.seq).collect();
            Outcome::Support(
                format!("{}: {} {label} scan(s) in {period}", rule.id, in_period.len()),
                seqs,
            )
        }
    }
}

fn signature_outcome(rule: &Rule, evidence: &Evidence) -> Outcome {
    let in_period = || evidence.signatures.iter().filter(|s| s.in_period);
    let failed: Vec<u64> =
        in_period().filter(|s| s.check == SignatureCheck::Failed).map(|s| s.seq).collect();
    if !failed.is_empty() {
        return Outcome::Gap(
            format!("{}: {} signature(s) failed to verify", rule.id, failed.len()),
            failed,
        );
    }

    let coverage = Coverage::of(evidence);
    match rule.signature.as_deref() {
        Some("missing") if !coverage.unsigned.is_empty() => {
            let names: Vec<String> = coverage.unsigned.iter().take(5).map(image_name).collect();
            let more = coverage.unsigned.len().saturating_sub(5);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            Outcome::Gap(
                format!(
                    "{}: {} of {} scanned image digest(s) have no verified signature: {}{more}",
                    rule.id,
                    coverage.unsigned.len(),
                    coverage.scanned,
                    names.join(", ")
                ),
                coverage.unsigned_entries,
            )
        }
        Some("verified") => {
            let verified: Vec<u64> = in_period()
                .filter(|s| s.check == SignatureCheck::Verified)
                .map(|s| s.seq)
                .collect();
            if verified.is_empty() {
                return Outcome::Silent(None);
            }
            let covered = if coverage.scanned > 0 {
                format!(
                    "; {} of {} scanned image digest(s) signed",
                    coverage.scanned - coverage.unsigned.len(),
                    coverage.scanned
                )
            } else {
                String::new()
            };
            Outcome::Support(
                format!("{}: {} verified signature(s){covered}", rule.id, verified.len()),
                verified,
            )
        }
        _ => Outcome::Silent(None),
    }
}

/// Scanned image digests of the period against the digests verified signatures sign.
struct Coverage<'a> {
    scanned: usize,
    unsigned: Vec<&'a ScannedImage>,
    unsigned_entries: Vec<u64>,
}

impl<'a> Coverage<'a> {
    fn of(evidence: &'a Evidence) -> Coverage<'a> {
        let signed: std::collections::HashSet<&str> = evidence
            .signatures
            .iter()
            .filter(|s| s.check == SignatureCheck::Verified)
            .flat_map(|s| s.digests.iter().map(String::as_str))
            .collect();
        let mut seen = std::collections::BTreeMap::new();
        for (seq, image) in &evidence.scanned_images {
            seen.entry(image.digest.as_str()).or_insert((image, Vec::new())).1.push(*seq);
        }
        let scanned = seen.len();
        let mut coverage = Coverage { scanned, unsigned: Vec::new(), unsigned_entries: Vec::new() };
        for (digest, (image, seqs)) in seen {
            if !signed.contains(digest) {
                coverage.unsigned.push(image);
                coverage.unsigned_entries.extend(seqs);
            }
        }
        coverage
    }
}

fn image_name(image: &&ScannedImage) -> String {
    let short = image.digest.get(..19).unwrap_or(&image.digest);
    match &image.repository {
        Some(repository) => format!("{repository}@{short}…"),
        None => format!("{short}…"),
    }
}

/// Encryption and retention, from the last posture `locker doctor --record` kept.
fn store_outcome(rule: &Rule, evidence: &Evidence) -> Outcome {
    let Some(posture) = &evidence.posture else {
        return Outcome::Silent(Some(format!(
            "{}: no store posture recorded (run `locker doctor --record`)",
            rule.id
        )));
    };
    let (wanted, what) = match rule.check.as_deref() {
        Some("encrypted") => ("encryption", "encryption at rest"),
        Some("retention") => ("object-lock", "a retention lock"),
        other => {
            return Outcome::Silent(Some(format!("{}: unknown store check {other:?}", rule.id)));
        }
    };
    let when = posture.time.format("%Y-%m-%d");
    let seqs = vec![posture.seq];
    if posture.items.iter().any(|i| i.id == "local-store") {
        let reason =
            format!("{}: the store is a local directory, without {what} ({when})", rule.id);
        return Outcome::Gap(reason, seqs);
    }
    match posture.items.iter().find(|i| i.id == wanted).map(|i| i.status) {
        Some(Status::Ok) => Outcome::Support(
            format!("{}: {what} in place (store posture of {when})", rule.id),
            seqs,
        ),
        Some(status) => {
            let how = if status == Status::Warn { "weak" } else { "missing" };
            Outcome::Gap(format!("{}: {what} {how} (store posture of {when})", rule.id), seqs)
        }
        None => Outcome::Silent(Some(format!(
            "{}: the recorded posture has no {wanted} check",
            rule.id
        ))),
    }
}
