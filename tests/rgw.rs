//! Smoke tests against a real object store: Ceph RGW from Debian, single node, started by
//! tests/run.sh (tests/rgw/start.sh). RGW checks SigV4 signatures and enforces Object Lock,
//! which moto does not; on versioned buckets it ignores If-None-Match, which locker must
//! detect and refuse.

mod util;

use std::process::Output;

use util::{Workspace, public_fixture, unique_bucket};

struct Rgw {
    endpoint: String,
    access_key: String,
    secret_key: String,
    kms_key: String,
}

fn rgw() -> Rgw {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests with tests/run.sh, which starts Ceph RGW")
        })
    };
    Rgw {
        endpoint: var("LOCKER_TEST_RGW_ENDPOINT"),
        access_key: var("LOCKER_TEST_RGW_ACCESS_KEY"),
        secret_key: var("LOCKER_TEST_RGW_SECRET_KEY"),
        kms_key: var("LOCKER_TEST_RGW_KMS_KEY"),
    }
}

impl Rgw {
    /// Runs locker against RGW with SSE-KMS (RGW has no SSE-S3 back end here).
    fn locker(&self, ws: &Workspace, secret: &str, args: &[&str]) -> Output {
        ws.command()
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("LOCKER_SSE", "aws:kms")
            .env("LOCKER_SSE_KMS_KEY_ID", &self.kms_key)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, ws: &Workspace, args: &[&str]) -> Output {
        let output = self.locker(ws, &self.secret_key, args);
        assert!(
            output.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// A raw SDK client with the right credentials.
    fn client(&self) -> (aws_sdk_s3::Client, tokio::runtime::Runtime) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let credentials = aws_sdk_s3::config::Credentials::new(
            &self.access_key,
            &self.secret_key,
            None,
            None,
            "rgw-test",
        );
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .force_path_style(true)
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .build();
        (aws_sdk_s3::Client::from_conf(config), runtime)
    }
}

#[test]
fn push_and_verify_on_an_unversioned_bucket_and_refuse_wrong_credentials() {
    let rgw = rgw();
    let ws = Workspace::new();
    let bucket = unique_bucket("rgw-plain");
    let (client, runtime) = rgw.client();
    runtime.block_on(client.create_bucket().bucket(&bucket).send()).unwrap();
    let url = format!("s3://{bucket}/evidence");

    let report = ws.add(&public_fixture("trivy-alpine310-image.sarif"), "trivy.sarif");
    rgw.ok(&ws, &["push", "--store", &url, "--key", "ci.key", &report]);
    rgw.ok(&ws, &["push", "--store", &url, "--key", "ci.key", &report]);
    let verify = rgw.ok(&ws, &["verify", "--store", &url, "--trusted-key", "ci.key.pub", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!((json["ok"].as_bool(), json["entries"].as_u64()), (Some(true), Some(2)));

    let refused =
        rgw.locker(&ws, "not-the-secret", &["push", "--store", &url, "--key", "ci.key", &report]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("access refused") && stderr.contains("SignatureDoesNotMatch"),
        "{stderr}"
    );
}

#[test]
fn versioned_locked_bucket_keeps_versions_and_is_refused_for_appends() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{
        BucketVersioningStatus, ChecksumAlgorithm, ObjectLockMode, VersioningConfiguration,
    };

    let rgw = rgw();
    let ws = Workspace::new();
    let bucket = unique_bucket("rgw-locked");
    let (client, runtime) = rgw.client();
    let create = client.create_bucket().bucket(&bucket).object_lock_enabled_for_bucket(true);
    runtime.block_on(create.send()).unwrap();
    let versioning =
        VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    let request =
        client.put_bucket_versioning().bucket(&bucket).versioning_configuration(versioning);
    runtime.block_on(request.send()).unwrap();

    // Object Lock is enforced: a COMPLIANCE version cannot be deleted.
    let until =
        aws_sdk_s3::primitives::DateTime::from_secs(chrono::Utc::now().timestamp() + 86_400);
    let put = client
        .put_object()
        .bucket(&bucket)
        .key("evidence/objects/locked")
        .body(ByteStream::from_static(b"locked"))
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until);
    let version = runtime.block_on(put.send()).unwrap().version_id().unwrap().to_string();
    let delete =
        client.delete_object().bucket(&bucket).key("evidence/objects/locked").version_id(version);
    assert!(runtime.block_on(delete.send()).is_err(), "the locked version was deleted");

    // Conditional writes are ignored on versioned buckets here: doctor says so, push refuses.
    let url = format!("s3://{bucket}/evidence");
    let doctor = rgw.locker(&ws, &rgw.secret_key, &["doctor", "--store", &url]);
    let stdout = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  conditional-writes"), "{stdout}");
    assert!(stdout.contains("ok    versioning"), "{stdout}");

    ws.write("a.txt", b"a");
    let push = rgw.locker(
        &ws,
        &rgw.secret_key,
        &["push", "--store", &url, "--key", "ci.key", "--kind", "attachment", "a.txt"],
    );
    let stderr = String::from_utf8_lossy(&push.stderr);
    assert_eq!(push.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not enforce conditional writes"), "{stderr}");
    let listed = client.list_objects_v2().bucket(&bucket).prefix("evidence/chain/");
    assert_eq!(runtime.block_on(listed.send()).unwrap().key_count(), Some(0));
}
