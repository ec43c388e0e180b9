//! Verification of a whole store against pinned keys.
//!
//! Every problem is collected as a finding with a stable code, the entry's sequence number
//! and the object's key, so that one run reports all of them; the caller then picks the
//! exit status. Keys found in the store are never consulted: only the trust set given by
//! the user decides who may sign.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use tracing::debug;

use super::batch::{check_signatures, claimed_key};
use super::dsse::SignatureStatus;
use super::entry::{StoredEntry, load_entries};
use crate::digest::{self, Sha256};
use crate::keys::TrustSet;
use crate::store::{ObjectVersion, Store, StoreError, layout};

/// Stable problem codes. They appear in `verify --json` and in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemCode {
    /// An entry's bytes were changed: its signature no longer verifies, or it cannot be read.
    EntryModified,
    /// An entry is missing between the first and the last.
    EntryMissing,
    /// An entry sits under another entry's sequence number (entries were reordered).
    EntryMisplaced,
    /// An entry is a copy of another entry.
    EntryDuplicated,
    /// An entry does not follow the entry stored before it: two histories exist.
    ChainForked,
    /// An entry is signed by no trusted key.
    UntrustedSigner,
    /// Every entry is signed by keys that are not trusted, in a consistent chain: the whole
    /// history was re-signed.
    HistoryResigned,
    /// An entry is signed by a trusted key outside that key's validity window.
    KeyOutsideValidity,
    /// The chain is shorter than expected, or the expected head is gone.
    ChainTruncated,
    /// An artifact's bytes no longer match the digest its entry records.
    ArtifactModified,
    /// An artifact an entry records is not in the store.
    ArtifactMissing,
    /// An object that does not belong under `chain/`.
    UnexpectedObject,
    /// A chain or artifact key has more than one version: it was overwritten.
    ObjectRewritten,
    /// A chain or artifact key carries a delete marker: it was deleted.
    ObjectDeleted,
    /// A chain object is no longer under Object Lock retention.
    RetentionExpired,
    /// A chain object was never under Object Lock retention.
    RetentionMissing,
    /// A checkpoint cannot be read, or no trusted key signed it.
    CheckpointInvalid,
    /// A checkpoint's root is not the root of the chain's first entries: history was
    /// rewritten after it was signed.
    CheckpointMismatch,
    /// A checkpoint covers more entries than the chain holds: the chain was cut back.
    CheckpointBeyondChain,
}

impl ProblemCode {
    /// The kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::EntryModified => "entry-modified",
            ProblemCode::EntryMissing => "entry-missing",
            ProblemCode::EntryMisplaced => "entry-misplaced",
            ProblemCode::EntryDuplicated => "entry-duplicated",
            ProblemCode::ChainForked => "chain-forked",
            ProblemCode::UntrustedSigner => "untrusted-signer",
            ProblemCode::HistoryResigned => "history-resigned",
            ProblemCode::KeyOutsideValidity => "key-outside-validity",
            ProblemCode::ChainTruncated => "chain-truncated",
            ProblemCode::ArtifactModified => "artifact-modified",
            ProblemCode::ArtifactMissing => "artifact-missing",
            ProblemCode::UnexpectedObject => "unexpected-object",
            ProblemCode::ObjectRewritten => "object-rewritten",
            ProblemCode::ObjectDeleted => "object-deleted",
            ProblemCode::RetentionExpired => "retention-expired",
            ProblemCode::RetentionMissing => "retention-missing",
            ProblemCode::CheckpointInvalid => "checkpoint-invalid",
            ProblemCode::CheckpointMismatch => "checkpoint-mismatch",
            ProblemCode::CheckpointBeyondChain => "checkpoint-beyond-chain",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub code: ProblemCode,
    /// The entry concerned, when there is one.
    pub seq: Option<u64>,
    /// The object concerned, as a key relative to the store's root.
    pub path: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// What to expect beyond internal consistency.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// An entry hash known from earlier (a CI log, a checkpoint): it must still be in the
    /// chain.
    pub expect_head: Option<Sha256>,
    /// The chain must hold at least this many entries.
    pub min_length: Option<u64>,
    /// Every chain object must still be under Object Lock retention.
    pub check_retention: bool,
}

/// The last entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// SHA-256 of its stored bytes.
    pub hash: Sha256,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// True when no problem was found.
    pub ok: bool,
    /// Entries read.
    pub entries: u64,
    /// Distinct artifacts re-hashed.
    pub artifacts: u64,
    /// The last entry, if any.
    pub head: Option<Head>,
    /// Every problem found, by sequence number.
    pub problems: Vec<Problem>,
}

