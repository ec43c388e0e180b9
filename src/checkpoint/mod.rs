//! Signed checkpoints over the chain, as transparency logs have them but on the plain store:
//! a Merkle tree whose leaf `i` is entry `i`'s stored bytes ([`merkle`]), its head signed as a
//! C2SP checkpoint note ([`note`]) under `checkpoints/`, and proofs that an entry is in a
//! checkpoint or that a checkpoint extends an earlier one.

pub mod merkle;
pub mod note;

use crate::chain::StoredEntry;
use crate::store::{Store, StoreError};

pub use note::Checkpoint;

/// Where checkpoints live.
pub const PREFIX: &str = "checkpoints/";

/// The key of the checkpoint of `size` entries: zero-padded, so keys sort by size.
pub fn key(size: u64) -> String {
    format!("{PREFIX}{size:020}")
}

/// The size a checkpoint key names.
pub fn parse_key(key: &str) -> Option<u64> {
    let digits = key.strip_prefix(PREFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The origin line of a store's checkpoints: `evidence-locker/` and the store's location
/// without its scheme, so that checkpoints of two stores never pass for each other.
pub fn origin(store: &dyn Store) -> String {
    let location = store.location("");
    let bare = location.split_once("://").map_or(location.as_str(), |(_, rest)| rest);
    let cleaned: String = bare
        .trim_end_matches('/')
        .chars()
        .map(|c| if c.is_whitespace() || c == '+' { '_' } else { c })
        .collect();
    format!("evidence-locker/{cleaned}")
}

/// The leaf hashes of `entries`, which must be the whole chain from 0 without a gap.
///
/// # Errors
///
/// The first missing sequence number.
pub fn leaves(entries: &[StoredEntry]) -> Result<Vec<merkle::Hash>, u64> {
    let mut leaves = Vec::with_capacity(entries.len());
    for (expected, entry) in entries.iter().enumerate() {
        if entry.seq != expected as u64 {
            return Err(expected as u64);
        }
        leaves.push(entry.leaf);
    }
    Ok(leaves)
}

/// The smallest stored checkpoint that covers entry `last`, is signed by a key of `trust`
/// and still matches the chain: the checkpoint a period ending on `last` is proved against.
///
/// # Errors
///
/// Store failures.
pub fn covering(
    store: &dyn Store,
    trust: &crate::keys::TrustSet,
    entries: &[StoredEntry],
    last: u64,
) -> Result<Option<(Checkpoint, String)>, StoreError> {
    let leaves = leaves(entries)
        .unwrap_or_else(|gap| entries.iter().take(gap as usize).map(|e| e.leaf).collect());
    for stored in load(store)?.into_iter().filter(|c| c.size > last) {
        let Ok(note) = stored.note else { continue };
        let Ok(head) = Checkpoint::read_trusted(&note, trust) else { continue };
        let size = head.size as usize;
        if size <= leaves.len() && merkle::root(&leaves[..size]) == head.root {
            return Ok(Some((head, note)));
        }
    }
    Ok(None)
}

/// A stored checkpoint: its size as its key says, and its note.
pub struct StoredCheckpoint {
    /// The size in its key.
    pub size: u64,
    /// Its key.
    pub key: String,
    /// The note's text, or why it cannot be read as text.
    pub note: Result<String, String>,
}

/// Every checkpoint in the store, smallest first.
///
/// # Errors
///
/// Store failures.
pub fn load(store: &dyn Store) -> Result<Vec<StoredCheckpoint>, StoreError> {
    let mut found = Vec::new();
    for object in store.list(PREFIX)? {
        let Some(size) = parse_key(&object.key) else { continue };
        let Some(bytes) = store.get(&object.key)? else { continue };
        let note = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string());
        found.push(StoredCheckpoint { size, key: object.key, note });
    }
    found.sort_by_key(|c| c.size);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        assert_eq!(key(42), "checkpoints/00000000000000000042");
        assert_eq!(parse_key(&key(42)), Some(42));
        assert_eq!(parse_key("checkpoints/42"), None);
        assert_eq!(parse_key("chain/00000000000000000042"), None);
    }
}
