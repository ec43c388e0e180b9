//! Each kind of tampering, done by editing the stored objects directly, is reported with its
//! own code, the entry's sequence number and the object's path. The same tests run on the
//! local store and, with `LOCKER_TEST_STORE=s3`, on an S3 bucket.

mod util;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use locker::chain::{Statement, dsse::Envelope};
use locker::digest::Sha256;
use locker::keys::SigningKey;
use serde_json::Value;
use util::{Workspace, entry_key, problem};

/// A store with three entries, each holding one distinct attachment.
fn three_entries() -> Workspace {
    let ws = Workspace::new();
    for text in ["first", "second", "third"] {
        ws.push_note(text);
    }
    assert!(ws.problems(&[]).is_empty(), "the untouched store verifies");
    ws
}

fn artifact_key_of(ws: &Workspace, seq: u64) -> String {
    let entry = &ws.log()[seq as usize];
    let sha = entry["artifacts"][0]["sha256"].as_str().unwrap();
    format!("objects/sha256/{}/{sha}", &sha[..2])
}

#[test]
fn intact_store_verifies_with_exit_0() {
    let ws = three_entries();
    let run = ws.verify(&[]).expect(0);
    let json = run.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["entries"], 3);
    assert_eq!(json["artifacts"], 3);
    assert_eq!(json["head"]["seq"], 2);
}

#[test]
fn edited_artifact() {
    let ws = three_entries();
    let key = artifact_key_of(&ws, 1);
    ws.raw().put(&key, b"second, edited");
    assert_eq!(ws.problems(&[]), vec![problem("artifact-modified", 1, &key)]);
    ws.verify(&[]).expect(1);
}

#[test]
fn missing_artifact() {
    let ws = three_entries();
    let key = artifact_key_of(&ws, 2);
    ws.raw().delete(&key);
    assert_eq!(ws.problems(&[]), vec![problem("artifact-missing", 2, &key)]);
}

/// Rewrites the statement inside entry `seq` without re-signing it.
fn edit_statement(ws: &Workspace, seq: u64, edit: impl FnOnce(&mut Value)) {
    let mut envelope: Value = serde_json::from_slice(&ws.entry_bytes(seq)).unwrap();
    let payload = STANDARD.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let mut statement: Value = serde_json::from_slice(&payload).unwrap();
    edit(&mut statement);
    envelope["payload"] = STANDARD.encode(serde_json::to_vec(&statement).unwrap()).into();
    ws.raw().put(&entry_key(seq), &serde_json::to_vec(&envelope).unwrap());
}

#[test]
fn edited_entry() {
    let ws = three_entries();
    edit_statement(&ws, 1, |s| s["predicate"]["time"] = "2020-01-01T00:00:00Z".into());
    assert_eq!(ws.problems(&[]), vec![problem("entry-modified", 1, &entry_key(1))]);
}

#[test]
fn entry_bytes_overwritten_with_garbage() {
    let ws = three_entries();
    ws.raw().put(&entry_key(0), b"\x00garbage");
    assert_eq!(ws.problems(&[]), vec![problem("entry-modified", 0, &entry_key(0))]);
}

#[test]
fn removed_entry_is_a_gap() {
    let ws = three_entries();
    ws.raw().delete(&entry_key(1));
    assert_eq!(ws.problems(&[]), vec![problem("entry-missing", 1, &entry_key(1))]);
}

#[test]
fn reordered_entries() {
    let ws = three_entries();
    let (one, two) = (ws.entry_bytes(1), ws.entry_bytes(2));
    ws.raw().put(&entry_key(1), &two);
    ws.raw().put(&entry_key(2), &one);
    assert_eq!(
        ws.problems(&[]),
        vec![
            problem("entry-misplaced", 1, &entry_key(1)),
            problem("entry-misplaced", 2, &entry_key(2))
        ]
    );
}

#[test]
fn duplicated_entry() {
    let ws = three_entries();
    ws.raw().put(&entry_key(3), &ws.entry_bytes(1));
    assert_eq!(ws.problems(&[]), vec![problem("entry-duplicated", 3, &entry_key(3))]);
}

