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
