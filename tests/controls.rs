//! The control catalogs and mappings: built in, replaceable, and validated with every problem
//! reported at once.

mod util;

use util::Workspace;

fn ids(run: &util::Run) -> Vec<(String, String)> {
    run.json()["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["framework"].as_str().unwrap().into(), c["id"].as_str().unwrap().into()))
        .collect()
}

#[test]
fn list_gives_each_framework_its_own_ids() {
    let ws = Workspace::new();
    let all = ids(&ws.run(&["controls", "list", "--json"]).expect(0));
    for (framework, id) in
        [("pci-dss", "6.3.3"), ("pci-dss", "8.6.2"), ("hipaa", "164.312(c)(1)"), ("soc2", "CC7.1")]
    {
        assert!(all.contains(&(framework.into(), id.into())), "{framework} {id}");
    }
    let soc2 = ids(&ws.run(&["controls", "list", "--framework", "soc2", "--json"]).expect(0));
    assert!(!soc2.is_empty() && soc2.iter().all(|(f, _)| f == "soc2"));
    ws.run(&["controls", "list", "--framework", "iso27001"]).expect(2);
}

#[test]
fn show_names_the_rules_and_their_rationale() {
    let ws = Workspace::new();
    let shown = ws.run(&["controls", "show", "8.6.2", "--json"]).expect(0).json();
    assert_eq!(shown["framework"], "pci-dss");
    let rules = shown["rules"].as_array().unwrap();
    assert!(
        rules.iter().any(|r| r["evidence"] == "finding" && r["category"][0] == "secret"),
        "{rules:?}"
    );
    assert!(rules.iter().all(|r| !r["rationale"].as_str().unwrap().is_empty()));
    let text = ws.run(&["controls", "show", "hipaa:164.312(c)(1)"]).expect(0).stdout;
    assert!(text.contains("mapping rules"), "{text}");
    ws.run(&["controls", "show", "99.9"]).expect(2);
}

#[test]
fn an_organisation_directory_replaces_the_built_in_data() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("our-controls/mappings")).unwrap();
    ws.write(
        "our-controls/iso.toml",
        b"[framework]\nid = \"iso27001\"\nname = \"ISO/IEC 27001\"\nversion = \"2022\"\n\n[[control]]\nid = \"A.8.8\"\ntitle = \"Management of technical vulnerabilities\"\nfamily = \"A.8 Technological controls\"\n",
    );
    ws.write(
        "our-controls/mappings/ours.toml",
        b"[[rule]]\nid = \"any-critical\"\nevidence = \"finding\"\nseverity = [\"critical\"]\ncontrols = [\"iso27001:A.8.8\"]\nrationale = \"ours\"\njudgment = true\nsource = \"\"\n",
    );
    let by_flag =
        ids(&ws.run(&["controls", "list", "--json", "--controls", "our-controls"]).expect(0));
    assert_eq!(by_flag, vec![("iso27001".to_string(), "A.8.8".to_string())]);

    let mut by_env = ws.command();
    by_env.args(["controls", "show", "A.8.8", "--json"]).env("LOCKER_CONTROLS", "our-controls");
    let output = by_env.output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["rules"][0]["id"], "any-critical");

    ws.write("locker.toml", b"controls = \"our-controls\"\n");
    let from_file = ids(&ws.run(&["controls", "list", "--json"]).expect(0));
    assert_eq!(from_file.len(), 1);
}

