//! `locker report` and `locker verify-report`: snapshots of the Markdown and JSON of a fixed
//! chain, escaping of hostile report text, byte-identical renders, signatures that fail on
//! any change, user templates and their errors, and the HTML in headless Chromium.

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use util::{Workspace, public_fixture, scanner_fixture};

/// A script tag and an event handler, placed in a scanner's text and a project name.
const HOSTILE: &str = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";

fn fixture_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report").join(name)
}

/// A chain with the same bytes on every run: a committed test key and fixed times.
///
/// Entry 0 (July): Trivy and Semgrep of project shop/api. Entry 1 (August): Trivy of the
/// next image tag, in which some CVEs are gone (fixed). Entry 2: a recorded posture.
fn fixed_chain() -> Workspace {
    let ws = Workspace::new();
    ws.add(&fixture_key("report-test.key"), "ci.key");
    ws.add(&fixture_key("report-test.key.pub"), "ci.key.pub");
    // The pipeline writes trivy.json each time: one stream, so CVEs gone are fixed.
    let trivy = ws.add(&public_fixture("trivy-alpine39-image.json"), "trivy.json");
    let semgrep = ws.add(&scanner_fixture("semgrep-sample-app.sarif"), "semgrep.sarif");
    push(&ws, "2026-07-03T10:00:00Z", &[&trivy, &semgrep]);
    ws.add(&public_fixture("trivy-alpine310-image.json"), "trivy.json");
    push(&ws, "2026-08-12T10:00:00Z", &[&trivy]);
    let posture = ["doctor", "--record", "--key", "ci.key", "--time", "2026-08-13T00:00:00Z"];
    ws.run(&posture).expect(0);
    ws.write(
        "exceptions.toml",
        b"[[exception]]\nrule = \"CVE-2019-14697\"\nreason = \"base image pinned by vendor\"\n\
          approver = \"security lead\"\nexpires = \"2027-01-31T00:00:00Z\"\n\n\
          [[exception]]\nrule = \"CVE-2019-1549\"\nreason = \"waiting for upstream\"\n\
          approver = \"security lead\"\nexpires = \"2026-08-31T00:00:00Z\"\n",
    );
    ws
}

fn push(ws: &Workspace, time: &str, files: &[&str]) {
    let mut args = vec!["push", "--key", "ci.key", "--time", time, "--ci-project", "shop/api"];
    args.extend_from_slice(files);
    ws.run(&args).expect(0);
}

