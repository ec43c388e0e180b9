//! `push` reads every supported kind, records what it found, and refuses bad input without
//! writing anything.

mod util;

use std::fs;

use serde_json::Value;
use util::{Workspace, public_fixture};

fn pushed_artifact(ws: &Workspace, name: &str) -> Value {
    let run = ws.push(&[name]).expect(0);
    run.json()["artifacts"][0].clone()
}

fn severity(artifact: &Value, level: &str) -> u64 {
    artifact["scan"]["by_severity"][level].as_u64().unwrap()
}

#[test]
fn sarif_reports_of_several_scanners() {
    let ws = Workspace::new();
    let cases = [
        // file, tool, results, critical, high, medium, low
        ("codeql-python.sarif", "CodeQL", 72, 0, 11, 4, 57),
        ("semgrep-cwe.sarif", "Semgrep OSS", 77, 34, 1, 42, 0),
        ("grype-cxf-directory.sarif", "Grype", 22, 1, 11, 4, 6),
        ("trivy-alpine310-image.sarif", "Trivy", 4, 0, 0, 4, 0),
        ("trivy-action-alpine-critical-image.sarif", "Trivy", 1, 1, 0, 0, 0),
    ];
    for (file, tool, results, critical, high, medium, low) in cases {
        let name = ws.add(&public_fixture(file), file);
        let artifact = pushed_artifact(&ws, &name);
        assert_eq!(artifact["kind"], "sarif", "{file}");
        assert_eq!(artifact["scan"]["runs"][0]["tool"], tool, "{file}");
        assert_eq!(artifact["scan"]["results"], results, "{file}");
        let counts = [critical, high, medium, low];
        let found = ["critical", "high", "medium", "low"].map(|s| severity(&artifact, s));
        assert_eq!(found, counts, "{file}");
    }
}

#[test]
fn codeql_levels_come_from_rule_defaults() {
    // CodeQL results carry no level; their rules' defaults give 11 error, 4 warning, 57 note.
    let ws = Workspace::new();
    let name = ws.add(&public_fixture("codeql-python.sarif"), "codeql.sarif");
    let artifact = pushed_artifact(&ws, &name);
    let levels = &artifact["scan"]["runs"][0]["by_level"];
    assert_eq!(
        (levels["error"].as_u64(), levels["warning"].as_u64(), levels["note"].as_u64()),
        (Some(11), Some(4), Some(57))
    );
    assert_eq!(artifact["scan"]["runs"][0]["version"], "2.5.4");
}

#[test]
fn failed_scan_is_recorded_not_refused() {
    let ws = Workspace::new();
    let mut log: Value =
        serde_json::from_slice(&fs::read(public_fixture("semgrep-cwe.sarif")).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["invocations"][0]["executionSuccessful"], true);
    log["runs"][0]["invocations"][0]["executionSuccessful"] = false.into();
    ws.write("semgrep-failed.sarif", &serde_json::to_vec(&log).unwrap());

    let artifact = pushed_artifact(&ws, "semgrep-failed.sarif");
    assert_eq!(artifact["scan"]["failed_runs"], 1);
    assert_eq!(artifact["scan"]["runs"][0]["successful"], false);
    let text = ws.run(&["log"]).expect(0).stdout;
    assert!(text.contains("1 FAILED run(s)"), "{text}");
}

#[test]
fn gitlab_security_reports() {
    let ws = Workspace::new();
    let cases = [
        ("gitlab-container-scanning-v15.json", "container_scanning", 5, 4),
        ("gitlab-container-scanning-v14.json", "container_scanning", 5, 4),
        ("gitlab-dependency-scanning-v15.json", "dependency_scanning", 6, 5),
        ("gitlab-sast-cwe-v15.json", "sast", 3, 2),
    ];
    for (file, report_type, results, high) in cases {
        let name = ws.add(&public_fixture(file), file);
        let artifact = pushed_artifact(&ws, &name);
        assert_eq!(artifact["kind"], "gitlab", "{file}");
        assert_eq!(artifact["scan"]["report_type"], report_type, "{file}");
        assert_eq!(artifact["scan"]["results"], results, "{file}");
        assert_eq!(severity(&artifact, "high"), high, "{file}");
    }
}

