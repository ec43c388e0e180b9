//! Behaviour that only an S3 store has: versions, delete markers, Object Lock, posture, bucket
//! set-up, multipart uploads, and the faults of a remote server. Runs against the moto server
//! that tests/run.sh starts (and a second, private one for the freeze test).

mod util;

use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use locker::store::S3Store;
use util::{RawStore, Workspace, entry_key, require_s3, s3_env, s3_put, unique_bucket};

/// A workspace whose default store is `s3://<new bucket>/evidence`, set up by `locker init`
/// (versioned, encrypted, Object Lock enabled).
fn versioned_workspace(init_args: &[&str]) -> (Workspace, String) {
    let ws = Workspace::new();
    let bucket = unique_bucket("locked");
    let url = format!("s3://{bucket}/evidence");
    let mut args = vec!["init", "--store", &url];
    args.extend_from_slice(init_args);
    let run = s3_run(&ws, &args).expect(0);
    assert!(run.stdout.contains("created bucket"), "{}", run.stdout);
    (ws, url)
}

fn s3_run(ws: &Workspace, args: &[&str]) -> util::Run {
    let output = ws.command().envs(s3_env(&require_s3())).args(args).output().unwrap();
    util::Run::from_output(output)
}

fn raw(url: &str) -> S3Store {
    let RawStore::S3(store) = RawStore::s3(url, &require_s3()) else { unreachable!() };
    store
}

fn versions_of(store: &S3Store, key: &str) -> Vec<String> {
    use locker::store::Store;
    let versions = store.versions(key).unwrap().unwrap();
    versions.into_iter().filter(|v| v.key == key).map(|v| v.version_id).collect()
}

fn problems(ws: &Workspace, url: &str, extra: &[&str]) -> Vec<(String, Option<u64>, String)> {
    let mut args = vec!["verify", "--store", url, "--trusted-key", "ci.key.pub", "--json"];
    args.extend_from_slice(extra);
    let run = s3_run(ws, &args);
    let json = run.json();
    assert_eq!(run.status == 0, json["ok"] == true);
    json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let path = p["path"].as_str().unwrap_or_default().to_string();
            (p["code"].as_str().unwrap().to_string(), p["seq"].as_u64(), path)
        })
        .collect()
}

fn push_notes(ws: &Workspace, url: &str, count: usize) {
    for i in 0..count {
        let name = ws.write(&format!("n{i}.txt"), format!("note {i}").as_bytes());
        s3_run(ws, &["push", "--store", url, "--key", "ci.key", "--kind", "attachment", &name])
            .expect(0);
    }
}

#[test]
fn init_creates_a_bucket_that_passes_doctor() {
    let (ws, url) =
        versioned_workspace(&["--object-lock-mode", "compliance", "--object-lock-days", "400"]);
    let run = s3_run(&ws, &["doctor", "--store", &url, "--json"]).expect(0);
    let json = run.json();
    let statuses: Vec<(String, String)> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().into(), c["status"].as_str().unwrap().into()))
        .collect();
    for id in ["versioning", "encryption", "conditional-writes", "object-lock", "lifecycle"] {
        assert!(statuses.contains(&(id.to_string(), "ok".to_string())), "{id}: {statuses:?}");
    }
}

#[test]
fn recorded_posture_of_a_locked_bucket_supports_encryption_and_retention_controls() {
    let (ws, url) =
        versioned_workspace(&["--object-lock-mode", "compliance", "--object-lock-days", "400"]);
    let record = ["doctor", "--store", &url, "--key", "ci.key", "--record", "--json"];
    let doctor = s3_run(&ws, &[&record[..], &["--time", "2026-07-06T00:00:00Z"]].concat());
    assert_eq!(doctor.expect(0).json()["recorded"]["seq"], 0);

    let status = [
        "controls",
        "status",
        "--store",
        &url,
        "--period",
        "2026-Q3",
        "--framework",
        "hipaa",
        "--generated-at",
        "2026-10-01T00:00:00Z",
        "--json",
    ];
    let json = s3_run(&ws, &status).expect(0).json();
    let control = |id: &str| {
        let controls = json["controls"].as_array().unwrap();
        controls.iter().find(|c| c["id"] == id).unwrap().clone()
    };
    let encryption = control("164.312(a)(2)(iv)");
    assert_eq!(encryption["state"], "met", "{encryption}");
    assert!(encryption["reasons"].to_string().contains("encryption at rest in place"));
    let retention = control("164.316(b)(2)(i)");
    assert!(retention["reasons"].to_string().contains("a retention lock in place"), "{retention}");
    assert_eq!(retention["entries"], serde_json::json!([0]));
}

