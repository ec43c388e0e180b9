//! DSSE envelopes (Dead Simple Signing Envelope, as used by in-toto and Sigstore).
//!
//! The signature covers the pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body`, never the JSON around it, so any
//! DSSE implementation can check an entry.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::keys::{KeyId, PublicKey, SigningKey};

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope in its JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the payload.
    pub payload: String,
    /// Media type of the payload.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Signatures over the pre-authentication encoding.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Id of the signing key (a hint: only verification proves who signed).
    pub keyid: String,
    /// Base64 of the signature.
    pub sig: String,
}

/// How an envelope fared against one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// A signature claiming this key verifies.
    Valid,
    /// A signature claims this key but does not verify: the content was changed.
    Invalid,
    /// No signature claims this key.
    Absent,
}

/// The pre-authentication encoding that DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    encoded.extend_from_slice(b"DSSEv1 ");
    encoded.extend_from_slice(payload_type.len().to_string().as_bytes());
    encoded.push(b' ');
    encoded.extend_from_slice(payload_type.as_bytes());
    encoded.push(b' ');
    encoded.extend_from_slice(payload.len().to_string().as_bytes());
    encoded.push(b' ');
    encoded.extend_from_slice(payload);
    encoded
}

impl Envelope {
    /// Signs `payload` with `key`.
    pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
        let signature = key.sign(&pae(payload_type, payload));
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_string(),
            signatures: vec![EnvelopeSignature {
                keyid: key.id().to_string(),
                sig: STANDARD.encode(signature),
            }],
        }
    }

    /// The decoded payload.
    ///
    /// # Errors
    ///
    /// When the payload is not base64.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, String> {
        STANDARD.decode(&self.payload).map_err(|e| format!("the payload is not base64 ({e})"))
    }

    /// The key ids the signatures claim.
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.signatures.iter().map(|s| KeyId::from_string(s.keyid.clone())).collect()
    }

    /// The message and signature to check against `key`, when exactly one signature claims
    /// it and both decode; `None` otherwise (then [`Envelope::check`] decides).
    pub fn signed_by(&self, key: &PublicKey) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut claimed = self.signatures.iter().filter(|s| s.keyid == key.id().as_str());
        let (Some(signature), None) = (claimed.next(), claimed.next()) else {
            return None;
        };
        let signature = STANDARD.decode(&signature.sig).ok()?;
        let payload = self.payload_bytes().ok()?;
        Some((pae(&self.payload_type, &payload), signature))
    }

    /// Checks the signatures that claim `key`.
    pub fn check(&self, key: &PublicKey) -> SignatureStatus {
        let claimed: Vec<&EnvelopeSignature> =
            self.signatures.iter().filter(|s| s.keyid == key.id().as_str()).collect();
        if claimed.is_empty() {
            return SignatureStatus::Absent;
        }
        let Ok(payload) = self.payload_bytes() else {
            return SignatureStatus::Invalid;
        };
        let message = pae(&self.payload_type, &payload);
        let verifies = |s: &&EnvelopeSignature| {
            STANDARD.decode(&s.sig).is_ok_and(|sig| key.verify(&message, &sig))
        };
        if claimed.iter().any(verifies) { SignatureStatus::Valid } else { SignatureStatus::Invalid }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn signature_checks() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let mut envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &key);
        assert_eq!(envelope.check(&key.public_key()), SignatureStatus::Valid);
        assert_eq!(envelope.check(&other.public_key()), SignatureStatus::Absent);

        envelope.payload = STANDARD.encode(b"{ }");
        assert_eq!(envelope.check(&key.public_key()), SignatureStatus::Invalid);
    }
}
