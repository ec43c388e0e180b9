//! Image and artifact signatures: cosign's signature download and simple-signing payload,
//! and Sigstore bundles v0.1 to v0.3. Here they are read for what they sign; checking the
//! signatures themselves is recorded separately in [`SignatureCheck`]: against a public key
//! (`--cosign-key`) for key-signed files, against a trusted root ([`KeylessPolicy`]) for
//! keyless bundles.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::keyless::{KeylessPolicy, Signer};
use super::parse_document;

/// Sigstore bundle media types this reader knows.
const BUNDLE_MEDIA_TYPES: [(&str, &str); 4] = [
    ("application/vnd.dev.sigstore.bundle+json;version=0.1", "0.1"),
    ("application/vnd.dev.sigstore.bundle+json;version=0.2", "0.2"),
    ("application/vnd.dev.sigstore.bundle+json;version=0.3", "0.3"),
    ("application/vnd.dev.sigstore.bundle.v0.3+json", "0.3"),
];

/// Simple-signing `critical.type` values.
const SIMPLE_SIGNING_TYPES: [&str; 2] =
    ["cosign container image signature", "atomic container signature"];

/// What a signature file signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSummary {
    /// `cosign-signature`, `cosign-payload` or `sigstore-bundle`.
    pub format: String,
    /// The bundle version, for Sigstore bundles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    /// Number of signatures in the file.
    pub signatures: u64,
    /// Each signed subject: an image, or an artifact, with its digest.
    pub signed: Vec<SignedSubject>,
    /// Whether the signatures were checked against a key or trusted root.
    pub check: SignatureCheck,
    /// For keyless bundles that verified, who the certificate names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    /// Why the check failed, or why it was not made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One signed subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSubject {
    /// The image reference or artifact name, when the signature names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `sha256:<hex>` (or another algorithm's prefix).
    pub digest: String,
}

/// The outcome of checking a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureCheck {
    /// No key or trusted root was given to check the signature against, or the file holds
    /// no signature.
    NotChecked,
    /// Every signature verifies with the given key or trusted root: the subjects count as
    /// signed.
    Verified,
    /// A signature does not verify: nothing counts as signed.
    Failed,
}

/// A public key that image signatures are checked against: the `cosign.pub` of a cosign key
/// pair (ECDSA P-256) or an Ed25519 key, as SPKI PEM.
#[derive(Debug, Clone)]
pub enum CosignKey {
    /// ECDSA P-256 with SHA-256.
    P256(p256::ecdsa::VerifyingKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl CosignKey {
    /// Reads an SPKI PEM public key.
    ///
    /// # Errors
    ///
    /// A message naming the file when it is not a P-256 or Ed25519 public key.
    pub fn load(path: &std::path::Path) -> Result<CosignKey, String> {
        use p256::pkcs8::DecodePublicKey;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_pem(&text) {
            return Ok(CosignKey::P256(key));
        }
        ed25519_dalek::VerifyingKey::from_public_key_pem(&text).map(CosignKey::Ed25519).map_err(
            |_| format!("{}: not an ECDSA P-256 or Ed25519 public key in SPKI PEM", path.display()),
        )
    }

    /// Whether `signature` signs `message`.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            CosignKey::P256(key) => p256::ecdsa::Signature::from_der(signature)
                .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                .is_ok_and(|s| key.verify(message, &s).is_ok()),
            CosignKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| key.verify_strict(message, &s).is_ok()),
        }
    }

    /// Whether `signature` signs the message whose SHA-256 is `digest` (Sigstore message
    /// signatures sign the artifact, which the bundle carries only as a digest).
    fn verifies_digest(&self, digest: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        match self {
            CosignKey::P256(key) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| key.verify_prehash(digest, &s).is_ok()),
            // Pure Ed25519 signs the message itself, which a digest cannot stand in for.
            CosignKey::Ed25519(_) => false,
        }
    }
}

fn check_of(
    key: Option<&CosignKey>,
    all_verify: impl FnOnce(&CosignKey) -> bool,
) -> (SignatureCheck, Option<String>) {
    match key {
        None => (SignatureCheck::NotChecked, Some("no --cosign-key to check it against".into())),
        Some(key) if all_verify(key) => (SignatureCheck::Verified, None),
        Some(_) => {
            (SignatureCheck::Failed, Some("a signature does not verify with --cosign-key".into()))
        }
    }
}

