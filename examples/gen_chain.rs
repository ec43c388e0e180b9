//! Writes a local store holding a chain of many entries, as `locker push` would have left it
//! after one push per report: each entry names the report and its derived findings, and is
//! signed with the key.
//!
//! The reports are either ENTRIES builds of one real Trivy SARIF report (each names another
//! image build, so new bytes), or the files of a plan, one `TIME PROJECT PATH` line per push
//! (what `benches/gen_quarter.py` prints).
//!
//! Pushing one by one would spend most of its time listing the chain to find its head; this
//! keeps the head in memory and writes the store's files directly, without fsync.
//!
//! usage: gen_chain STORE_DIR KEY_FILE ENTRIES
//!        gen_chain STORE_DIR KEY_FILE --plan PLAN_FILE

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
    let (store, key, pushes): (_, _, Box<dyn Iterator<Item = Push>>) = match args.as_slice() {
        [_, store, key, flag, plan] if flag == "--plan" => (store, key, Box::new(planned(plan))),
        [_, store, key, entries] => {
            let entries = entries.parse().expect("ENTRIES is a number");
            (store, key, Box::new(builds(entries)))
        }
        _ => {
            eprintln!("usage: gen_chain STORE_DIR KEY_FILE (ENTRIES | --plan PLAN_FILE)");
            std::process::exit(2);
        }
    };
    let store = PathBuf::from(store);
    let key = SigningKey::load(Path::new(key)).expect("a signing key from `locker keygen`");

    let public = key.public_key();
    write(&store, &layout::public_key_key(key.id().as_str()), public.to_pem().as_bytes());
    let mut previous = None;
    for (seq, push) in pushes.enumerate() {
        let seq = seq as u64;
        let artifacts = store_report(&store, &push.name, &push.report);
        let (time, ci) =
            (push.time, CiContext { project: Some(push.project), ..Default::default() });
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
        if (seq + 1).is_multiple_of(10_000) {
            eprintln!("{} entries", seq + 1);
        }
    }
}

/// One push: a report, its name, when and by which project it was pushed.
struct Push {
    name: String,
    report: Vec<u8>,
    time: DateTime<Utc>,
    project: String,
}

/// `entries` builds of the Trivy fixture, five minutes apart, from 50 images of 7 teams.
fn builds(entries: u64) -> impl Iterator<Item = Push> {
    let template: serde_json::Value = serde_json::from_str(TEMPLATE).expect("the fixture");
    let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("a time");
    (0..entries).map(move |seq| Push {
        name: format!("trivy-{seq}.sarif"),
        report: build_report(&template, seq),
        time: start + Duration::minutes(5 * seq as i64),
        project: format!("team{}/service{}", seq % 7, seq % 50),
    })
}

/// The pushes of a plan file, in its order; each report is read when its turn comes.
fn planned(plan: &str) -> impl Iterator<Item = Push> {
    let plan = std::fs::read_to_string(plan).expect("a plan file");
    let lines: Vec<String> = plan.lines().map(str::to_string).collect();
    lines.into_iter().filter(|l| !l.trim().is_empty()).map(|line| {
        let [time, project, path] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            panic!("a plan line is TIME PROJECT PATH, not {line:?}");
        };
        Push {
            name: path.to_string(),
            report: std::fs::read(path).expect("the plan's report"),
            time: time.parse().expect("an RFC 3339 time"),
            project: project.to_string(),
        }
    })
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
fn store_report(store: &Path, name: &str, report: &[u8]) -> Vec<ArtifactRecord> {
    let reading = ingest::read_bytes(report, None).expect("the report reads");
    let name = name.to_string();
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
