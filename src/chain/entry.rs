//! The content of one chain entry: an in-toto Statement inside a DSSE envelope.

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::ci::CiContext;
use crate::digest::Sha256;
use crate::ingest::{ArtifactKind, ScanSummary, SignatureSummary};
use crate::keys::SigningKey;
use crate::store::{Store, StoreError, layout};

/// in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Predicate type of chain entries; the trailing version changes with the predicate's shape.
pub const PREDICATE_TYPE: &str = "https://evidence-locker.dev/chain-entry/v1";

/// An in-toto Statement whose predicate is a chain entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The artifacts of this entry.
    pub subject: Vec<Subject>,
    /// Always [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// What this entry records.
    pub predicate: EntryPredicate,
}

/// An in-toto subject: an artifact name and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The artifact's name as pushed.
    pub name: String,
    /// Its digests.
    pub digest: SubjectDigest,
}

/// Digest set of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectDigest {
    /// SHA-256 of the artifact's bytes.
    pub sha256: Sha256,
}

/// The chain-entry predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryPredicate {
    /// Position in the chain; entry 0 is the first push.
    pub sequence: u64,
    /// SHA-256 of entry `sequence - 1`'s stored bytes; `None` for entry 0.
    pub previous: Option<Sha256>,
    /// When the push happened (or the pipeline's own timestamp when given).
    pub time: DateTime<Utc>,
    /// The CI run that pushed.
    pub ci: CiContext,
    /// One record per subject, in the same order.
    pub artifacts: Vec<ArtifactRecord>,
    /// The tool that wrote the entry.
    pub tool: ToolInfo,
}

/// Name and version of the writing tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// `evidence-locker`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl ToolInfo {
    /// This build.
    pub fn current() -> ToolInfo {
        ToolInfo { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

/// What an entry records about one artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    /// The name it was pushed under.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: Sha256,
    /// Size in bytes.
    pub size: u64,
    /// What kind of evidence it is.
    pub kind: ArtifactKind,
    /// Scan summary, for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanSummary>,
    /// What it signs, for signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureSummary>,
    /// For derived artifacts (findings), the SHA-256 of the report they come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<Sha256>,
    /// For findings artifacts, how many findings they hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<u64>,
    /// For posture records, each check's id and outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posture: Option<Vec<crate::store::posture::PostureItem>>,
}

impl Statement {
    /// A statement for `predicate`, with one subject per artifact.
    pub fn new(predicate: EntryPredicate) -> Statement {
        let subject = predicate
            .artifacts
            .iter()
            .map(|a| Subject { name: a.name.clone(), digest: SubjectDigest { sha256: a.sha256 } })
            .collect();
        Statement {
            statement_type: STATEMENT_TYPE.to_string(),
            subject,
            predicate_type: PREDICATE_TYPE.to_string(),
            predicate,
        }
    }

    /// The stored bytes of this statement signed with `key`: a DSSE envelope as one line of
    /// JSON.
    pub fn seal(&self, key: &SigningKey) -> Vec<u8> {
        let payload = serde_json::to_vec(self).expect("statements always serialise");
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &payload, key);
        let mut bytes = serde_json::to_vec(&envelope).expect("envelopes always serialise");
        bytes.push(b'\n');
        bytes
    }

    /// Reads the statement out of an envelope, checking its types. The signature is not
    /// checked here.
    ///
    /// # Errors
    ///
    /// A description of what does not fit.
    pub fn from_envelope(envelope: &Envelope) -> Result<Statement, String> {
        if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(format!("payload type {:?} is not in-toto", envelope.payload_type));
        }
        let payload = envelope.payload_bytes()?;
        let statement: Statement = serde_json::from_slice(&payload)
            .map_err(|e| format!("the payload is not a chain-entry statement ({e})"))?;
        if statement.statement_type != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE
        {
            return Err(format!(
                "statement type {:?} / predicate type {:?} is not a chain entry",
                statement.statement_type, statement.predicate_type
            ));
        }
        Ok(statement)
    }
}

/// An entry as found in the store.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// The sequence number its key says.
    pub seq: u64,
    /// Its key in the store.
    pub key: String,
    /// SHA-256 of its stored bytes.
    pub hash: Sha256,
    /// Its Merkle leaf hash: SHA-256 of 0x00 and its stored bytes.
    pub leaf: crate::checkpoint::merkle::Hash,
    /// The decoded envelope and statement, or why they could not be read.
    pub content: Result<(Envelope, Statement), String>,
}

impl StoredEntry {
    /// Decodes the stored bytes of the entry at `key`.
    pub fn decode(seq: u64, key: String, bytes: &[u8]) -> StoredEntry {
        let content = serde_json::from_slice::<Envelope>(bytes)
            .map_err(|e| format!("not a DSSE envelope ({e})"))
            .and_then(|envelope| Statement::from_envelope(&envelope).map(|s| (envelope, s)));
        let leaf = crate::checkpoint::merkle::leaf_hash(bytes);
        StoredEntry { seq, key, hash: Sha256::of(bytes), leaf, content }
    }

    /// The statement, when the entry could be decoded.
    pub fn statement(&self) -> Option<&Statement> {
        self.content.as_ref().ok().map(|(_, s)| s)
    }
}

/// Every object under `chain/`: the entries, decoded, in key order, and the keys that are not
/// entry keys.
///
/// # Errors
///
/// Store failures.
pub fn load_entries(store: &dyn Store) -> Result<(Vec<StoredEntry>, Vec<String>), StoreError> {
    let mut keyed = Vec::new();
    let mut strays = Vec::new();
    for object in store.list(layout::CHAIN)? {
        match layout::parse_entry_key(&object.key) {
            Some(seq) => keyed.push((seq, object.key)),
            None => strays.push(object.key),
        }
    }

    // Reading and decoding are independent per entry: every core takes a share.
    let read: Vec<Option<StoredEntry>> = keyed
        .into_par_iter()
        .map(|(seq, key)| {
            // A key listed but gone by now reads as missing, which verify reports as a gap.
            let bytes = store.get(&key)?;
            Ok(bytes.map(|bytes| StoredEntry::decode(seq, key, &bytes)))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((read.into_iter().flatten().collect(), strays))
}
