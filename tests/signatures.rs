//! Signatures are evidence only when they verify: Sigstore bundles and cosign signatures are
//! checked against `--cosign-key`, keyless bundles offline against `--trusted-root`, and a
//! signature by another key, root or signer counts as failed.

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

/// The four public keyless bundles: three from the Sigstore conformance suite and npm
/// provenance (v0.1, sha512 subject, inclusion promise only).
const KEYLESS_BUNDLES: [&str; 4] = [
    "sigstore-bundle-v01-dsse-provenance.json",
    "sigstore-bundle-v02-messagesig.json",
    "sigstore-bundle-v03-messagesig.json",
    "sigstore-bundle-v03-dsse-intoto.json",
];

const CONFORMANCE_SIGNER: &str = "https://github.com/sigstore-conformance/\
    extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml\
    @refs/heads/main";

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn signature_of(ws: &Workspace, file: &str, extra: &[&str]) -> Value {
    let mut args = vec!["push", "--key", "ci.key", "--json", file];
    args.extend(extra);
    let pushed = ws.run(&args).expect(0).json();
    pushed["artifacts"][0]["signature"].clone()
}

fn trusted_root(ws: &Workspace) -> String {
    ws.add(&public_fixture("sigstore-trusted-root-public-good.json"), "trusted_root.json")
}

#[test]
fn keyless_bundles_verify_offline_against_the_trusted_root() {
    let ws = Workspace::new();
    let root = trusted_root(&ws);
    for bundle in KEYLESS_BUNDLES {
        let name = ws.add(&public_fixture(bundle), bundle);
        let signature = signature_of(&ws, &name, &["--trusted-root", &root]);
        assert_eq!(signature["check"], "verified", "{bundle}: {signature}");
        assert!(
            signature["signer"]["identity"].as_str().unwrap().starts_with("https://github.com/")
        );
        assert_eq!(signature["signer"]["issuer"], GITHUB_ISSUER, "{bundle}");

        let unchecked = signature_of(&ws, &name, &[]);
        assert_eq!(unchecked["check"], "not-checked", "{bundle}");
        assert!(unchecked["problem"].as_str().unwrap().contains("--trusted-root"), "{unchecked}");
    }
}

#[test]
fn keyless_bundles_must_name_the_expected_signer() {
    let ws = Workspace::new();
    let root = trusted_root(&ws);
    let name = ws.add(&public_fixture(KEYLESS_BUNDLES[3]), "bundle.json");
    let expected = ["--trusted-root", &root, "--certificate-identity", CONFORMANCE_SIGNER];

    let right = signature_of(
        &ws,
        &name,
        &[&expected[..], &["--certificate-oidc-issuer", GITHUB_ISSUER]].concat(),
    );
    assert_eq!(right["check"], "verified", "{right}");
    assert_eq!(right["signer"]["identity"], CONFORMANCE_SIGNER);

    let someone_else = "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main";
    let wrong = signature_of(
        &ws,
        &name,
        &["--trusted-root", &root, "--certificate-identity", someone_else],
    );
    assert_eq!(wrong["check"], "failed", "{wrong}");
    assert!(wrong["problem"].as_str().is_some_and(|p| !p.is_empty()), "{wrong}");

    let issuer = signature_of(
        &ws,
        &name,
        &[&expected[..], &["--certificate-oidc-issuer", "https://accounts.google.com"]].concat(),
    );
    assert_eq!(issuer["check"], "failed", "{issuer}");

    let run = ws.run(&["push", "--key", "ci.key", &name, "--certificate-identity", "x"]).expect(2);
    assert!(run.stderr.contains("need --trusted-root"), "{}", run.stderr);
}

/// Rewrites one field of a bundle's JSON.
fn edited_bundle(
    ws: &Workspace,
    bundle: &str,
    name: &str,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut json: Value =
        serde_json::from_slice(&std::fs::read(public_fixture(bundle)).unwrap()).unwrap();
    edit(&mut json);
    ws.write(name, &serde_json::to_vec(&json).unwrap())
}

