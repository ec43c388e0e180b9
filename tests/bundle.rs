//! `locker bundle` and `locker verify --bundle`: a period packed for an auditor verifies on an
//! empty directory with no store, against pinned keys only, and any swapped file is named.

mod util;

use std::process::Command;

use locker::bundle::Bundle;
use serde_json::Value;
use util::{Workspace, public_fixture};

/// Two pushes in 2026-Q3, one after it, and a checkpoint over all three.
fn store_with_checkpoint() -> Workspace {
    let ws = Workspace::new();
    let trivy = ws.add(&public_fixture("trivy-alpine39-image.json"), "trivy.json");
    let grype = ws.add(&public_fixture("grype-image.sarif"), "grype.sarif");
    ws.run(&["push", "--key", "ci.key", "--time", "2026-07-03T10:00:00Z", &trivy]).expect(0);
    ws.run(&["push", "--key", "ci.key", "--time", "2026-08-03T10:00:00Z", &grype]).expect(0);
    ws.run(&["push", "--key", "ci.key", "--time", "2026-10-03T10:00:00Z", &trivy]).expect(0);
    ws.run(&["checkpoint", "--key", "ci.key", "--trusted-key", "ci.key.pub"]).expect(0);
    ws
}

fn bundle(ws: &Workspace, out: &str) -> Value {
    let args = [
        "bundle",
        "--key",
        "ci.key",
        "--trusted-key",
        "ci.key.pub",
        "--period",
        "2026-Q3",
        "--generated-at",
        "2026-10-05T00:00:00Z",
        "--out",
        out,
        "--json",
    ];
    ws.run(&args).expect(0).json()
}