#[derive(Deserialize)]
struct SimpleSigning {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// One line of `cosign download signature`.
#[derive(Deserialize)]
struct CosignSignature {
    #[serde(rename = "Base64Signature")]
    base64_signature: String,
    #[serde(rename = "Payload")]
    payload: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    media_type: String,
    verification_material: Option<VerificationMaterial>,
    message_signature: Option<MessageSignature>,
    dsse_envelope: Option<BundleEnvelope>,
}

/// Only whether a certificate is there matters here: it makes the bundle keyless.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerificationMaterial {
    certificate: Option<serde::de::IgnoredAny>,
    x509_certificate_chain: Option<serde::de::IgnoredAny>,
}

impl Bundle {
    fn is_keyless(&self) -> bool {
        self.verification_material
            .as_ref()
            .is_some_and(|m| m.certificate.is_some() || m.x509_certificate_chain.is_some())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: Option<MessageDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct MessageDigest {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundleEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<BundleSignature>,
}

#[derive(Deserialize)]
struct BundleSignature {
    sig: String,
}

#[derive(Deserialize)]
struct InTotoStatement {
    subject: Vec<InTotoSubject>,
}

#[derive(Deserialize)]
struct InTotoSubject {
    name: Option<String>,
    digest: std::collections::BTreeMap<String, String>,
}

/// Reads a cosign simple-signing payload.
pub(super) fn summarize_cosign_payload(bytes: &[u8]) -> Result<SignatureSummary, String> {
    let payload: SimpleSigning = parse_document(bytes, "cosign simple-signing payload")?;
    let signed = signed_image(payload)?;
    Ok(SignatureSummary {
        format: "cosign-payload".to_string(),
        format_version: None,
        signatures: 0,
        signed: vec![signed],
        check: SignatureCheck::NotChecked,
        signer: None,
        problem: Some("a payload holds no signature".to_string()),
    })
}

/// Reads `cosign download signature` output: one JSON object per line.
pub(super) fn summarize_cosign_signatures(
    bytes: &[u8],
    key: Option<&CosignKey>,
) -> Result<SignatureSummary, String> {
    let mut signed = Vec::new();
    let mut pairs = Vec::new();
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<CosignSignature>();
    for (index, line) in stream.enumerate() {
        let entry =
            line.map_err(|e| format!("signature {}: not a cosign signature ({e})", index + 1))?;
        let context = |problem: String| format!("signature {}: {problem}", index + 1);
        let signature =
            decode_base64(&entry.base64_signature, "Base64Signature").map_err(context)?;

        let payload = decode_base64(&entry.payload, "Payload").map_err(context)?;
        pairs.push((payload.clone(), signature));
        let simple: SimpleSigning =
            parse_document(&payload, "cosign simple-signing payload").map_err(context)?;
        signed.push(signed_image(simple).map_err(context)?);
    }
    if signed.is_empty() {
        return Err("no signature in the file".to_string());
    }
    let (check, problem) =
        check_of(key, |k| pairs.iter().all(|(payload, sig)| k.verifies(payload, sig)));
    Ok(SignatureSummary {
        format: "cosign-signature".to_string(),
        format_version: None,
        signatures: signed.len() as u64,
        signed,
        check,
        signer: None,
        problem,
    })
}

/// Reads a Sigstore bundle, checking its signature against `key` when it is key-signed and
/// against `keyless` when it carries a signing certificate.
pub(super) fn summarize_bundle(
    bytes: &[u8],
    key: Option<&CosignKey>,
    keyless: Option<&KeylessPolicy>,
) -> Result<SignatureSummary, String> {
    let bundle: Bundle = parse_document(bytes, "Sigstore bundle")?;
    let version = BUNDLE_MEDIA_TYPES
        .iter()
        .find(|(media_type, _)| *media_type == bundle.media_type)
        .map(|(_, version)| version.to_string())
        .ok_or_else(|| format!("unsupported Sigstore bundle media type {:?}", bundle.media_type))?;

    let (signatures, signed) = match (&bundle.message_signature, &bundle.dsse_envelope) {
        (Some(message), None) => (1, vec![message_subject(message)?]),
        (None, Some(envelope)) => (envelope.signatures.len() as u64, envelope_subjects(envelope)?),
        _ => {
            return Err(
                "a Sigstore bundle holds exactly one of messageSignature and dsseEnvelope".into()
            );
        }
    };
    let mut summary = SignatureSummary {
        format: "sigstore-bundle".to_string(),
        format_version: Some(version),
        signatures,
        signed,
        check: SignatureCheck::NotChecked,
        signer: None,
        problem: None,
    };

    // A keyless bundle is checked against the trusted root when there is one; a pinned key
    // still proves who signed when the signing certificate holds that very key.
    match keyless {
        Some(policy) if bundle.is_keyless() => check_keyless(&mut summary, bytes, policy),
        _ => (summary.check, summary.problem) = check_of(key, |k| bundle_verifies(&bundle, k)),
    }
    if bundle.is_keyless() && summary.check == SignatureCheck::NotChecked {
        summary.problem = Some("keyless bundle: no --trusted-root to check it against".into());
    }
    Ok(summary)
}

/// A keyless bundle has one signature over all its subjects, so checking it against the
/// first subject's digest checks it for all.
fn check_keyless(summary: &mut SignatureSummary, bytes: &[u8], policy: &KeylessPolicy) {
    let outcome = policy.check(bytes, &summary.signed[0]);
    summary.check = outcome.check;
    summary.signer = outcome.signer;
    summary.problem = outcome.problem;
}

fn bundle_verifies(bundle: &Bundle, key: &CosignKey) -> bool {
    if let Some(message) = &bundle.message_signature {
        let digest = message.message_digest.as_ref().filter(|d| d.algorithm == "SHA2_256");
        let digest = digest.and_then(|d| decode_base64(&d.digest, "digest").ok());
        let signature = decode_base64(&message.signature, "signature").ok();
        return match (digest, signature) {
            (Some(digest), Some(signature)) => key.verifies_digest(&digest, &signature),
            _ => false,
        };
    }
    let Some(envelope) = &bundle.dsse_envelope else { return false };
    let Ok(payload) = decode_base64(&envelope.payload, "payload") else { return false };
    let message = crate::chain::dsse::pae(&envelope.payload_type, &payload);
    !envelope.signatures.is_empty()
        && envelope
            .signatures
            .iter()
            .all(|s| decode_base64(&s.sig, "sig").is_ok_and(|sig| key.verifies(&message, &sig)))
}

fn signed_image(payload: SimpleSigning) -> Result<SignedSubject, String> {
    let critical = payload.critical;
    if !SIMPLE_SIGNING_TYPES.contains(&critical.kind.as_str()) {
        return Err(format!("unknown simple-signing type {:?}", critical.kind));
    }
    let digest = critical.image.docker_manifest_digest;
    check_digest(&digest)?;
    Ok(SignedSubject { name: Some(critical.identity.docker_reference), digest })
}

fn message_subject(message: &MessageSignature) -> Result<SignedSubject, String> {
    decode_base64(&message.signature, "messageSignature.signature")?;
    let digest = message
        .message_digest
        .as_ref()
        .ok_or("the message signature has no messageDigest, so what it signs is unknown")?;
    let raw = decode_base64(&digest.digest, "messageDigest.digest")?;
    let algorithm = match digest.algorithm.as_str() {
        "SHA2_256" => "sha256",
        "SHA2_384" => "sha384",
        "SHA2_512" => "sha512",
        other => return Err(format!("unknown message digest algorithm {other:?}")),
    };
    Ok(SignedSubject { name: None, digest: format!("{algorithm}:{}", hex::encode(raw)) })
}

fn envelope_subjects(envelope: &BundleEnvelope) -> Result<Vec<SignedSubject>, String> {
    if envelope.payload_type != "application/vnd.in-toto+json" {
        return Err(format!("DSSE payload type {:?} is not in-toto", envelope.payload_type));
    }
    let payload = decode_base64(&envelope.payload, "dsseEnvelope.payload")?;
    let statement: InTotoStatement = parse_document(&payload, "in-toto statement")?;
    let subjects: Vec<SignedSubject> = statement
        .subject
        .into_iter()
        .filter_map(|s| {
            let (algorithm, value) = s.digest.into_iter().next()?;
            Some(SignedSubject { name: s.name, digest: format!("{algorithm}:{value}") })
        })
        .collect();
    if subjects.is_empty() {
        return Err("the in-toto statement has no subject with a digest".to_string());
    }
    Ok(subjects)
}

fn check_digest(digest: &str) -> Result<(), String> {
    let valid = digest
        .strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if valid { Ok(()) } else { Err(format!("{digest:?} is not a sha256 image digest")) }
}

fn decode_base64(text: &str, field: &str) -> Result<Vec<u8>, String> {
    STANDARD.decode(text.trim()).map_err(|e| format!("{field} is not base64 ({e})"))
}
