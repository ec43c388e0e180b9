//! `locker export`: OSCAL assessment results validated and round-tripped by compliance-trestle,
//! CSV read back by Python's csv module with formulas neutralised, and identical bytes from
//! two exports of one period.

mod util;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use util::{Workspace, public_fixture, scanner_fixture};

const FORMULA: &str = "=HYPERLINK(\"http://attacker.example\",\"click\")";

/// Two scans of one image stream (some CVEs fixed in between), a Semgrep scan, and a Trivy
/// title holding a spreadsheet formula.
fn chain() -> Workspace {
    let ws = Workspace::new();
    let report = trivy_with_formula(&ws, "trivy-alpine39-image.json");
    let semgrep = ws.add(&scanner_fixture("semgrep-sample-app.sarif"), "semgrep.sarif");
    let push = ["push", "--key", "ci.key", "--ci-project", "shop/api", "--time"];
    ws.run(&[&push[..], &["2026-07-03T10:00:00Z", &report, &semgrep]].concat()).expect(0);
    trivy_with_formula(&ws, "trivy-alpine310-image.json");
    ws.run(&[&push[..], &["2026-08-12T10:00:00Z", &report]].concat()).expect(0);
    ws
}

/// A real Trivy report as `trivy.json`, its first vulnerability titled with a formula.
fn trivy_with_formula(ws: &Workspace, fixture: &str) -> String {
    let mut trivy: Value =
        serde_json::from_slice(&std::fs::read(public_fixture(fixture)).unwrap()).unwrap();
    let vulnerabilities = trivy["Results"][0]["Vulnerabilities"].as_array_mut().unwrap();
    vulnerabilities[0]["Title"] = Value::String(FORMULA.to_string());
    ws.write("trivy.json", &serde_json::to_vec(&trivy).unwrap())
}

fn export(ws: &Workspace, format: &str, out: &str) {
    let args = [
        "export",
        "--trusted-key",
        "ci.key.pub",
        "--period",
        "2026-Q3",
        "--generated-at",
        "2026-10-05T00:00:00Z",
        "--format",
        format,
        "--out",
        out,
    ];
    ws.run(&args).expect(0);
}

fn python() -> String {
    std::env::var("LOCKER_TEST_PYTHON")
        .expect("LOCKER_TEST_PYTHON: tests/run.sh makes a venv with compliance-trestle")
}

fn trestle_check(path: &Path) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oscal/trestle_check.py");
    Command::new(python()).arg(script).arg(path).output().unwrap()
}

