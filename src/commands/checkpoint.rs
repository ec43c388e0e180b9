//! `locker checkpoint` and `locker prove`.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::print_json;
use crate::chain::{self, StoredEntry, VerifyOptions, load_entries};
use crate::checkpoint::{self, Checkpoint, merkle};
use crate::cli::ProveArgs;
use crate::error::{Error, ExitStatus};
use crate::keys::TrustSet;
use crate::settings::{Settings, SettingsError};
use crate::store::{Created, Store};

/// Signs the tree head over every entry, after the chain verifies against the pinned keys.
pub(super) fn create(
    settings: &Settings,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let key = settings.signing_key()?;
    let trust = settings.trust_set()?;
    let store = settings.open_store()?;

    // 1. Only a chain that verifies is worth signing.
    let verification = chain::verify(store.as_ref(), &trust, &VerifyOptions::default())?;
    if !verification.ok {
        eprintln!(
            "refusing to sign a checkpoint: the chain has {} problem(s); run `locker verify`",
            verification.problems.len()
        );
        return Ok(ExitStatus::CheckFailed);
    }
    let (entries, _) = load_entries(store.as_ref())?;
    let entries = &entries[..verification.entries as usize];
    let leaves = leaves_of(entries)?;
    if leaves.is_empty() {
        return Err(
            SettingsError::Missing("the chain is empty: nothing to checkpoint".into()).into()
        );
    }

    // 2. The signed note, created once under its size.
    let head = Checkpoint {
        origin: checkpoint::origin(store.as_ref()),
        size: leaves.len() as u64,
        root: merkle::root(&leaves),
    };
    let note = head.sign(&key);
    let key_name = checkpoint::key(head.size);
    let created = store.create(&key_name, note.as_bytes())?;
    let existing =
        (created == Created::Existed).then(|| store.get(&key_name)).transpose()?.flatten();
    if existing.as_ref().is_some_and(|bytes| bytes != note.as_bytes()) {
        eprintln!(
            "a different checkpoint of {} entries is already stored: run `locker verify`",
            head.size
        );
        return Ok(ExitStatus::CheckFailed);
    }

    if json {
        print_json(
            out,
            &json!({
                "size": head.size,
                "root": STANDARD.encode(head.root),
                "key": key_name,
                "new": created == Created::New,
                "note": note,
            }),
        )?;
    } else {
        writeln!(
            out,
            "checkpoint of {} entries, root {} ({})",
            head.size,
            STANDARD.encode(head.root),
            store.location(&key_name)
        )?;
        write!(out, "{note}")?;
    }
    Ok(ExitStatus::Success)
}

/// Prints an inclusion or consistency proof, checked before it is printed.
pub(super) fn prove(
    settings: &Settings,
    args: &ProveArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let trust = settings.trust_set()?;
    let store = settings.open_store()?;
    let (entries, _) = load_entries(store.as_ref())?;
    let leaves = leaves_of(&entries)?;

    let proof = match (&args.consistency, args.seq) {
        (Some(sizes), _) => {
            let (old, old_note) =
                signed_checkpoint(store.as_ref(), &trust, Some(sizes[0]), &leaves)?;
            let (new, new_note) =
                signed_checkpoint(store.as_ref(), &trust, Some(sizes[1]), &leaves)?;
            if old.size > new.size {
                return Err(usage("--consistency OLD NEW: OLD must not be larger than NEW"));
            }
            let path = merkle::consistency_proof(old.size as usize, &leaves[..new.size as usize]);
            assert!(merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &path));
            json!({
                "old_size": old.size,
                "new_size": new.size,
                "old_root": STANDARD.encode(old.root),
                "new_root": STANDARD.encode(new.root),
                "consistency_path": encode(&path),
                "old_checkpoint": old_note,
                "new_checkpoint": new_note,
            })
        }
        (None, Some(seq)) => {
            let (head, note) = signed_checkpoint(store.as_ref(), &trust, args.checkpoint, &leaves)?;
            if seq >= head.size {
                return Err(usage(&format!(
                    "entry {seq} is not in the checkpoint of {} entries",
                    head.size
                )));
            }
            let path = merkle::inclusion_proof(seq as usize, &leaves[..head.size as usize]);
            let leaf = leaves[seq as usize];
            assert!(merkle::verify_inclusion(seq, head.size, &leaf, &path, &head.root));
            json!({
                "leaf_index": seq,
                "tree_size": head.size,
                "leaf_hash": STANDARD.encode(leaf),
                "root_hash": STANDARD.encode(head.root),
                "inclusion_path": encode(&path),
                "checkpoint": note,
            })
        }
        (None, None) => return Err(usage("give SEQ or --consistency OLD NEW")),
    };

    if json {
        print_json(out, &proof)?;
    } else {
        writeln!(out, "{}", serde_json::to_string_pretty(&proof).map_err(std::io::Error::other)?)?;
    }
    Ok(ExitStatus::Success)
}

/// A stored checkpoint (of `size` entries, or the latest) signed by a trusted key whose root
/// is the chain's; anything else is refused.
fn signed_checkpoint(
    store: &dyn Store,
    trust: &TrustSet,
    size: Option<u64>,
    leaves: &[merkle::Hash],
) -> Result<(Checkpoint, String), Error> {
    let stored = checkpoint::load(store)?;
    let chosen = match size {
        Some(size) => stored.into_iter().find(|c| c.size == size),
        None => stored.into_iter().last(),
    };
    let Some(chosen) = chosen else {
        return Err(usage("no such checkpoint: run `locker checkpoint` first"));
    };
    let note = chosen.note.map_err(|e| usage(&format!("{}: {e}", chosen.key)))?;
    let head = Checkpoint::read_trusted(&note, trust)
        .map_err(|e| usage(&format!("{}: {e}", chosen.key)))?;
    let matches = (head.size as usize) <= leaves.len()
        && merkle::root(&leaves[..head.size as usize]) == head.root;
    if !matches {
        return Err(usage(&format!(
            "{}: the chain no longer matches it; run `locker verify`",
            chosen.key
        )));
    }
    Ok((head, note))
}

fn leaves_of(entries: &[StoredEntry]) -> Result<Vec<merkle::Hash>, Error> {
    checkpoint::leaves(entries)
        .map_err(|gap| usage(&format!("entry {gap} is missing; run `locker verify`")))
}

fn encode(path: &[merkle::Hash]) -> Vec<String> {
    path.iter().map(|h| STANDARD.encode(h)).collect()
}

fn usage(message: &str) -> Error {
    SettingsError::Missing(message.to_string()).into()
}
