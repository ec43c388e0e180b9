//! Findings followed across pushes: found, still open, fixed, reopened, with ages and SLA
//! states at chosen dates.

mod util;

use serde_json::Value;
use util::{Workspace, public_fixture};

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(public_fixture(name)).unwrap()).unwrap()
}

fn push_at(ws: &Workspace, file: &str, time: &str) {
    ws.run(&["push", "--key", "ci.key", "--time", time, "--ci-project", "shop/api", file])
        .expect(0);
}

fn findings_at(ws: &Workspace, at: &str) -> Vec<Value> {
    let run = ws.run(&["findings", "--json", "--at", at]).expect(0);
    run.json()["findings"].as_array().unwrap().clone()
}

fn by_vulnerability<'a>(findings: &'a [Value], id: &str, package: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["vulnerabilities"][0] == id && f["package"] == package)
        .unwrap_or_else(|| panic!("{id} {package} not in {findings:?}"))
}

fn pci(finding: &Value) -> &Value {
    finding["sla"].as_array().unwrap().iter().find(|s| s["framework"] == "pci-dss").unwrap()
}

#[test]
fn found_open_fixed_and_reopened_with_sla_states() {
    let ws = Workspace::new();
    let full: Value = fixture_json("trivy-alpine39-image.json");
    // The same scan after the first critical vulnerability was fixed: its entry removed.
    let mut fixed = full.clone();
    let vulnerabilities = fixed["Results"][0]["Vulnerabilities"].as_array_mut().unwrap();
    let position = vulnerabilities.iter().position(|v| v["Severity"] == "CRITICAL").unwrap();
    let removed = vulnerabilities.remove(position);
    let (id, package) =
        (removed["VulnerabilityID"].as_str().unwrap(), removed["PkgName"].as_str().unwrap());
    // Each pipeline run writes its report under the same name: one stream.
    let (full, fixed) = (serde_json::to_vec(&full).unwrap(), serde_json::to_vec(&fixed).unwrap());
    for (report, time) in [
        (&full, "2026-01-05T10:00:00Z"),
        (&full, "2026-01-20T10:00:00Z"),
        (&fixed, "2026-02-01T10:00:00Z"),
        (&full, "2026-03-01T10:00:00Z"),
    ] {
        ws.write("trivy.json", report);
        push_at(&ws, "trivy.json", time);
    }

    let early = findings_at(&ws, "2026-01-20T12:00:00Z");
    assert_eq!(early.len(), 6);
    let critical = by_vulnerability(&early, id, package);
    assert_eq!(critical["state"], "open");
    assert_eq!(critical["age_days"], 15);
    assert_eq!(critical["first_seen"], "2026-01-05T10:00:00Z");
    assert_eq!(critical["last_seen"], "2026-01-20T10:00:00Z");
    // PCI DSS 6.3.3: 30 days from the fix's availability, known since the first scan.
    assert_eq!(pci(critical)["due"], "2026-02-04T10:00:00Z");
    assert_eq!(pci(critical)["state"], "open");

    let after_fix = findings_at(&ws, "2026-02-20T00:00:00Z");
    let critical = by_vulnerability(&after_fix, id, package);
    assert_eq!(critical["state"], "fixed");
    assert_eq!(critical["fixed"], "2026-02-01T10:00:00Z");
    assert_eq!(pci(critical)["state"], "met");
    let other_critical = after_fix
        .iter()
        .find(|f| f["severity"] == "critical" && f["state"] == "open")
        .expect("the other critical stays open");
    assert_eq!(pci(other_critical)["state"], "overdue");

    let open_only =
        ws.run(&["findings", "--json", "--open", "--at", "2026-02-20T00:00:00Z"]).expect(0).json();
    assert_eq!(open_only["findings"].as_array().unwrap().len(), 5);
    let critical_only = ws
        .run(&["findings", "--json", "--severity", "critical", "--at", "2026-02-20T00:00:00Z"])
        .expect(0)
        .json();
    assert_eq!(critical_only["findings"].as_array().unwrap().len(), 2);

    let reopened = findings_at(&ws, "2026-03-02T00:00:00Z");
    let critical = by_vulnerability(&reopened, id, package);
    assert_eq!(critical["state"], "reopened");
    assert_eq!(critical["reopened"], 1);
    assert!(critical.get("fixed").is_none());
}

#[test]
fn the_same_cve_on_two_tags_of_one_image_is_one_finding() {
    // alpine-39 and alpine-310 are two tags of one image repository; both carry
    // CVE-2019-1549 in libcrypto1.1, reported once in Trivy JSON and once in SARIF.
    let ws = Workspace::new();
    let a = ws.add(&public_fixture("trivy-alpine39-image.json"), "alpine39.json");
    let b = ws.add(&public_fixture("trivy-alpine310-image.sarif"), "alpine310.sarif");
    push_at(&ws, &a, "2026-01-05T10:00:00Z");
    push_at(&ws, &b, "2026-01-06T10:00:00Z");
    let findings = findings_at(&ws, "2026-01-07T00:00:00Z");
    let matching: Vec<&Value> = findings
        .iter()
        .filter(|f| f["vulnerabilities"][0] == "CVE-2019-1549" && f["package"] == "libcrypto1.1")
        .collect();
    assert_eq!(matching.len(), 1, "{matching:?}");
    assert_eq!(matching[0]["target"]["image"], "ghcr.io/aquasecurity/trivy-test-images");
    assert_eq!(matching[0]["entries"].as_array().unwrap().len(), 2);
}

