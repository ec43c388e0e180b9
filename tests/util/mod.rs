//! Drives the `locker` binary in a scratch directory, as a pipeline would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// The public sample reports under `tests/fixtures/public`.
pub fn public_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/public")
        .join(name)
}

/// Reports made by real scanners under `tests/fixtures/scanners`.
pub fn scanner_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scanners")
        .join(name)
}

/// A working directory with a signing key (`ci.key`, `ci.key.pub`) and a store
/// (`./evidence`).
pub struct Workspace {
    pub dir: TempDir,
}

/// The outcome of one command.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }

    #[track_caller]
    pub fn expect(self, status: i32) -> Run {
        assert_eq!(
            self.status, status,
            "unexpected exit status\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        let workspace = Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        workspace.run(&["keygen", "--out", "ci.key"]).expect(0);
        workspace
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn store(&self) -> PathBuf {
        self.path("evidence")
    }

    /// A `locker` command with a clean environment, run in the workspace.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_locker"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        command.current_dir(self.dir.path());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().expect("locker runs"))
    }

    /// Copies a file into the workspace under `name`.
    pub fn add(&self, source: &Path, name: &str) -> String {
        let target = self.path(name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::copy(source, &target).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        name.to_string()
    }

    /// Writes `bytes` into the workspace under `name`.
    pub fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.path(name), bytes).unwrap();
        name.to_string()
    }

    /// `locker push --key ci.key --json FILES...`
    pub fn push(&self, files: &[&str]) -> Run {
        let mut args = vec!["push", "--key", "ci.key", "--json"];
        args.extend_from_slice(files);
        self.run(&args)
    }

    /// Pushes a small distinct attachment, returning the entry's sequence number.
    pub fn push_note(&self, text: &str) -> u64 {
        let name = format!("note-{}.txt", text.replace(' ', "-"));
        self.write(&name, text.as_bytes());
        let run = self.run(&[
            "push",
            "--key",
            "ci.key",
            "--json",
            "--kind",
            "attachment",
            &name,
        ]);
        run.expect(0).json()["seq"].as_u64().unwrap()
    }

    /// `locker verify --trusted-key ci.key.pub --json EXTRA...`
    pub fn verify(&self, extra: &[&str]) -> Run {
        let mut args = vec!["verify", "--trusted-key", "ci.key.pub", "--json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Problems of a verification as `(code, seq, path)`.
    pub fn problems(&self, extra: &[&str]) -> Vec<(String, Option<u64>, Option<String>)> {
        let run = self.verify(extra);
        let json = run.json();
        assert_eq!(
            run.status == 0,
            json["ok"].as_bool().unwrap(),
            "status and ok agree"
        );
        json["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["code"].as_str().unwrap().to_string(),
                    p["seq"].as_u64(),
                    p["path"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    pub fn entry_path(&self, seq: u64) -> PathBuf {
        self.store().join(format!("chain/{seq:012}.json"))
    }

    /// Entries listed by `locker log --json`.
    pub fn log(&self) -> Vec<Value> {
        let run = self.run(&["log", "--json"]).expect(0);
        run.json()["entries"].as_array().unwrap().clone()
    }

    /// Number of entry files in the store.
    pub fn entry_count(&self) -> usize {
        match std::fs::read_dir(self.store().join("chain")) {
            Ok(dir) => dir.count(),
            Err(_) => 0,
        }
    }
}

/// A problem triple as `problems` returns it.
pub fn problem(code: &str, seq: u64, path: &str) -> (String, Option<u64>, Option<String>) {
    (code.to_string(), Some(seq), Some(path.to_string()))
}

/// The store key of entry `seq`.
pub fn entry_key(seq: u64) -> String {
    format!("chain/{seq:012}.json")
}
