//! Reading the files a pipeline hands to `push`: detect each file's kind, check that it is
//! what it claims to be, and summarise it for the chain entry.
//!
//! Nothing here knows about stores. Reports are read whole (up to a configurable limit) and
//! parsed into small structs holding only what an entry records; attachments are never
//! parsed and are hashed as a stream, so their size is not bounded by memory.

mod gitlab;
mod keyless;
mod probe;
mod sarif;
mod signature;

use std::fs::{self, File};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::digest::{self, Sha256};
use crate::findings::native::{self, ReportFindings};
use crate::findings::{self, Finding, SeverityCounts};

pub use keyless::{KeylessPolicy, Signer};
use probe::Probe;
pub use sarif::LevelCounts;
pub use signature::{CosignKey, SignatureCheck, SignatureSummary, SignedSubject};

/// Default largest report that `push` parses: 1 GiB.
pub const DEFAULT_MAX_REPORT_SIZE: u64 = 1 << 30;

/// What kind of evidence a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A SARIF 2.1.0 log (Trivy, Grype, Semgrep, CodeQL, Checkov, Bandit ...).
    Sarif,
    /// A GitLab security report (container / dependency scanning, SAST, secret detection ...).
    Gitlab,
    /// Output of `cosign download signature`: one JSON object per signature.
    CosignSignature,
    /// A cosign simple-signing payload.
    CosignPayload,
    /// A Sigstore bundle, v0.1 to v0.3.
    SigstoreBundle,
    /// A Trivy JSON report (schema version 2).
    Trivy,
    /// A Clair report: clair-scanner or klar JSON.
    Clair,
    /// An Anchore Engine `image vuln` report.
    Anchore,
    /// Any file, archived as is and never parsed.
    Attachment,
    /// The normalised findings of a report, derived by locker at push time.
    Findings,
    /// The store's posture (encryption, versioning, retention lock) as `locker doctor
    /// --record` found it.
    Posture,
}

impl ArtifactKind {
    /// The kebab-case name used on the command line and in entries.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Sarif => "sarif",
            ArtifactKind::Gitlab => "gitlab",
            ArtifactKind::CosignSignature => "cosign-signature",
            ArtifactKind::CosignPayload => "cosign-payload",
            ArtifactKind::SigstoreBundle => "sigstore-bundle",
            ArtifactKind::Trivy => "trivy",
            ArtifactKind::Clair => "clair",
            ArtifactKind::Anchore => "anchore",
            ArtifactKind::Attachment => "attachment",
            ArtifactKind::Findings => "findings",
            ArtifactKind::Posture => "posture",
        }
    }
}

/// What a scan report says, in the few numbers an entry records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Report format (`sarif`, `gitlab`).
    pub format: String,
    /// The format's version as declared by the file.
    pub format_version: String,
    /// GitLab's report type (`container_scanning`, `sast`, ...), when the format has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_type: Option<String>,
    /// One summary per run (SARIF) or per report (GitLab).
    pub runs: Vec<RunSummary>,
    /// Runs that declared they did not complete (SARIF `executionSuccessful: false`, GitLab
    /// `status: failure`).
    pub failed_runs: u64,
    /// Results over all runs.
    pub results: u64,
    /// Results over all runs, per severity.
    pub by_severity: SeverityCounts,
    /// The container images the findings name, by digest: what signature coverage is
    /// measured against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ScannedImage>,
}

/// A container image a report scanned, as its findings name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScannedImage {
    /// Repository without tag, when the report names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// `sha256:<hex>`.
    pub digest: String,
}

/// One scanner run inside a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The scanner's name.
    pub tool: String,
    /// The scanner's version, when the report gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Whether the run declared success; `None` when the report does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful: Option<bool>,
    /// Results of this run.
    pub results: u64,
    /// Results of this run, per severity.
    pub by_severity: SeverityCounts,
    /// Results of this run, per SARIF level (SARIF only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_level: Option<LevelCounts>,
}

/// The kind-specific reading of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The kind detected or asked for.
    pub kind: ArtifactKind,
    /// The scan summary, for reports.
    pub scan: Option<ScanSummary>,
    /// The signature summary, for signatures.
    pub signature: Option<SignatureSummary>,
    /// The report's findings, for scan reports.
    pub findings: Option<Vec<Finding>>,
}

/// A file checked and summarised, ready to be stored.
#[derive(Debug)]
pub struct Ingested {
    /// The name recorded in the entry: the path as given, relative, without `..`.
    pub name: String,
    /// Where to read the file.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Sha256,
    /// The content, for parsed reports; `None` for attachments, which are streamed.
    pub bytes: Option<Vec<u8>>,
    /// What the file is.
    pub reading: Reading,
    /// For derived artifacts, the digest of the report they come from.
    pub derived_from: Option<Sha256>,
    /// For reports and their derived findings, how many findings.
    pub derived_count: Option<u64>,
}