#[test]
fn doctor_fails_a_bare_bucket_and_says_how_to_fix_it() {
    let ws = Workspace::new();
    let bucket = unique_bucket("bare");
    let store = raw(&format!("s3://{bucket}"));
    let (client, runtime) = store.client();
    runtime.block_on(client.create_bucket().bucket(&bucket).send()).unwrap();

    let run = s3_run(&ws, &["doctor", "--store", &format!("s3://{bucket}/x")]).expect(1);
    assert!(run.stdout.contains("FAIL  versioning"), "{}", run.stdout);
    assert!(run.stdout.contains("put-bucket-versioning --bucket"), "{}", run.stdout);
    assert!(run.stdout.contains("FAIL  encryption"), "{}", run.stdout);
    assert!(run.stdout.contains("warn  object-lock"), "{}", run.stdout);
    assert!(run.stdout.contains("ok    conditional-writes"), "{}", run.stdout);
}

#[test]
fn doctor_warns_about_lifecycle_rules_shorter_than_retention() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter,
    };
    let (ws, url) = versioned_workspace(&[]);
    let store = raw(&url);
    let (client, runtime) = store.client();
    let rule = LifecycleRule::builder()
        .id("expire-old")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(LifecycleExpiration::builder().days(90).build())
        .build()
        .unwrap();
    let lifecycle = BucketLifecycleConfiguration::builder().rules(rule).build().unwrap();
    let request = client
        .put_bucket_lifecycle_configuration()
        .bucket(store.bucket())
        .lifecycle_configuration(lifecycle);
    runtime.block_on(request.send()).unwrap();

    let run = s3_run(&ws, &["doctor", "--store", &url]);
    assert!(run.stdout.contains("warn  lifecycle"), "{}", run.stdout);
    assert!(
        run.stdout.contains("90 days") && run.stdout.contains("PCI DSS 10.5.1"),
        "{}",
        run.stdout
    );
}

#[test]
fn overwriting_a_chain_key_through_the_api_is_reported_with_version_ids() {
    let (ws, url) = versioned_workspace(&[]);
    push_notes(&ws, &url, 3);
    let store = raw(&url);
    let original = locker::store::Store::get(&store, &entry_key(1)).unwrap().unwrap();
    // Same bytes again: the content still verifies, only the second version betrays it.
    s3_put(&store, &entry_key(1), &original);

    let versions = versions_of(&store, &entry_key(1));
    assert_eq!(versions.len(), 2);
    let found = problems(&ws, &url, &[]);
    assert_eq!(found, vec![("object-rewritten".into(), Some(1), entry_key(1))]);
    let run = s3_run(&ws, &["verify", "--store", &url, "--trusted-key", "ci.key.pub"]).expect(1);
    for id in versions {
        assert!(run.stdout.contains(&id), "version {id} named: {}", run.stdout);
    }
}

#[test]
fn deleting_a_chain_key_leaves_a_delete_marker_that_is_reported() {
    let (ws, url) = versioned_workspace(&[]);
    push_notes(&ws, &url, 3);
    let store = raw(&url);
    let (client, runtime) = store.client();
    let request =
        client.delete_object().bucket(store.bucket()).key(store.object_key(&entry_key(1)));
    runtime.block_on(request.send()).unwrap();

    let found = problems(&ws, &url, &[]);
    assert_eq!(
        found,
        vec![
            ("entry-missing".into(), Some(1), entry_key(1)),
            ("object-deleted".into(), Some(1), entry_key(1)),
        ]
    );
}

