//! `locker report` and `locker verify-report`.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use tracing::{debug, info};

use super::print_json;
use crate::cli::{ReportArgs, VerifyReportArgs};
use crate::digest::Sha256;
use crate::error::{Error, ExitStatus};
use crate::report::signing::{self, ReportPredicate};
use crate::report::{Assessment, Charts, Format, Inputs, ReportData, Templates};
use crate::settings::{Settings, SettingsError};

pub(super) fn run(
    settings: &Settings,
    args: &ReportArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    // 1. Everything that can be wrong with the command is checked before reading the store.
    debug!(period = %args.period.label(), "report started");
    let key = settings.signing_key()?;
    let controls = settings.controls()?;
    let exceptions = settings.exceptions()?;
    let framework = framework_of(&args.framework, &controls)?;
    let templates = Templates::load(args.templates.as_deref())?;
    let formats = formats_of(&args.format);
    let generated_at = generation_time(args.generated_at)?;
    let at = args.period.as_of(generated_at);
    let trust = settings.trust_set().ok();

    // 2. The period's evidence, then the report data and charts.
    let store = settings.open_store()?;
    let assessment =
        Assessment::gather(store.as_ref(), &controls, framework, args.period, at, trust.as_ref())?;
    let inputs = Inputs {
        label: args.period.label(),
        generated_at,
        store: settings.store.clone(),
        controls: &controls,
        framework,
        exceptions: &exceptions,
    };
    let data = ReportData::build(&assessment, &inputs);
    debug!("report data built");
    let charts = match formats.contains(&Format::Html) {
        true => Some(Charts::draw(&data.remediation, &data.coverage).map_err(chart_error)?),
        false => None,
    };
    debug!("charts drawn");

    // 3. Each file rendered in full, then written with its signature beside it.
    let predicate = predicate_of(&data);
    let mut written = Vec::new();
    std::fs::create_dir_all(&args.out).map_err(|e| output_error(&args.out, e))?;
    for format in formats {
        let bytes = templates.render(format, &data, charts.as_ref())?;
        debug!(file = format.file_name(), "rendered");
        let path = args.out.join(format.file_name());
        let signature = signing::sign(format.file_name(), &bytes, predicate.clone(), &key);
        write_atomically(&path, &bytes)?;
        write_atomically(&signing::signature_path(&path), &signature)?;
        info!(path = %path.display(), "report written");
        written.push((path, Sha256::of(&bytes)));
    }

    if json {
        let files: Vec<_> = written
            .iter()
            .map(|(path, sha256)| json!({ "path": path, "sha256": sha256, "signature": signing::signature_path(path) }))
            .collect();
        print_json(
            out,
            &json!({ "period": data.period.label, "as_of": data.as_of, "files": files }),
        )?;
    } else {
        for (path, sha256) in &written {
            writeln!(
                out,
                "{}  sha256 {sha256}  signed in {}",
                path.display(),
                signing::signature_path(path).display()
            )?;
        }
    }
    Ok(ExitStatus::Success)
}

pub(super) fn verify(
    settings: &Settings,
    args: &VerifyReportArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let trust = settings.trust_set()?;
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| SettingsError::Missing(format!("{}: {e}", path.display())))
    };
    let bytes = read(&args.file)?;
    let signature = read(&signing::signature_path(&args.file))?;

    let outcome = signing::check(&bytes, &signature, &trust);
    if json {
        let report = match &outcome {
            Ok(checked) => json!({ "ok": true, "file": args.file, "signature": checked }),
            Err(problems) => json!({ "ok": false, "file": args.file, "problems": problems }),
        };
        print_json(out, &report)?;
    } else {
        match &outcome {
            Ok(checked) => writeln!(
                out,
                "ok: {} (sha256 {}) signed by {} for {}, generated {}",
                args.file.display(),
                checked.sha256,
                checked.key_id,
                checked.predicate.period,
                checked.predicate.generated_at
            )?,
            Err(problems) => {
                for problem in problems {
                    writeln!(out, "FAIL {}: {problem}", args.file.display())?;
                }
            }
        }
    }
    Ok(if outcome.is_ok() { ExitStatus::Success } else { ExitStatus::CheckFailed })
}

pub(super) fn framework_of<'a>(
    framework: &'a str,
    controls: &crate::controls::Controls,
) -> Result<Option<&'a str>, SettingsError> {
    if framework == "all" {
        return Ok(None);
    }
    if controls.frameworks.iter().any(|f| f.id == framework) {
        return Ok(Some(framework));
    }
    let known: Vec<&str> = controls.frameworks.iter().map(|f| f.id.as_str()).collect();
    Err(SettingsError::Missing(format!(
        "unknown framework {framework:?}: one of {}, or all",
        known.join(", ")
    )))
}

/// What every signature of a period's report and exports says besides the file's digest.
pub(super) fn predicate_of(data: &ReportData) -> ReportPredicate {
    ReportPredicate {
        period: data.period.label.clone(),
        generated_at: data.generated_at.to_rfc3339(),
        chain_head: data
            .chain
            .head_seq
            .zip(data.chain.head_hash.clone())
            .map(|(s, h)| format!("{s}:{h}")),
    }
}

pub(super) fn formats_of(asked: &[Format]) -> Vec<Format> {
    let mut formats = if asked.is_empty() {
        vec![Format::Html, Format::Md, Format::Json]
    } else {
        asked.to_vec()
    };
    formats.sort();
    formats.dedup();
    formats
}

/// `--generated-at`, else `SOURCE_DATE_EPOCH` (reproducible builds' convention), else now.
pub(super) fn generation_time(flag: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, SettingsError> {
    if let Some(time) = flag {
        return Ok(time);
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| Utc.timestamp_opt(s, 0).single())
            .ok_or_else(|| {
                SettingsError::Missing(format!("SOURCE_DATE_EPOCH={text:?} is not a Unix time"))
            }),
        Err(_) => Ok(Utc::now()),
    }
}

/// Writes `bytes` to a scratch file beside `path` and renames it into place, so that a
/// reader never sees half a report.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut scratch = path.as_os_str().to_os_string();
    scratch.push(".partial");
    let scratch = std::path::PathBuf::from(scratch);
    std::fs::write(&scratch, bytes).map_err(|e| output_error(&scratch, e))?;
    std::fs::rename(&scratch, path).map_err(|e| output_error(path, e))?;
    Ok(())
}

fn output_error(path: &Path, error: std::io::Error) -> Error {
    SettingsError::Missing(format!("{}: {error}", path.display())).into()
}

fn chart_error(problem: String) -> Error {
    Error::Output(std::io::Error::other(format!("drawing a chart failed: {problem}")))
}
