//! Signature checks of a whole chain: Ed25519 batches on every core, one by one only where a
//! batch fails, so that each bad entry is still named.

use rayon::prelude::*;

use super::dsse::{Envelope, SignatureStatus};
use super::entry::StoredEntry;
use crate::keys::{self, PublicKey, TrustSet, TrustedKey};

/// Entries per batch: large enough to share the work, small enough that a failed batch costs
/// little to recheck one by one.
const BATCH: usize = 64;

/// A signed message and its signature, as bytes.
type Signed = (Vec<u8>, Vec<u8>);

/// The trusted key an entry claims and, when its signature decodes, what it signs.
type Claim<'t> = (&'t PublicKey, Option<Signed>);

/// The trusted key an envelope's signatures claim first, if any.
pub(super) fn claimed_key<'t>(envelope: &Envelope, trust: &'t TrustSet) -> Option<&'t TrustedKey> {
    envelope.key_ids().into_iter().find_map(|id| trust.get(&id))
}

/// The signature status of each entry, in order: `None` for an entry that cannot be read or
/// claims no trusted key.
pub(super) fn check_signatures(
    entries: &[StoredEntry],
    trust: &TrustSet,
) -> Vec<Option<SignatureStatus>> {
    let mut statuses: Vec<Option<SignatureStatus>> =
        entries.par_chunks(BATCH).flat_map_iter(|chunk| check_chunk(chunk, trust)).collect();

    // A batch also accepts a signature re-encoded with a small-order component. For every
    // other entry that changes its stored bytes and so breaks the next entry's link; the
    // last entry has no next entry, so it is checked strictly on its own.
    if let (Some(entry), Some(status)) = (entries.last(), statuses.last_mut()) {
        *status = alone(entry, trust);
    }
    statuses
}

fn check_chunk(chunk: &[StoredEntry], trust: &TrustSet) -> Vec<Option<SignatureStatus>> {
    let signed: Vec<Option<Claim>> = chunk
        .iter()
        .map(|entry| {
            let (envelope, _) = entry.content.as_ref().ok()?;
            let key = &claimed_key(envelope, trust)?.key;
            Some((key, envelope.signed_by(key)))
        })
        .collect();
    let items: Vec<(&[u8], &[u8], &PublicKey)> = signed
        .iter()
        .flatten()
        .filter_map(|(key, signed)| {
            signed.as_ref().map(|(m, s)| (m.as_slice(), s.as_slice(), *key))
        })
        .collect();
    let all_valid = !items.is_empty() && keys::verify_batch(&items);

    chunk
        .iter()
        .zip(&signed)
        .map(|(entry, signed)| match signed {
            None => None,
            Some((_, Some(_))) if all_valid => Some(SignatureStatus::Valid),
            Some(_) => alone(entry, trust),
        })
        .collect()
}

/// The strict check of one entry's signature.
fn alone(entry: &StoredEntry, trust: &TrustSet) -> Option<SignatureStatus> {
    let (envelope, _) = entry.content.as_ref().ok()?;
    let key = claimed_key(envelope, trust)?;
    Some(envelope.check(&key.key))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::chain::{EntryPredicate, Statement, ToolInfo};
    use crate::keys::SigningKey;

    fn sealed(seq: u64, key: &SigningKey) -> Vec<u8> {
        Statement::new(EntryPredicate {
            sequence: seq,
            previous: None,
            time: Utc.timestamp_opt(1_780_000_000 + seq as i64, 0).unwrap(),
            ci: Default::default(),
            artifacts: vec![],
            tool: ToolInfo::current(),
        })
        .seal(key)
    }

    fn trusting(key: &SigningKey) -> TrustSet {
        let key = TrustedKey {
            key: key.public_key(),
            source: "test.pub".into(),
            not_before: None,
            not_after: None,
        };
        TrustSet::new(vec![key])
    }

    /// The stored bytes of `bytes` with its signature replaced by `other`'s.
    fn with_signature_of(bytes: &[u8], other: &[u8]) -> Vec<u8> {
        let mut envelope: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let other: serde_json::Value = serde_json::from_slice(other).unwrap();
        envelope["signatures"][0]["sig"] = other["signatures"][0]["sig"].clone();
        serde_json::to_vec(&envelope).unwrap()
    }

    #[test]
    fn a_bad_signature_in_a_batch_is_named_and_the_rest_stay_valid() {
        let key = SigningKey::generate().unwrap();
        let stranger = SigningKey::generate().unwrap();
        let mut stored: Vec<Vec<u8>> = (0..200).map(|seq| sealed(seq, &key)).collect();
        stored[70] = with_signature_of(&stored[70], &stored[71]);
        stored[150] = sealed(150, &stranger);
        stored[199] = with_signature_of(&stored[199], &stored[0]);
        let entries: Vec<StoredEntry> = stored
            .iter()
            .enumerate()
            .map(|(seq, bytes)| StoredEntry::decode(seq as u64, format!("chain/{seq}"), bytes))
            .collect();

        let statuses = check_signatures(&entries, &trusting(&key));

        assert_eq!(statuses.len(), 200);
        for (seq, status) in statuses.iter().enumerate() {
            let expected = match seq {
                70 | 199 => Some(SignatureStatus::Invalid),
                150 => None,
                _ => Some(SignatureStatus::Valid),
            };
            assert_eq!(*status, expected, "entry {seq}");
        }
    }

    #[test]
    fn batches_agree_with_one_by_one_checks() {
        let key = SigningKey::generate().unwrap();
        let entries: Vec<StoredEntry> = (0..130)
            .map(|seq| StoredEntry::decode(seq, format!("chain/{seq}"), &sealed(seq, &key)))
            .collect();
        let trust = trusting(&key);

        let batched = check_signatures(&entries, &trust);
        let alone: Vec<_> = entries.iter().map(|e| alone(e, &trust)).collect();

        assert_eq!(batched, alone);
        assert!(batched.iter().all(|s| *s == Some(SignatureStatus::Valid)));
    }
}
