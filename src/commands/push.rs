//! `locker push`: archive files as one signed entry.

use std::collections::HashSet;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{debug, info};

use super::print_json;
use crate::chain::{
    self, Appended, ArtifactRecord, EntryPredicate, RetryPolicy, Statement, ToolInfo,
};
use crate::ci::CiContext;
use crate::cli::PushArgs;
use crate::digest::Sha256;
use crate::error::{Error, ExitStatus};
use crate::findings::exceptions::Exceptions;
use crate::findings::{Finding, FindingsDocument, Severity};
use crate::ingest::{
    self, ArtifactKind, CosignKey, IngestError, IngestOptions, Ingested, KeylessPolicy, Reading,
};
use crate::keys::SigningKey;
use crate::settings::{Settings, SettingsError};
use crate::store::{Created, Store, StoreError, layout};

/// What `push --json` prints.
#[derive(Serialize)]
struct PushOutput<'a> {
    seq: u64,
    hash: Sha256,
    store: &'a str,
    artifacts: Vec<PushedArtifact<'a>>,
}

#[derive(Serialize)]
struct PushedArtifact<'a> {
    #[serde(flatten)]
    record: &'a ArtifactRecord,
    /// `false` when identical bytes were already stored.
    new: bool,
}

pub(super) fn run(
    settings: &Settings,
    args: &PushArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    // 1. Everything that can be wrong with the command is checked before anything is written.
    let key = settings.signing_key()?;
    let exceptions = settings.exceptions()?;
    let options = IngestOptions {
        kind: args.kind,
        max_report_size: args.max_report_size.map_or(settings.max_report_size, |s| s.as_u64()),
        cosign_key: match &args.cosign_key {
            Some(path) => Some(CosignKey::load(path).map_err(SettingsError::Missing)?),
            None => None,
        },
        keyless: keyless_policy(args)?,
    };
    let mut files = read_all(args, &options)?;
    let time = args.time.unwrap_or_else(Utc::now);
    let blocking = blocking_findings(&files, args.fail_on, &exceptions, time);
    add_derived_findings(&mut files)?;
    let store = settings.open_store()?;

    // 2. Artifacts, then the entry that names them.
    let records: Vec<ArtifactRecord> = files.iter().map(record).collect();
    let ci = CiContext::from_env().overridden_by(&args.ci);
    let (appended, new) = archive(store.as_ref(), &key, &files, &records, time, &ci)?;

    // 3. Tell the pipeline what was recorded.
    let artifacts = records.iter().zip(new).map(|(record, new)| PushedArtifact { record, new });
    let output = PushOutput {
        seq: appended.seq,
        hash: appended.hash,
        store: &settings.store,
        artifacts: artifacts.collect(),
    };
    if json {
        print_json(out, &output)?
    } else {
        print_text(out, &output)?
    }
    gate(args.fail_on, &blocking)
}

/// Reads every file, refusing the whole push at the first bad one or a repeated name.
fn read_all(args: &PushArgs, options: &IngestOptions) -> Result<Vec<Ingested>, Error> {
    let mut names = HashSet::new();
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let file = ingest::ingest(path, options)?;
        if !names.insert(file.name.clone()) {
            let problem = "given twice in one push".to_string();
            return Err(IngestError { path: path.display().to_string(), problem }.into());
        }
        debug!(name = %file.name, kind = file.reading.kind.as_str(), size = file.size, "read");
        files.push(file);
    }
    Ok(files)
}

/// The open findings of the pushed reports at or above `fail_on` that no exception covers.
fn blocking_findings(
    files: &[Ingested],
    fail_on: Option<Severity>,
    exceptions: &Exceptions,
    at: chrono::DateTime<Utc>,
) -> Vec<(String, Finding)> {
    let Some(threshold) = fail_on else {
        return vec![];
    };
    files
        .iter()
        .flat_map(|file| {
            let findings = file.reading.findings.iter().flatten();
            findings.map(move |f| (file.name.clone(), f.clone()))
        })
        .filter(|(_, f)| f.severity <= threshold && !exceptions.covers(f, at))
        .collect()
}

/// Exit 1, naming the findings, when the gate is crossed.
fn gate(fail_on: Option<Severity>, blocking: &[(String, Finding)]) -> Result<ExitStatus, Error> {
    let Some(threshold) = fail_on else {
        return Ok(ExitStatus::Success);
    };
    if blocking.is_empty() {
        return Ok(ExitStatus::Success);
    }
    eprintln!(
        "gate: {} open finding(s) at or above {threshold} not covered by an exception \
         (archived all the same):",
        blocking.len()
    );
    for (file, finding) in blocking.iter().take(50) {
        let what = finding.vulnerabilities.first().unwrap_or(&finding.rule);
        eprintln!("  {:<8} {what}  {file}  {}", finding.severity.as_str(), finding.fingerprint);
    }
    Ok(ExitStatus::CheckFailed)
}

