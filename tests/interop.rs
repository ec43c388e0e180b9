//! Entries are standard DSSE envelopes over in-toto statements: an implementation that is
//! not ours (Python's securesystemslib) verifies them with the public key alone.
//!
//! `tests/run.sh` installs securesystemslib in a virtual environment and points
//! LOCKER_TEST_PYTHON at its interpreter.

mod util;

use std::process::Command;

use util::{Workspace, public_fixture};

fn python() -> String {
    std::env::var("LOCKER_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("LOCKER_TEST_PYTHON is not set: run the tests with tests/run.sh, which installs securesystemslib")
    })
}

fn verify_with_securesystemslib(ws: &Workspace, seq: u64) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/dsse_verify.py");
    Command::new(python())
        .arg(script)
        .arg(ws.path("ci.key.pub"))
        .arg(ws.entry_path(seq))
        .output()
        .expect("python runs")
}

#[test]
fn securesystemslib_verifies_our_entries() {
    let ws = Workspace::new();
    let report = ws.add(&public_fixture("trivy-alpine310-image.sarif"), "trivy.sarif");
    let pushed = ws.push(&[&report]).expect(0).json();

    let output = verify_with_securesystemslib(&ws, 0);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["type"], "https://in-toto.io/Statement/v1");
    assert_eq!(result["sequence"], 0);
    assert_eq!(result["subjects"][0], pushed["artifacts"][0]["sha256"]);
    let key_id = ws.run(&["log", "--json"]).json()["entries"][0]["signers"][0].clone();
    assert_eq!(result["verified"][0], key_id, "key ids are computed the same way");
}

#[test]
fn securesystemslib_rejects_an_edited_entry() {
    let ws = Workspace::new();
    ws.push_note("original");
    let path = ws.entry_path(0);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Re-encode a different payload under the same signature.
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let payload = engine.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let edited = String::from_utf8(payload).unwrap().replace("\"sequence\":0", "\"sequence\":7");
    envelope["payload"] = engine.encode(edited).into();
    std::fs::write(&path, envelope.to_string()).unwrap();

    let output = verify_with_securesystemslib(&ws, 0);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("VerificationError"));
}
