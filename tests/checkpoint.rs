//! `locker checkpoint`, `locker prove` and the checkpoint checks of `locker verify`: roots any
//! reader can recompute from the stored entries, proofs that fail once a byte changes, and
//! rewritten or truncated histories caught by the checkpoints signed before.

mod util;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use locker::checkpoint::merkle::{Hash, verify_consistency, verify_inclusion};
use serde_json::Value;
use sha2::{Digest, Sha256};
use util::Workspace;

fn push_notes(ws: &Workspace, count: usize) {
    for _ in 0..count {
        ws.push_note("note");
    }
}

/// The root of RFC 9162, written out again here from the entries' stored bytes.
fn root_of(leaves: &[Hash]) -> Hash {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let k = if leaves.len().is_power_of_two() {
        leaves.len() / 2
    } else {
        leaves.len().next_power_of_two() / 2
    };
    Sha256::new()
        .chain_update([1u8])
        .chain_update(root_of(&leaves[..k]))
        .chain_update(root_of(&leaves[k..]))
        .finalize()
        .into()
}

fn leaves(ws: &Workspace, count: u64) -> Vec<Hash> {
    (0..count)
        .map(|seq| {
            Sha256::new().chain_update([0u8]).chain_update(ws.entry_bytes(seq)).finalize().into()
        })
        .collect()
}

fn decode(value: &Value) -> Hash {
    STANDARD.decode(value.as_str().unwrap()).unwrap().try_into().unwrap()
}

fn checkpoint(ws: &Workspace) -> Value {
    ws.run(&["checkpoint", "--key", "ci.key", "--trusted-key", "ci.key.pub", "--json"])
        .expect(0)
        .json()
}

#[test]
fn a_checkpoint_is_a_signed_note_over_the_root_anyone_can_recompute() {
    let ws = Workspace::new();
    push_notes(&ws, 5);
    let made = checkpoint(&ws);
    assert_eq!(made["size"], 5);
    assert_eq!(made["key"], "checkpoints/00000000000000000005");

    let note =
        std::fs::read_to_string(ws.store().join("checkpoints/00000000000000000005")).unwrap();
    let lines: Vec<&str> = note.lines().collect();
    assert!(lines[0].starts_with("evidence-locker/"), "{note}");
    assert_eq!(lines[1], "5");
    assert_eq!(
        decode(&Value::String(lines[2].into())),
        root_of(&leaves(&ws, 5)),
        "root from the chain"
    );
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with(&format!("\u{2014} {} ", lines[0])), "{note}");

    ws.verify(&["--trusted-key", "ci.key.pub"]).expect(0);
    // Checkpointing again at the same size changes nothing.
    assert_eq!(checkpoint(&ws)["new"], false);
}

#[test]
fn inclusion_and_consistency_proofs_verify_and_fail_on_any_change() {
    let ws = Workspace::new();
    push_notes(&ws, 5);
    checkpoint(&ws);
    push_notes(&ws, 4);
    checkpoint(&ws);

    for seq in 0..9u64 {
        let proof = ws
            .run(&["prove", &seq.to_string(), "--trusted-key", "ci.key.pub", "--json"])
            .expect(0)
            .json();
        assert_eq!(proof["tree_size"], 9);
        let leaf = decode(&proof["leaf_hash"]);
        assert_eq!(leaf, leaves(&ws, 9)[seq as usize], "the leaf is the entry's stored bytes");
        let root = decode(&proof["root_hash"]);
        let path: Vec<Hash> =
            proof["inclusion_path"].as_array().unwrap().iter().map(decode).collect();
        assert!(verify_inclusion(seq, 9, &leaf, &path, &root));
        for i in 0..path.len() {
            let mut bad = path.clone();
            bad[i][7] ^= 0x40;
            assert!(!verify_inclusion(seq, 9, &leaf, &bad, &root), "changed proof element {i}");
        }
        let mut other_leaf = leaf;
        other_leaf[0] ^= 1;
        assert!(!verify_inclusion(seq, 9, &other_leaf, &path, &root), "changed entry");
        let mut other_root = root;
        other_root[31] ^= 1;
        assert!(!verify_inclusion(seq, 9, &leaf, &path, &other_root), "changed checkpoint");
    }

    let early =
        ws.run(&["prove", "3", "--checkpoint", "5", "--trusted-key", "ci.key.pub", "--json"]);
    assert_eq!(early.expect(0).json()["tree_size"], 5);

    let proof = ws
        .run(&["prove", "--consistency", "5", "9", "--trusted-key", "ci.key.pub", "--json"])
        .expect(0)
        .json();
    let path: Vec<Hash> =
        proof["consistency_path"].as_array().unwrap().iter().map(decode).collect();
    let (old, new) = (decode(&proof["old_root"]), decode(&proof["new_root"]));
    assert_eq!(old, root_of(&leaves(&ws, 5)));
    assert!(verify_consistency(5, 9, &old, &new, &path));
    let mut rewritten = new;
    rewritten[3] ^= 1;
    assert!(!verify_consistency(5, 9, &old, &rewritten, &path));

    ws.run(&["prove", "12", "--trusted-key", "ci.key.pub"]).expect(2);
}

#[test]
fn verify_catches_rewritten_and_truncated_history_through_checkpoints() {
    let ws = Workspace::new();
    push_notes(&ws, 5);
    checkpoint(&ws);
    push_notes(&ws, 3);
    checkpoint(&ws);

    // Entries 5 to 7 are replaced by other, validly signed entries: a rewritten history
    // that the chain alone cannot tell from the real one.
    for seq in 5..8 {
        std::fs::remove_file(ws.entry_path(seq)).unwrap();
    }
    let problems = ws.problems(&["--trusted-key", "ci.key.pub"]);
    assert!(problems.iter().any(|p| p.0 == "checkpoint-beyond-chain"), "truncation: {problems:?}");
    push_notes(&ws, 3);
    let problems = ws.problems(&["--trusted-key", "ci.key.pub"]);
    let codes: Vec<(&str, Option<&str>)> =
        problems.iter().map(|p| (p.0.as_str(), p.2.as_deref())).collect();
    assert_eq!(
        codes,
        [("checkpoint-mismatch", Some("checkpoints/00000000000000000008"))],
        "{problems:?}"
    );
    ws.run(&["prove", "6", "--trusted-key", "ci.key.pub"]).expect(2);
    ws.run(&["prove", "2", "--checkpoint", "5", "--trusted-key", "ci.key.pub"]).expect(0);

    // A checkpoint signed by a key that is not trusted counts for nothing.
    ws.run(&["keygen", "--out", "other.key"]).expect(0);
    std::fs::remove_file(ws.store().join("checkpoints/00000000000000000008")).unwrap();
    ws.run(&["checkpoint", "--key", "other.key", "--trusted-key", "ci.key.pub"]).expect(0);
    let problems = ws.problems(&["--trusted-key", "ci.key.pub"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "checkpoint-invalid");

    // And a chain that does not verify is not checkpointed.
    ws.run(&["checkpoint", "--key", "other.key", "--trusted-key", "other.key.pub"]).expect(1);
}