/// How to read the files of one push.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Read every file as this kind instead of detecting it.
    pub kind: Option<ArtifactKind>,
    /// Reports larger than this are refused (attachments are not limited).
    pub max_report_size: u64,
    /// The key image signatures are checked against, if any.
    pub cosign_key: Option<CosignKey>,
    /// The trusted root (and signer) keyless Sigstore bundles are checked against, if any.
    pub keyless: Option<std::sync::Arc<KeylessPolicy>>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            kind: None,
            max_report_size: DEFAULT_MAX_REPORT_SIZE,
            cosign_key: None,
            keyless: None,
        }
    }
}

/// Why a file cannot be archived. Always names the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct IngestError {
    /// The file, as given.
    pub path: String,
    /// What is wrong, and what to do about it where the user can act.
    pub problem: String,
}

impl IngestError {
    fn new(path: &Path, problem: impl Into<String>) -> IngestError {
        IngestError { path: path.display().to_string(), problem: problem.into() }
    }
}

/// Checks and summarises the file at `path`.
///
/// # Errors
///
/// [`IngestError`] naming the file when it is missing, not a regular file, badly named,
/// too large to parse, or not a valid file of its kind.
pub fn ingest(path: &Path, options: &IngestOptions) -> Result<Ingested, IngestError> {
    let name = artifact_name(path)?;
    let size = regular_file_size(path)?;

    if options.kind == Some(ArtifactKind::Attachment) {
        return ingest_attachment(path, name, size);
    }

    let bytes = read_report(path, size, options.max_report_size)?;
    // Hashing and parsing each take a pass over the bytes: one core each.
    let (sha256, reading) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| Sha256::of(&bytes));
        let reading = read_bytes_with(&bytes, options);
        (joined(hashing), reading)
    });
    let reading = reading.map_err(|p| IngestError::new(path, p))?;
    Ok(Ingested {
        name,
        path: path.to_owned(),
        size: bytes.len() as u64,
        sha256,
        bytes: Some(bytes),
        reading,
        derived_from: None,
        derived_count: None,
    })
}

/// Detects the kind of `bytes` (unless `kind` is given) and summarises them.
///
/// # Errors
///
/// A description of the problem, without the file name.
pub fn read_bytes(bytes: &[u8], kind: Option<ArtifactKind>) -> Result<Reading, String> {
    read_bytes_with(bytes, &IngestOptions { kind, ..IngestOptions::default() })
}

/// As [`read_bytes`], with the kind and the signature trust of `options`.
///
/// # Errors
///
/// A description of the problem, without the file name.
pub fn read_bytes_with(bytes: &[u8], options: &IngestOptions) -> Result<Reading, String> {
    let (kind, key) = (options.kind, options.cosign_key.as_ref());
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".to_string());
    }
    let probe = Probe::read(bytes)?;
    let kind = match kind {
        Some(kind) => kind,
        None => probe.detect()?,
    };

    let mut reading = Reading { kind, scan: None, signature: None, findings: None };
    match kind {
        ArtifactKind::Sarif => {
            // Two independent passes over one log: the summary's and the findings'.
            let (scan, found) = std::thread::scope(|scope| {
                let finding = scope.spawn(|| findings::sarif::findings(bytes));
                (sarif::summarize(bytes, &probe), joined(finding))
            });
            reading.scan = Some(scan?);
            reading.findings = Some(found?);
        }
        ArtifactKind::Gitlab => {
            reading.scan = Some(gitlab::summarize(bytes)?);
            reading.findings = Some(native::gitlab(bytes)?.findings);
        }
        ArtifactKind::Trivy => {
            let version = probe.schema_version.as_ref().map(|v| v.to_string()).unwrap_or_default();
            let report = native::trivy(bytes)?;
            reading.scan = Some(summary_of("trivy", &version, &report));
            reading.findings = Some(report.findings);
        }
        ArtifactKind::Clair => {
            let report = native::clair(bytes)?;
            reading.scan = Some(summary_of("clair", "", &report));
            reading.findings = Some(report.findings);
        }
        ArtifactKind::Anchore => {
            let report = native::anchore(bytes)?;
            reading.scan = Some(summary_of("anchore", "", &report));
            reading.findings = Some(report.findings);
        }
        ArtifactKind::Findings => {
            return Err("findings artifacts are derived by locker from reports; push the \
                        report itself"
                .to_string());
        }
        ArtifactKind::Posture => {
            return Err("posture records are made by `locker doctor --record`".to_string());
        }
        ArtifactKind::CosignSignature => {
            reading.signature = Some(signature::summarize_cosign_signatures(bytes, key)?)
        }
        ArtifactKind::CosignPayload => {
            reading.signature = Some(signature::summarize_cosign_payload(bytes)?)
        }
        ArtifactKind::SigstoreBundle => {
            reading.signature =
                Some(signature::summarize_bundle(bytes, key, options.keyless.as_deref())?)
        }
        ArtifactKind::Attachment => {}
    }
    if let (Some(scan), Some(findings)) = (&mut reading.scan, &reading.findings) {
        scan.images = scanned_images(findings);
    }
    Ok(reading)
}

