//! `locker export`: the period's control states and findings as OSCAL, CSV or JSON.

use std::io::Write;

use serde_json::json;

use super::print_json;
use super::report::{framework_of, generation_time, write_atomically};
use crate::cli::ExportArgs;
use crate::digest::Sha256;
use crate::error::{Error, ExitStatus};
use crate::export::oscal::{self, OscalInputs};
use crate::export::{ExportFormat, JsonExport, SCHEMA, rows, spreadsheet};
use crate::report::Assessment;
use crate::report::data::chain_info;
use crate::settings::Settings;

pub(super) fn run(
    settings: &Settings,
    args: &ExportArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let controls = settings.controls()?;
    let framework = framework_of(&args.framework, &controls)?;
    let generated_at = generation_time(args.generated_at)?;
    let at = args.period.as_of(generated_at);
    let trust = settings.trust_set().ok();
    let store = settings.open_store()?;
    let assessment =
        Assessment::gather(store.as_ref(), &controls, framework, args.period, at, trust.as_ref())?;

    let named =
        files_of(args.format, &assessment, store.as_ref(), &controls, framework, generated_at)?;
    let files: Vec<(std::path::PathBuf, Vec<u8>)> = match args.format {
        ExportFormat::Csv => {
            std::fs::create_dir_all(&args.out).map_err(|e| {
                crate::settings::SettingsError::Missing(format!("{}: {e}", args.out.display()))
            })?;
            named.into_iter().map(|(name, bytes)| (args.out.join(name), bytes)).collect()
        }
        _ => named.into_iter().map(|(_, bytes)| (args.out.clone(), bytes)).collect(),
    };

    for (path, bytes) in &files {
        write_atomically(path, bytes)?;
    }
    if json {
        let written: Vec<_> =
            files.iter().map(|(p, b)| json!({ "path": p, "sha256": Sha256::of(b) })).collect();
        print_json(out, &json!({ "period": args.period.label(), "files": written }))?;
    } else {
        for (path, bytes) in &files {
            writeln!(out, "{}  sha256 {}", path.display(), Sha256::of(bytes))?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The files of one export format, by name: `assessment-results.json`, `export.json`, or
/// `controls.csv` and `findings.csv`.
pub(super) fn files_of(
    format: ExportFormat,
    assessment: &Assessment,
    store: &dyn crate::store::Store,
    controls: &crate::controls::Controls,
    framework: Option<&str>,
    generated_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
    let label = assessment.period.label();
    Ok(match format {
        ExportFormat::Oscal => {
            let inputs = OscalInputs { label, generated_at, store, controls, framework };
            let document = oscal::assessment_results(assessment, &inputs);
            vec![("assessment-results.json", pretty(&document))]
        }
        ExportFormat::Json => {
            let export = JsonExport {
                schema: SCHEMA,
                period: label,
                generated_at: generated_at.to_rfc3339(),
                as_of: assessment.at.to_rfc3339(),
                chain: chain_info(assessment),
                controls: rows::controls(assessment),
                findings: rows::findings(assessment, controls, framework),
            };
            vec![("export.json", pretty(&export))]
        }
        ExportFormat::Csv => {
            let csv_error = |e: csv::Error| Error::Output(std::io::Error::other(e));
            let controls_csv =
                spreadsheet::controls(&rows::controls(assessment)).map_err(csv_error)?;
            let findings = rows::findings(assessment, controls, framework);
            let findings_csv = spreadsheet::findings(&findings).map_err(csv_error)?;
            vec![("controls.csv", controls_csv), ("findings.csv", findings_csv)]
        }
    })
}

fn pretty(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("export data serialises");
    bytes.push(b'\n');
    bytes
}
