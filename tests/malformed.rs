//! No input makes the readers panic: every fixture, cut short at many points and with bytes
//! flipped at random, is either read or refused with a message.

use std::path::Path;

use locker::ingest::{ArtifactKind, read_bytes};

/// A small deterministic generator, so that a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for dir in ["public", "scanners"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json" || e == "sarif") {
                files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    assert!(files.len() >= 30, "fixtures are present");
    files
}

fn read_every_way(bytes: &[u8]) {
    let _ = read_bytes(bytes, None);
    for kind in [
        ArtifactKind::Sarif,
        ArtifactKind::Gitlab,
        ArtifactKind::CosignSignature,
        ArtifactKind::CosignPayload,
        ArtifactKind::SigstoreBundle,
        ArtifactKind::Trivy,
        ArtifactKind::Clair,
        ArtifactKind::Anchore,
    ] {
        let _ = read_bytes(bytes, Some(kind));
    }
}

#[test]
fn truncated_fixtures_never_panic() {
    for (name, bytes) in fixtures() {
        let complete = bytes.trim_ascii_end().len();
        let step = (bytes.len() / 40).max(1);
        for cut in (0..complete).step_by(step) {
            let result = std::panic::catch_unwind(|| read_every_way(&bytes[..cut]));
            assert!(result.is_ok(), "{name} cut at {cut} panicked");
            // Every fixture is one JSON document (or lines of them): a cut one is refused.
            assert!(read_bytes(&bytes[..cut], None).is_err(), "{name} cut at {cut} was accepted");
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut random = XorShift(0x5eed_1234_abcd_ef01);
    for (name, bytes) in fixtures() {
        for round in 0..60 {
            let mut mutated = bytes.clone();
            for _ in 0..(1 + round % 4) {
                let at = (random.next() % mutated.len() as u64) as usize;
                mutated[at] = (random.next() % 256) as u8;
            }
            let result = std::panic::catch_unwind(|| read_every_way(&mutated));
            assert!(result.is_ok(), "{name} mutation round {round} panicked");
        }
    }
}
