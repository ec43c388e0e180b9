//! Appending an entry: a compare-and-swap on the next sequence number.
//!
//! The writer reads the head, signs entry `head + 1` chained to it, and creates that key only
//! if it is absent. A writer that loses the race reads the winner's entry, chains after it
//! and tries the next number, so concurrent pushes never fork the chain and never drop an
//! entry.

use std::thread;
use std::time::{Duration, Instant};

use tracing::{debug, info};

use super::ChainError;
use super::entry::Statement;
use crate::digest::Sha256;
use crate::keys::SigningKey;
use crate::store::{Created, Store, layout};

/// How long a writer keeps trying when others win the race.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Keep trying for at least this many attempts ...
    pub min_attempts: u32,
    /// ... and at least this long.
    pub min_duration: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { min_attempts: 64, min_duration: Duration::from_secs(60) }
    }
}

/// An appended entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its sequence number.
    pub seq: u64,
    /// SHA-256 of its stored bytes.
    pub hash: Sha256,
    /// How many attempts it took.
    pub attempts: u32,
}

/// The sequence number and hash of the last entry, or `None` for an empty chain.
///
/// # Errors
///
/// Store failures.
pub fn head(store: &dyn Store) -> Result<Option<(u64, Sha256)>, ChainError> {
    let last =
        store.list(layout::CHAIN)?.iter().filter_map(|o| layout::parse_entry_key(&o.key)).max();
    let Some(seq) = last else {
        return Ok(None);
    };
    let key = layout::entry_key(seq);
    match store.get(&key)? {
        Some(bytes) => Ok(Some((seq, Sha256::of(&bytes)))),
        None => Err(ChainError::BadHead {
            location: store.location(&key),
            problem: "listed but gone".into(),
        }),
    }
}

/// Appends the statement built by `make(sequence, previous)` as the next entry, signed with
/// `key`.
///
/// # Errors
///
/// Store failures, or [`ChainError::Contended`] when other writers kept winning for longer
/// than `policy` allows.
pub fn append(
    store: &dyn Store,
    key: &SigningKey,
    policy: RetryPolicy,
    mut make: impl FnMut(u64, Option<Sha256>) -> Statement,
) -> Result<Appended, ChainError> {
    let started = Instant::now();
    let mut position = head(store)?;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let (seq, previous) = match position {
            Some((seq, hash)) => (seq + 1, Some(hash)),
            None => (0, None),
        };
        let bytes = make(seq, previous).seal(key);
        let entry_key = layout::entry_key(seq);

        if store.create(&entry_key, &bytes)? == Created::New {
            info!(seq, attempts, "appended entry");
            return Ok(Appended { seq, hash: Sha256::of(&bytes), attempts });
        }

        debug!(seq, attempts, "another writer took this entry; chaining after it");
        let elapsed = started.elapsed();
        if attempts >= policy.min_attempts && elapsed >= policy.min_duration {
            return Err(ChainError::Contended { attempts, seconds: elapsed.as_secs_f64() });
        }
        thread::sleep(backoff(attempts));
        position = match store.get(&entry_key)? {
            Some(winner) => Some((seq, Sha256::of(&winner))),
            None => head(store)?,
        };
    }
}

/// A short random pause that grows with the attempts, so racing writers spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = 1u64 << attempt.min(6);
    let random = getrandom::u64().unwrap_or(u64::from(std::process::id()));
    Duration::from_micros(random % (ceiling_ms * 1000 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{EntryPredicate, ToolInfo};
    use crate::store::LocalStore;

    fn statement(seq: u64, previous: Option<Sha256>) -> Statement {
        Statement::new(EntryPredicate {
            sequence: seq,
            previous,
            time: chrono::Utc::now(),
            ci: Default::default(),
            artifacts: vec![],
            tool: ToolInfo::current(),
        })
    }

    #[test]
    fn threads_racing_never_fork() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let key = SigningKey::generate().unwrap();
        thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10 {
                        append(&store, &key, RetryPolicy::default(), statement).unwrap();
                    }
                });
            }
        });
        let (last, _) = head(&store).unwrap().unwrap();
        assert_eq!(last, 39);
    }
}
