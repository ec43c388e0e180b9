//! Report signatures: a DSSE envelope over an in-toto statement naming the report file and
//! its SHA-256, written beside it as `FILE.dsse.json`, and its check against pinned keys.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chain::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, SignatureStatus};
use crate::digest::Sha256;
use crate::keys::{SigningKey, TrustSet};

/// The predicate type of report statements.
pub const PREDICATE_TYPE: &str = "https://evidence-locker.dev/report-signature/v1";

/// What a report signature says besides the file's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPredicate {
    /// The period.
    pub period: String,
    /// When the report was generated.
    pub generated_at: String,
    /// The chain head it was made from, as `seq:sha256`, when the chain has entries.
    pub chain_head: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: ReportPredicate,
}

#[derive(Debug, Serialize, Deserialize)]
struct Subject {
    name: String,
    digest: Digest,
}

#[derive(Debug, Serialize, Deserialize)]
struct Digest {
    sha256: Sha256,
}

/// Where the signature of `report` goes.
pub fn signature_path(report: &Path) -> PathBuf {
    let mut name = report.file_name().unwrap_or_default().to_os_string();
    name.push(".dsse.json");
    report.with_file_name(name)
}

/// The signature file's bytes for a report named `name` with content `bytes`.
pub fn sign(name: &str, bytes: &[u8], predicate: ReportPredicate, key: &SigningKey) -> Vec<u8> {
    let statement = Statement {
        statement_type: "https://in-toto.io/Statement/v1".to_string(),
        subject: vec![Subject {
            name: name.to_string(),
            digest: Digest { sha256: Sha256::of(bytes) },
        }],
        predicate_type: PREDICATE_TYPE.to_string(),
        predicate,
    };
    let payload = serde_json::to_vec(&statement).expect("a statement serialises");
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &payload, key);
    let mut out = serde_json::to_vec(&envelope).expect("an envelope serialises");
    out.push(b'\n');
    out
}

/// A report that checks out.
#[derive(Debug, Serialize)]
pub struct CheckedReport {
    /// The key that signed it.
    pub key_id: String,
    /// Its SHA-256.
    pub sha256: Sha256,
    /// What the signature says about it.
    pub predicate: ReportPredicate,
}

/// Checks `bytes`, the report, against `signature`, the bytes of its `.dsse.json`.
///
/// # Errors
///
/// Every reason it fails, one sentence each.
pub fn check(
    bytes: &[u8],
    signature: &[u8],
    trust: &TrustSet,
) -> Result<CheckedReport, Vec<String>> {
    let envelope: Envelope = serde_json::from_slice(signature)
        .map_err(|e| vec![format!("the signature file is not a DSSE envelope ({e})")])?;
    let mut problems = Vec::new();

    let signer = trust.keys().iter().find(|k| envelope.check(&k.key) == SignatureStatus::Valid);
    if signer.is_none() {
        problems.push("no trusted key signed it (or the signature file was altered)".to_string());
    }

    let statement = envelope
        .payload_bytes()
        .and_then(|p| serde_json::from_slice::<Statement>(&p).map_err(|e| e.to_string()));
    let statement = match statement {
        Ok(statement) if statement.predicate_type == PREDICATE_TYPE => statement,
        Ok(_) => return Err(vec!["the signature is not a report signature".to_string()]),
        Err(e) => return Err(vec![format!("the signed statement is unreadable ({e})")]),
    };
    let actual = Sha256::of(bytes);
    let signed = statement.subject.first().map(|s| s.digest.sha256);
    if signed != Some(actual) {
        let signed = signed.map(|s| s.to_string()).unwrap_or_default();
        problems
            .push(format!("the report changed: its sha256 is {actual}, the signed one {signed}"));
    }

    match signer {
        Some(key) if problems.is_empty() => Ok(CheckedReport {
            key_id: key.key.id().to_string(),
            sha256: actual,
            predicate: statement.predicate,
        }),
        _ => Err(problems),
    }
}