#[test]
fn deleting_a_specific_version_is_caught() {
    // Overwrite entry 2 with a forged body, then delete the original version so that only the
    // forgery remains: no second version and no delete marker are left to see, but the
    // signature is.
    let (ws, url) = versioned_workspace(&[]);
    push_notes(&ws, &url, 3);
    let store = raw(&url);
    let key = entry_key(2);
    let original_version = versions_of(&store, &key).pop().unwrap();
    s3_put(&store, &key, b"{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}");
    let (client, runtime) = store.client();
    let request = client
        .delete_object()
        .bucket(store.bucket())
        .key(store.object_key(&key))
        .version_id(&original_version);
    runtime.block_on(request.send()).unwrap();
    assert_eq!(versions_of(&store, &key).len(), 1);

    let found = problems(&ws, &url, &[]);
    assert_eq!(found, vec![("entry-modified".into(), Some(2), key)]);
}

#[test]
fn locked_versions_cannot_be_deleted_and_retention_is_checked() {
    let (ws, url) = versioned_workspace(&[]);
    // Entry 0 is written without retention, entry 1 with a COMPLIANCE lock.
    push_notes(&ws, &url, 1);
    let name = ws.write("locked.txt", b"locked");
    let args = [
        "push",
        "--store",
        &url,
        "--key",
        "ci.key",
        "--kind",
        "attachment",
        "--object-lock-mode",
        "compliance",
        "--object-lock-days",
        "30",
        &name,
    ];
    s3_run(&ws, &args).expect(0);

    let store = raw(&url);
    let key = entry_key(1);
    let version = versions_of(&store, &key).pop().unwrap();
    let (client, runtime) = store.client();
    let request = client
        .delete_object()
        .bucket(store.bucket())
        .key(store.object_key(&key))
        .version_id(version);
    let refused = runtime.block_on(request.send());
    assert!(refused.is_err(), "a locked version cannot be deleted");

    let found = problems(&ws, &url, &["--check-retention"]);
    assert_eq!(found, vec![("retention-missing".into(), Some(0), entry_key(0))]);
}

#[test]
fn large_artifacts_go_up_in_parts_and_verify() {
    let (ws, url) = versioned_workspace(&[]);
    ws.write("locker.toml", b"[s3]\nmultipart_threshold = \"6MiB\"\npart_size = \"5MiB\"\n");
    let mut data = Vec::with_capacity(13 << 20);
    for i in 0..(13u32 << 18) {
        data.extend_from_slice(&i.to_le_bytes());
    }
    ws.write("image.tar", &data);
    let args =
        ["push", "--store", &url, "--key", "ci.key", "--kind", "attachment", "--json", "image.tar"];
    let pushed = s3_run(&ws, &args).expect(0).json();
    assert_eq!(pushed["artifacts"][0]["size"], data.len() as u64);
    // A second push of the same bytes finds them stored and makes no second version.
    let again = s3_run(&ws, &args).expect(0).json();
    assert_eq!(again["artifacts"][0]["new"], false);
    assert!(problems(&ws, &url, &[]).is_empty());
}

#[test]
fn servers_that_ignore_conditional_writes_are_refused_for_appends() {
    // A stand-in for servers that ignore If-None-Match (Garage, RGW 16 on versioned
    // buckets): a tiny proxy in front of moto that drops the header.
    let proxy = IgnoringProxy::start(&require_s3());
    let ws = Workspace::new();
    let bucket = unique_bucket("ignoring");
    let url = format!("s3://{bucket}/evidence");
    let store = raw(&format!("s3://{bucket}"));
    let (client, runtime) = store.client();
    runtime.block_on(client.create_bucket().bucket(&bucket).send()).unwrap();

    let name = ws.write("a.txt", b"a");
    let output = ws
        .command()
        .envs(s3_env(&proxy.endpoint))
        .args(["push", "--store", &url, "--key", "ci.key", "--kind", "attachment", &name])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not enforce conditional writes"), "{stderr}");
    assert!(RawStore::S3(store).keys("evidence/chain/").is_empty());

    let doctor = ws
        .command()
        .envs(s3_env(&proxy.endpoint))
        .args(["doctor", "--store", &url])
        .output()
        .unwrap();
    assert_eq!(doctor.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&doctor.stdout).contains("FAIL  conditional-writes"));
}

