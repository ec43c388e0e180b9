//! The Merkle tree against the C2SP CCTV test vectors (tests/fixtures/merkle) and against a
//! second, minimal implementation written here from the text of RFC 9162 (2.1.1 to 2.1.4),
//! for every inclusion proof of trees up to 256 leaves, every consistency pair up to 64 and
//! sampled pairs up to 1,000.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use locker::checkpoint::merkle::{
    self, Hash, consistency_proof, inclusion_proof, leaf_hash, verify_consistency, verify_inclusion,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn vectors(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merkle").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn hash(value: &Value) -> Hash {
    STANDARD.decode(value.as_str().unwrap()).unwrap().try_into().unwrap()
}

fn hashes(value: &Value) -> Vec<Hash> {
    value.as_array().map(|a| a.iter().map(hash).collect()).unwrap_or_default()
}

/// The leaves of the CCTV trees: "a", "b", "c", ...
fn cctv_leaves() -> Vec<Hash> {
    vectors("merkle_tree.json").iter().map(|v| hash(&v["leaf_hash"])).collect()
}

#[test]
fn tree_heads_match_the_cctv_vectors() {
    let cases = vectors("merkle_tree.json");
    let mut leaves = Vec::new();
    for case in &cases {
        let leaf = leaf_hash(case["leaf_data"].as_str().unwrap().as_bytes());
        assert_eq!(leaf, hash(&case["leaf_hash"]));
        leaves.push(leaf);
        assert_eq!(merkle::root(&leaves), hash(&case["root_hash"]), "size {}", leaves.len());
    }
    assert_eq!(hex::encode(merkle::root(&[])), hex::encode(Sha256::digest([])));
}

#[test]
fn inclusion_proofs_match_the_cctv_vectors() {
    let leaves = cctv_leaves();
    let valid = vectors("inclusion-valid.json");
    assert!(!valid.is_empty());
    for case in &valid {
        let (index, size) =
            (case["leaf_index"].as_u64().unwrap(), case["tree_size"].as_u64().unwrap());
        let (leaf, root, path) =
            (hash(&case["leaf_hash"]), hash(&case["root_hash"]), hashes(&case["inclusion_path"]));
        assert!(verify_inclusion(index, size, &leaf, &path, &root), "{case}");
        if (size as usize) <= leaves.len() {
            assert_eq!(inclusion_proof(index as usize, &leaves[..size as usize]), path, "{case}");
        }
    }
    let invalid = vectors("inclusion-invalid.json");
    let mut rejected = 0;
    for case in &invalid {
        let index = case["leaf_index"].as_u64().unwrap_or(u64::MAX);
        let size = case["tree_size"].as_u64().unwrap_or(0);
        let decoded = || -> Option<(Hash, Hash, Vec<Hash>)> {
            let decode = |v: &Value| STANDARD.decode(v.as_str()?).ok()?.try_into().ok();
            let path: Option<Vec<Hash>> = case["inclusion_path"]
                .as_array()
                .map(|a| a.iter().map(decode).collect())
                .unwrap_or(Some(vec![]));
            Some((decode(&case["leaf_hash"])?, decode(&case["root_hash"])?, path?))
        };
        if let Some((leaf, root, path)) = decoded() {
            assert!(!verify_inclusion(index, size, &leaf, &path, &root), "accepted: {case}");
            rejected += 1;
        }
    }
    assert!(rejected >= 3, "only {rejected} invalid inclusion vectors could be read");
}

#[test]
fn consistency_proofs_match_the_cctv_vectors() {
    let leaves = cctv_leaves();
    let valid = vectors("consistency-valid.json");
    assert!(!valid.is_empty());
    for case in &valid {
        let (old, new) = (case["old_size"].as_u64().unwrap(), case["new_size"].as_u64().unwrap());
        let (old_root, new_root) = (hash(&case["old_root"]), hash(&case["new_root"]));
        let path = hashes(&case["consistency_path"]);
        assert!(verify_consistency(old, new, &old_root, &new_root, &path), "{case}");
        if old > 0 && (new as usize) <= leaves.len() {
            assert_eq!(consistency_proof(old as usize, &leaves[..new as usize]), path, "{case}");
        }
    }
    let mut rejected = 0;
    for case in &vectors("consistency-invalid.json") {
        let old = case["old_size"].as_u64().unwrap_or(0);
        let new = case["new_size"].as_u64().unwrap_or(0);
        let decode =
            |v: &Value| -> Option<Hash> { STANDARD.decode(v.as_str()?).ok()?.try_into().ok() };
        let path: Option<Vec<Hash>> = case["consistency_path"]
            .as_array()
            .map(|a| a.iter().map(decode).collect())
            .unwrap_or(Some(vec![]));
        if let (Some(a), Some(b), Some(path)) =
            (decode(&case["old_root"]), decode(&case["new_root"]), path)
        {
            assert!(!verify_consistency(old, new, &a, &b, &path), "accepted: {case}");
            rejected += 1;
        }
    }
    assert!(rejected >= 12, "only {rejected} invalid consistency vectors could be read");
}