#[test]
fn forked_chain() {
    // Two writers that both believed entry 1 was the head each appended an entry 2; one of
    // them went on to entry 3. Putting the other entry 2 in place leaves two histories.
    let ws = three_entries();
    ws.raw().delete(&entry_key(2));
    let other = ws.raw_named("other-branch");
    ws.raw().copy_to(&other, "");

    ws.push_note("branch a, 2");
    ws.push_note("branch a, 3");
    let other_url = ws.store_url("other-branch");
    ws.write("b.txt", b"branch b, 2");
    let args = ["push", "--key", "ci.key", "--kind", "attachment", "--store", &other_url, "b.txt"];
    ws.run(&args).expect(0);

    ws.raw().put(&entry_key(2), &other.get(&entry_key(2)).unwrap());
    other.copy_to(&ws.raw(), "objects/");
    assert_eq!(ws.problems(&[]), vec![problem("chain-forked", 3, &entry_key(3))]);
}

#[test]
fn entry_signed_by_an_untrusted_key() {
    let ws = three_entries();
    ws.run(&["keygen", "--out", "intruder.key"]).expect(0);
    ws.write("forged.txt", b"forged");
    ws.run(&["push", "--key", "intruder.key", "--kind", "attachment", "forged.txt"]).expect(0);
    assert_eq!(ws.problems(&[]), vec![problem("untrusted-signer", 3, &entry_key(3))]);
}

#[test]
fn whole_history_resigned_with_another_key() {
    let ws = three_entries();
    let intruder = SigningKey::generate().unwrap();
    let mut previous: Option<Sha256> = None;
    for seq in 0..3 {
        let envelope: Envelope = serde_json::from_slice(&ws.entry_bytes(seq)).unwrap();
        let mut statement = Statement::from_envelope(&envelope).unwrap();
        statement.predicate.previous = previous;
        let bytes = statement.seal(&intruder);
        previous = Some(Sha256::of(&bytes));
        ws.raw().put(&entry_key(seq), &bytes);
    }
    let problems = ws.problems(&[]);
    let mut expected: Vec<_> =
        (0..3).map(|s| problem("untrusted-signer", s, &entry_key(s))).collect();
    expected.insert(0, ("history-resigned".to_string(), None, Some("chain/".to_string())));
    assert_eq!(problems, expected);
}

#[test]
fn truncated_tail_needs_an_expectation() {
    let ws = three_entries();
    let head = ws.verify(&[]).json()["head"]["hash"].as_str().unwrap().to_string();
    ws.raw().delete(&entry_key(2));

    assert!(ws.problems(&[]).is_empty(), "a shorter chain is consistent on its own");
    assert_eq!(
        ws.problems(&["--min-length", "3"]),
        vec![problem("chain-truncated", 2, &entry_key(2))]
    );
    let by_head = ws.problems(&["--expect-head", &head]);
    assert_eq!(by_head, vec![("chain-truncated".to_string(), Some(2), Some("chain/".to_string()))]);
    // An older head that is still there passes: the chain only grew since.
    let older = ws.log()[1]["hash"].as_str().unwrap().to_string();
    assert!(ws.problems(&["--expect-head", &older]).is_empty());
}

#[test]
fn stray_object_in_chain_directory() {
    let ws = three_entries();
    ws.raw().put("chain/HEAD", b"3");
    assert_eq!(
        ws.problems(&[]),
        vec![("unexpected-object".to_string(), None, Some("chain/HEAD".to_string()))]
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let ws = three_entries();
    let key = artifact_key_of(&ws, 0);
    ws.raw().delete(&key);
    edit_statement(&ws, 2, |s| s["predicate"]["ci"]["project"] = "elsewhere".into());
    let codes: Vec<String> = ws.problems(&[]).into_iter().map(|p| p.0).collect();
    assert_eq!(codes, vec!["artifact-missing", "entry-modified"]);
}

#[test]
fn entry_outside_its_key_window() {
    let ws = Workspace::new();
    for (text, time) in [("a", "2026-01-10T00:00:00Z"), ("b", "2026-06-01T00:00:00Z")] {
        ws.write(text, text.as_bytes());
        let args = ["push", "--key", "ci.key", "--kind", "attachment", "--time", time, text];
        ws.run(&args).expect(0);
    }
    ws.write(
        "locker.toml",
        b"[[trusted_keys]]\npath = \"ci.key.pub\"\nnot_after = \"2026-03-31T23:59:59Z\"\n",
    );
    // The window applies whether the key comes from the file or from the flag.
    let from_file = ws.run(&["verify", "--json"]).expect(1).json();
    assert_eq!(from_file["problems"][0]["code"], "key-outside-validity");
    assert_eq!(from_file["problems"][0]["seq"], 1);
    assert_eq!(ws.problems(&[]), vec![problem("key-outside-validity", 1, &entry_key(1))]);
}
