//! Checkpoints in the C2SP tlog-checkpoint text format, signed as C2SP signed notes with
//! Ed25519:
//!
//! ```text
//! <origin>
//! <tree size>
//! <base64 root hash>
//!
//! — <key name> <base64(key hash (4 bytes) || signature (64 bytes))>
//! ```
//!
//! The key hash is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key),
//! and the signature covers the text above the blank line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::merkle::Hash;
use crate::keys::{PublicKey, SigningKey};

/// Signature type byte of Ed25519 in signed notes.
const ED25519: u8 = 0x01;

/// A tree head: what a checkpoint says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name: `evidence-locker/<store>`.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// The Merkle root over them.
    pub root: Hash,
}

/// A signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key hash.
    pub key_hash: [u8; 4],
    /// The signature bytes.
    pub signature: Vec<u8>,
}

impl Checkpoint {
    /// The checkpoint body: origin, size and root, one per line.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root))
    }

    /// The signed note: the body, a blank line and one signature line named `origin`.
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let public = key.public_key();
        let mut blob = key_hash(&self.origin, &public).to_vec();
        blob.extend_from_slice(&key.sign(body.as_bytes()));
        format!("{body}\n\u{2014} {} {}\n", self.origin, STANDARD.encode(blob))
    }

    /// Reads a signed note, returning the checkpoint, its signed text and its signatures.
    ///
    /// # Errors
    ///
    /// What is malformed.
    pub fn parse(note: &str) -> Result<(Checkpoint, Vec<NoteSignature>), String> {
        let (body, signatures) = note
            .split_once("\n\n")
            .ok_or("no blank line between the checkpoint and its signatures")?;
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or("no origin line")?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or("the second line is not a tree size")?;
        let root = lines
            .next()
            .and_then(|r| STANDARD.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r).ok())
            .ok_or("the third line is not a base64 SHA-256 root hash")?;
        let checkpoint = Checkpoint { origin: origin.to_string(), size, root };
        if format!("{body}\n") != checkpoint.body() {
            return Err("the checkpoint body is not in canonical form".to_string());
        }

        let mut parsed = Vec::new();
        for line in signatures.lines().filter(|l| !l.is_empty()) {
            let rest =
                line.strip_prefix("\u{2014} ").ok_or("a signature line must start with —")?;
            let (name, blob) = rest.rsplit_once(' ').ok_or("a signature line needs a name")?;
            let blob = STANDARD.decode(blob).map_err(|_| "a signature is not base64")?;
            if blob.len() < 5 {
                return Err("a signature is too short".to_string());
            }
            let key_hash = [blob[0], blob[1], blob[2], blob[3]];
            parsed.push(NoteSignature {
                name: name.to_string(),
                key_hash,
                signature: blob[4..].to_vec(),
            });
        }
        if parsed.is_empty() {
            return Err("the checkpoint has no signature".to_string());
        }
        Ok((checkpoint, parsed))
    }

    /// Reads a signed note and keeps its checkpoint only when a key of `trust` signed it.
    ///
    /// # Errors
    ///
    /// What is malformed, or that no trusted key signed it.
    pub fn read_trusted(note: &str, trust: &crate::keys::TrustSet) -> Result<Checkpoint, String> {
        let (head, signatures) = Checkpoint::parse(note)?;
        if trust.keys().iter().any(|k| head.signed_by(&signatures, &k.key)) {
            Ok(head)
        } else {
            Err("no trusted key signed it".to_string())
        }
    }

    /// Whether one of `signatures` is a valid signature of this checkpoint by `key`, named
    /// after the origin.
    pub fn signed_by(&self, signatures: &[NoteSignature], key: &PublicKey) -> bool {
        let hash = key_hash(&self.origin, key);
        let body = self.body();
        signatures.iter().any(|s| {
            s.name == self.origin && s.key_hash == hash && key.verify(body.as_bytes(), &s.signature)
        })
    }
}

/// The signed-note key hash of an Ed25519 key named `name`.
pub fn key_hash(name: &str, key: &PublicKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(key.raw_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}