/// Adds, for each report, its normalised findings as a derived artifact of the same entry.
fn add_derived_findings(files: &mut Vec<Ingested>) -> Result<(), Error> {
    let mut derived = Vec::new();
    for file in files.iter_mut() {
        let Some(findings) = file.reading.findings.take() else {
            continue;
        };
        let count = findings.len() as u64;
        let bytes = FindingsDocument::new(&file.name, file.sha256, findings).to_bytes();
        derived.push(Ingested {
            name: format!("{}.findings.json", file.name),
            path: file.path.clone(),
            size: bytes.len() as u64,
            sha256: Sha256::of(&bytes),
            bytes: Some(bytes),
            reading: Reading {
                kind: ArtifactKind::Findings,
                scan: None,
                signature: None,
                findings: None,
            },
            derived_from: Some(file.sha256),
            derived_count: Some(count),
        });
        file.derived_count = Some(count);
    }
    for file in derived {
        if files.iter().any(|f| f.name == file.name) {
            let problem =
                format!("its derived findings would be named {}, which is pushed too", file.name);
            return Err(IngestError { path: file.path.display().to_string(), problem }.into());
        }
        files.push(file);
    }
    Ok(())
}

/// Stores `files` and appends one entry naming them as `records`. Returns the entry and,
/// per file, whether its bytes were new to the store.
///
/// # Errors
///
/// A store that does not enforce conditional writes; store and chain errors. Nothing is
/// appended unless every artifact is stored.
pub(super) fn archive(
    store: &dyn Store,
    key: &SigningKey,
    files: &[Ingested],
    records: &[ArtifactRecord],
    time: DateTime<Utc>,
    ci: &CiContext,
) -> Result<(Appended, Vec<bool>), Error> {
    if !store.conditional_writes_enforced()? {
        return Err(StoreError::ConditionalWritesIgnored(store.location("")).into());
    }

    // Artifacts first, so an entry never names an object that is not there yet.
    let mut new = Vec::with_capacity(files.len());
    for file in files {
        new.push(store_artifact(store, file)? == Created::New);
    }
    let public_key = key.public_key();
    store.create(&layout::public_key_key(key.id().as_str()), public_key.to_pem().as_bytes())?;

    // The entry, appended with a compare-and-swap on the next sequence number.
    let appended = chain::append(store, key, RetryPolicy::default(), |seq, previous| {
        Statement::new(EntryPredicate {
            sequence: seq,
            previous,
            time,
            ci: ci.clone(),
            artifacts: records.to_vec(),
            tool: ToolInfo::current(),
        })
    })?;
    Ok((appended, new))
}

fn store_artifact(store: &dyn Store, file: &Ingested) -> Result<Created, Error> {
    let key = layout::artifact_key(&file.sha256);
    let created = match &file.bytes {
        Some(bytes) => store.create(&key, bytes)?,
        None => store.create_from_file(&key, &file.path, &file.sha256)?,
    };
    info!(name = %file.name, %key, new = created == Created::New, "artifact stored");
    Ok(created)
}

fn record(file: &Ingested) -> ArtifactRecord {
    ArtifactRecord {
        name: file.name.clone(),
        sha256: file.sha256,
        size: file.size,
        kind: file.reading.kind,
        scan: file.reading.scan.clone(),
        signature: file.reading.signature.clone(),
        derived_from: file.derived_from,
        findings: (file.reading.kind == ArtifactKind::Findings)
            .then_some(file.derived_count)
            .flatten(),
        posture: None,
    }
}

fn print_text(out: &mut dyn Write, output: &PushOutput) -> Result<(), Error> {
    writeln!(out, "appended entry {} (sha256 {}) to {}", output.seq, output.hash, output.store)?;
    for artifact in &output.artifacts {
        let record = artifact.record;
        let stored = if artifact.new { "" } else { " (already stored)" };
        writeln!(
            out,
            "  {:<17} {}  {}{stored}",
            record.kind.as_str(),
            record.name,
            super::log::describe_artifact(record)
        )?;
    }
    Ok(())
}

/// The trusted root keyless bundles are checked against; the identity flags need one.
fn keyless_policy(args: &PushArgs) -> Result<Option<std::sync::Arc<KeylessPolicy>>, Error> {
    let Some(path) = &args.trusted_root else {
        if args.certificate_identity.is_some() || args.certificate_oidc_issuer.is_some() {
            let problem =
                "--certificate-identity and --certificate-oidc-issuer need --trusted-root";
            return Err(SettingsError::Missing(problem.to_string()).into());
        }
        return Ok(None);
    };
    let policy = KeylessPolicy::load(
        path,
        args.certificate_identity.clone(),
        args.certificate_oidc_issuer.clone(),
    )
    .map_err(SettingsError::Missing)?;
    Ok(Some(std::sync::Arc::new(policy)))
}