/// Flips one bit inside a base64 field.
fn flip_base64(value: &mut Value) {
    let mut bytes = STANDARD.decode(value.as_str().unwrap()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    *value = Value::String(STANDARD.encode(bytes));
}

#[test]
fn altered_keyless_bundles_fail() {
    let ws = Workspace::new();
    let root = trusted_root(&ws);
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, &str, Edit)> = vec![
        (
            "sigstore-bundle-v03-messagesig.json",
            "signature",
            Box::new(|b| flip_base64(&mut b["messageSignature"]["signature"])),
        ),
        (
            "sigstore-bundle-v03-messagesig.json",
            "digest",
            Box::new(|b| flip_base64(&mut b["messageSignature"]["messageDigest"]["digest"])),
        ),
        (
            "sigstore-bundle-v03-dsse-intoto.json",
            "payload",
            Box::new(|b| flip_base64(&mut b["dsseEnvelope"]["payload"])),
        ),
        (
            "sigstore-bundle-v03-dsse-intoto.json",
            "certificate",
            Box::new(|b| flip_base64(&mut b["verificationMaterial"]["certificate"]["rawBytes"])),
        ),
        (
            "sigstore-bundle-v02-messagesig.json",
            "log-time",
            Box::new(|b| {
                let entry = &mut b["verificationMaterial"]["tlogEntries"][0];
                entry["integratedTime"] = Value::String("1700000000".into());
            }),
        ),
        (
            "sigstore-bundle-v01-dsse-provenance.json",
            "promise",
            Box::new(|b| {
                flip_base64(
                    &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"],
                );
            }),
        ),
    ];
    for (bundle, what, edit) in cases {
        let name = edited_bundle(&ws, bundle, &format!("{what}.json"), edit);
        let run = ws.run(&["push", "--key", "ci.key", "--json", &name, "--trusted-root", &root]);
        let signature = run.expect(0).json()["artifacts"][0]["signature"].clone();
        assert_eq!(signature["check"], "failed", "{what}: {signature}");
    }
}

#[test]
fn keyless_bundles_fail_against_another_root() {
    let ws = Workspace::new();
    let mut root: Value = serde_json::from_slice(
        &std::fs::read(public_fixture("sigstore-trusted-root-public-good.json")).unwrap(),
    )
    .unwrap();
    let name = ws.add(&public_fixture(KEYLESS_BUNDLES[2]), "bundle.json");

    let mut no_fulcio = root.clone();
    no_fulcio["certificateAuthorities"] = Value::Array(vec![]);
    let file = ws.write("no-fulcio.json", &serde_json::to_vec(&no_fulcio).unwrap());
    assert_eq!(signature_of(&ws, &name, &["--trusted-root", &file])["check"], "failed");

    root["tlogs"] = Value::Array(vec![]);
    let file = ws.write("no-rekor.json", &serde_json::to_vec(&root).unwrap());
    assert_eq!(signature_of(&ws, &name, &["--trusted-root", &file])["check"], "failed");

    ws.write("broken.json", b"{\"mediaType\": 3}");
    let run =
        ws.run(&["push", "--key", "ci.key", &name, "--trusted-root", "broken.json"]).expect(2);
    assert!(
        run.stderr.contains("broken.json") && run.stderr.contains("trusted root"),
        "{}",
        run.stderr
    );
    let entries = ws.run(&["log", "--json"]).expect(0).json()["entries"].as_array().unwrap().len();
    assert_eq!(entries, 2, "the refused push appended nothing");
}

/// A cosign signature line for `digest`, signed with `key` as cosign signs: ECDSA P-256 over
/// the simple-signing payload.
fn cosign_signature(ws: &Workspace, key: &str, repository: &str, digest: &str) -> String {
    let payload = serde_json::json!({
        "critical": {
            "identity": { "docker-reference": repository },
            "image": { "docker-manifest-digest": digest },
            "type": "cosign container image signature"
        },
        "optional": null
    });
    ws.write("payload.json", payload.to_string().as_bytes());
    openssl(ws, &["dgst", "-sha256", "-sign", key, "-out", "payload.sig", "payload.json"]);
    let line = serde_json::json!({
        "Base64Signature": STANDARD.encode(std::fs::read(ws.path("payload.sig")).unwrap()),
        "Payload": STANDARD.encode(payload.to_string()),
    });
    ws.write("signature.json", format!("{line}\n").as_bytes())
}

