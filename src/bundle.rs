//! The auditor bundle: what an auditor needs to check one period offline, in the store's own
//! layout, as a deterministic `.tar.gz`: the period's entries (`chain/`), their artifacts
//! (`objects/`), the checkpoint that covers them (`checkpoints/`), an inclusion proof per
//! entry (`proofs/<seq>.json`), the signers' public keys (`keys/`, for reference only), and
//! the report and exports (`report/`), each signed beside as `FILE.dsse.json`.
//!
//! [`verify`] checks all of it against pinned keys only, never keys shipped inside.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::chain::StoredEntry;
use crate::chain::dsse::SignatureStatus;
use crate::checkpoint::{self, Checkpoint, merkle};
use crate::digest::Sha256;
use crate::keys::TrustSet;
use crate::report::signing;
use crate::store::layout;

/// Largest bundle read into memory (compressed or not).
const MAX_BUNDLE_BYTES: u64 = 4 << 30;

/// Files by path inside the bundle.
#[derive(Debug, Default)]
pub struct Bundle {
    /// Path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// One problem found in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleProblem {
    /// Stable code.
    pub code: &'static str,
    /// The file concerned.
    pub path: String,
    /// A sentence for people.
    pub message: String,
}

impl Bundle {
    /// The `.tar.gz` bytes: paths sorted, every header fixed (mode 0644, owner 0, `mtime`),
    /// so the same files give the same bytes.
    ///
    /// # Errors
    ///
    /// I/O errors of the encoder.
    pub fn to_tar_gz(&self, mtime: u64) -> std::io::Result<Vec<u8>> {
        let encoder =
            flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(encoder);
        for (path, bytes) in &self.files {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_uid(0);
            header.set_gid(0);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, path, bytes.as_slice())?;
        }
        tar.into_inner()?.finish()
    }

    /// Reads a `.tar.gz` bundle.
    ///
    /// # Errors
    ///
    /// What makes it unreadable.
    pub fn from_tar_gz(reader: impl Read) -> Result<Bundle, String> {
        let decoder = flate2::read::GzDecoder::new(reader.take(MAX_BUNDLE_BYTES));
        let mut archive = tar::Archive::new(decoder.take(MAX_BUNDLE_BYTES));
        let mut bundle = Bundle::default();
        let entries = archive.entries().map_err(|e| format!("not a tar.gz bundle ({e})"))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| format!("unreadable bundle ({e})"))?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let path = entry.path().map_err(|e| format!("bad path ({e})"))?;
            let path = path.to_string_lossy().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| format!("{path}: unreadable ({e})"))?;
            bundle.files.insert(path, bytes);
        }
        Ok(bundle)
    }
}

/// Checks a bundle against `trust`: the checkpoint's signature, each entry's signature and
/// inclusion in the checkpoint, each artifact's digest, and each report or export signature.
pub fn verify(bundle: &Bundle, trust: &TrustSet) -> Vec<BundleProblem> {
    let mut problems = Vec::new();
    let problem =
        |code, path: &str, message: String| BundleProblem { code, path: path.to_string(), message };

    // 1. The checkpoint, signed by a pinned key.
    let checkpoints: Vec<(&String, &Vec<u8>)> =
        bundle.files.iter().filter(|(p, _)| p.starts_with(checkpoint::PREFIX)).collect();
    let head = match checkpoints.as_slice() {
        [(path, bytes)] => match std::str::from_utf8(bytes)
            .map_err(|_| "not UTF-8 text".to_string())
            .and_then(|note| Checkpoint::read_trusted(note, trust))
        {
            Ok(head) => Some(head),
            Err(message) => {
                problems.push(problem("checkpoint-invalid", path, message));
                None
            }
        },
        _ => {
            let message = format!("a bundle holds one checkpoint, this one {}", checkpoints.len());
            problems.push(problem("checkpoint-missing", checkpoint::PREFIX, message));
            None
        }
    };

    // 2. Entries: signed by a pinned key, in the checkpoint, with their artifacts intact.
    let mut entries = 0;
    for (path, bytes) in bundle.files.iter().filter(|(p, _)| p.starts_with(layout::CHAIN)) {
        let Some(seq) = layout::parse_entry_key(path) else {
            problems.push(problem("unexpected-file", path, "not an entry key".into()));
            continue;
        };
        entries += 1;
        let entry = StoredEntry::decode(seq, path.clone(), bytes);
        problems.extend(check_entry(bundle, &entry, trust, head.as_ref()));
    }
    if entries == 0 {
        problems.push(problem(
            "entries-missing",
            layout::CHAIN,
            "the bundle holds no entry".into(),
        ));
    }

    // 3. Report and exports, each with its signature beside it.
    for (path, signature) in bundle.files.iter().filter(|(p, _)| p.ends_with(".dsse.json")) {
        let file = path.trim_end_matches(".dsse.json");
        let Some(bytes) = bundle.files.get(file) else {
            problems.push(problem("file-missing", file, "signed but not in the bundle".into()));
            continue;
        };
        if let Err(reasons) = signing::check(bytes, signature, trust) {
            problems.push(problem("report-invalid", file, reasons.join("; ")));
        }
    }
    problems
}

fn check_entry(
    bundle: &Bundle,
    entry: &StoredEntry,
    trust: &TrustSet,
    head: Option<&Checkpoint>,
) -> Vec<BundleProblem> {
    let mut problems = Vec::new();
    let path = entry.key.clone();
    let Ok((envelope, statement)) = &entry.content else {
        let message = "unreadable entry".to_string();
        return vec![BundleProblem { code: "entry-modified", path, message }];
    };
    let signed = trust.keys().iter().any(|k| envelope.check(&k.key) == SignatureStatus::Valid);
    if !signed {
        let message = "no pinned key signed this entry (or it was changed)".to_string();
        problems.push(BundleProblem { code: "entry-modified", path: path.clone(), message });
    }

    if let Some(head) = head {
        let proof_path = format!("proofs/{}.json", entry.seq);
        let included = bundle
            .files
            .get(&proof_path)
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
            .is_some_and(|proof| proves(&proof, entry, head));
        if !included {
            let message = format!("{proof_path} does not prove this entry in the checkpoint");
            problems.push(BundleProblem {
                code: "entry-not-in-checkpoint",
                path: path.clone(),
                message,
            });
        }
    }

    for artifact in &statement.predicate.artifacts {
        let key = layout::artifact_key(&artifact.sha256);
        let problem = match bundle.files.get(&key) {
            None => Some(("artifact-missing", format!("{} is not in the bundle", artifact.name))),
            Some(bytes) if Sha256::of(bytes) != artifact.sha256 => Some((
                "artifact-modified",
                format!("{} no longer has the sha256 entry {} records", artifact.name, entry.seq),
            )),
            Some(_) => None,
        };
        if let Some((code, message)) = problem {
            problems.push(BundleProblem { code, path: key, message });
        }
    }
    problems
}

fn proves(proof: &serde_json::Value, entry: &StoredEntry, head: &Checkpoint) -> bool {
    let decode = |v: &serde_json::Value| -> Option<merkle::Hash> {
        STANDARD.decode(v.as_str()?).ok()?.try_into().ok()
    };
    let path: Option<Vec<merkle::Hash>> =
        proof["inclusion_path"].as_array().and_then(|a| a.iter().map(decode).collect());
    proof["leaf_index"].as_u64() == Some(entry.seq)
        && proof["tree_size"].as_u64() == Some(head.size)
        && path.is_some_and(|path| {
            merkle::verify_inclusion(entry.seq, head.size, &entry.leaf, &path, &head.root)
        })
}
