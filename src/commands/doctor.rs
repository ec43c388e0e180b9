//! `locker doctor`: check the store's posture, and with `--record` keep the outcome in the
//! chain as evidence.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::print_json;
use crate::chain::{Appended, ArtifactRecord};
use crate::ci::CiContext;
use crate::cli::DoctorArgs;
use crate::digest::Sha256;
use crate::error::{Error, ExitStatus};
use crate::ingest::{ArtifactKind, Ingested, Reading};
use crate::settings::Settings;
use crate::store::S3Store;
use crate::store::posture::{self, Check, Status};

/// The name posture records are archived under.
const POSTURE_NAME: &str = "store-posture.json";

pub(super) fn run(
    settings: &Settings,
    args: &DoctorArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let key = if args.record { Some(settings.signing_key()?) } else { None };
    let checks = if settings.store.starts_with("s3://") {
        posture::check_s3(&S3Store::open(&settings.store, settings.s3.clone())?)?
    } else {
        posture::check_local(settings.open_store()?.as_ref())?
    };
    let ok = checks.iter().all(|c| c.status != Status::Fail);
    let recorded = match &key {
        Some(key) => Some(record(settings, key, &checks, args.time.unwrap_or_else(Utc::now))?),
        None => None,
    };

    if json {
        let recorded = recorded.as_ref().map(|a| json!({ "seq": a.seq, "hash": a.hash }));
        let mut report = json!({ "ok": ok, "store": settings.store, "checks": checks });
        if let Some(recorded) = recorded {
            report["recorded"] = recorded;
        }
        print_json(out, &report)?;
    } else {
        for check in &checks {
            let status = match check.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            writeln!(out, "{status:<5} {:<19} {}", check.id, check.detail)?;
            if let Some(fix) = &check.fix {
                writeln!(out, "      fix: {fix}")?;
            }
        }
        if let Some(appended) = &recorded {
            writeln!(out, "recorded as entry {} (sha256 {})", appended.seq, appended.hash)?;
        }
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::CheckFailed })
}

/// Appends the checks to the chain: the full report as an artifact, and each check's outcome
/// in the entry itself so control states read it without fetching anything.
fn record(
    settings: &Settings,
    key: &crate::keys::SigningKey,
    checks: &[Check],
    time: DateTime<Utc>,
) -> Result<Appended, Error> {
    let report = json!({ "store": settings.store, "checks": checks });
    let bytes = serde_json::to_vec_pretty(&report).map_err(std::io::Error::other)?;
    let file = Ingested {
        name: POSTURE_NAME.to_string(),
        path: PathBuf::from(POSTURE_NAME),
        size: bytes.len() as u64,
        sha256: Sha256::of(&bytes),
        bytes: Some(bytes),
        reading: Reading {
            kind: ArtifactKind::Posture,
            scan: None,
            signature: None,
            findings: None,
        },
        derived_from: None,
        derived_count: None,
    };
    let record = ArtifactRecord {
        name: file.name.clone(),
        sha256: file.sha256,
        size: file.size,
        kind: ArtifactKind::Posture,
        scan: None,
        signature: None,
        derived_from: None,
        findings: None,
        posture: Some(checks.iter().map(Check::item).collect()),
    };

    let store = settings.open_store()?;
    let ci = CiContext::from_env();
    let (appended, _) = super::push::archive(store.as_ref(), key, &[file], &[record], time, &ci)?;
    Ok(appended)
}