#[test]
fn sigstore_bundles_and_cosign_payload_name_what_they_sign() {
    let ws = Workspace::new();
    let artifact_digest = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
    let cases = [
        ("sigstore-bundle-v02-messagesig.json", "sigstore-bundle", artifact_digest),
        ("sigstore-bundle-v03-messagesig.json", "sigstore-bundle", artifact_digest),
        ("sigstore-bundle-v03-dsse-intoto.json", "sigstore-bundle", artifact_digest),
        ("sigstore-bundle-v01-dsse-provenance.json", "sigstore-bundle", "sha512:76176ffa"),
        (
            "cosign-simple-signing-payload.json",
            "cosign-payload",
            "sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f",
        ),
    ];
    for (file, kind, digest) in cases {
        let name = ws.add(&public_fixture(file), file);
        let artifact = pushed_artifact(&ws, &name);
        assert_eq!(artifact["kind"], kind, "{file}");
        let signed = artifact["signature"]["signed"][0]["digest"].as_str().unwrap();
        assert!(signed.starts_with(digest), "{file}: {signed}");
        assert_eq!(artifact["signature"]["check"], "not-checked");
    }
}

#[test]
fn cosign_download_signature_lines() {
    // `cosign download signature` prints one object per signature; build two lines around
    // the real simple-signing payload.
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let payload = fs::read(public_fixture("cosign-simple-signing-payload.json")).unwrap();
    let line = serde_json::json!({
        "Base64Signature": b64(b"not checked here"),
        "Payload": b64(&payload),
        "Cert": null, "Chain": null, "Bundle": null, "RFC3161Timestamp": null
    });
    let ws = Workspace::new();
    ws.write("signatures.json", format!("{line}\n{line}\n").as_bytes());
    let artifact = pushed_artifact(&ws, "signatures.json");
    assert_eq!(artifact["kind"], "cosign-signature");
    assert_eq!(artifact["signature"]["signatures"], 2);
    assert_eq!(
        artifact["signature"]["signed"][0]["name"],
        "192.168.64.2:5000/test-repo-2100826901021538654/alpine"
    );
}

#[test]
fn several_files_make_one_entry_and_output_is_machine_readable() {
    let ws = Workspace::new();
    let a = ws.add(&public_fixture("grype-image.sarif"), "reports/grype.sarif");
    let b = ws.add(&public_fixture("gitlab-sast-cwe-v15.json"), "gl-sast-report.json");
    let first = ws.push(&[&a, &b]).expect(0).json();
    assert_eq!(first["seq"], 0);
    assert_eq!(first["hash"].as_str().unwrap().len(), 64);
    assert_eq!(first["artifacts"][0]["name"], "reports/grype.sarif");
    assert_eq!(first["artifacts"][0]["new"], true);

    let second = ws.push(&[&a]).expect(0).json();
    assert_eq!(second["seq"], 1);
    assert_eq!(second["artifacts"][0]["new"], false, "same bytes are stored once");

    let log = ws.log();
    assert_eq!(log.len(), 2);
    // Two reports, and the findings derived from each.
    assert_eq!(log[0]["artifacts"].as_array().unwrap().len(), 4);
    assert_eq!(log[1]["hash"], second["hash"]);
    let objects = ws.raw().keys("objects/").len();
    assert_eq!(objects, 4);
}

#[test]
fn ci_context_comes_from_the_environment_and_flags_override_it() {
    let ws = Workspace::new();
    let name = ws.add(&public_fixture("grype-image.sarif"), "grype.sarif");
    let mut push = ws.command();
    push.args(["push", "--key", "ci.key", "--ci-commit", "feedface", &name])
        .env("GITLAB_CI", "true")
        .env("CI_PROJECT_PATH", "payments/api")
        .env("CI_PIPELINE_ID", "4242")
        .env("CI_COMMIT_SHA", "0123abcd");
    assert!(push.status().unwrap().success());

    let ci = &ws.log()[0]["ci"];
    assert_eq!(ci["provider"], "gitlab");
    assert_eq!(ci["project"], "payments/api");
    assert_eq!(ci["pipeline"], "4242");
    assert_eq!(ci["commit"], "feedface");
}

