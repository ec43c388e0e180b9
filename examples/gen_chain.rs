//! Writes a local store holding a chain of many entries, as `locker push` would have left it
//! after that many pushes of one real Trivy SARIF report: each entry names the report (a new
//! build of an image, so new bytes) and its derived findings, and is signed with the key.
//!
//! Pushing one by one would spend most of its time listing the chain to find its head; this
//! keeps the head in memory and writes the store's files directly, without fsync.
//!
//! usage: cargo run --release --example gen_chain -- STORE_DIR KEY_FILE ENTRIES

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use locker::chain::{ArtifactRecord, EntryPredicate, Statement, ToolInfo};
use locker::ci::CiContext;
use locker::digest::Sha256;
use locker::findings::FindingsDocument;
use locker::ingest::{self, ArtifactKind};
use locker::keys::SigningKey;
use locker::store::layout;

const TEMPLATE: &str = include_str!("../tests/fixtures/public/trivy-alpine310-image.sarif");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, store, key, entries] = args.as_slice() else {
        eprintln!("usage: gen_chain STORE_DIR KEY_FILE ENTRIES");
        std::process::exit(2);
    };
    let store = PathBuf::from(store);
    let key = SigningKey::load(Path::new(key)).expect("a signing key from `locker keygen`");
    let entries: u64 = entries.parse().expect("ENTRIES is a number");
    let template: serde_json::Value = serde_json::from_str(TEMPLATE).expect("the fixture");

    let public = key.public_key();
    write(&store, &layout::public_key_key(key.id().as_str()), public.to_pem().as_bytes());
    let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("a time");
    let mut previous = None;
    for seq in 0..entries {
        let report = build_report(&template, seq);
        let artifacts = store_report(&store, &report, seq);
        let time = start + Duration::minutes(5 * seq as i64);
        let ci = CiContext {
            project: Some(format!("team{}/service{}", seq % 7, seq % 50)),
            ..Default::default()
        };
        let predicate = EntryPredicate {
            sequence: seq,
            previous,
            time,
            ci,
            artifacts,
            tool: ToolInfo::current(),
        };
        let bytes = Statement::new(predicate).seal(&key);
        write(&store, &layout::entry_key(seq), &bytes);
        previous = Some(Sha256::of(&bytes));
        if (seq + 1) % 10_000 == 0 {
            eprintln!("{} entries", seq + 1);
        }
    }
}

/// The fixture as scanned for another build of one of 50 images.
fn build_report(template: &serde_json::Value, seq: u64) -> Vec<u8> {
    let mut report = template.clone();
    let image = format!("registry.example/team{}/service{}:build-{seq}", seq % 7, seq % 50);
    let digest = format!("sha256:{}", Sha256::of(image.as_bytes()));
    let properties = &mut report["runs"][0]["properties"];
    properties["imageName"] = image.clone().into();
    properties["repoTags"] = serde_json::json!([image]);
    properties["repoDigests"] = serde_json::json!([format!("{image}@{digest}")]);
    serde_json::to_vec_pretty(&report).expect("JSON")
}

/// Stores the report and its derived findings; returns their records for the entry.
fn store_report(store: &Path, report: &[u8], seq: u64) -> Vec<ArtifactRecord> {
    let reading = ingest::read_bytes(report, None).expect("the fixture reads");
    let name = format!("trivy-{seq}.sarif");
    let sha256 = Sha256::of(report);
    let findings = reading.findings.expect("a report has findings");
    let count = findings.len() as u64;
    let derived = FindingsDocument::new(&name, sha256, findings).to_bytes();
    let derived_sha256 = Sha256::of(&derived);
    write(store, &layout::artifact_key(&sha256), report);
    write(store, &layout::artifact_key(&derived_sha256), &derived);

    let record = |name: String, sha256, size, kind| ArtifactRecord {
        name,
        sha256,
        size,
        kind,
        scan: None,
        signature: None,
        derived_from: None,
        findings: None,
        posture: None,
    };
    let mut report_record = record(name.clone(), sha256, report.len() as u64, reading.kind);
    report_record.scan = reading.scan;
    let mut findings_record = record(
        format!("{name}.findings.json"),
        derived_sha256,
        derived.len() as u64,
        ArtifactKind::Findings,
    );
    findings_record.derived_from = Some(sha256);
    findings_record.findings = Some(count);
    vec![report_record, findings_record]
}

fn write(store: &Path, key: &str, bytes: &[u8]) {
    let path = store.join(key);
    std::fs::create_dir_all(path.parent().expect("keys have a directory")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}
