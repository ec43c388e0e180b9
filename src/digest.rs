//! SHA-256 digests: the identity of every artifact and entry in the store.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// Size of the read buffer used when hashing streams: large enough to amortise system calls,
/// small enough that hashing a file of any size needs only this much memory.
pub const STREAM_BUFFER: usize = 1 << 20;

/// A SHA-256 digest, shown and serialised as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(sha2::Sha256::digest(bytes).into())
    }

    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 12 hex characters, for human output only.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_string()
    }
}

/// Hashes everything `reader` yields with bounded memory.
///
/// Returns the digest and the number of bytes read.
///
/// # Errors
///
/// Any read error of `reader`.
pub fn hash_reader(reader: impl Read) -> io::Result<(Sha256, u64)> {
    copy_hashing(reader, io::sink())
}

/// Copies `reader` into `writer` and hashes the bytes on the way, with bounded memory.
///
/// Returns the digest and the number of bytes copied.
///
/// # Errors
///
/// Any read or write error.
pub fn copy_hashing(reader: impl Read, writer: impl Write) -> io::Result<(Sha256, u64)> {
    // One buffer per thread: verifying a store hashes hundreds of thousands of small files,
    // and zeroing a fresh mebibyte for each cost more than hashing them.
    thread_local! {
        static BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0u8; STREAM_BUFFER]);
    }
    BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => copy_hashing_with(reader, writer, &mut buffer),
        // A reader that itself hashes a stream on this thread: it keeps the shared buffer.
        Err(_) => copy_hashing_with(reader, writer, &mut vec![0u8; STREAM_BUFFER]),
    })
}

fn copy_hashing_with(
    mut reader: impl Read,
    mut writer: impl Write,
    buffer: &mut [u8],
) -> io::Result<(Sha256, u64)> {
    let mut hasher = sha2::Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match reader.read(buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        writer.write_all(&buffer[..n])?;
        total += n as u64;
    }
    Ok((Sha256(hasher.finalize().into()), total))
}

/// A hasher fed incrementally, for data that arrives in pieces.
#[derive(Default)]
pub struct Hasher(sha2::Sha256);

impl Hasher {
    /// Adds `bytes` to the digest.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added.
    pub fn finish(self) -> Sha256 {
        Sha256(self.0.finalize().into())
    }
}

/// Why a string is not a SHA-256 digest.
#[derive(Debug, thiserror::Error)]
#[error("not a SHA-256 digest (expected 64 hex characters): {0:?}")]
pub struct ParseDigestError(String);

impl FromStr for Sha256 {
    type Err = ParseDigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("sha256:").unwrap_or(s);
        let mut bytes = [0u8; 32];
        match hex::decode_to_slice(hex_part, &mut bytes) {
            Ok(()) if hex_part.bytes().all(|b| !b.is_ascii_uppercase()) => Ok(Self(bytes)),
            _ => Err(ParseDigestError(s.chars().take(80).collect())),
        }
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DigestVisitor)
    }
}

/// Parses a digest from the text as it lies in the input, without copying it into a `String`
/// first: chains and findings hold millions of digests.
struct DigestVisitor;

impl serde::de::Visitor<'_> for DigestVisitor {
    type Value = Sha256;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SHA-256 digest in lowercase hex")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Sha256, E> {
        text.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(
            Sha256::of(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parses_with_and_without_prefix_but_not_uppercase() {
        let d = Sha256::of(b"x");
        assert_eq!(d.to_hex().parse::<Sha256>().unwrap(), d);
        assert_eq!(format!("sha256:{d}").parse::<Sha256>().unwrap(), d);
        assert!(d.to_hex().to_uppercase().parse::<Sha256>().is_err());
        assert!("abc".parse::<Sha256>().is_err());
    }

    #[test]
    fn stream_hash_matches_one_shot() {
        let data = vec![7u8; STREAM_BUFFER * 2 + 13];
        let (d, n) = hash_reader(&data[..]).unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(d, Sha256::of(&data));
    }
}
