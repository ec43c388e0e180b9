//! Settings precedence, keys, exit statuses and messages of the command line.

mod util;

use std::fs;

use util::{Workspace, public_fixture};

#[test]
fn keygen_writes_openssl_compatible_keys_with_private_mode() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    let mode = fs::metadata(ws.path("ci.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let public = fs::read_to_string(ws.path("ci.key.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    let private = fs::read_to_string(ws.path("ci.key")).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));

    let again = ws.run(&["keygen", "--out", "ci.key"]).expect(2);
    assert!(again.stderr.contains("already exists"));
    let json = ws.run(&["keygen", "--out", "other.key", "--json"]).expect(0).json();
    assert_eq!(json["key_id"].as_str().unwrap().len(), 64);
}

#[test]
fn openssl_reads_our_keys_and_we_read_its_keys() {
    let ws = Workspace::new();
    let status = std::process::Command::new("openssl")
        .args(["pkey", "-in", "ci.key", "-pubout", "-out", "from-openssl.pub"])
        .current_dir(ws.dir.path())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    assert_eq!(
        fs::read(ws.path("from-openssl.pub")).unwrap(),
        fs::read(ws.path("ci.key.pub")).unwrap()
    );

    let status = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out", "openssl.key"])
        .current_dir(ws.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    ws.write("a.txt", b"a");
    ws.run(&["push", "--key", "openssl.key", "--kind", "attachment", "a.txt"]).expect(0);
}

#[test]
fn store_comes_from_flag_then_env_then_file_then_default() {
    let ws = Workspace::new();
    ws.write("a.txt", b"a");
    let push = |extra: &[&str], env: Option<&str>| {
        let mut command = ws.command();
        command
            .args(["push", "--key", "ci.key", "--kind", "attachment", "--json"])
            .args(extra)
            .arg("a.txt");
        if let Some(store) = env {
            command.env("LOCKER_STORE", store);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json["store"].as_str().unwrap().to_string()
    };
    assert_eq!(push(&[], None), "./evidence");
    ws.write("locker.toml", b"store = \"from-file\"\n");
    assert_eq!(push(&[], None), "from-file");
    assert_eq!(push(&[], Some("from-env")), "from-env");
    assert_eq!(push(&["--store", "from-flag"], Some("from-env")), "from-flag");
    for dir in ["evidence", "from-file", "from-env", "from-flag"] {
        assert!(ws.path(dir).join("chain/000000000000.json").is_file(), "{dir}");
    }
}

#[test]
fn trusted_keys_from_env_list() {
    let ws = Workspace::new();
    ws.run(&["keygen", "--out", "second.key"]).expect(0);
    ws.push_note("one");
    ws.write("b.txt", b"b");
    ws.run(&["push", "--key", "second.key", "--kind", "attachment", "b.txt"]).expect(0);

    let mut verify = ws.command();
    verify.args(["verify", "--json"]).env("LOCKER_TRUSTED_KEYS", "ci.key.pub,second.key.pub");
    let output = verify.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));

    let only_first = ws.verify(&[]).expect(1).json();
    assert_eq!(only_first["problems"][0]["code"], "untrusted-signer");
}

#[test]
fn verify_refuses_to_run_without_a_trusted_key() {
    let ws = Workspace::new();
    ws.push_note("x");
    let run = ws.run(&["verify"]).expect(2);
    assert!(run.stderr.contains("no trusted key"), "{}", run.stderr);
}

#[test]
fn keys_in_the_store_are_never_trusted() {
    // push copies its public key to keys/ for convenience; verify must not use it.
    let ws = Workspace::new();
    ws.push_note("x");
    assert_eq!(fs::read_dir(ws.store().join("keys")).unwrap().count(), 1);
    ws.run(&["keygen", "--out", "other.key"]).expect(0);
    let run = ws.run(&["verify", "--trusted-key", "other.key.pub", "--json"]).expect(1);
    let problems = run.json()["problems"].clone();
    let codes: Vec<&str> =
        problems.as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["history-resigned", "untrusted-signer"]);
}

#[test]
fn invalid_settings_file_names_file_and_line() {
    let ws = Workspace::new();
    ws.write("locker.toml", b"store = \"./evidence\"\nstroe = \"typo\"\n");
    let run = ws.run(&["log"]).expect(2);
    assert!(run.stderr.contains("locker.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2") && run.stderr.contains("stroe"), "{}", run.stderr);

    ws.write("locker.toml", b"[[trusted_keys]]\npath = \"ci.key.pub\"\nnot_after = \"soon\"\n");
    let run = ws.run(&["verify"]).expect(2);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
}

#[test]
fn unreadable_store_exits_3() {
    let ws = Workspace::new();
    let run = ws.run(&["verify", "--trusted-key", "ci.key.pub", "--store", "nowhere"]).expect(3);
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);
    ws.run(&["log", "--store", "nowhere"]).expect(3);

    // A store whose directory cannot be created.
    ws.write("a-file", b"x");
    let name = ws.add(&public_fixture("grype-image.sarif"), "g.sarif");
    let run = ws.run(&["push", "--key", "ci.key", "--store", "a-file/store", &name]).expect(3);
    assert!(run.stderr.contains("a-file/store"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let ws = Workspace::new();
    ws.run(&["push"]).expect(2);
    ws.run(&["frobnicate"]).expect(2);
    ws.run(&["verify", "--trusted-key", "ci.key.pub", "--expect-head", "xyz"]).expect(2);
    ws.run(&["push", "--key", "ci.key", "--kind", "pdf", "a"]).expect(2);
}

#[test]
fn init_writes_a_commented_config_and_the_store() {
    let ws = Workspace::new();
    let run = ws.run(&["init", "--key", "ci.key", "--store", "vault"]).expect(0);
    assert!(run.stdout.contains("wrote locker.toml"), "{}", run.stdout);
    let config = fs::read_to_string(ws.path("locker.toml")).unwrap();
    assert!(config.contains("store = \"vault\""));
    assert!(config.contains("# [[trusted_keys]]"));
    assert!(ws.path("vault/chain").is_dir() && ws.path("vault/keys").is_dir());
    // The written file is valid: the next command uses it without flags.
    ws.write("a.txt", b"a");
    ws.run(&["push", "--key", "ci.key", "--kind", "attachment", "a.txt"]).expect(0);
    assert!(ws.path("vault/chain/000000000000.json").is_file());
    let again = ws.run(&["init"]).expect(0);
    assert!(again.stdout.contains("kept existing locker.toml"));
}

#[test]
fn log_lists_entries_in_text_and_json() {
    let ws = Workspace::new();
    let report = ws.add(&public_fixture("trivy-action-alpine-critical-image.sarif"), "trivy.sarif");
    ws.run(&["push", "--key", "ci.key", "--ci-project", "shop/web", &report]).expect(0);
    let text = ws.run(&["log"]).expect(0).stdout;
    assert!(text.contains("entry 0"), "{text}");
    assert!(text.contains("trivy.sarif") && text.contains("1 critical"), "{text}");
    assert!(text.contains("shop/web"), "{text}");
    let entries = ws.log();
    assert_eq!(entries[0]["artifacts"][0]["scan"]["by_severity"]["critical"], 1);
    let empty = Workspace::new();
    fs::create_dir(empty.store()).unwrap();
    assert_eq!(empty.run(&["log", "--json"]).expect(0).stdout.trim(), "{\"entries\":[]}");
}