fn report(ws: &Workspace, out: &str, extra: &[&str]) -> util::Run {
    let mut args = vec![
        "report",
        "--key",
        "ci.key",
        "--trusted-key",
        "ci.key.pub",
        "--exceptions",
        "exceptions.toml",
        "--period",
        "2026-Q3",
        "--generated-at",
        "2026-10-05T00:00:00Z",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    ws.run(&args)
}

fn read(ws: &Workspace, path: &str) -> Vec<u8> {
    std::fs::read(ws.path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn markdown_and_json_of_a_fixed_chain() {
    let ws = fixed_chain();
    report(&ws, "out", &["--framework", "pci-dss", "--format", "md,json"]).expect(0);
    assert!(!ws.path("out/report.html").exists(), "only the formats asked for");

    let markdown = String::from_utf8(read(&ws, "out/report.md")).unwrap();
    insta::assert_snapshot!("quarter_pci_dss_md", markdown);
    let json: Value = serde_json::from_slice(&read(&ws, "out/report.json")).unwrap();
    assert_eq!(json["schema"], "https://evidence-locker.dev/report/v1");
    insta::assert_snapshot!("quarter_pci_dss_json", serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn the_report_states_what_the_chain_holds() {
    let ws = fixed_chain();
    report(&ws, "out", &["--format", "json"]).expect(0);
    let json: Value = serde_json::from_slice(&read(&ws, "out/report.json")).unwrap();

    assert_eq!(json["period"]["label"], "2026-Q3");
    assert_eq!(json["as_of"], "2026-10-01T00:00:00Z", "the earlier of period end and generation");
    let frameworks: Vec<&str> =
        json["frameworks"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(frameworks, ["pci-dss", "hipaa", "soc2"], "all frameworks in one file");
    assert_eq!(json["chain"]["verified"], true);
    assert_eq!(json["chain"]["ok"], true);
    assert_eq!(json["chain"]["head_seq"], 2);

    // Alpine 3.10 no longer has some of 3.9's CVEs: they count as fixed in August.
    let fixed: u64 = json["remediation"]["time_to_fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fixed"].as_u64().unwrap())
        .sum();
    assert!(fixed > 0, "{}", json["remediation"]["time_to_fix"]);
    assert!(json["summary"]["open_critical"].as_u64().unwrap() > 0);
    assert!(json["summary"]["past_sla"].as_u64().unwrap() > 0);
    assert_eq!(json["coverage"]["months_without_scan"], serde_json::json!(["2026-09"]));
    assert_eq!(json["exceptions"]["in_force"][0]["covers"], "CVE-2019-14697");
    assert_eq!(json["exceptions"]["expired"][0]["covers"], "CVE-2019-1549");

    // Each control line names entries and artifact digests that are in the chain.
    let log = ws.log();
    let patching = json["frameworks"][0]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "6.3.3")
        .unwrap();
    assert_eq!(patching["state"], "not-met");
    let evidence = &patching["evidence"][0];
    let seq = evidence["seq"].as_u64().unwrap() as usize;
    let names: Vec<&Value> =
        log[seq]["artifacts"].as_array().unwrap().iter().map(|a| &a["sha256"]).collect();
    assert!(names.contains(&&evidence["sha256"]), "{evidence}");
}

#[test]
fn two_renders_are_identical_and_signed() {
    let ws = fixed_chain();
    report(&ws, "first", &[]).expect(0);
    report(&ws, "second", &[]).expect(0);
    for name in ["report.html", "report.md", "report.json"] {
        for file in [name.to_string(), format!("{name}.dsse.json")] {
            let (a, b) =
                (read(&ws, &format!("first/{file}")), read(&ws, &format!("second/{file}")));
            assert!(a == b, "{file} differs between two renders");
        }
        let path = format!("first/{name}");
        let checked = ws.run(&["verify-report", "--trusted-key", "ci.key.pub", "--json", &path]);
        assert_eq!(checked.expect(0).json()["signature"]["predicate"]["period"], "2026-Q3");
    }

    // SOURCE_DATE_EPOCH stands in for --generated-at.
    let epoch = ws
        .command()
        .env("SOURCE_DATE_EPOCH", "1791158400")
        .args(["report", "--key", "ci.key", "--trusted-key", "ci.key.pub"])
        .args(["--exceptions", "exceptions.toml", "--period", "2026-Q3", "--out", "epoch"])
        .output()
        .unwrap();
    assert!(epoch.status.success(), "{}", String::from_utf8_lossy(&epoch.stderr));
    assert_eq!(read(&ws, "epoch/report.md"), read(&ws, "first/report.md"));
}

#[test]
fn any_changed_byte_fails_verify_report() {
    let ws = fixed_chain();
    report(&ws, "out", &["--format", "md"]).expect(0);
    let original = read(&ws, "out/report.md");

    for position in [0, original.len() / 2, original.len() - 1] {
        let mut edited = original.clone();
        edited[position] ^= 0x20;
        ws.write("out/report.md", &edited);
        let run = ws.run(&["verify-report", "--trusted-key", "ci.key.pub", "out/report.md"]);
        let run = run.expect(1);
        assert!(run.stdout.contains("the report changed"), "{}", run.stdout);
    }
    ws.write("out/report.md", &original);
    ws.run(&["verify-report", "--trusted-key", "ci.key.pub", "out/report.md"]).expect(0);

    // Another key, or an altered signature file, is refused.
    ws.run(&["keygen", "--out", "other.key"]).expect(0);
    let other = ws.run(&["verify-report", "--trusted-key", "other.key.pub", "out/report.md"]);
    assert!(other.expect(1).stdout.contains("no trusted key signed it"));
    let mut signature: Value =
        serde_json::from_slice(&read(&ws, "out/report.md.dsse.json")).unwrap();
    let sig = signature["signatures"][0]["sig"].as_str().unwrap().replacen('A', "B", 1);
    signature["signatures"][0]["sig"] = Value::String(sig);
    ws.write("out/report.md.dsse.json", &serde_json::to_vec(&signature).unwrap());
    ws.run(&["verify-report", "--trusted-key", "ci.key.pub", "out/report.md"]).expect(1);
}

/// The chain with a Trivy report whose first critical CVE title, and the project name, hold
/// markup.
fn hostile_chain() -> Workspace {
    let ws = fixed_chain();
    let mut trivy: Value = serde_json::from_slice(
        &std::fs::read(public_fixture("trivy-alpine39-image.json")).unwrap(),
    )
    .unwrap();
    let vulnerabilities = trivy["Results"][0]["Vulnerabilities"].as_array_mut().unwrap();
    let critical = vulnerabilities.iter_mut().find(|v| v["Severity"] == "CRITICAL").unwrap();
    critical["Title"] = Value::String(format!("overflow {HOSTILE}"));
    let name = ws.write("hostile.json", &serde_json::to_vec(&trivy).unwrap());
    let args =
        ["push", "--key", "ci.key", "--time", "2026-07-04T10:00:00Z", "--ci-project", HOSTILE];
    ws.run(&[&args[..], &[name.as_str()]].concat()).expect(0);
    ws
}

#[test]
fn text_from_reports_is_escaped() {
    let ws = hostile_chain();
    report(&ws, "out", &[]).expect(0);
    let html = String::from_utf8(read(&ws, "out/report.html")).unwrap();
    assert!(!html.contains("<script"), "a script element made it into the HTML");
    assert!(!html.contains("<img src=x"), "an img element made it into the HTML");
    assert!(html.contains("&lt;script&gt;window.__xss=1&lt;&#x2F;script&gt;"), "the text is shown");
    assert!(html.contains("Content-Security-Policy"));

    let markdown = String::from_utf8(read(&ws, "out/report.md")).unwrap();
    assert!(!markdown.contains("<script") && !markdown.contains("<img"));
    assert!(markdown.contains("&lt;script&gt;"));
}

#[test]
fn user_templates_replace_the_built_in_ones_and_errors_name_them() {
    let ws = fixed_chain();
    std::fs::create_dir(ws.path("mine")).unwrap();
    ws.write(
        "mine/report.md",
        b"Quarter {{ period.label }}: {{ summary.controls.not_met }} not met\n",
    );
    report(&ws, "out", &["--format", "md", "--templates", "mine"]).expect(0);
    let text = String::from_utf8(read(&ws, "out/report.md")).unwrap();
    assert!(text.starts_with("Quarter 2026-Q3: ") && text.ends_with(" not met\n"), "{text}");

    ws.write("mine/report.md", b"line one\n{{ summary.scans + }}\n");
    let run = report(&ws, "broken", &["--format", "md", "--templates", "mine"]).expect(2);
    assert!(run.stderr.contains("mine/report.md"), "{}", run.stderr);
    assert!(run.stderr.contains("--> 2:20"), "line and column: {}", run.stderr);
    assert!(!ws.path("broken/report.md").exists(), "nothing written");

    ws.write("mine/report.md", b"{{ no_such_value }}\n");
    let run = report(&ws, "broken", &["--format", "md", "--templates", "mine"]).expect(2);
    assert!(run.stderr.contains("no_such_value"), "{}", run.stderr);
}

#[test]
fn refuses_bad_options_before_writing() {
    let ws = fixed_chain();
    let run = report(&ws, "out", &["--framework", "iso27001"]).expect(2);
    assert!(run.stderr.contains("unknown framework"), "{}", run.stderr);
    let run = ws.run(&["report", "--period", "2026-Q3", "--out", "out"]).expect(2);
    assert!(run.stderr.contains("key"), "{}", run.stderr);
    assert!(!ws.path("out").exists());
}

/// The HTML in Debian's Chromium, driven by Playwright through the DevTools protocol.
#[test]
fn html_opens_in_headless_chromium_without_errors_or_requests() {
    let node_path = std::env::var("LOCKER_TEST_NODE_PATH")
        .expect("LOCKER_TEST_NODE_PATH: tests/run.sh installs playwright-core and sets it");
    let ws = hostile_chain();
    report(&ws, "out", &[]).expect(0);

    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("report-first-page.png");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check-report.cjs");
    let output = Command::new("node")
        .env("NODE_PATH", node_path)
        .arg(script)
        .arg(ws.path("out/report.html"))
        .arg(&screenshot)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(seen["consoleErrors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["requests"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["dialogs"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["scriptRan"], Value::Null, "the hostile text ran");
    assert_eq!(seen["charts"], 3);
    assert_eq!(seen["frameworks"], 3);
    assert_eq!(seen["phoneOverflow"], false, "the page is wider than a phone");
    assert_eq!(seen["printBreaks"], serde_json::json!(["page", "page", "page"]));
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
}