/// The second implementation: MTH, PATH and PROOF exactly as RFC 9162 2.1.1-2.1.2 define them,
/// over the leaf data itself.
mod rfc {
    use sha2::{Digest, Sha256};

    pub type H = [u8; 32];

    /// The largest power of two smaller than n.
    fn k(n: usize) -> usize {
        if n.is_power_of_two() { n / 2 } else { n.next_power_of_two() / 2 }
    }

    pub fn mth(d: &[Vec<u8>]) -> H {
        match d.len() {
            0 => Sha256::digest([]).into(),
            1 => Sha256::new().chain_update([0u8]).chain_update(&d[0]).finalize().into(),
            n => {
                let k = k(n);
                let (l, r) = (mth(&d[..k]), mth(&d[k..]));
                Sha256::new().chain_update([1u8]).chain_update(l).chain_update(r).finalize().into()
            }
        }
    }

    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<H> {
        let n = d.len();
        if n == 1 {
            return vec![];
        }
        let k = k(n);
        if m < k {
            [path(m, &d[..k]), vec![mth(&d[k..])]].concat()
        } else {
            [path(m - k, &d[k..]), vec![mth(&d[..k])]].concat()
        }
    }

    pub fn proof(m: usize, d: &[Vec<u8>]) -> Vec<H> {
        subproof(m, d, true)
    }

    fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<H> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = k(n);
        if m <= k {
            [subproof(m, &d[..k], b), vec![mth(&d[k..])]].concat()
        } else {
            [subproof(m - k, &d[k..], false), vec![mth(&d[..k])]].concat()
        }
    }
}

fn data(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("entry {i} {}", "x".repeat(i % 7)).into_bytes()).collect()
}

#[test]
fn every_inclusion_proof_up_to_256_leaves() {
    let all = data(256);
    let leaves: Vec<Hash> = all.iter().map(|d| leaf_hash(d)).collect();
    for size in 1..=256usize {
        let root = merkle::root(&leaves[..size]);
        assert_eq!(root, rfc::mth(&all[..size]), "root of {size}");
        for index in 0..size {
            let proof = inclusion_proof(index, &leaves[..size]);
            assert_eq!(proof, rfc::path(index, &all[..size]), "path {index} of {size}");
            assert!(verify_inclusion(index as u64, size as u64, &leaves[index], &proof, &root));
            // A proof for another leaf, or with a changed byte, fails.
            let other = leaves[(index + 1) % size];
            if size > 1 {
                assert!(!verify_inclusion(index as u64, size as u64, &other, &proof, &root));
            }
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0] = {
                    let mut h = *first;
                    h[31] ^= 1;
                    h
                };
                assert!(!verify_inclusion(index as u64, size as u64, &leaves[index], &bad, &root));
            }
        }
    }
}

fn check_consistency(all: &[Vec<u8>], leaves: &[Hash], old: usize, new: usize) {
    let proof = consistency_proof(old, &leaves[..new]);
    assert_eq!(proof, rfc::proof(old, &all[..new]), "proof {old} -> {new}");
    let (a, b) = (merkle::root(&leaves[..old]), merkle::root(&leaves[..new]));
    assert!(verify_consistency(old as u64, new as u64, &a, &b, &proof), "{old} -> {new}");
    if old < new {
        let mut rewritten = b;
        rewritten[0] ^= 1;
        assert!(!verify_consistency(old as u64, new as u64, &a, &rewritten, &proof));
    }
}

#[test]
fn every_consistency_pair_up_to_64_and_samples_up_to_1000() {
    let all = data(1000);
    let leaves: Vec<Hash> = all.iter().map(|d| leaf_hash(d)).collect();
    for new in 1..=64 {
        for old in 1..=new {
            check_consistency(&all, &leaves, old, new);
        }
    }
    // A fixed linear congruential sequence, so failures reproduce.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..300 {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let new = 65 + (state >> 33) as usize % 936;
        let old = 1 + (state >> 13) as usize % new;
        check_consistency(&all, &leaves, old, new);
    }
}