/// Facts established about one entry, before links are checked.
#[derive(Default, Clone, Copy)]
struct EntryState {
    /// Decoded, and signed by a trusted key whose signature verifies.
    trusted: bool,
    /// Its payload's sequence number is the one its key says.
    in_place: bool,
    /// Any problem was already reported for it.
    flagged: bool,
}

/// Verifies every entry and artifact of `store` against `trust`.
///
/// # Errors
///
/// Store failures only; everything wrong with the evidence is a [`Problem`].
pub fn verify(
    store: &dyn Store,
    trust: &TrustSet,
    options: &VerifyOptions,
) -> Result<Verification, StoreError> {
    // 1. Read every object under chain/: entries, and anything else that does not belong.
    let (entries, strays) = load_entries(store)?;
    debug!(entries = entries.len(), "entries read and decoded");
    verify_loaded(store, &entries, strays, trust, options)
}

/// Verifies entries already read with [`load_entries`] (and the other keys found under
/// `chain/`), with every artifact they record, against `trust`.
///
/// # Errors
///
/// Store failures only; everything wrong with the evidence is a [`Problem`].
pub fn verify_loaded(
    store: &dyn Store,
    entries: &[StoredEntry],
    strays: Vec<String>,
    trust: &TrustSet,
    options: &VerifyOptions,
) -> Result<Verification, StoreError> {
    let mut problems: Vec<Problem> = strays.into_iter().map(stray_problem).collect();
    let by_seq: BTreeMap<u64, &StoredEntry> = entries.iter().map(|e| (e.seq, e)).collect();

    // 2. Each entry alone: decodes, signed by a trusted key within its window, in place.
    let signatures = check_signatures(entries, trust);
    debug!("signatures checked");
    let mut states: HashMap<u64, EntryState> = HashMap::new();
    for (entry, signature) in entries.iter().zip(signatures) {
        let state = check_entry(entry, signature, &by_seq, trust, &mut problems);
        states.insert(entry.seq, state);
    }

    // 3. Gaps between the first possible entry and the last one present.
    if let Some(last) = by_seq.keys().next_back() {
        for seq in (0..*last).filter(|s| !by_seq.contains_key(s)) {
            let message = format!("entry {seq} is missing: it was deleted");
            problems.push(problem(ProblemCode::EntryMissing, seq, layout::entry_key(seq), message));
        }
    }

    // 4. Links: each sound entry must name the hash of the sound entry stored before it.
    check_links(entries, &by_seq, &states, &mut problems);
    check_resigned(entries, &by_seq, &states, &mut problems);

    // 5. What the caller knew before: the expected head and length.
    check_expectations(entries, options, &mut problems);

    // 6. Artifacts: each distinct digest re-hashed once.
    let artifacts = check_artifacts(store, entries, &mut problems)?;
    debug!(artifacts, "artifacts re-hashed");

    // 7. Signed checkpoints: each one's root is the chain's, and each extends the one before.
    check_checkpoints(store, entries, trust, &mut problems)?;
    debug!("checkpoints checked");

    // 8. On versioned stores: no key written twice or deleted; retention still in force.
    check_versions(store, entries, &mut problems)?;
    if options.check_retention {
        check_retention(store, entries, &mut problems)?;
    }

    problems.sort_by(|a, b| (a.seq, a.code, &a.path).cmp(&(b.seq, b.code, &b.path)));
    let head = entries.last().map(|e| Head { seq: e.seq, hash: e.hash });
    Ok(Verification {
        ok: problems.is_empty(),
        entries: entries.len() as u64,
        artifacts,
        head,
        problems,
    })
}