#[test]
fn unreachable_endpoint_exits_3_quickly() {
    let ws = Workspace::new();
    let name = ws.write("a.txt", b"a");
    let started = Instant::now();
    let output = ws
        .command()
        .envs(s3_env("http://127.0.0.1:9"))
        .args([
            "push",
            "--store",
            "s3://nowhere-bucket/x",
            "--key",
            "ci.key",
            "--kind",
            "attachment",
            &name,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("s3://nowhere-bucket/x") && stderr.contains("cannot connect"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn frozen_server_gives_exit_3_within_the_timeout_and_nothing_dangles() {
    let moto = PrivateMoto::start();
    let ws = Workspace::new();
    let bucket = unique_bucket("frozen");
    let url = format!("s3://{bucket}/evidence");
    let env = s3_env(&moto.endpoint);
    let run = |args: &[&str]| ws.command().envs(env.clone()).args(args).output().unwrap();
    assert!(run(&["init", "--store", &url]).status.success());
    let data: Vec<u8> = (0..(4u32 << 20)).flat_map(|i| i.to_le_bytes()).collect();
    ws.write("big.bin", &data);
    ws.write("small.txt", b"before the freeze");
    assert!(
        run(&["push", "--store", &url, "--key", "ci.key", "--kind", "attachment", "small.txt"])
            .status
            .success()
    );

    let mut push = ws
        .command()
        .envs(env.clone())
        .args([
            "push",
            "--store",
            &url,
            "--key",
            "ci.key",
            "--kind",
            "attachment",
            "--timeout",
            "5",
            "big.bin",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(150));
    moto.signal("STOP");
    let started = Instant::now();
    let status = wait_at_most(&mut push, Duration::from_secs(60));
    let waited = started.elapsed();
    moto.signal("CONT");

    let output = push.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if status == Some(0) {
        eprintln!("the push finished before the freeze; nothing to time");
    } else {
        assert_eq!(status, Some(3), "{stderr}");
        assert!(waited < Duration::from_secs(30), "exit after {waited:?}");
        assert!(stderr.contains(&url) || stderr.contains(&bucket), "{stderr}");
    }
    let verify = run(&["verify", "--store", &url, "--trusted-key", "ci.key.pub", "--json"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

fn wait_at_most(child: &mut Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

/// A moto server of this test's own, so that freezing it stalls no other test.
struct PrivateMoto {
    child: Child,
    endpoint: String,
}

impl PrivateMoto {
    fn start() -> PrivateMoto {
        let binary = std::env::var("LOCKER_TEST_MOTO")
            .expect("LOCKER_TEST_MOTO is not set: run the tests with tests/run.sh");
        let port = free_port();
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        PrivateMoto { child, endpoint }
    }

    fn signal(&self, name: &str) {
        let status =
            Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status();
        assert!(status.unwrap().success());
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A loopback HTTP proxy that forwards to `upstream` after removing `If-None-Match`, to play
/// a server that ignores conditional writes.
struct IgnoringProxy {
    endpoint: String,
}

impl IgnoringProxy {
    fn start(upstream: &str) -> IgnoringProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                thread::spawn(move || proxy_one(client, &upstream));
            }
        });
        IgnoringProxy { endpoint }
    }
}

/// Forwards one connection: requests with the header dropped, responses unchanged.
fn proxy_one(client: std::net::TcpStream, upstream: &str) {
    use std::io::{BufRead, BufReader, Read, Write};
    let Ok(server) = std::net::TcpStream::connect(upstream) else { return };
    let mut server_reader = server.try_clone().unwrap();
    let mut client_writer = client.try_clone().unwrap();
    thread::spawn(move || {
        let _ = std::io::copy(&mut server_reader, &mut client_writer);
    });
    let mut reader = BufReader::new(client);
    let mut server = server;
    loop {
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("if-none-match:") {
                continue;
            }
            let end = line == "\r\n";
            head.extend_from_slice(line.as_bytes());
            if end {
                break;
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if server.write_all(&head).and_then(|()| server.write_all(&body)).is_err() {
            return;
        }
    }
}