fn control(ws: &Workspace, id: &str) -> Value {
    let args = [
        "controls",
        "status",
        "--period",
        "2026-Q3",
        "--framework",
        "pci-dss",
        "--generated-at",
        "2026-07-20T00:00:00Z",
        "--json",
    ];
    let json = ws.run(&args).expect(0).json();
    let controls = json["controls"].as_array().unwrap();
    controls.iter().find(|c| c["id"] == id).unwrap().clone()
}

/// A workspace holding one Trivy scan of `repository@digest`. The public Trivy report
/// scanned an image from a tar file; a scan from a registry also names the manifest digest
/// in RepoDigests, as added here.
fn scanned_image(repository: &str, digest: &str) -> Workspace {
    let ws = Workspace::new();
    let mut report: Value = serde_json::from_slice(
        &std::fs::read(public_fixture("trivy-alpine310-image.json")).unwrap(),
    )
    .unwrap();
    report["Metadata"]["RepoDigests"] = serde_json::json!([format!("{repository}@{digest}")]);
    let report = ws.write("trivy.json", &serde_json::to_vec(&report).unwrap());
    let pushed = ws
        .run(&["push", "--key", "ci.key", "--time", "2026-07-05T10:00:00Z", "--json", &report])
        .expect(0)
        .json();
    assert_eq!(pushed["artifacts"][0]["scan"]["images"][0]["digest"], digest);
    p256_key_pair(&ws, "cosign.key", "cosign.pub");
    ws
}

fn push_signature(ws: &Workspace, signature: &str) {
    let args = ["push", "--key", "ci.key", "--cosign-key", "cosign.pub", signature];
    ws.run(&[&args[..], &["--time", "2026-07-06T10:00:00Z"]].concat()).expect(0);
}

#[test]
fn signature_coverage_compares_scanned_digests_with_verified_signatures() {
    let repository = "ghcr.io/aquasecurity/trivy-test-images";
    let digest = format!("sha256:{}", "5e".repeat(32));

    // Scanned but unsigned: the change-control and change-detection controls are not met.
    let ws = scanned_image(repository, &digest);
    let unsigned = control(&ws, "6.5.1");
    assert_eq!(unsigned["state"], "not-met", "{unsigned}");
    let reasons = unsigned["reasons"].to_string();
    let gap = "1 of 1 scanned image digest(s) have no verified signature";
    assert!(reasons.contains(gap), "{reasons}");
    assert!(reasons.contains(&format!("{repository}@sha256:5e5e")), "{reasons}");

    // A signature by another key fails and does not count.
    p256_key_pair(&ws, "other.key", "other.pub");
    push_signature(&ws, &cosign_signature(&ws, "other.key", repository, &digest));
    let reasons = control(&ws, "6.5.1")["reasons"].to_string();
    assert!(reasons.contains("1 signature(s) failed to verify"), "{reasons}");

    // One by the pinned key covers the digest; a signature of another digest would not.
    let ws = scanned_image(repository, &digest);
    let other_digest = format!("sha256:{}", "a1".repeat(32));
    push_signature(&ws, &cosign_signature(&ws, "cosign.key", repository, &other_digest));
    assert!(control(&ws, "6.5.1")["reasons"].to_string().contains(gap));
    push_signature(&ws, &cosign_signature(&ws, "cosign.key", repository, &digest));
    let reasons = control(&ws, "6.5.1")["reasons"].to_string();
    assert!(reasons.contains("2 verified signature(s); 1 of 1 scanned image digest(s) signed"));
    assert!(!reasons.contains("no verified signature"), "{reasons}");
}
