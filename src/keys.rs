//! Ed25519 keys: generation, PEM files that openssl reads, key ids and trust windows.
//!
//! Private keys are PKCS#8 PEM files created with mode 0600; public keys are SPKI PEM. A key
//! id is the lowercase hex SHA-256 of the public key's SPKI DER encoding, so it can be
//! recomputed with `openssl pkey -pubin -outform DER | sha256sum`.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::digest::Sha256;

/// Errors of key generation and loading.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file exists and overwriting was not asked for.
    #[error("{0}: already exists; pass --force to replace it")]
    Exists(PathBuf),
    /// The file is not a key of the expected form.
    #[error("{path}: {problem}")]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The operating system could not provide randomness.
    #[error("cannot draw random bytes for a new key: {0}")]
    Random(String),
}

/// A key id: lowercase hex SHA-256 of the public key's SPKI DER.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    fn of(key: &ed25519_dalek::VerifyingKey) -> KeyId {
        let der = key.to_public_key_der().expect("an Ed25519 public key always encodes as SPKI");
        KeyId(Sha256::of(der.as_bytes()).to_hex())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a key id read from an envelope (it is only a hint until a signature verifies).
    pub fn from_string(id: String) -> KeyId {
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// A private signing key. Its bytes are wiped on drop and never printed.
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
    id: KeyId,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key from the operating system's random source.
    ///
    /// # Errors
    ///
    /// [`KeyError::Random`] when no randomness is available.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_inner(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    fn from_inner(inner: ed25519_dalek::SigningKey) -> SigningKey {
        let id = KeyId::of(&inner.verifying_key());
        SigningKey { inner, id }
    }

    /// Reads a PKCS#8 PEM private key.
    ///
    /// # Errors
    ///
    /// I/O errors, or [`KeyError::Invalid`] when the file is not an Ed25519 PKCS#8 key.
    pub fn load(path: &Path) -> Result<SigningKey, KeyError> {
        let text = Zeroizing::new(read_key_file(path)?);
        let inner =
            ed25519_dalek::SigningKey::from_pkcs8_pem(&text).map_err(|e| KeyError::Invalid {
                path: path.to_owned(),
                problem: format!("not an Ed25519 PKCS#8 PEM private key ({e})"),
            })?;
        Ok(Self::from_inner(inner))
    }

    /// This key's id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey { inner: self.inner.verifying_key(), id: self.id.clone() }
    }

    /// Signs `message`, returning the 64-byte signature.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.inner.sign(message).to_bytes()
    }

    /// Writes the key pair: `path` (PKCS#8 PEM, mode 0600) and `path.pub` (SPKI PEM).
    ///
    /// # Errors
    ///
    /// [`KeyError::Exists`] when either file exists and `force` is false; I/O errors.
    pub fn write_pair(&self, path: &Path, force: bool) -> Result<PathBuf, KeyError> {
        let public_path = public_path_for(path);
        for existing in [path, public_path.as_path()] {
            if !force && existing.exists() {
                return Err(KeyError::Exists(existing.to_owned()));
            }
        }

        // PKCS#8 v1 (no embedded public key): the form openssl 3.0 reads and writes.
        let seed = KeypairBytes { secret_key: self.inner.to_bytes(), public_key: None };
        let private_pem =
            seed.to_pkcs8_pem(LineEnding::LF).expect("an Ed25519 seed always encodes as PKCS#8");
        write_private(path, private_pem.as_bytes(), force)?;

        let public_pem = self.public_key().to_pem();
        fs::write(&public_path, public_pem)
            .map_err(|source| KeyError::Io { path: public_path.clone(), source })?;
        Ok(public_path)
    }
}