fn check_checkpoints(
    store: &dyn Store,
    entries: &[StoredEntry],
    trust: &TrustSet,
    problems: &mut Vec<Problem>,
) -> Result<(), StoreError> {
    use crate::checkpoint::{self, Checkpoint, merkle};

    let leaves: Vec<merkle::Hash> = match checkpoint::leaves(entries) {
        Ok(leaves) => leaves,
        // A gap is reported already; the leaves up to it still count.
        Err(gap) => entries.iter().take(gap as usize).map(|e| e.leaf).collect(),
    };
    let origin = checkpoint::origin(store);
    let mut previous: Option<Checkpoint> = None;
    for stored in checkpoint::load(store)? {
        let bad = |code: ProblemCode, message: String| Problem {
            code,
            seq: None,
            path: Some(stored.key.clone()),
            message,
        };
        let read = stored.note.clone().and_then(|note| Checkpoint::read_trusted(&note, trust));
        let checkpoint = match read {
            Ok(checkpoint) => checkpoint,
            Err(e) => {
                problems.push(bad(ProblemCode::CheckpointInvalid, e));
                continue;
            }
        };
        if checkpoint.origin != origin || checkpoint.size != stored.size {
            let message = format!(
                "not a checkpoint of this store (origin {:?}, size {})",
                checkpoint.origin, checkpoint.size
            );
            problems.push(bad(ProblemCode::CheckpointInvalid, message));
            continue;
        }
        let size = checkpoint.size as usize;
        if size > leaves.len() {
            let message = format!(
                "the checkpoint covers {size} entries but the chain holds {}: entries were removed",
                leaves.len()
            );
            problems.push(bad(ProblemCode::CheckpointBeyondChain, message));
            continue;
        }
        if merkle::root(&leaves[..size]) != checkpoint.root {
            let message = format!(
                "the first {size} entries no longer have the signed root: history was rewritten"
            );
            problems.push(bad(ProblemCode::CheckpointMismatch, message));
            continue;
        }
        if let Some(earlier) = &previous {
            let proof = merkle::consistency_proof(earlier.size as usize, &leaves[..size]);
            let consistent = merkle::verify_consistency(
                earlier.size,
                checkpoint.size,
                &earlier.root,
                &checkpoint.root,
                &proof,
            );
            if !consistent {
                let message = format!("does not extend the checkpoint of {} entries", earlier.size);
                problems.push(bad(ProblemCode::CheckpointMismatch, message));
            }
        }
        previous = Some(checkpoint);
    }
    Ok(())
}

fn problem(code: ProblemCode, seq: u64, path: String, message: String) -> Problem {
    Problem { code, seq: Some(seq), path: Some(path), message }
}

fn stray_problem(key: String) -> Problem {
    let message = "this object is not a chain entry; chain/ holds nothing else".to_string();
    Problem { code: ProblemCode::UnexpectedObject, seq: None, path: Some(key), message }
}

fn check_entry(
    entry: &StoredEntry,
    signature: Option<SignatureStatus>,
    by_seq: &BTreeMap<u64, &StoredEntry>,
    trust: &TrustSet,
    problems: &mut Vec<Problem>,
) -> EntryState {
    let before = problems.len();
    let mut report = |code, message: String| {
        problems.push(problem(code, entry.seq, entry.key.clone(), message));
    };

    let (envelope, statement) = match &entry.content {
        Ok(content) => content,
        Err(why) => {
            report(
                ProblemCode::EntryModified,
                format!("entry {} cannot be read: {why}", entry.seq),
            );
            return EntryState { flagged: true, ..EntryState::default() };
        }
    };

    // Signature: the first trusted key the envelope claims decides.
    let mut trusted = false;
    match claimed_key(envelope, trust) {
        None => {
            let ids: Vec<String> = envelope.key_ids().iter().map(|k| k.to_string()).collect();
            report(
                ProblemCode::UntrustedSigner,
                format!(
                    "entry {} is signed by no trusted key (key ids: {})",
                    entry.seq,
                    ids.join(", ")
                ),
            );
        }
        Some(key) => match signature.unwrap_or(SignatureStatus::Absent) {
            SignatureStatus::Valid => {
                trusted = true;
                let time = statement.predicate.time;
                if !key.valid_at(time) {
                    report(
                        ProblemCode::KeyOutsideValidity,
                        format!(
                            "entry {} was signed at {} by key {}, outside its validity window",
                            entry.seq,
                            time.to_rfc3339(),
                            key.key.id()
                        ),
                    );
                }
            }
            SignatureStatus::Invalid | SignatureStatus::Absent => report(
                ProblemCode::EntryModified,
                format!(
                    "entry {}: the signature of trusted key {} does not verify; the entry was \
                     changed after it was signed",
                    entry.seq,
                    key.key.id()
                ),
            ),
        },
    }

    // Place: the payload's own sequence number must be the key's.
    let claimed = statement.predicate.sequence;
    let in_place = claimed == entry.seq;
    if !in_place {
        let copy_of = by_seq.get(&claimed).filter(|other| other.hash == entry.hash);
        let (code, message) = match copy_of {
            Some(_) => (
                ProblemCode::EntryDuplicated,
                format!("entry {} is a copy of entry {claimed}", entry.seq),
            ),
            None => (
                ProblemCode::EntryMisplaced,
                format!(
                    "the object of entry {} holds entry {claimed}: entries were reordered",
                    entry.seq
                ),
            ),
        };
        report(code, message);
    }

    tracing::trace!(seq = entry.seq, trusted, in_place, "entry checked");
    EntryState { trusted, in_place, flagged: problems.len() > before }
}

