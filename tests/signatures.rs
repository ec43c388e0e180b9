//! Signatures are evidence only when they verify: Sigstore bundles and cosign signatures are
//! checked against `--cosign-key`, and a signature by another key counts as failed.

mod util;

use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use util::{Workspace, public_fixture};

fn openssl(ws: &Workspace, args: &[&str]) {
    let status = Command::new("openssl").args(args).current_dir(ws.dir.path()).status().unwrap();
    assert!(status.success(), "openssl {args:?}");
}

/// A new ECDSA P-256 key pair made by openssl, as cosign makes them.
fn p256_key_pair(ws: &Workspace, private: &str, public: &str) {
    openssl(
        ws,
        &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", private],
    );
    openssl(ws, &["pkey", "-in", private, "-pubout", "-out", public]);
}

/// The public key of a bundle's signing certificate, as SPKI PEM, extracted with openssl.
fn certificate_key(ws: &Workspace, bundle: &str, name: &str) -> String {
    let json: Value =
        serde_json::from_slice(&std::fs::read(public_fixture(bundle)).unwrap()).unwrap();
    let material = &json["verificationMaterial"];
    let raw = material["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .unwrap();
    ws.write(&format!("{name}.der"), &STANDARD.decode(raw).unwrap());
    let output = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in", &format!("{name}.der"), "-pubkey", "-noout"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    ws.write(&format!("{name}.pub"), &output.stdout)
}

fn check_of(ws: &Workspace, file: &str, key: Option<&str>) -> String {
    let mut args = vec!["push", "--key", "ci.key", "--json", file];
    if let Some(key) = key {
        args.extend(["--cosign-key", key]);
    }
    let pushed = ws.run(&args).expect(0).json();
    pushed["artifacts"][0]["signature"]["check"].as_str().unwrap().to_string()
}

#[test]
fn sigstore_bundles_verify_with_their_key_and_fail_with_another() {
    let ws = Workspace::new();
    p256_key_pair(&ws, "other.pem", "other.pub");
    for bundle in [
        "sigstore-bundle-v02-messagesig.json",
        "sigstore-bundle-v03-messagesig.json",
        "sigstore-bundle-v03-dsse-intoto.json",
    ] {
        let name = ws.add(&public_fixture(bundle), bundle);
        let key = certificate_key(&ws, bundle, &format!("{bundle}-cert"));
        assert_eq!(check_of(&ws, &name, Some(&key)), "verified", "{bundle}");
        assert_eq!(check_of(&ws, &name, Some("other.pub")), "failed", "{bundle}");
        assert_eq!(check_of(&ws, &name, None), "not-checked", "{bundle}");
    }
}

#[test]
fn cosign_signatures_verify_with_cosign_pub() {
    // Sign the real simple-signing payload as cosign does: ECDSA P-256 over its bytes.
    let ws = Workspace::new();
    ws.add(&public_fixture("cosign-simple-signing-payload.json"), "payload.json");
    p256_key_pair(&ws, "cosign.key", "cosign.pub");
    openssl(
        &ws,
        &["dgst", "-sha256", "-sign", "cosign.key", "-out", "payload.sig", "payload.json"],
    );
    p256_key_pair(&ws, "other.pem", "other.pub");

    let payload = std::fs::read(ws.path("payload.json")).unwrap();
    let signature = std::fs::read(ws.path("payload.sig")).unwrap();
    let line = serde_json::json!({
        "Base64Signature": STANDARD.encode(signature),
        "Payload": STANDARD.encode(payload),
        "Cert": null, "Chain": null, "Bundle": null, "RFC3161Timestamp": null
    });
    ws.write("signature.json", format!("{line}\n").as_bytes());

    assert_eq!(check_of(&ws, "signature.json", Some("cosign.pub")), "verified");
    assert_eq!(check_of(&ws, "signature.json", Some("other.pub")), "failed");
    let run = ws
        .run(&["push", "--key", "ci.key", "--cosign-key", "payload.json", "signature.json"])
        .expect(2);
    assert!(run.stderr.contains("not an ECDSA P-256 or Ed25519 public key"), "{}", run.stderr);
}