/// The distinct image digests the findings name.
fn scanned_images(findings: &[findings::Finding]) -> Vec<ScannedImage> {
    let images: std::collections::BTreeSet<ScannedImage> = findings
        .iter()
        .filter_map(|f| {
            let digest = f.target.image_digest.clone()?;
            Some(ScannedImage { repository: f.target.image.clone(), digest })
        })
        .collect();
    images.into_iter().collect()
}

/// The summary of a report read through its findings.
fn summary_of(format: &str, version: &str, report: &ReportFindings) -> ScanSummary {
    let mut by_severity = SeverityCounts::default();
    for finding in &report.findings {
        by_severity.add(finding.severity);
    }
    let results = report.findings.len() as u64;
    let run = RunSummary {
        tool: report.tool.clone(),
        version: report.version.clone(),
        successful: report.successful,
        results,
        by_severity,
        by_level: None,
    };
    ScanSummary {
        format: format.to_string(),
        format_version: version.to_string(),
        report_type: None,
        runs: vec![run],
        failed_runs: u64::from(report.successful == Some(false)),
        results,
        by_severity,
        images: Vec::new(),
    }
}

/// The name an artifact is recorded under: the path as given, which must be relative and
/// stay inside the working directory.
///
/// # Errors
///
/// Absolute paths, paths with `..`, and names that are not UTF-8.
pub fn artifact_name(path: &Path) -> Result<String, IngestError> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| IngestError::new(path, "the file name is not valid UTF-8"))?,
            ),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(IngestError::new(
                    path,
                    "artifact names are recorded as given and must be relative paths without \
                     `..`; run locker from a directory that contains the file",
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(IngestError::new(path, "not a file name"));
    }
    Ok(parts.join("/"))
}

fn regular_file_size(path: &Path) -> Result<u64, IngestError> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => IngestError::new(path, "no such file"),
        _ => IngestError::new(path, format!("cannot read it: {e}")),
    })?;
    if meta.is_dir() {
        return Err(IngestError::new(path, "is a directory; push the files inside it"));
    }
    if !meta.is_file() {
        return Err(IngestError::new(path, "not a regular file"));
    }
    Ok(meta.len())
}

fn ingest_attachment(path: &Path, name: String, size: u64) -> Result<Ingested, IngestError> {
    let file =
        File::open(path).map_err(|e| IngestError::new(path, format!("cannot read it: {e}")))?;
    let (sha256, read) = digest::hash_reader(file)
        .map_err(|e| IngestError::new(path, format!("cannot read it: {e}")))?;
    if read != size {
        return Err(IngestError::new(path, "the file changed size while it was being read"));
    }
    let reading =
        Reading { kind: ArtifactKind::Attachment, scan: None, signature: None, findings: None };
    Ok(Ingested {
        name,
        path: path.to_owned(),
        size,
        sha256,
        bytes: None,
        reading,
        derived_from: None,
        derived_count: None,
    })
}

fn read_report(path: &Path, size: u64, limit: u64) -> Result<Vec<u8>, IngestError> {
    let too_large = || {
        IngestError::new(
            path,
            format!(
                "{} is larger than the report parse limit of {} (--max-report-size, \
                 LOCKER_MAX_REPORT_SIZE); raise the limit, or archive the file unparsed with \
                 --kind attachment",
                human_size(size),
                human_size(limit)
            ),
        )
    };
    if size > limit {
        return Err(too_large());
    }

    let file =
        File::open(path).map_err(|e| IngestError::new(path, format!("cannot read it: {e}")))?;
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| IngestError::new(path, format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A size in IEC units for messages (`10.0 KiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The result of a scoped thread; a panic in it carries on in the caller.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Parses `bytes` as exactly one JSON document of type `T`, with messages that say which
/// format was expected.
fn parse_document<'a, T: Deserialize<'a>>(bytes: &'a [u8], format: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_eof() {
            format!("truncated {format} ({e})")
        } else {
            format!("not a valid {format} ({e})")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_relative_and_inside() {
        assert_eq!(artifact_name(Path::new("./reports/a.sarif")).unwrap(), "reports/a.sarif");
        assert!(artifact_name(Path::new("/etc/passwd")).is_err());
        assert!(artifact_name(Path::new("reports/../../a.sarif")).is_err());
        assert!(artifact_name(Path::new(".")).is_err());
    }

    #[test]
    fn junk_is_refused_with_a_reason() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "empty"),
            (b"   \n", "empty"),
            (b"\x00\x01\xff garbage", "not JSON"),
            (b"[1, 2]", "not a JSON object"),
            (br#"{"runs": [{"tool": "#, "truncated"),
            (br#"{"hello": "world"}"#, "not a format locker reads"),
        ];
        for (bytes, expected) in cases {
            let error = read_bytes(bytes, None).unwrap_err();
            assert!(error.contains(expected), "{bytes:?}: {error}");
        }
    }
}
