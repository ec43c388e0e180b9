//! An attachment of any size is archived with streamed hashing and bounded memory.

mod util;

use std::fs;
use std::process::Stdio;
use std::thread;
use std::time::Duration;

use util::Workspace;

/// Peak resident memory of a running process, from /proc (kB).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn sparse_two_gib_attachment_is_streamed() {
    let ws = Workspace::new();
    let size: u64 = 2 << 30;
    fs::File::create(ws.path("disk.img")).unwrap().set_len(size).unwrap();

    let mut child = ws
        .command()
        .args(["push", "--key", "ci.key", "--json", "--kind", "attachment", "disk.img"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peak_kb = 0;
    while child.try_wait().unwrap().is_none() {
        peak_kb = peak_kb.max(peak_rss_kb(child.id()).unwrap_or(0));
        thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());

    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["artifacts"][0]["size"], size);
    assert!(peak_kb > 0, "memory was sampled");
    assert!(peak_kb < 64 * 1024, "peak RSS {peak_kb} kB for a 2 GiB attachment");

    let verification = ws.verify(&[]).expect(0).json();
    assert_eq!(verification["artifacts"], 1);
    eprintln!("peak RSS while archiving 2 GiB: {peak_kb} kB");
}
