//! `locker bundle`: a period's evidence, proofs, report and exports in one file an auditor
//! checks offline with `locker verify --bundle`.

use std::io::Write;

use serde_json::json;

use super::export::files_of;
use super::print_json;
use super::report::{framework_of, generation_time, predicate_of, write_atomically};
use crate::bundle::Bundle;
use crate::chain::StoredEntry;
use crate::checkpoint::{self, Checkpoint, merkle};
use crate::cli::BundleArgs;
use crate::digest::Sha256;
use crate::error::{Error, ExitStatus};
use crate::export::ExportFormat;
use crate::keys::{SigningKey, TrustSet};
use crate::report::signing;
use crate::report::{Assessment, Charts, Format, Inputs, ReportData, Templates};
use crate::settings::{Settings, SettingsError};
use crate::store::{Store, layout};

pub(super) fn create(
    settings: &Settings,
    args: &BundleArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    // 1. Everything checked before reading the store.
    let key = settings.signing_key()?;
    let trust = settings.trust_set()?;
    let controls = settings.controls()?;
    let exceptions = settings.exceptions()?;
    let framework = framework_of(&args.framework, &controls)?;
    let templates = Templates::load(None)?;
    let generated_at = generation_time(args.generated_at)?;
    let at = args.period.as_of(generated_at);
    let store = settings.open_store()?;
    let assessment =
        Assessment::gather(store.as_ref(), &controls, framework, args.period, at, Some(&trust))?;

    // 2. The period's entries, and the checkpoint that covers the last of them.
    let period: Vec<&StoredEntry> = assessment
        .entries
        .iter()
        .filter(|e| {
            e.statement()
                .is_some_and(|s| args.period.contains(s.predicate.time) && s.predicate.time <= at)
        })
        .collect();
    let Some(last) = period.iter().map(|e| e.seq).max() else {
        return Err(usage(format!("no entry in {}", args.period)));
    };
    let (head, note) = covering_checkpoint(store.as_ref(), &trust, &assessment.entries, last)?;

    // 3. Entries, proofs, artifacts and signers' keys, in the store's layout.
    let mut bundle = Bundle::default();
    bundle.files.insert(checkpoint::key(head.size), note.into_bytes());
    let leaves = checkpoint::leaves(&assessment.entries[..head.size as usize])
        .map_err(|gap| usage(format!("entry {gap} is missing; run `locker verify`")))?;
    for entry in &period {
        add_entry(&mut bundle, store.as_ref(), entry, &leaves, head.size)?;
    }

    // 4. The report and exports, each signed beside.
    add_report_and_exports(
        &mut bundle,
        &key,
        &assessment,
        &templates,
        settings,
        store.as_ref(),
        &controls,
        framework,
        &exceptions,
        generated_at,
    )?;

    let bytes = bundle.to_tar_gz(generated_at.timestamp().max(0) as u64)?;
    write_atomically(&args.out, &bytes)?;
    let sha256 = Sha256::of(&bytes);
    if json {
        print_json(
            out,
            &json!({ "path": args.out, "sha256": sha256, "entries": period.len(), "checkpoint": head.size, "files": bundle.files.len() }),
        )?;
    } else {
        writeln!(
            out,
            "{}  sha256 {sha256}: {} entries of {}, checkpoint of {} entries, {} files",
            args.out.display(),
            period.len(),
            args.period.label(),
            head.size,
            bundle.files.len()
        )?;
    }
    Ok(ExitStatus::Success)
}

/// The checkpoint the period is proved against.
fn covering_checkpoint(
    store: &dyn Store,
    trust: &TrustSet,
    entries: &[StoredEntry],
    last: u64,
) -> Result<(Checkpoint, String), Error> {
    checkpoint::covering(store, trust, entries, last)?.ok_or_else(|| {
        usage(format!(
            "no checkpoint signed by a trusted key covers entry {last}: run `locker checkpoint`"
        ))
    })
}

fn add_entry(
    bundle: &mut Bundle,
    store: &dyn Store,
    entry: &StoredEntry,
    leaves: &[merkle::Hash],
    size: u64,
) -> Result<(), Error> {
    let bytes = store.get(&entry.key)?.ok_or_else(|| usage(format!("{} vanished", entry.key)))?;
    bundle.files.insert(entry.key.clone(), bytes);
    let path = merkle::inclusion_proof(entry.seq as usize, &leaves[..size as usize]);
    let proof = json!({
        "leaf_index": entry.seq,
        "tree_size": size,
        "leaf_hash": base64(&entry.leaf),
        "inclusion_path": path.iter().map(base64).collect::<Vec<_>>(),
    });
    bundle.files.insert(
        format!("proofs/{}.json", entry.seq),
        serde_json::to_vec_pretty(&proof).map_err(std::io::Error::other)?,
    );

    let Ok((envelope, statement)) = &entry.content else { return Ok(()) };
    for artifact in &statement.predicate.artifacts {
        let key = layout::artifact_key(&artifact.sha256);
        if let Some(bytes) = store.get(&key)? {
            bundle.files.insert(key, bytes);
        }
    }
    for id in envelope.key_ids() {
        let key = layout::public_key_key(id.as_str());
        if let Some(bytes) = store.get(&key)? {
            bundle.files.insert(key, bytes);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn add_report_and_exports(
    bundle: &mut Bundle,
    key: &SigningKey,
    assessment: &Assessment,
    templates: &Templates,
    settings: &Settings,
    store: &dyn Store,
    controls: &crate::controls::Controls,
    framework: Option<&str>,
    exceptions: &crate::findings::exceptions::Exceptions,
    generated_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    let inputs = Inputs {
        label: assessment.period.label(),
        generated_at,
        store: settings.store.clone(),
        controls,
        framework,
        exceptions,
    };
    let data = ReportData::build(assessment, &inputs);
    let charts = Charts::draw(&data.remediation, &data.coverage)
        .map_err(|e| Error::Output(std::io::Error::other(e)))?;
    let predicate = predicate_of(&data);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for format in [Format::Html, Format::Md, Format::Json] {
        files.push((
            format.file_name().to_string(),
            templates.render(format, &data, Some(&charts))?,
        ));
    }
    for format in [ExportFormat::Oscal, ExportFormat::Csv, ExportFormat::Json] {
        for (name, bytes) in files_of(format, assessment, store, controls, framework, generated_at)?
        {
            files.push((name.to_string(), bytes));
        }
    }
    for (name, bytes) in files {
        let signature = signing::sign(&name, &bytes, predicate.clone(), key);
        bundle.files.insert(format!("report/{name}.dsse.json"), signature);
        bundle.files.insert(format!("report/{name}"), bytes);
    }
    Ok(())
}

fn base64(hash: &merkle::Hash) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(hash)
}

fn usage(message: String) -> Error {
    SettingsError::Missing(message).into()
}
