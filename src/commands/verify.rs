//! `locker verify`: check the whole store against pinned keys.

use std::io::Write;

use super::{count, print_json};
use crate::chain::{self, VerifyOptions};
use crate::cli::VerifyArgs;
use crate::error::{Error, ExitStatus};
use crate::settings::Settings;

pub(super) fn run(
    settings: &Settings,
    args: &VerifyArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let trust = settings.trust_set()?;
    if let Some(path) = &args.bundle {
        return verify_bundle(path, &trust, json, out);
    }
    let store = settings.open_store()?;
    store.ensure_readable()?;

    let options = VerifyOptions {
        expect_head: args.expect_head,
        min_length: args.min_length,
        check_retention: args.check_retention,
    };
    let verification = chain::verify(store.as_ref(), &trust, &options)?;

    if json {
        print_json(out, &verification)?;
    } else {
        for problem in &verification.problems {
            let seq = problem.seq.map_or("-".to_string(), |s| s.to_string());
            let path = problem.path.as_deref().unwrap_or("-");
            writeln!(out, "{:<21} entry {seq:<6} {path}", problem.code.as_str())?;
            writeln!(out, "    {}", problem.message)?;
        }
        let head = verification.head.as_ref().map_or("no entries yet".to_string(), |h| {
            format!("head entry {} sha256 {}", h.seq, h.hash)
        });
        let verdict = if verification.ok { "ok" } else { "FAILED" };
        writeln!(
            out,
            "{verdict}: {}, {} checked against {}, {}; {head}",
            count(verification.entries, "entry", "entries"),
            count(verification.artifacts, "artifact", "artifacts"),
            count(trust.keys().len() as u64, "trusted key", "trusted keys"),
            count(verification.problems.len() as u64, "problem", "problems"),
        )?;
    }
    Ok(if verification.ok { ExitStatus::Success } else { ExitStatus::CheckFailed })
}

/// Checks an auditor bundle with no store, against the pinned keys only.
fn verify_bundle(
    path: &std::path::Path,
    trust: &crate::keys::TrustSet,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let unreadable = |problem: String| {
        crate::settings::SettingsError::Missing(format!("{}: {problem}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let bundle =
        crate::bundle::Bundle::from_tar_gz(std::io::BufReader::new(file)).map_err(unreadable)?;
    let problems = crate::bundle::verify(&bundle, trust);

    if json {
        print_json(
            out,
            &serde_json::json!({ "ok": problems.is_empty(), "files": bundle.files.len(), "problems": problems }),
        )?;
    } else {
        for problem in &problems {
            writeln!(out, "{:<24} {}", problem.code, problem.path)?;
            writeln!(out, "    {}", problem.message)?;
        }
        let verdict = if problems.is_empty() { "ok" } else { "FAILED" };
        writeln!(
            out,
            "{verdict}: bundle {}, {} files, {} problem(s)",
            path.display(),
            bundle.files.len(),
            problems.len()
        )?;
    }
    Ok(if problems.is_empty() { ExitStatus::Success } else { ExitStatus::CheckFailed })
}