/// Whether `entry` names `before` (the entry stored at the previous sequence number) as its
/// predecessor; entry 0 must name none.
fn follows(entry: &StoredEntry, before: Option<&StoredEntry>) -> bool {
    let Some(statement) = entry.statement() else {
        return false;
    };
    statement.predicate.previous == before.map(|b| b.hash)
}

fn check_links(
    entries: &[StoredEntry],
    by_seq: &BTreeMap<u64, &StoredEntry>,
    states: &HashMap<u64, EntryState>,
    problems: &mut Vec<Problem>,
) {
    for entry in entries {
        let state = states[&entry.seq];
        if !state.trusted || !state.in_place {
            continue;
        }
        let before = match entry.seq.checked_sub(1) {
            None => None,
            Some(prev) => match by_seq.get(&prev) {
                // A missing predecessor is already reported as a gap.
                None => continue,
                // A predecessor that is itself broken explains the broken link.
                Some(_) if states[&prev].flagged => continue,
                Some(b) => Some(*b),
            },
        };
        if !follows(entry, before) {
            let message = match before {
                Some(b) => format!(
                    "entry {} was chained after a different entry {} than the one stored \
                     (stored entry hashes to {}): two histories exist",
                    entry.seq, b.seq, b.hash
                ),
                None => {
                    format!("entry {} names a predecessor, but it is the first entry", entry.seq)
                }
            };
            problems.push(problem(ProblemCode::ChainForked, entry.seq, entry.key.clone(), message));
        }
    }
}

/// Reports a history that is consistent but signed only by untrusted keys: someone with
/// write access re-signed everything with a key of their own.
fn check_resigned(
    entries: &[StoredEntry],
    by_seq: &BTreeMap<u64, &StoredEntry>,
    states: &HashMap<u64, EntryState>,
    problems: &mut Vec<Problem>,
) {
    let untrusted = |e: &&StoredEntry| e.statement().is_some() && !states[&e.seq].trusted;
    if entries.is_empty() || !entries.iter().all(|e| untrusted(&e)) {
        return;
    }
    let consistent = entries.iter().all(|e| {
        let before = e.seq.checked_sub(1).and_then(|p| by_seq.get(&p).copied());
        states[&e.seq].in_place && follows(e, before)
    });
    if consistent {
        problems.push(Problem {
            code: ProblemCode::HistoryResigned,
            seq: None,
            path: Some(layout::CHAIN.to_string()),
            message: format!(
                "all {} entries form a consistent chain signed only by untrusted keys: the \
                 history was re-signed with another key",
                entries.len()
            ),
        });
    }
}

fn check_expectations(
    entries: &[StoredEntry],
    options: &VerifyOptions,
    problems: &mut Vec<Problem>,
) {
    let length = entries.last().map_or(0, |e| e.seq + 1);
    if let Some(min) = options.min_length.filter(|min| length < *min) {
        problems.push(Problem {
            code: ProblemCode::ChainTruncated,
            seq: Some(length),
            path: Some(layout::entry_key(length)),
            message: format!("the chain holds {length} entries, fewer than the {min} expected"),
        });
    }
    if let Some(expected) = options.expect_head
        && !entries.iter().any(|e| e.hash == expected)
    {
        problems.push(Problem {
            code: ProblemCode::ChainTruncated,
            seq: Some(length),
            path: Some(layout::CHAIN.to_string()),
            message: format!(
                "no entry hashes to the expected head {expected}: the chain was cut back or \
                 rewritten"
            ),
        });
    }
}