#[test]
fn broken_data_gives_all_its_errors_with_lines_and_exit_2() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("broken")).unwrap();
    ws.write(
        "broken/catalog.toml",
        b"[framework]\nid = \"x\"\nname = \"X\"\nversion = \"1\"\n\n[[control]]\nid = \"1\"\ntitle = \"t\"\nfamily = \"f\"\nowner = \"me\"\n",
    );
    ws.write(
        "broken/rules.toml",
        b"[[rule]]\nid = \"r\"\nevidence = \"rumour\"\nseverity = [\"urgent\"]\ncontrols = [\"x:2\"]\nrationale = \"r\"\njudgment = true\n\n[[rule]]\nid = \"r\"\nevidence = \"finding\"\ncontrols = [\"x:1\"]\nrationale = \"r\"\njudgment = false\n",
    );
    let run = ws.run(&["controls", "list", "--controls", "broken"]).expect(2);
    for expected in [
        "catalog.toml:10: unknown key `owner`",
        "rules.toml:3: unknown evidence `rumour`",
        "rules.toml:4: unknown severity",
        "rules.toml:5: unknown control `x:2`",
        "rules.toml:10: duplicate rule id `r`",
    ] {
        assert!(run.stderr.contains(expected), "missing {expected:?} in:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("5 problems"), "{}", run.stderr);
}

#[test]
fn map_tells_which_controls_findings_touch_without_pushing() {
    let ws = Workspace::new();
    let semgrep = ws.add(&util::scanner_fixture("semgrep-sample-app.sarif"), "semgrep.sarif");
    let gitleaks = ws.add(&util::scanner_fixture("gitleaks-sample-app.sarif"), "gitleaks.sarif");
    let trivy = ws.add(&util::public_fixture("trivy-alpine39-image.json"), "trivy.json");
    let run = ws.run(&["map", "--json", &semgrep, &gitleaks, &trivy]).expect(0);
    assert!(!run.stdout.contains("AKIAZ7FAKEKEYTEST42Q"), "a secret leaked");
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    let controls_of = |pick: &dyn Fn(&serde_json::Value) -> bool| -> Vec<String> {
        let finding = findings.iter().find(|f| pick(f)).expect("a matching finding");
        finding["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    let sql =
        controls_of(&|f| f["cwe"].as_array().is_some_and(|c| c.iter().any(|c| c == "CWE-89")));
    assert!(sql.contains(&"pci-dss:6.2.4".to_string()), "{sql:?}");
    let secret = controls_of(&|f| f["category"] == "secret");
    assert!(secret.contains(&"pci-dss:8.6.2".to_string()), "{secret:?}");
    let critical =
        controls_of(&|f| f["severity"] == "critical" && f["category"] == "container-vulnerability");
    assert!(critical.contains(&"pci-dss:6.3.3".to_string()), "{critical:?}");
    assert!(json["controls"]["pci-dss:6.2.4"].as_u64().unwrap() >= 1);
    assert!(!ws.store().exists(), "map writes nothing");
}

fn status(ws: &Workspace, generated_at: &str) -> Vec<serde_json::Value> {
    let args = [
        "controls",
        "status",
        "--period",
        "2026-Q3",
        "--framework",
        "pci-dss",
        "--generated-at",
        generated_at,
        "--trusted-key",
        "ci.key.pub",
        "--json",
    ];
    let json = ws.run(&args).expect(0).json();
    assert_eq!(json["period"], "2026-07-01..2026-09-30");
    json["controls"].as_array().unwrap().clone()
}

fn state_of<'a>(states: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    states.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("{id} missing"))
}

#[test]
fn control_states_follow_the_evidence_and_the_deadlines() {
    let ws = Workspace::new();
    let report = ws.add(&util::public_fixture("trivy-alpine39-image.json"), "trivy.json");
    ws.run(&["push", "--key", "ci.key", "--time", "2026-07-05T10:00:00Z", &report]).expect(0);

    // Within a month of the fix being known, the open critical CVEs are not late yet.
    let early = status(&ws, "2026-07-20T00:00:00Z");
    assert_eq!(state_of(&early, "6.3.3")["state"], "met");
    assert_eq!(state_of(&early, "11.3.1")["state"], "met", "a container scan in the quarter");

    // At the end of the quarter they are, and the reasons name them and the entry.
    let late = status(&ws, "2026-10-15T00:00:00Z");
    let patching = state_of(&late, "6.3.3");
    assert_eq!(patching["state"], "not-met");
    let reasons = patching["reasons"].to_string();
    assert!(
        reasons.contains("CVE-2019-14697") && reasons.contains("past the pci-dss deadline"),
        "{reasons}"
    );
    assert_eq!(patching["entries"], serde_json::json!([0]));

    // No IaC scan was pushed: the configuration-standard control lacks its scan.
    let iac = state_of(&late, "2.2.1");
    assert_eq!(iac["state"], "not-met");
    assert!(iac["reasons"].to_string().contains("no iac scan"), "{iac}");
    // The chain verified against the pinned key supports the log-integrity controls.
    assert!(
        late.iter()
            .any(|c| c["state"] == "met" && c["reasons"].to_string().contains("chain verifies"))
    );
    assert!(late.iter().any(|c| c["state"] == "not-applicable"));
    assert!(late.iter().any(|c| c["state"] == "no-evidence"));
}

#[test]
fn encryption_and_retention_come_from_the_recorded_store_posture() {
    let ws = Workspace::new();
    let report = ws.add(&util::public_fixture("trivy-alpine39-image.json"), "trivy.json");
    ws.run(&["push", "--key", "ci.key", "--time", "2026-07-05T10:00:00Z", &report]).expect(0);
    let before = status(&ws, "2099-01-01T00:00:00Z");
    let reasons = state_of(&before, "10.5.1")["reasons"].to_string();
    assert!(reasons.contains("no store posture recorded"), "{reasons}");

    // doctor --record keeps the posture as a signed entry; a local directory holds no lock.
    let record = ["doctor", "--record", "--key", "ci.key", "--time", "2026-07-06T00:00:00Z"];
    let doctor = ws.run(&[&record[..], &["--json"]].concat()).expect(0).json();
    let seq = doctor["recorded"]["seq"].as_u64().unwrap();
    assert_eq!(seq, 1);
    let entry = &ws.log()[1];
    assert_eq!(entry["artifacts"][0]["kind"], "posture", "{entry}");
    assert!(ws.verify(&["--trusted-key", "ci.key.pub"]).status == 0);

    let after = status(&ws, "2099-01-01T00:00:00Z");
    let retention = state_of(&after, "10.5.1");
    assert_eq!(retention["state"], "not-met", "{retention}");
    assert!(retention["reasons"].to_string().contains("local directory, without a retention lock"));
    assert!(retention["entries"].as_array().unwrap().contains(&serde_json::json!(seq)));

    // A posture file cannot be pushed by hand.
    let fake = ws.write("posture.json", b"{}");
    let run = ws.run(&["push", "--key", "ci.key", "--kind", "posture", &fake]).expect(2);
    assert!(run.stderr.contains("doctor --record"), "{}", run.stderr);
}