#[test]
fn secrets_never_show_in_findings_output() {
    let ws = Workspace::new();
    let name = ws.add(&util::scanner_fixture("trivy-secret-sample-app.json"), "secrets.json");
    ws.run(&["push", "--key", "ci.key", &name]).expect(0);
    let text = ws.run(&["findings"]).expect(0).stdout;
    let json = ws.run(&["findings", "--json"]).expect(0).stdout;
    assert!(json.contains("\"category\":\"secret\""), "{json}");
    for output in [text, json] {
        assert!(!output.contains("AKIAZ7FAKEKEYTEST42Q"), "{output}");
    }
}

#[test]
fn fail_on_gates_after_archiving_and_respects_exceptions_until_they_expire() {
    let ws = Workspace::new();
    let report = ws.add(&public_fixture("trivy-alpine39-image.json"), "trivy.json");
    let full: Value = fixture_json("trivy-alpine39-image.json");
    let critical: Vec<String> = full["Results"][0]["Vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["Severity"] == "CRITICAL")
        .map(|v| v["VulnerabilityID"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(critical.len(), 2);

    let gated = ws.run(&["push", "--key", "ci.key", "--fail-on", "critical", &report]).expect(1);
    assert!(gated.stderr.contains("2 open finding(s) at or above critical"), "{}", gated.stderr);
    assert!(critical.iter().all(|id| gated.stderr.contains(id.as_str())), "{}", gated.stderr);
    assert_eq!(ws.entry_count(), 1, "the evidence is archived even when the gate fails");

    let medium_only = ws.add(&public_fixture("trivy-alpine310-image.sarif"), "medium.sarif");
    ws.run(&["push", "--key", "ci.key", "--fail-on", "critical", &medium_only]).expect(0);
    ws.run(&["push", "--key", "ci.key", "--fail-on", "medium", &medium_only]).expect(1);

    let exceptions: String = critical
        .iter()
        .map(|id| format!("[[exception]]\nrule = \"{id}\"\nreason = \"no fix for this base image yet\"\napprover = \"security lead\"\nexpires = \"2026-06-30T00:00:00Z\"\n\n"))
        .collect();
    ws.write("exceptions.toml", exceptions.as_bytes());
    let covered = [
        "push",
        "--key",
        "ci.key",
        "--exceptions",
        "exceptions.toml",
        "--fail-on",
        "critical",
        "--time",
    ];
    let mut args = covered.to_vec();
    args.extend(["2026-05-01T00:00:00Z", &report]);
    ws.run(&args).expect(0);
    let mut args = covered.to_vec();
    args.extend(["2026-07-01T00:00:00Z", &report]);
    ws.run(&args).expect(1);

    let listed = ws
        .run(&[
            "findings",
            "--json",
            "--exceptions",
            "exceptions.toml",
            "--severity",
            "critical",
            "--at",
            "2026-05-02T00:00:00Z",
        ])
        .expect(0)
        .json();
    let first = &listed["findings"][0];
    assert_eq!(first["exception"]["approver"], "security lead");
    assert_eq!(first["exception"]["active"], true);
    let later = ws
        .run(&[
            "findings",
            "--json",
            "--exceptions",
            "exceptions.toml",
            "--severity",
            "critical",
            "--at",
            "2026-08-01T00:00:00Z",
        ])
        .expect(0)
        .json();
    assert_eq!(later["findings"][0]["exception"]["active"], false);

    ws.write(
        "bad.toml",
        b"[[exception]]\nrule = \"CVE-1\"\nreason = \"r\"\napprover = \"a\"\nexpires = \"soon\"\n",
    );
    let run = ws.run(&["findings", "--exceptions", "bad.toml"]).expect(2);
    assert!(run.stderr.contains("bad.toml") && run.stderr.contains("line 5"), "{}", run.stderr);
}

#[test]
fn period_selects_findings_open_during_it_and_evaluates_at_its_end() {
    let ws = Workspace::new();
    let full: Value = fixture_json("trivy-alpine39-image.json");
    let mut fixed = full.clone();
    fixed["Results"][0]["Vulnerabilities"].as_array_mut().unwrap().remove(0);
    for (report, time) in [(&full, "2026-01-05T10:00:00Z"), (&fixed, "2026-02-01T10:00:00Z")] {
        ws.write("trivy.json", &serde_json::to_vec(report).unwrap());
        push_at(&ws, "trivy.json", time);
    }
    let january = ws
        .run(&["findings", "--json", "--period", "2026-01", "--at", "2026-06-01T00:00:00Z"])
        .expect(0)
        .json();
    assert_eq!(january["at"], "2026-02-01T00:00:00Z", "as of the end of the period");
    assert_eq!(january["findings"].as_array().unwrap().len(), 6);
    assert!(january["findings"].as_array().unwrap().iter().all(|f| f["state"] == "open"));

    let march = ws
        .run(&["findings", "--json", "--period", "2026-Q1", "--at", "2026-06-01T00:00:00Z"])
        .expect(0)
        .json();
    assert_eq!(
        march["findings"].as_array().unwrap().len(),
        6,
        "fixed during the quarter still counts"
    );
    let april = ws.run(&["findings", "--json", "--period", "2026-04"]).expect(0).json();
    assert_eq!(april["findings"].as_array().unwrap().len(), 5, "fixed before April");
    let before = ws.run(&["findings", "--json", "--period", "2025-12"]).expect(0).json();
    assert!(before["findings"].as_array().unwrap().is_empty());
    ws.run(&["findings", "--period", "2026-Q5"]).expect(2);
}
