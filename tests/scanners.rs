//! Reports of real scanners, run on `tests/fixtures/sample-app` (see tests/fixtures/README.md),
//! are read and summarised the way their content says.
//!
//! The expected figures are computed here from each file, independently of the tool's code:
//! result counts, and SARIF levels with the rule's default level and SARIF's `warning`
//! fallback.

mod util;

use serde_json::Value;
use util::{Workspace, scanner_fixture};

const SARIF_REPORTS: [&str; 9] = [
    "semgrep-sample-app.sarif",
    "bandit-sample-app.sarif",
    "checkov-sample-app.sarif",
    "trivy-secret-sample-app.sarif",
    "trivy-misconfig-sample-app.sarif",
    "gitleaks-sample-app.sarif",
    "hadolint-sample-app.sarif",
    "eslint-security-sample-app.sarif",
    "secretlint-sample-app.sarif",
];

/// Effective level of each result: its own, else its rule's default, else `warning`.
fn expected_levels(run: &Value) -> [u64; 4] {
    let rules = run["tool"]["driver"]["rules"].as_array().cloned().unwrap_or_default();
    let mut counts = [0u64; 4];
    for result in run["results"].as_array().unwrap() {
        let rule = result["ruleIndex"]
            .as_u64()
            .and_then(|i| rules.get(i as usize))
            .or_else(|| rules.iter().find(|r| r["id"] == result["ruleId"]));
        let level = result["level"]
            .as_str()
            .or_else(|| rule.and_then(|r| r["defaultConfiguration"]["level"].as_str()))
            .unwrap_or("warning");
        let slot = ["error", "warning", "note", "none"].iter().position(|l| *l == level).unwrap();
        counts[slot] += 1;
    }
    counts
}

#[test]
fn real_scanner_sarif_is_summarised_as_its_content_says() {
    let ws = Workspace::new();
    for file in SARIF_REPORTS {
        let content: Value =
            serde_json::from_slice(&std::fs::read(scanner_fixture(file)).unwrap()).unwrap();
        let run = &content["runs"][0];
        let name = ws.add(&scanner_fixture(file), file);
        let pushed = ws.push(&[&name]).expect(0).json();

        let summary = &pushed["artifacts"][0]["scan"];
        let results = run["results"].as_array().unwrap().len() as u64;
        assert_eq!(summary["results"], results, "{file}");
        assert_eq!(summary["runs"][0]["tool"], run["tool"]["driver"]["name"], "{file}");
        let levels = &summary["runs"][0]["by_level"];
        let found = ["error", "warning", "note", "none"].map(|l| levels[l].as_u64().unwrap());
        assert_eq!(found, expected_levels(run), "{file}");
        let severities: u64 =
            summary["by_severity"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(severities, results, "{file}: every result has one severity");
    }
    ws.verify(&[]).expect(0);
}

#[test]
fn security_severity_wins_over_level() {
    // Trivy marks secrets level error with security-severity 9.5: critical, not high.
    let ws = Workspace::new();
    let name = ws.add(&scanner_fixture("trivy-secret-sample-app.sarif"), "trivy-secrets.sarif");
    let summary = &ws.push(&[&name]).expect(0).json()["artifacts"][0]["scan"];
    assert_eq!(summary["by_severity"]["critical"], summary["results"]);
}

#[test]
fn semgrep_gitlab_sast_report() {
    let ws = Workspace::new();
    let file = "semgrep-gitlab-sast.json";
    let content: Value =
        serde_json::from_slice(&std::fs::read(scanner_fixture(file)).unwrap()).unwrap();
    let name = ws.add(&scanner_fixture(file), "gl-sast-report.json");
    let artifact = &ws.push(&[&name]).expect(0).json()["artifacts"][0];
    assert_eq!(artifact["kind"], "gitlab");
    assert_eq!(artifact["scan"]["report_type"], "sast");
    assert_eq!(artifact["scan"]["format_version"], content["version"]);
    let count = |severity: &str| {
        content["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["severity"] == severity)
            .count() as u64
    };
    assert_eq!(artifact["scan"]["by_severity"]["high"], count("High"));
    assert_eq!(artifact["scan"]["by_severity"]["medium"], count("Medium"));
    assert_eq!(artifact["scan"]["by_severity"]["info"], count("Info"));
}

#[test]
fn native_json_of_other_tools_needs_an_explicit_kind() {
    let ws = Workspace::new();
    let name = ws.add(&scanner_fixture("bandit-sample-app.json"), "bandit.json");
    let run = ws.push(&[&name]).expect(2);
    assert!(run.stderr.contains("--kind attachment"), "{}", run.stderr);
    ws.run(&["push", "--key", "ci.key", "--kind", "attachment", &name]).expect(0);
}