#[test]
fn oscal_validates_with_trestle_and_round_trips() {
    let ws = chain();
    export(&ws, "oscal", "assessment-results.json");
    let ours: Value =
        serde_json::from_slice(&std::fs::read(ws.path("assessment-results.json")).unwrap())
            .unwrap();
    let ar = &ours["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.2.1");

    let output = trestle_check(&ws.path("assessment-results.json"));
    assert!(output.status.success(), "trestle: {}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["trestle"], "5.2.0");
    assert_eq!(seen["declared"], seen["trestle_oscal_version"], "the version trestle validates");
    assert_eq!(seen["summary"], seen["round_trip"], "a round trip keeps findings and hashes");

    // Trestle reads the findings we wrote: every control, with its state where determined.
    let result = &ar["results"][0];
    let mut expected: Vec<Value> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!([f["target"]["target-id"], f["target"]["status"]["state"]]))
        .collect();
    expected.sort_by_key(|v| v.to_string());
    let mut seen_findings = seen["summary"]["findings"].as_array().unwrap().clone();
    seen_findings.sort_by_key(|v| v.to_string());
    assert_eq!(seen_findings, expected);
    assert!(
        expected.iter().any(|f| f == &json!(["pci-dss-6.3.3", "not-satisfied"])),
        "{expected:?}"
    );
    assert!(expected.iter().any(|f| f[1] == "satisfied"));

    // One observation per entry, and every artifact of the chain as a resource with its hash.
    assert_eq!(seen["summary"]["observations"].as_array().unwrap().len(), 2);
    let artifacts: BTreeSet<String> = ws
        .log()
        .iter()
        .flat_map(|e| e["artifacts"].as_array().unwrap().clone())
        .map(|a| a["sha256"].as_str().unwrap().to_string())
        .collect();
    let hashes: BTreeSet<String> = seen["summary"]["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    assert_eq!(hashes, artifacts);
    assert!(seen["summary"]["risks"].as_u64().unwrap() > 0, "open findings past deadline");

    // The check can fail: an invalid status is refused by trestle.
    let mut broken = ours.clone();
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"] =
        json!({ "state": "maybe" });
    ws.write("broken.json", &serde_json::to_vec(&broken).unwrap());
    assert!(!trestle_check(&ws.path("broken.json")).status.success());
}

#[test]
fn csv_reads_back_with_a_standard_reader_and_formulas_are_neutralised() {
    let ws = chain();
    export(&ws, "csv", "csv");
    export(&ws, "json", "export.json");
    let data: Value =
        serde_json::from_slice(&std::fs::read(ws.path("export.json")).unwrap()).unwrap();
    assert_eq!(data["schema"], "https://evidence-locker.dev/export/v1");

    // Python's csv module, RFC 4180 dialect: rows as lists of cells.
    let read = |file: &str| -> Vec<Vec<String>> {
        let script = "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))";
        let output =
            Command::new(python()).args(["-c", script]).arg(ws.path(file)).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    };

    let findings = read("csv/findings.csv");
    assert_eq!(findings[0][..4], ["fingerprint", "severity", "message", "rule"]);
    let rows = data["findings"].as_array().unwrap();
    assert_eq!(findings.len() - 1, rows.len(), "one CSV row per finding");
    for (cells, row) in findings[1..].iter().zip(rows) {
        assert_eq!(cells[0], row["fingerprint"].as_str().unwrap());
        assert_eq!(cells[1], row["severity"].as_str().unwrap());
        assert_eq!(cells[10], row["state"].as_str().unwrap());
        let message = row["message"].as_str().unwrap();
        let expected =
            if message.starts_with('=') { format!("'{message}") } else { message.to_string() };
        assert_eq!(cells[2], expected, "messages survive quoting, newlines included");
    }
    let hostile: Vec<&Vec<String>> =
        findings.iter().filter(|c| c[2].contains("HYPERLINK")).collect();
    assert!(!hostile.is_empty());
    assert!(hostile.iter().all(|c| c[2] == format!("'{FORMULA}")), "{hostile:?}");

    let controls = read("csv/controls.csv");
    assert_eq!(controls[0], ["framework", "control_id", "title", "state", "reasons", "evidence"]);
    assert_eq!(controls.len() - 1, data["controls"].as_array().unwrap().len());
    let patching = controls.iter().find(|c| c[0] == "pci-dss" && c[1] == "6.3.3").unwrap();
    assert_eq!(patching[3], "not-met");
    assert!(patching[4].contains("past the pci-dss deadline"), "{patching:?}");
}

#[test]
fn two_exports_of_a_period_are_identical() {
    let ws = chain();
    for (format, first, second) in [
        ("oscal", "a.json", "b.json"),
        ("json", "a-data.json", "b-data.json"),
        ("csv", "a-csv", "b-csv"),
    ] {
        export(&ws, format, first);
        export(&ws, format, second);
        let files = if format == "csv" {
            vec![format!("{first}/controls.csv"), format!("{first}/findings.csv")]
        } else {
            vec![first.to_string()]
        };
        for file in files {
            let other = file.replacen(first, second, 1);
            let (a, b) =
                (std::fs::read(ws.path(&file)).unwrap(), std::fs::read(ws.path(&other)).unwrap());
            assert!(a == b, "{file} and {other} differ");
        }
    }
}