/// Every bad input is refused with exit 2, a message naming the file, and no entry.
#[test]
fn bad_input_is_refused_cleanly() {
    let ws = Workspace::new();
    let sarif_1 = br#"{"version": "1.0.0", "runs": [{"tool": {"name": "old"}, "results": [{"level": "pass"}]}]}"#;
    let sarif_2 = br#"{"version": "2.0.0", "$schema": "http://json.schemastore.org/sarif-2.0.0", "runs": []}"#;
    let not_sarif = br#"{"runs": "many", "version": "2.1.0"}"#;
    let real = fs::read(public_fixture("codeql-python.sarif")).unwrap();
    let truncated = &real[..real.len() / 2];
    let mut garbage = vec![0u8; 4096];
    for (i, b) in garbage.iter_mut().enumerate() {
        *b = (i * 131 % 251) as u8;
    }
    let cases: Vec<(&str, &[u8], &str)> = vec![
        ("empty.sarif", b"", "empty"),
        ("notes.txt", b"just some words", "not JSON"),
        ("other.json", br#"{"name": "package.json"}"#, "not a format locker reads"),
        ("list.json", b"[1, 2, 3]", "not a JSON object"),
        ("not-sarif.sarif", not_sarif, "not a valid SARIF"),
        ("v1.sarif", sarif_1, "SARIF 1.0.0 is not supported"),
        ("v2.sarif", sarif_2, "SARIF 2.0.0 is not supported"),
        ("truncated.sarif", truncated, "truncated"),
        ("garbage.bin", &garbage, "not JSON"),
    ];
    for (name, bytes, reason) in cases {
        ws.write(name, bytes);
        let run = ws.push(&[name]);
        assert_eq!(run.status, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
        assert!(run.stderr.contains(reason), "{name}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }

    fs::create_dir(ws.path("reports")).unwrap();
    let path_cases = [
        ("reports", "is a directory"),
        ("missing.sarif", "no such file"),
        ("../outside.sarif", "must be relative paths without `..`"),
        ("/etc/hostname", "must be relative paths without `..`"),
    ];
    for (name, reason) in path_cases {
        let run = ws.push(&[name]);
        assert_eq!(run.status, 2, "{name}");
        assert!(run.stderr.contains(name) && run.stderr.contains(reason), "{name}: {}", run.stderr);
    }
    assert_eq!(ws.entry_count(), 0, "nothing was appended");
}

#[test]
fn one_bad_file_fails_the_whole_push() {
    let ws = Workspace::new();
    ws.push_note("existing");
    let good = ws.add(&public_fixture("grype-image.sarif"), "good.sarif");
    ws.write("bad.json", b"{ not json");
    let run = ws.push(&[&good, "bad.json"]).expect(2);
    assert!(run.stderr.contains("bad.json"), "{}", run.stderr);
    assert_eq!(ws.entry_count(), 1);
    let repeated = ws.push(&[&good, "./good.sarif"]).expect(2);
    assert!(repeated.stderr.contains("given twice"), "{}", repeated.stderr);
    assert_eq!(ws.entry_count(), 1);
}

#[test]
fn parse_limit_refuses_large_reports_but_not_attachments() {
    let ws = Workspace::new();
    let name = ws.add(&public_fixture("codeql-python.sarif"), "codeql.sarif");
    let run = ws.run(&["push", "--key", "ci.key", "--max-report-size", "10KiB", &name]).expect(2);
    assert!(run.stderr.contains("parse limit of 10.0 KiB"), "{}", run.stderr);

    let mut by_env = ws.command();
    by_env.args(["push", "--key", "ci.key", &name]).env("LOCKER_MAX_REPORT_SIZE", "1KiB");
    let output = by_env.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("parse limit of 1.0 KiB"));

    ws.write("locker.toml", b"max_report_size = \"2KiB\"\n");
    let run = ws.run(&["push", "--key", "ci.key", &name]).expect(2);
    assert!(run.stderr.contains("parse limit of 2.0 KiB"), "{}", run.stderr);

    let attachment = ["push", "--key", "ci.key", "--kind", "attachment", &name];
    ws.run(&attachment).expect(0);
    assert_eq!(ws.entry_count(), 1);
}

#[test]
fn push_without_a_key_says_how_to_get_one() {
    let ws = Workspace::new();
    let name = ws.add(&public_fixture("grype-image.sarif"), "grype.sarif");
    let run = ws.run(&["push", &name]).expect(2);
    assert!(run.stderr.contains("no signing key") && run.stderr.contains("locker keygen"));
    let run = ws.run(&["push", "--key", "ci.key.pub", &name]).expect(2);
    assert!(
        run.stderr.contains("ci.key.pub: not an Ed25519 PKCS#8 PEM private key"),
        "{}",
        run.stderr
    );
    assert_eq!(ws.entry_count(), 0);
}

#[test]
fn reports_carry_their_normalised_findings_in_the_same_entry() {
    let ws = Workspace::new();
    let report = ws.add(&public_fixture("trivy-alpine39-image.json"), "trivy.json");
    let pushed = ws.push(&[&report]).expect(0).json();
    let artifacts = pushed["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 2);
    assert_eq!(artifacts[0]["kind"], "trivy");
    let derived = &artifacts[1];
    assert_eq!(derived["kind"], "findings");
    assert_eq!(derived["name"], "trivy.json.findings.json");
    assert_eq!(derived["derived_from"], artifacts[0]["sha256"]);
    assert_eq!(derived["findings"], 6);

    let sha = derived["sha256"].as_str().unwrap();
    let stored = ws.raw().get(&format!("objects/sha256/{}/{sha}", &sha[..2])).unwrap();
    let document: Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(document["format"], "evidence-locker-findings");
    assert_eq!(document["findings"].as_array().unwrap().len(), 6);
    assert_eq!(document["findings"][0]["category"], "container-vulnerability");
    ws.verify(&[]).expect(0);
}

#[test]
fn native_reports_of_trivy_clair_and_anchore_are_their_own_kinds() {
    let ws = Workspace::new();
    let cases = [
        ("trivy-alpine310-image.json", "trivy", 4),
        ("clair-scanner-ubuntu-bionic.json", "clair", 35),
        ("clair-klar-centos7.json", "clair", 6),
        ("anchore-engine-vuln-all-rhel8.json", "anchore", 51),
        ("anchore-engine-vuln-os-debian9.json", "anchore", 23),
    ];
    for (file, kind, results) in cases {
        let name = ws.add(&public_fixture(file), file);
        let artifact = pushed_artifact(&ws, &name);
        assert_eq!(artifact["kind"], kind, "{file}");
        assert_eq!(artifact["scan"]["results"], results, "{file}");
    }
}

#[test]
fn secrets_stay_out_of_derived_findings() {
    let ws = Workspace::new();
    let name = ws.add(&util::scanner_fixture("gitleaks-sample-app.sarif"), "gitleaks.sarif");
    let pushed = ws.push(&[&name]).expect(0).json();
    let sha = pushed["artifacts"][1]["sha256"].as_str().unwrap().to_string();
    let stored = ws.raw().get(&format!("objects/sha256/{}/{sha}", &sha[..2])).unwrap();
    let text = String::from_utf8(stored).unwrap();
    assert!(text.contains("\"category\":\"secret\""), "{text}");
    assert!(!text.contains("AKIAZ7FAKEKEYTEST42Q"), "the secret leaked: {text}");
    let log = ws.run(&["log", "--json"]).expect(0).stdout;
    assert!(!log.contains("AKIAZ7FAKEKEYTEST42Q"));
}