/// A public key with its id.
#[derive(Clone, Debug)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    /// Reads an SPKI PEM public key.
    ///
    /// # Errors
    ///
    /// I/O errors, or [`KeyError::Invalid`] when the file is not an Ed25519 SPKI key.
    pub fn load(path: &Path) -> Result<PublicKey, KeyError> {
        let text = read_key_file(path)?;
        Self::from_pem(&text)
            .map_err(|problem| KeyError::Invalid { path: path.to_owned(), problem })
    }

    /// Parses an SPKI PEM public key.
    ///
    /// # Errors
    ///
    /// A description of the problem when `pem` is not an Ed25519 SPKI key.
    pub fn from_pem(pem: &str) -> Result<PublicKey, String> {
        let inner = ed25519_dalek::VerifyingKey::from_public_key_pem(pem)
            .map_err(|e| format!("not an Ed25519 SPKI PEM public key ({e})"))?;
        Ok(PublicKey { id: KeyId::of(&inner), inner })
    }

    /// This key's id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The 32 bytes of the Ed25519 public key.
    pub fn raw_bytes(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    /// SPKI PEM text.
    pub fn to_pem(&self) -> String {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .expect("an Ed25519 public key always encodes as SPKI")
    }

    /// Whether `signature` is this key's signature of `message` (strict verification: no
    /// malleable or small-order encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.inner.verify_strict(message, &signature).is_ok() && {
            // verify_strict already implies verify; keep the plain check too so a future
            // change of either function cannot weaken this.
            self.inner.verify(message, &signature).is_ok()
        }
    }
}

/// Whether every `(message, signature, key)` verifies, checked together with Ed25519 batch
/// verification, about twice as fast per signature as one by one.
///
/// The batch equation is the cofactored one: it accepts every signature [`PublicKey::verify`]
/// accepts, and also re-encodings of those signatures with a small-order component (which
/// take no private key to make, but do not sign anything new). Callers that must reject
/// those check such a signature on its own.
pub fn verify_batch(items: &[(&[u8], &[u8], &PublicKey)]) -> bool {
    let mut messages = Vec::with_capacity(items.len());
    let mut signatures = Vec::with_capacity(items.len());
    let mut keys = Vec::with_capacity(items.len());
    for (message, signature, key) in items {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        messages.push(*message);
        signatures.push(signature);
        keys.push(key.inner);
    }
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// A public key that verification accepts, optionally only within a validity window.
#[derive(Clone, Debug)]
pub struct TrustedKey {
    /// The key.
    pub key: PublicKey,
    /// Where it was read from, for messages.
    pub source: PathBuf,
    /// Entries signed before this time are not accepted.
    pub not_before: Option<DateTime<Utc>>,
    /// Entries signed after this time are not accepted (a retired or compromised key).
    pub not_after: Option<DateTime<Utc>>,
}

impl TrustedKey {
    /// Whether `time` lies inside the key's validity window.
    pub fn valid_at(&self, time: DateTime<Utc>) -> bool {
        self.not_before.is_none_or(|nb| time >= nb) && self.not_after.is_none_or(|na| time <= na)
    }
}

/// The set of keys verification trusts: given by the user, never read from the store.
#[derive(Clone, Debug, Default)]
pub struct TrustSet {
    keys: Vec<TrustedKey>,
}

impl TrustSet {
    /// A trust set of these keys.
    pub fn new(keys: Vec<TrustedKey>) -> TrustSet {
        TrustSet { keys }
    }

    /// The trusted key with this id, if any.
    pub fn get(&self, id: &KeyId) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.key.id() == id)
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }
}

/// `PATH.pub`, where `keygen` writes the public half of `PATH`.
pub fn public_path_for(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn read_key_file(path: &Path) -> Result<String, KeyError> {
    let bytes = fs::read(path).map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
    String::from_utf8(bytes).map_err(|_| KeyError::Invalid {
        path: path.to_owned(),
        problem: "not a PEM file (it is not text)".to_string(),
    })
}

fn write_private(path: &Path, pem: &[u8], force: bool) -> Result<(), KeyError> {
    use std::os::unix::fs::OpenOptionsExt;

    let io_error = |source| KeyError::Io { path: path.to_owned(), source };
    if force && path.exists() {
        fs::remove_file(path).map_err(io_error)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error)?;
    file.write_all(pem).map_err(io_error)?;
    file.sync_all().map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_reject_other_message() {
        let key = SigningKey::generate().unwrap();
        let signature = key.sign(b"hello");
        assert!(key.public_key().verify(b"hello", &signature));
        assert!(!key.public_key().verify(b"hellO", &signature));
        assert!(!key.public_key().verify(b"hello", &signature[..63]));
    }

    #[test]
    fn debug_never_shows_secret() {
        let key = SigningKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.id().as_str()));
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn pem_round_trip_keeps_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = SigningKey::generate().unwrap();
        let public_path = key.write_pair(&path, false).unwrap();
        assert_eq!(SigningKey::load(&path).unwrap().id(), key.id());
        assert_eq!(PublicKey::load(&public_path).unwrap().id(), key.id());
        assert!(matches!(key.write_pair(&path, false), Err(KeyError::Exists(_))));
    }
}
