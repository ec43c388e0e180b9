//! Drives the `locker` binary in a scratch directory, as a pipeline would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use locker::store::{LocalStore, S3Options, S3Store, Store};
use serde_json::Value;
use tempfile::TempDir;

/// The S3 endpoint the tests may use, started by tests/run.sh.
pub fn s3_endpoint() -> Option<String> {
    std::env::var("LOCKER_TEST_S3_ENDPOINT").ok().filter(|e| !e.is_empty())
}

/// Whether this run exercises the S3 store instead of the local one
/// (`LOCKER_TEST_STORE=s3`, set by tests/run.sh for its second pass).
pub fn s3_mode() -> bool {
    std::env::var("LOCKER_TEST_STORE").is_ok_and(|v| v == "s3")
}

/// The S3 endpoint, or a failure saying how to get one.
pub fn require_s3() -> String {
    s3_endpoint().unwrap_or_else(|| {
        panic!(
            "LOCKER_TEST_S3_ENDPOINT is not set: run the tests with tests/run.sh, which starts \
             an S3 server"
        )
    })
}

/// Environment that points `locker` and the SDK at the test S3 server.
pub fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]
}

/// A fresh bucket name.
pub fn unique_bucket(label: &str) -> String {
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{label}-{random:016x}")
}

/// Writes `bytes` under `key` of an S3 store with a plain PutObject, replacing what is there.
pub fn s3_put(store: &S3Store, key: &str, bytes: &[u8]) {
    let (client, runtime) = store.client();
    let request = client
        .put_object()
        .bucket(store.bucket())
        .key(store.object_key(key))
        .body(bytes.to_vec().into());
    runtime.block_on(request.send()).expect("raw put");
}

/// Direct access to a store's objects, bypassing `locker`: how the tests tamper.
pub enum RawStore {
    Local(PathBuf),
    S3(S3Store),
}

impl RawStore {
    /// Opens `s3://bucket/prefix` on the test server, with the credentials tests/run.sh
    /// exports to the test process.
    pub fn s3(url: &str, endpoint: &str) -> RawStore {
        let options = S3Options { endpoint: Some(endpoint.to_string()), ..S3Options::default() };
        RawStore::S3(S3Store::open(url, options).expect("S3 store opens"))
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        match self {
            RawStore::Local(root) => std::fs::read(root.join(key)).ok(),
            RawStore::S3(store) => store.get(key).unwrap(),
        }
    }

    /// Writes `bytes` under `key`, replacing what is there.
    pub fn put(&self, key: &str, bytes: &[u8]) {
        match self {
            RawStore::Local(root) => {
                let path = root.join(key);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
            RawStore::S3(store) => s3_put(store, key, bytes),
        }
    }

    pub fn delete(&self, key: &str) {
        match self {
            RawStore::Local(root) => std::fs::remove_file(root.join(key)).unwrap(),
            RawStore::S3(store) => {
                let (client, runtime) = store.client();
                let request =
                    client.delete_object().bucket(store.bucket()).key(store.object_key(key));
                runtime.block_on(request.send()).expect("raw delete");
            }
        }
    }

    /// Keys under `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let listed = match self {
            RawStore::Local(root) if !root.exists() => return vec![],
            RawStore::Local(root) => LocalStore::new(root).list(prefix),
            RawStore::S3(store) => store.list(prefix),
        };
        listed.unwrap().into_iter().map(|o| o.key).collect()
    }

    /// Copies every object under `prefix` to `target`.
    pub fn copy_to(&self, target: &RawStore, prefix: &str) {
        for key in self.keys(prefix) {
            target.put(&key, &self.get(&key).unwrap());
        }
    }
}

/// The public sample reports under `tests/fixtures/public`.
pub fn public_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/public").join(name)
}

/// Reports made by real scanners under `tests/fixtures/scanners`.
pub fn scanner_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scanners").join(name)
}

/// A working directory with a signing key (`ci.key`, `ci.key.pub`) and a store: `./evidence`,
/// or in S3 mode `s3://<fresh bucket>/evidence` on the test server (an unversioned bucket, so
/// that the same tampering gives the same findings as on disk).
pub struct Workspace {
    pub dir: TempDir,
    pub bucket: Option<String>,
}

/// The outcome of one command.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        Run::from(output)
    }

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
        let bucket = s3_mode().then(|| unique_bucket("ws"));
        let workspace = Workspace { dir: tempfile::tempdir().expect("temp dir"), bucket };
        if let Some(bucket) = &workspace.bucket {
            let RawStore::S3(store) = workspace.raw() else { unreachable!() };
            let (client, runtime) = store.client();
            runtime.block_on(client.create_bucket().bucket(bucket).send()).expect("bucket");
        }
        workspace.run(&["keygen", "--out", "ci.key"]).expect(0);
        workspace
    }

    /// The `--store` value of the store named `name` (`evidence` is the default one).
    pub fn store_url(&self, name: &str) -> String {
        match &self.bucket {
            Some(bucket) => format!("s3://{bucket}/{name}"),
            None => name.to_string(),
        }
    }

    /// Raw access to the default store.
    pub fn raw(&self) -> RawStore {
        self.raw_named("evidence")
    }

    /// Raw access to the store named `name`.
    pub fn raw_named(&self, name: &str) -> RawStore {
        match &self.bucket {
            Some(_) => RawStore::s3(&self.store_url(name), &require_s3()),
            None => RawStore::Local(self.path(name)),
        }
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
        command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
        command.current_dir(self.dir.path());
        if self.bucket.is_some() {
            command.envs(s3_env(&require_s3())).env("LOCKER_STORE", self.store_url("evidence"));
        }
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
        let run = self.run(&["push", "--key", "ci.key", "--json", "--kind", "attachment", &name]);
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
        assert_eq!(run.status == 0, json["ok"].as_bool().unwrap(), "status and ok agree");
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

    /// The file of entry `seq` in a local store.
    pub fn entry_path(&self, seq: u64) -> PathBuf {
        self.store().join(entry_key(seq))
    }

    /// The stored bytes of entry `seq`.
    pub fn entry_bytes(&self, seq: u64) -> Vec<u8> {
        self.raw().get(&entry_key(seq)).expect("entry exists")
    }

    /// Entries listed by `locker log --json`.
    pub fn log(&self) -> Vec<Value> {
        let run = self.run(&["log", "--json"]).expect(0);
        run.json()["entries"].as_array().unwrap().clone()
    }

    /// Number of entries in the store.
    pub fn entry_count(&self) -> usize {
        self.raw().keys("chain/").len()
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