/// `locker verify --bundle` in a new, empty directory holding only the bundle and the pinned
/// public key: no store, no settings.
fn verify_elsewhere(ws: &Workspace, bundle: &str, key: &str) -> (i32, Value) {
    let empty = tempfile::tempdir().unwrap();
    std::fs::copy(ws.path(bundle), empty.path().join("audit.tar.gz")).unwrap();
    std::fs::copy(ws.path(key), empty.path().join("pinned.pub")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_locker"))
        .env_clear()
        .current_dir(empty.path())
        .args(["verify", "--bundle", "audit.tar.gz", "--trusted-key", "pinned.pub", "--json"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    let left: Vec<_> =
        std::fs::read_dir(empty.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "verify wrote nothing there: {left:?}");
    (output.status.code().unwrap(), json)
}

fn codes(json: &Value) -> Vec<(String, String)> {
    json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap().to_string(), p["path"].as_str().unwrap().to_string()))
        .collect()
}

fn rewrite(ws: &Workspace, from: &str, to: &str, edit: impl FnOnce(&mut Bundle)) {
    let mut bundle = Bundle::from_tar_gz(std::fs::File::open(ws.path(from)).unwrap()).unwrap();
    edit(&mut bundle);
    ws.write(to, &bundle.to_tar_gz(0).unwrap());
}

#[test]
fn a_bundle_verifies_offline_with_pinned_keys_only() {
    let ws = store_with_checkpoint();
    let made = bundle(&ws, "audit.tar.gz");
    assert_eq!(made["entries"], 2, "only the period's entries");
    assert_eq!(made["checkpoint"], 3);

    let (status, json) = verify_elsewhere(&ws, "audit.tar.gz", "ci.key.pub");
    assert_eq!(status, 0, "{json}");
    assert_eq!(json["ok"], true);

    let contents =
        Bundle::from_tar_gz(std::fs::File::open(ws.path("audit.tar.gz")).unwrap()).unwrap();
    let paths: Vec<&String> = contents.files.keys().collect();
    for expected in [
        "checkpoints/00000000000000000003",
        "proofs/0.json",
        "proofs/1.json",
        "report/report.html",
        "report/report.html.dsse.json",
        "report/assessment-results.json",
        "report/findings.csv",
    ] {
        assert!(paths.iter().any(|p| *p == expected), "{expected} missing from {paths:?}");
    }
    assert!(!paths.iter().any(|p| p.ends_with("00000000000000000002")), "entry 2 is after Q3");

    // The report and the OSCAL export name the checkpoint the period ends on.
    let report: Value = serde_json::from_slice(&contents.files["report/report.json"]).unwrap();
    assert_eq!(report["chain"]["checkpoint"]["size"], 3);
    let oscal: Value =
        serde_json::from_slice(&contents.files["report/assessment-results.json"]).unwrap();
    let props = &oscal["assessment-results"]["results"][0]["props"][0];
    assert_eq!(props["name"], "checkpoint");
    assert!(props["value"].as_str().unwrap().starts_with("3 entries, root "), "{props}");

    // The same period and options give the same bytes.
    bundle(&ws, "again.tar.gz");
    assert!(
        std::fs::read(ws.path("audit.tar.gz")).unwrap()
            == std::fs::read(ws.path("again.tar.gz")).unwrap()
    );
}

#[test]
fn a_swapped_artifact_report_or_key_is_named() {
    let ws = store_with_checkpoint();
    bundle(&ws, "audit.tar.gz");

    let mut swapped = String::new();
    rewrite(&ws, "audit.tar.gz", "swapped.tar.gz", |b| {
        let key = b.files.keys().find(|k| k.starts_with("objects/")).unwrap().clone();
        b.files.insert(key.clone(), b"other bytes".to_vec());
        swapped = key;
    });
    let (status, json) = verify_elsewhere(&ws, "swapped.tar.gz", "ci.key.pub");
    assert_eq!(status, 1);
    assert_eq!(codes(&json), [("artifact-modified".to_string(), swapped)]);

    rewrite(&ws, "audit.tar.gz", "report.tar.gz", |b| {
        let report = b.files.get_mut("report/findings.csv").unwrap();
        report.extend_from_slice(b"forged,row\n");
    });
    let (status, json) = verify_elsewhere(&ws, "report.tar.gz", "ci.key.pub");
    assert_eq!(status, 1);
    assert_eq!(codes(&json), [("report-invalid".to_string(), "report/findings.csv".to_string())]);

    rewrite(&ws, "audit.tar.gz", "proof.tar.gz", |b| {
        b.files.insert("proofs/1.json".into(), b.files["proofs/0.json"].clone());
    });
    let (_, json) = verify_elsewhere(&ws, "proof.tar.gz", "ci.key.pub");
    assert!(codes(&json).iter().any(|(c, _)| c == "entry-not-in-checkpoint"), "{json}");

    // Keys shipped inside the bundle are never trusted: another pinned key fails everything.
    ws.run(&["keygen", "--out", "other.key"]).expect(0);
    let (status, json) = verify_elsewhere(&ws, "audit.tar.gz", "other.key.pub");
    assert_eq!(status, 1);
    let found: Vec<String> = codes(&json).into_iter().map(|(c, _)| c).collect();
    assert!(
        found.contains(&"checkpoint-invalid".to_string())
            && found.contains(&"entry-modified".to_string()),
        "{found:?}"
    );
}

#[test]
fn bundling_needs_a_checkpoint_that_covers_the_period() {
    let ws = Workspace::new();
    ws.run(&[
        "push",
        "--key",
        "ci.key",
        "--time",
        "2026-07-03T10:00:00Z",
        "--kind",
        "attachment",
        "ci.key.pub",
    ])
    .expect(0);
    let args = [
        "bundle",
        "--key",
        "ci.key",
        "--trusted-key",
        "ci.key.pub",
        "--period",
        "2026-Q3",
        "--out",
        "a.tar.gz",
    ];
    let run = ws.run(&args).expect(2);
    assert!(run.stderr.contains("locker checkpoint"), "{}", run.stderr);
    assert!(!ws.path("a.tar.gz").exists());
}
