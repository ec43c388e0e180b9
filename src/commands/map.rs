//! `locker map FILE...`: which controls the findings of these reports would touch.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::print_json;
use crate::cli::MapArgs;
use crate::error::{Error, ExitStatus};
use crate::findings::Finding;
use crate::ingest::{self, IngestOptions};
use crate::settings::Settings;

#[derive(Serialize)]
struct Mapped<'a> {
    file: &'a str,
    #[serde(flatten)]
    finding: &'a Finding,
    rules: Vec<&'a str>,
    controls: Vec<String>,
}

pub(super) fn run(
    settings: &Settings,
    args: &MapArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let controls = settings.controls()?;
    let options = IngestOptions {
        kind: args.kind,
        max_report_size: settings.max_report_size,
        ..IngestOptions::default()
    };
    let mut files = Vec::new();
    for path in &args.files {
        let mut file = ingest::ingest(path, &options)?;
        let findings = file.reading.findings.take().unwrap_or_default();
        files.push((file.name, findings));
    }

    let mut mapped = Vec::new();
    let mut per_control: BTreeMap<String, usize> = BTreeMap::new();
    for (name, findings) in &files {
        for finding in findings {
            let rules = controls.rules_for_finding(finding);
            let mut refs: Vec<String> =
                rules.iter().flat_map(|r| r.controls.iter().map(|c| c.to_string())).collect();
            refs.sort();
            refs.dedup();
            for reference in &refs {
                *per_control.entry(reference.clone()).or_default() += 1;
            }
            mapped.push(Mapped {
                file: name,
                finding,
                rules: rules.iter().map(|r| r.id.as_str()).collect(),
                controls: refs,
            });
        }
    }

    if json {
        print_json(out, &serde_json::json!({ "findings": mapped, "controls": per_control }))?;
        return Ok(ExitStatus::Success);
    }
    for (reference, count) in &per_control {
        writeln!(out, "{reference:<32} {}", super::count(*count as u64, "finding", "findings"))?;
    }
    let unmapped = mapped.iter().filter(|m| m.controls.is_empty()).count();
    writeln!(
        out,
        "{} in {}, {} mapped to no control",
        super::count(mapped.len() as u64, "finding", "findings"),
        super::count(files.len() as u64, "report", "reports"),
        unmapped
    )?;
    Ok(ExitStatus::Success)
}
