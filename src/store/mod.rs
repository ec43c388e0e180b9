//! Where evidence lives: one trait, one layout, several back ends.
//!
//! Every write is a create-if-absent: an object, once written, is never replaced. That one
//! primitive gives both content-addressed artifacts (a second write of the same bytes finds
//! them already there) and the chain's compare-and-swap append (the loser of a race for
//! the next sequence number finds the key taken and retries).

mod local;
pub mod posture;
pub mod s3;

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
pub use local::LocalStore;
pub use s3::{S3Options, S3Store};

use crate::digest::Sha256;
use crate::error::ExitStatus;

/// Store layout: keys relative to the store's root.
pub mod layout {
    use crate::digest::Sha256;

    /// Prefix of content-addressed artifacts.
    pub const OBJECTS: &str = "objects/sha256/";
    /// Prefix of chain entries.
    pub const CHAIN: &str = "chain/";
    /// Prefix of public keys kept for convenience (never trusted by verify).
    pub const KEYS: &str = "keys/";

    /// Width of the zero-padded sequence number in entry keys.
    pub const SEQ_WIDTH: usize = 12;

    /// `objects/sha256/ab/abcdef...`
    pub fn artifact_key(digest: &Sha256) -> String {
        let hex = digest.to_hex();
        format!("{OBJECTS}{}/{hex}", &hex[..2])
    }

    /// `chain/000000000042.json`
    pub fn entry_key(seq: u64) -> String {
        format!("{CHAIN}{seq:0width$}.json", width = SEQ_WIDTH)
    }

    /// The sequence number of an entry key, or `None` when `key` is not one.
    pub fn parse_entry_key(key: &str) -> Option<u64> {
        let digits = key.strip_prefix(CHAIN)?.strip_suffix(".json")?;
        let well_formed = digits.len() == SEQ_WIDTH && digits.bytes().all(|b| b.is_ascii_digit());
        if well_formed { digits.parse().ok() } else { None }
    }

    /// The digest named by an artifact key, or `None` when `key` is not one.
    pub fn parse_artifact_key(key: &str) -> Option<Sha256> {
        let rest = key.strip_prefix(OBJECTS)?;
        let (fan, hex) = rest.split_once('/')?;
        let digest: Sha256 = hex.parse().ok()?;
        (hex.len() == 64 && fan == &hex[..2]).then_some(digest)
    }

    /// `keys/<key id>.pub`
    pub fn public_key_key(key_id: &str) -> String {
        format!("{KEYS}{key_id}.pub")
    }
}

/// The outcome of a create-if-absent write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The object was written by this call.
    New,
    /// An object already existed under that key; nothing was written.
    Existed,
}

/// One object found by a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Key relative to the store's root.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// One version of an object in a versioned store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// Key relative to the store's root.
    pub key: String,
    /// The version id.
    pub version_id: String,
    /// Whether this is the current version.
    pub latest: bool,
    /// Whether this version is a delete marker.
    pub delete_marker: bool,
}

/// Errors of a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O operation on the store failed.
    #[error("{location}: {source}")]
    Io {
        /// The object or directory involved.
        location: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The store address is not usable.
    #[error("{0}")]
    Config(String),
    /// A request to a remote store failed.
    #[error("{location}: {message}")]
    Remote {
        /// The object or bucket involved.
        location: String,
        /// What happened and what to try.
        message: String,
        /// The exit status it deserves.
        status: ExitStatus,
    },
    /// The store does not enforce create-if-absent writes, so appends could fork the chain.
    #[error(
        "{0}: the store does not enforce conditional writes (If-None-Match: *), so two \
         pushes could both write the same entry and fork the chain; refusing to append. \
         Use a store that enforces them (AWS S3, or an unversioned bucket on Ceph RGW); \
         `locker doctor` shows the store's posture"
    )]
    ConditionalWritesIgnored(String),
    /// A file being archived changed between hashing and copying.
    #[error(
        "{path}: the file changed while it was being archived; push it again once it is complete"
    )]
    SourceChanged {
        /// The source file.
        path: String,
    },
}

