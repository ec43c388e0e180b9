//! `locker log`: list the entries. It reads and decodes, but does not verify.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::print_json;
use crate::chain::{ArtifactRecord, load_entries};
use crate::ci::CiContext;
use crate::cli::LogArgs;
use crate::digest::Sha256;
use crate::error::{Error, ExitStatus};
use crate::settings::Settings;

/// One entry as `log --json` shows it.
#[derive(Serialize)]
struct LogEntry<'a> {
    seq: u64,
    hash: Sha256,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<DateTime<Utc>>,
    signers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci: Option<&'a CiContext>,
    artifacts: &'a [ArtifactRecord],
    /// Why the entry could not be decoded, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<&'a str>,
}

#[derive(Serialize)]
struct LogOutput<'a> {
    entries: Vec<LogEntry<'a>>,
}

pub(super) fn run(
    settings: &Settings,
    _args: &LogArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let store = settings.open_store()?;
    store.ensure_readable()?;
    let (stored, _) = load_entries(store.as_ref())?;

    let entries: Vec<LogEntry> = stored
        .iter()
        .map(|entry| {
            let decoded = entry.content.as_ref().ok();
            let statement = decoded.map(|(_, s)| s);
            LogEntry {
                seq: entry.seq,
                hash: entry.hash,
                path: &entry.key,
                time: statement.map(|s| s.predicate.time),
                signers: decoded
                    .map(|(e, _)| e.key_ids().iter().map(|k| k.to_string()).collect())
                    .unwrap_or_default(),
                ci: statement.map(|s| &s.predicate.ci),
                artifacts: statement.map(|s| s.predicate.artifacts.as_slice()).unwrap_or_default(),
                unreadable: entry.content.as_ref().err().map(String::as_str),
            }
        })
        .collect();

    if json {
        print_json(out, &LogOutput { entries })?;
    } else {
        print_text(out, &entries)?;
    }
    Ok(ExitStatus::Success)
}

fn print_text(out: &mut dyn Write, entries: &[LogEntry]) -> Result<(), Error> {
    if entries.is_empty() {
        writeln!(out, "no entries yet")?;
    }
    for entry in entries {
        let time = entry
            .time
            .map_or("-".to_string(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let signer = entry.signers.first().map_or("-", |s| &s[..s.len().min(12)]);
        writeln!(out, "entry {}  {time}  sha256 {}  key {signer}", entry.seq, entry.hash.short())?;
        if let Some(why) = entry.unreadable {
            writeln!(out, "  unreadable: {why}")?;
            continue;
        }
        if let Some(ci) = entry.ci.filter(|ci| **ci != CiContext::default()) {
            writeln!(out, "  ci: {}", ci.describe())?;
        }
        for artifact in entry.artifacts {
            writeln!(
                out,
                "  {:<17} {}  {}",
                artifact.kind.as_str(),
                artifact.name,
                describe_artifact(artifact)
            )?;
        }
    }
    Ok(())
}

/// A short description of what an artifact holds, for text output.
pub(super) fn describe_artifact(record: &ArtifactRecord) -> String {
    if let Some(scan) = &record.scan {
        let tools: Vec<String> = scan
            .runs
            .iter()
            .map(|r| match &r.version {
                Some(v) => format!("{} {v}", r.tool),
                None => r.tool.clone(),
            })
            .collect();
        let failed = if scan.failed_runs > 0 {
            format!(", {} FAILED run(s)", scan.failed_runs)
        } else {
            String::new()
        };
        let results = super::count(scan.results, "result", "results");
        return format!("{}: {results} ({}){failed}", tools.join(", "), scan.by_severity);
    }
    if let (Some(count), Some(source)) = (record.findings, record.derived_from) {
        let findings = super::count(count, "finding", "findings");
        return format!("{findings} derived from {}", source.short());
    }
    if let Some(signature) = &record.signature {
        let digests: Vec<&str> = signature.signed.iter().map(|s| s.digest.as_str()).collect();
        return format!("signs {}", digests.join(", "));
    }
    format!("{} bytes", record.size)
}