/// Re-hashes every artifact the readable entries record, on every core. Returns how many were
/// checked.
fn check_artifacts(
    store: &dyn Store,
    entries: &[StoredEntry],
    problems: &mut Vec<Problem>,
) -> Result<u64, StoreError> {
    let first_seen: Vec<(Sha256, u64)> = artifact_first_seen(entries).into_iter().collect();

    let progress = crate::progress::bar(first_seen.len() as u64, "verifying artifacts", false);
    let found: Vec<Option<Problem>> = first_seen
        .par_iter()
        .map(|(digest, seq)| {
            let checked = check_artifact(store, digest, *seq);
            progress.inc(1);
            checked
        })
        .collect::<Result<_, StoreError>>()?;
    problems.extend(found.into_iter().flatten());
    Ok(first_seen.len() as u64)
}

/// The problem with one artifact, if any.
fn check_artifact(
    store: &dyn Store,
    digest: &Sha256,
    seq: u64,
) -> Result<Option<Problem>, StoreError> {
    let key = layout::artifact_key(digest);
    let Some(reader) = store.open(&key)? else {
        let message = format!("artifact {digest} of entry {seq} is not in the store");
        return Ok(Some(problem(ProblemCode::ArtifactMissing, seq, key, message)));
    };
    let (actual, _) = digest::hash_reader(reader)
        .map_err(|source| StoreError::Io { location: store.location(&key), source })?;
    if actual == *digest {
        return Ok(None);
    }
    let message = format!("artifact of entry {seq} now hashes to {actual}, not {digest}");
    Ok(Some(problem(ProblemCode::ArtifactModified, seq, key, message)))
}

/// Reports chain and artifact keys with more than one version or with a delete marker. In a
/// write-once store each key has exactly one version, so anything else is tampering (or a
/// server that ignored a conditional write).
fn check_versions(
    store: &dyn Store,
    entries: &[StoredEntry],
    problems: &mut Vec<Problem>,
) -> Result<(), StoreError> {
    let first_seen = artifact_first_seen(entries);
    for prefix in [layout::CHAIN, layout::OBJECTS] {
        let Some(versions) = store.versions(prefix)? else {
            return Ok(());
        };
        let mut by_key: BTreeMap<&str, Vec<&ObjectVersion>> = BTreeMap::new();
        for version in &versions {
            by_key.entry(version.key.as_str()).or_default().push(version);
        }
        for (key, versions) in by_key {
            let seq = layout::parse_entry_key(key).or_else(|| {
                layout::parse_artifact_key(key).and_then(|d| first_seen.get(&d).copied())
            });
            let ids = |markers: bool| -> Vec<&str> {
                versions
                    .iter()
                    .filter(|v| v.delete_marker == markers)
                    .map(|v| v.version_id.as_str())
                    .collect()
            };
            let (markers, kept) = (ids(true), ids(false));
            let path = Some(key.to_string());
            if !markers.is_empty() {
                let message = format!("{key} was deleted (delete marker {})", markers.join(", "));
                let code = ProblemCode::ObjectDeleted;
                problems.push(Problem { code, seq, path: path.clone(), message });
            }
            if kept.len() > 1 {
                let message = format!(
                    "{key} was written {} times (versions {})",
                    kept.len(),
                    kept.join(", ")
                );
                problems.push(Problem { code: ProblemCode::ObjectRewritten, seq, path, message });
            }
        }
    }
    Ok(())
}

/// Reports chain objects whose Object Lock retention has ended or never existed.
fn check_retention(
    store: &dyn Store,
    entries: &[StoredEntry],
    problems: &mut Vec<Problem>,
) -> Result<(), StoreError> {
    let now = chrono::Utc::now();
    for entry in entries {
        let Some(until) = store.retention_until(&entry.key)? else {
            return Err(StoreError::Config(
                "--check-retention needs a store with Object Lock (S3); this store has none".into(),
            ));
        };
        let seq = entry.seq;
        let (code, message) = match until {
            Some(date) if date > now => continue,
            Some(date) => (
                ProblemCode::RetentionExpired,
                format!("entry {seq}: its retention ended {}", date.to_rfc3339()),
            ),
            None => (
                ProblemCode::RetentionMissing,
                format!("entry {seq} is not under Object Lock retention"),
            ),
        };
        problems.push(problem(code, seq, entry.key.clone(), message));
    }
    Ok(())
}

/// For each artifact digest, the first entry that records it.
fn artifact_first_seen(entries: &[StoredEntry]) -> BTreeMap<Sha256, u64> {
    let mut first_seen = BTreeMap::new();
    for entry in entries {
        let subjects = entry.statement().map(|s| s.subject.as_slice()).unwrap_or_default();
        for subject in subjects {
            first_seen.entry(subject.digest.sha256).or_insert(entry.seq);
        }
    }
    first_seen
}
