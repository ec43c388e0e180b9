//! Keyless Sigstore bundles, checked offline against a trusted-root file.
//!
//! A keyless bundle is signed with a short-lived Fulcio certificate instead of a long-lived
//! key. It proves something only when the certificate chains to a Fulcio CA of the trusted
//! root, the signature was logged in Rekor (inclusion proof or promise signed by a log key
//! of the trusted root) while the certificate was valid, and the certificate names the
//! expected signer. The checks themselves are done by `sigstore-verify`; this module decides
//! what to ask it and records the outcome.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Artifact, ArtifactDigest, Bundle, HashAlgorithm};
use sigstore_verify::{VerificationPolicy, Verifier};

use super::signature::{SignatureCheck, SignedSubject};

/// Who signed a keyless bundle, as its certificate says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// The certificate's identity: an e-mail address or a workflow URI.
    pub identity: String,
    /// The OIDC issuer that vouched for the identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// The trust keyless bundles are checked against: a Sigstore trusted-root file and,
/// optionally, the identity and issuer the signing certificate must name.
pub struct KeylessPolicy {
    verifier: Verifier,
    identity: Option<String>,
    issuer: Option<String>,
}

impl std::fmt::Debug for KeylessPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeylessPolicy")
            .field("identity", &self.identity)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// The outcome of checking one keyless bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessOutcome {
    /// Verified or failed.
    pub check: SignatureCheck,
    /// The signer the certificate names, when verification got that far.
    pub signer: Option<Signer>,
    /// Why it failed.
    pub problem: Option<String>,
}

impl KeylessPolicy {
    /// Reads a Sigstore `trusted_root.json` (the format of sigstore's TUF target
    /// `trusted_root.json`, or `cosign trusted-root create`).
    ///
    /// # Errors
    ///
    /// A message naming the file when it cannot be read or holds no usable trust material.
    pub fn load(
        path: &Path,
        identity: Option<String>,
        issuer: Option<String>,
    ) -> Result<KeylessPolicy, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let root = TrustedRoot::from_json(&text)
            .map_err(|e| format!("{}: not a Sigstore trusted root ({e})", path.display()))?;
        let verifier = Verifier::new(&root)
            .map_err(|e| format!("{}: unusable trusted root ({e})", path.display()))?;
        Ok(KeylessPolicy { verifier, identity, issuer })
    }

    /// Checks a keyless bundle's signature over `subject`, the digest the bundle itself
    /// says it signs.
    pub(super) fn check(&self, bytes: &[u8], subject: &SignedSubject) -> KeylessOutcome {
        let failed = |problem: String| KeylessOutcome {
            check: SignatureCheck::Failed,
            signer: None,
            problem: Some(problem),
        };

        let bundle = match std::str::from_utf8(bytes).map(Bundle::from_json) {
            Ok(Ok(bundle)) => bundle,
            Ok(Err(e)) => return failed(format!("bundle not readable by the verifier: {e}")),
            Err(e) => return failed(format!("bundle is not UTF-8: {e}")),
        };
        let digest = match artifact_digest(&subject.digest) {
            Ok(digest) => digest,
            Err(problem) => return failed(problem),
        };

        match self.verifier.verify(Artifact::from_digest(digest), &bundle, &self.policy()) {
            Ok(result) => KeylessOutcome {
                check: SignatureCheck::Verified,
                signer: result.identity().map(|identity| Signer {
                    identity: identity.to_string(),
                    issuer: result.issuer().map(str::to_string),
                }),
                problem: None,
            },
            Err(e) => failed(e.to_string()),
        }
    }

    fn policy(&self) -> VerificationPolicy {
        let mut policy = VerificationPolicy::any_identity();
        if let Some(identity) = &self.identity {
            policy = policy.require_identity(identity.as_str());
        }
        if let Some(issuer) = &self.issuer {
            policy = policy.require_issuer(issuer.as_str());
        }
        policy
    }
}

/// `sha256:<hex>` (or sha384 / sha512) as the verifier's typed digest.
fn artifact_digest(digest: &str) -> Result<ArtifactDigest, String> {
    let (algorithm, value) = digest.split_once(':').ok_or("signed digest has no algorithm")?;
    let algorithm = match algorithm {
        "sha256" => HashAlgorithm::Sha2256,
        "sha384" => HashAlgorithm::Sha2384,
        "sha512" => HashAlgorithm::Sha2512,
        other => return Err(format!("signed digest algorithm {other:?} is not supported")),
    };
    let bytes = hex::decode(value).map_err(|e| format!("signed digest is not hex ({e})"))?;
    ArtifactDigest::new(algorithm, bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_keep_their_algorithm() {
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        assert_eq!(artifact_digest(&sha512).unwrap().algorithm(), HashAlgorithm::Sha2512);
        assert!(artifact_digest(&format!("sha256:{}", "ab".repeat(32))).is_ok());
        assert!(artifact_digest("sha256:abcd").is_err(), "wrong length");
        assert!(artifact_digest("md5:abcd").is_err());
        assert!(artifact_digest("nohex").is_err());
    }
}
