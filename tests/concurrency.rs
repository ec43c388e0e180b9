//! Parallel writers never fork the chain or lose an entry, and a push killed at any point
//! leaves a chain that verifies.

mod util;

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::thread;
use std::time::Duration;

use util::Workspace;

const WRITERS: usize = 8;
const PUSHES_PER_WRITER: usize = 25;

/// Spawns `locker push` of `files` as a separate process.
fn spawn_push(ws: &Workspace, files: &[String], extra: &[&str]) -> Child {
    let mut command = ws.command();
    command.args(["push", "--key", "ci.key", "--json"]).args(extra).args(files);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("locker starts")
}

#[test]
fn eight_processes_pushing_at_once_give_one_chain() {
    let ws = Workspace::new();
    // Half the writers push the same file, half their own, so both artifact races and
    // entry races happen.
    let shared = ws.add(&util::public_fixture("grype-image.sarif"), "shared.sarif");
    let seqs = thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let ws = &ws;
                let shared = shared.clone();
                scope.spawn(move || {
                    let mut seqs = Vec::new();
                    for push in 0..PUSHES_PER_WRITER {
                        let file = if writer % 2 == 0 {
                            shared.clone()
                        } else {
                            ws.write(
                                &format!("w{writer}-{push}.txt"),
                                format!("{writer}/{push}").as_bytes(),
                            )
                        };
                        let extra: &[&str] =
                            if writer % 2 == 0 { &[] } else { &["--kind", "attachment"] };
                        let output = spawn_push(ws, &[file], extra).wait_with_output().unwrap();
                        assert!(
                            output.status.success(),
                            "{}",
                            String::from_utf8_lossy(&output.stderr)
                        );
                        let json: serde_json::Value =
                            serde_json::from_slice(&output.stdout).unwrap();
                        seqs.push(json["seq"].as_u64().unwrap());
                    }
                    seqs
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect::<Vec<u64>>()
    });

    let total = WRITERS * PUSHES_PER_WRITER;
    let distinct: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(distinct.len(), total, "every push got its own sequence number");
    assert_eq!(distinct.into_iter().collect::<Vec<_>>(), (0..total as u64).collect::<Vec<_>>());
    assert_eq!(ws.entry_count(), total);

    let verification = ws.verify(&["--min-length", &total.to_string()]).expect(0).json();
    assert_eq!(verification["entries"], total as u64);
    // Each writer's own files, plus the shared report and its derived findings.
    assert_eq!(verification["artifacts"], (WRITERS / 2 * PUSHES_PER_WRITER + 2) as u64);
}

#[test]
fn pushes_killed_at_any_point_leave_a_chain_that_verifies() {
    let ws = Workspace::new();
    let big = ws.path("big.bin");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(256 << 20).unwrap();
    let big = "big.bin".to_string();

    let delays_ms = [0, 2, 5, 10, 20, 40, 80, 150, 300, 600];
    let mut survivors = 0;
    for (round, delay) in delays_ms.into_iter().enumerate() {
        // One large attachment and one small, distinct per round.
        let small = ws.write(&format!("round-{round}.txt"), format!("round {round}").as_bytes());
        let mut child = spawn_push(&ws, &[big.clone(), small], &["--kind", "attachment"]);
        thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            survivors += 1;
        }

        if ws.bucket.is_none() && !ws.store().exists() {
            continue; // killed before it created anything
        }
        let verification = ws.verify(&[]).json();
        assert_eq!(verification["ok"], true, "after a kill at {delay} ms: {verification}");
        let entries = verification["entries"].as_u64().unwrap();
        assert!(entries <= round as u64 + 1);
    }
    // The store still takes pushes after all that.
    ws.push_note("after the kills");
    ws.verify(&[]).expect(0);
    eprintln!("{survivors} of {} pushes finished before their kill", delays_ms.len());
}