impl StoreError {
    /// The exit status: 2 for a bad store address, 3 for everything worth a retry.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            StoreError::Config(_) | StoreError::ConditionalWritesIgnored(_) => ExitStatus::Usage,
            StoreError::Remote { status, .. } => *status,
            StoreError::Io { .. } | StoreError::SourceChanged { .. } => ExitStatus::Unavailable,
        }
    }
}

/// A write-once object store.
pub trait Store: Send + Sync {
    /// A human-readable address of `key`, for messages (a path or an `s3://` URL).
    fn location(&self, key: &str) -> String;

    /// Writes `bytes` under `key` unless an object already exists there.
    ///
    /// # Errors
    ///
    /// Any failure to write; the key then holds either nothing or a complete object.
    fn create(&self, key: &str, bytes: &[u8]) -> Result<Created, StoreError>;

    /// Streams the file at `source` into `key` unless an object already exists there,
    /// with memory bounded whatever the file's size.
    ///
    /// # Errors
    ///
    /// [`StoreError::SourceChanged`] when the bytes read do not hash to `expected`.
    fn create_from_file(
        &self,
        key: &str,
        source: &Path,
        expected: &Sha256,
    ) -> Result<Created, StoreError>;

    /// The whole object, or `None` when there is none.
    ///
    /// # Errors
    ///
    /// Read failures other than absence.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// A reader over the object, or `None` when there is none.
    ///
    /// # Errors
    ///
    /// Failures to open other than absence.
    fn open(&self, key: &str) -> Result<Option<Box<dyn Read + Send>>, StoreError>;

    /// Checks that the store exists and can be read, before a command that only reads it.
    ///
    /// # Errors
    ///
    /// A missing or unreachable store.
    fn ensure_readable(&self) -> Result<(), StoreError>;

    /// Every object whose key starts with `prefix`, sorted by key.
    ///
    /// # Errors
    ///
    /// Listing failures.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError>;

    /// Every version (and delete marker) of the objects under `prefix`, or `None` when the
    /// store does not keep versions.
    ///
    /// # Errors
    ///
    /// Listing failures.
    fn versions(&self, _prefix: &str) -> Result<Option<Vec<ObjectVersion>>, StoreError> {
        Ok(None)
    }

    /// Whether a second create-if-absent of one key is refused, probed live where the store
    /// is remote.
    ///
    /// # Errors
    ///
    /// Request failures.
    fn conditional_writes_enforced(&self) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// The Object Lock retain-until date of `key`'s current version (`Some(None)`: none),
    /// or `None` when the store has no retention.
    ///
    /// # Errors
    ///
    /// Request failures.
    fn retention_until(&self, _key: &str) -> Result<Option<Option<DateTime<Utc>>>, StoreError> {
        Ok(None)
    }
}

/// Opens the store at `url`: a directory path, or `s3://bucket/prefix` with `s3` options.
///
/// # Errors
///
/// [`StoreError::Config`] for an address that cannot be used.
pub fn open(url: &str, s3: &S3Options) -> Result<Box<dyn Store>, StoreError> {
    if url.starts_with("s3://") {
        return Ok(Box::new(S3Store::open(url, s3.clone())?));
    }
    if url.is_empty() {
        return Err(StoreError::Config("the store address is empty".to_string()));
    }
    Ok(Box::new(LocalStore::new(url)))
}

#[cfg(test)]
mod tests {
    use super::layout::*;
    use crate::digest::Sha256;

    #[test]
    fn entry_keys_round_trip_and_reject_lookalikes() {
        assert_eq!(entry_key(42), "chain/000000000042.json");
        assert_eq!(parse_entry_key("chain/000000000042.json"), Some(42));
        assert_eq!(parse_entry_key("chain/42.json"), None);
        assert_eq!(parse_entry_key("chain/00000000004x.json"), None);
        assert_eq!(parse_entry_key("chain/000000000042.json.tmp"), None);
    }

    #[test]
    fn artifact_keys_round_trip() {
        let d = Sha256::of(b"x");
        assert_eq!(parse_artifact_key(&artifact_key(&d)), Some(d));
        assert_eq!(parse_artifact_key("objects/sha256/zz/abc"), None);
    }
}
