//! The S3 store: versioned, encrypted, write-once buckets on AWS S3 or any S3-compatible
//! server.
//!
//! Every write is a `PutObject` (or a multipart upload completed) with `If-None-Match: *`,
//! server-side encryption, an optional Object Lock retention, and a SHA-256 checksum that the
//! server can check: whole-object for single puts, per part for multipart uploads. Whole-file
//! integrity is also proved on the client side, since keys are content hashes and verify
//! re-hashes.
//!
//! The SDK is async; this store runs its own small runtime so that the rest of the tool can
//! stay synchronous.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectLockMode,
    ServerSideEncryption,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use tokio::runtime::Runtime;
use tracing::{debug, warn};

use super::{Created, ObjectInfo, ObjectVersion, Store, StoreError};
use crate::digest::{Hasher, Sha256};
use crate::error::ExitStatus;

/// Server-side encryption applied to every object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Encryption {
    /// SSE-S3 (AES-256 keys managed by the service).
    #[default]
    S3,
    /// SSE-KMS, with the given key id or the account's default KMS key.
    Kms(Option<String>),
}

/// Object Lock retention applied to every object written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// `GOVERNANCE` (privileged users may lift it) or `COMPLIANCE` (nobody can).
    pub mode: LockMode,
    /// How long from the write.
    pub until: RetainUntil,
}

/// The two Object Lock modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// Users with a special permission may shorten or lift the retention.
    Governance,
    /// Nobody, not even the account root, may shorten or lift the retention.
    Compliance,
}

/// When a retention ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetainUntil {
    /// This many days after each write.
    Days(u32),
    /// A fixed date.
    Date(DateTime<Utc>),
}

/// How to reach and write an S3 store.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// Endpoint of an S3-compatible server; `None` for AWS (or `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// Path-style addressing; `None` chooses it for IP-address and localhost endpoints.
    pub path_style: Option<bool>,
    /// Server-side encryption.
    pub encryption: Encryption,
    /// Object Lock retention per object, if any.
    pub retention: Option<Retention>,
    /// Files larger than this are uploaded in parts.
    pub multipart_threshold: u64,
    /// Size of each part.
    pub part_size: u64,
    /// Longest time one request may take, retries included.
    pub timeout: Duration,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            endpoint: None,
            path_style: None,
            encryption: Encryption::S3,
            retention: None,
            multipart_threshold: 64 << 20,
            part_size: 16 << 20,
            timeout: Duration::from_secs(30),
        }
    }
}

/// What the server said about a probe write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeWrite {
    /// The version id assigned, when the bucket keeps versions.
    pub version_id: Option<String>,
    /// The server-side encryption applied, as the server echoed it.
    pub encryption: Option<String>,
}

#[derive(Debug, Default)]
struct ProbeWriteRaw {
    version_id: Option<String>,
    encryption: Option<String>,
}

/// A store under `s3://bucket/prefix`.
pub struct S3Store {
    runtime: Arc<Runtime>,
    client: Client,
    bucket: String,
    /// Empty, or ending with `/`.
    prefix: String,
    options: S3Options,
    /// Whether the endpoint is AWS itself (some posture checks apply only there).
    on_aws: bool,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// Splits `s3://bucket/prefix` into bucket and normalised prefix.
///
/// # Errors
///
/// [`StoreError::Config`] for a malformed address.
pub fn parse_url(url: &str) -> Result<(String, String), StoreError> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| bad_url(url, "it must start with s3://"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(bad_url(
            url,
            "the bucket name must be 3 to 63 lowercase letters, digits, `-` or `.`",
        ));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|p| p == ".." || p == ".") {
        return Err(bad_url(url, "the prefix must not contain `.` or `..`"));
    }
    let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
    Ok((bucket.to_string(), prefix))
}

fn bad_url(url: &str, why: &str) -> StoreError {
    StoreError::Config(format!("{url}: not a usable S3 address: {why}"))
}

impl S3Store {
    /// Connects to `s3://bucket/prefix` with the standard AWS credential and region chain.
    ///
    /// # Errors
    ///
    /// A malformed address, or a runtime that cannot start.
    pub fn open(url: &str, options: S3Options) -> Result<S3Store, StoreError> {
        let (bucket, prefix) = parse_url(url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| StoreError::Io { location: url.to_string(), source })?;

        let sdk = runtime.block_on(load_sdk_config(&options));
        let endpoint = options.endpoint.clone().or_else(|| sdk.endpoint_url().map(str::to_string));
        let path_style =
            options.path_style.unwrap_or_else(|| endpoint.as_deref().is_some_and(is_local_host));
        let mut config = aws_sdk_s3::config::Builder::from(&sdk)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .force_path_style(path_style);
        if let Some(endpoint) = &options.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let on_aws = endpoint.as_deref().is_none_or(|e| e.contains(".amazonaws.com"));
        debug!(%bucket, %prefix, ?endpoint, path_style, "S3 store");

        Ok(S3Store {
            runtime: Arc::new(runtime),
            client: Client::from_conf(config.build()),
            bucket,
            prefix,
            options,
            on_aws,
        })
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The SDK client and runtime, for posture checks and set-up.
    pub fn client(&self) -> (&Client, &Runtime) {
        (&self.client, &self.runtime)
    }

    /// Whether the endpoint is AWS itself.
    pub fn on_aws(&self) -> bool {
        self.on_aws
    }

    /// The options in force.
    pub fn options(&self) -> &S3Options {
        &self.options
    }

    /// The object key of a store key.
    pub fn object_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn store_key<'k>(&self, object_key: &'k str) -> &'k str {
        object_key.strip_prefix(&self.prefix).unwrap_or(object_key)
    }

    /// The error of a failed request on `key`.
    pub fn error<E, R>(&self, key: &str, error: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        remote_error(self.location(key), error)
    }

    fn retain_until(&self) -> Option<(ObjectLockMode, aws_smithy_types::DateTime)> {
        let retention = self.options.retention.as_ref()?;
        let until = match &retention.until {
            RetainUntil::Days(days) => Utc::now() + chrono::Duration::days(i64::from(*days)),
            RetainUntil::Date(date) => *date,
        };
        let mode = match retention.mode {
            LockMode::Governance => ObjectLockMode::Governance,
            LockMode::Compliance => ObjectLockMode::Compliance,
        };
        Some((mode, aws_smithy_types::DateTime::from_secs(until.timestamp())))
    }

    fn encryption(&self) -> (ServerSideEncryption, Option<String>) {
        match &self.options.encryption {
            Encryption::S3 => (ServerSideEncryption::Aes256, None),
            Encryption::Kms(key) => (ServerSideEncryption::AwsKms, key.clone()),
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<Created, StoreError> {
        self.put_reporting(key, bytes).await.map(|(created, _)| created)
    }

    /// Writes a probe object under `probes/` and reports what the server says it did: the
    /// version id it assigned (none when the bucket is not versioned) and the encryption it
    /// applied.
    ///
    /// # Errors
    ///
    /// Request failures.
    pub fn probe_write(&self) -> Result<ProbeWrite, StoreError> {
        let key = format!("probes/posture-{:016x}", getrandom::u64().unwrap_or(0));
        let (_, output) = self.runtime.block_on(self.put_reporting(&key, b"probe".to_vec()))?;
        let output = output.unwrap_or_default();
        Ok(ProbeWrite {
            version_id: output.version_id.filter(|v| v != "null"),
            encryption: output.encryption,
        })
    }

    async fn put_reporting(
        &self,
        key: &str,
        bytes: Vec<u8>,
    ) -> Result<(Created, Option<ProbeWriteRaw>), StoreError> {
        let checksum = STANDARD.encode(Sha256::of(&bytes).as_bytes());
        let (sse, kms_key) = self.encryption();
        let lock = self.retain_until();
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .if_none_match("*")
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(checksum)
            .server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .set_object_lock_mode(lock.as_ref().map(|l| l.0.clone()))
            .set_object_lock_retain_until_date(lock.map(|l| l.1))
            .body(ByteStream::from(bytes))
            .send()
            .await;
        match result {
            Ok(output) => {
                let raw = ProbeWriteRaw {
                    version_id: output.version_id().map(str::to_string),
                    encryption: output.server_side_encryption().map(|e| e.as_str().to_string()),
                };
                Ok((Created::New, Some(raw)))
            }
            Err(e) if is_precondition_failed(&e) => Ok((Created::Existed, None)),
            Err(e) => Err(self.error(key, e)),
        }
    }

    async fn put_multipart(
        &self,
        key: &str,
        source: &Path,
        expected: &Sha256,
    ) -> Result<Created, StoreError> {
        let (sse, kms_key) = self.encryption();
        let lock = self.retain_until();
        let object_key = self.object_key(key);
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&object_key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .set_object_lock_mode(lock.as_ref().map(|l| l.0.clone()))
            .set_object_lock_retain_until_date(lock.map(|l| l.1))
            .send()
            .await
            .map_err(|e| self.error(key, e))?;
        let upload_id = upload.upload_id().unwrap_or_default().to_string();

        let outcome = self.upload_parts_and_complete(key, source, expected, &upload_id).await;
        if !matches!(outcome, Ok(Created::New)) {
            let abort = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&object_key)
                .upload_id(&upload_id)
                .send()
                .await;
            if let Err(e) = abort {
                warn!(key, error = %DisplayErrorContext(&e), "could not abort a multipart upload");
            }
        }
        outcome
    }

    async fn upload_parts_and_complete(
        &self,
        key: &str,
        source: &Path,
        expected: &Sha256,
        upload_id: &str,
    ) -> Result<Created, StoreError> {
        use tokio::io::AsyncReadExt;

        let source_error = |e| StoreError::Io { location: source.display().to_string(), source: e };
        let mut file = tokio::fs::File::open(source).await.map_err(source_error)?;
        let mut whole = Hasher::default();
        let mut parts = Vec::new();
        let part_size = self.options.part_size as usize;
        let size = file.metadata().await.map_err(source_error)?.len();
        let progress = crate::progress::bar(size, &format!("uploading {key}"), true);
        for number in 1.. {
            let mut buffer = Vec::with_capacity(part_size);
            (&mut file)
                .take(part_size as u64)
                .read_to_end(&mut buffer)
                .await
                .map_err(source_error)?;
            if buffer.is_empty() && number > 1 {
                break;
            }
            whole.update(&buffer);
            let checksum = STANDARD.encode(Sha256::of(&buffer).as_bytes());
            let last = buffer.len() < part_size;
            let length = buffer.len() as u64;
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(self.object_key(key))
                .upload_id(upload_id)
                .part_number(number)
                .checksum_sha256(&checksum)
                .body(ByteStream::from(buffer))
                .customize()
                .config_override(
                    aws_sdk_s3::Config::builder()
                        .timeout_config(part_timeouts(self.options.timeout)),
                )
                .send()
                .await
                .map_err(|e| self.error(key, e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(str::to_string))
                    .checksum_sha256(checksum)
                    .build(),
            );
            debug!(key, part = number, "part uploaded");
            progress.inc(length);
            if last {
                break;
            }
        }
        if whole.finish() != *expected {
            return Err(StoreError::SourceChanged { path: source.display().to_string() });
        }

        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .upload_id(upload_id)
            .if_none_match("*")
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await;
        match completed {
            Ok(_) => Ok(Created::New),
            Err(e) if is_precondition_failed(&e) => Ok(Created::Existed),
            Err(e) => Err(self.error(key, e)),
        }
    }

    async fn get_stream(&self, key: &str) -> Result<Option<ByteStream>, StoreError> {
        let result =
            self.client.get_object().bucket(&self.bucket).key(self.object_key(key)).send().await;
        match result {
            Ok(output) => Ok(Some(output.body)),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(e) => Err(self.error(key, e)),
        }
    }

    /// The retain-until date of the current version of `key`, from `HeadObject`.
    ///
    /// # Errors
    ///
    /// Request failures.
    pub fn retained_until(&self, key: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let head = self.runtime.block_on(
            self.client.head_object().bucket(&self.bucket).key(self.object_key(key)).send(),
        );
        let head = head.map_err(|e| self.error(key, e))?;
        Ok(head
            .object_lock_retain_until_date()
            .and_then(|d| DateTime::<Utc>::from_timestamp(d.secs(), d.subsec_nanos())))
    }
}

impl Store for S3Store {
    fn location(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.object_key(key))
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<Created, StoreError> {
        self.runtime.block_on(self.put(key, bytes.to_vec()))
    }

    fn create_from_file(
        &self,
        key: &str,
        source: &Path,
        expected: &Sha256,
    ) -> Result<Created, StoreError> {
        let source_error = |e| StoreError::Io { location: source.display().to_string(), source: e };
        let size = std::fs::metadata(source).map_err(source_error)?.len();
        if size > self.options.multipart_threshold {
            return self.runtime.block_on(self.put_multipart(key, source, expected));
        }
        let bytes = std::fs::read(source).map_err(source_error)?;
        if Sha256::of(&bytes) != *expected {
            return Err(StoreError::SourceChanged { path: source.display().to_string() });
        }
        self.create(key, &bytes)
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(mut reader) = self.open(key)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| StoreError::Io { location: self.location(key), source })?;
        Ok(Some(bytes))
    }

    fn open(&self, key: &str) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let stream = self.runtime.block_on(self.get_stream(key))?;
        Ok(stream.map(|body| {
            Box::new(StreamReader { runtime: self.runtime.clone(), body, chunk: Vec::new(), at: 0 })
                as Box<dyn Read + Send>
        }))
    }

    fn ensure_readable(&self) -> Result<(), StoreError> {
        let result = self.runtime.block_on(self.client.head_bucket().bucket(&self.bucket).send());
        result.map(|_| ()).map_err(|e| self.error("", e))
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let pages = self.runtime.block_on(
            self.client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(self.object_key(prefix))
                .into_paginator()
                .send()
                .collect::<Vec<_>>(),
        );
        let mut found = Vec::new();
        for page in pages {
            let page = page.map_err(|e| self.error(prefix, e))?;
            for object in page.contents() {
                let key = self.store_key(object.key().unwrap_or_default()).to_string();
                found.push(ObjectInfo { key, size: object.size().unwrap_or(0).max(0) as u64 });
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    fn versions(&self, prefix: &str) -> Result<Option<Vec<ObjectVersion>>, StoreError> {
        let mut found = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let request = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(self.object_key(prefix))
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take());
            let page = self.runtime.block_on(request.send()).map_err(|e| self.error(prefix, e))?;
            for version in page.versions() {
                found.push(ObjectVersion {
                    key: self.store_key(version.key().unwrap_or_default()).to_string(),
                    version_id: version.version_id().unwrap_or("null").to_string(),
                    latest: version.is_latest().unwrap_or(false),
                    delete_marker: false,
                });
            }
            for marker in page.delete_markers() {
                found.push(ObjectVersion {
                    key: self.store_key(marker.key().unwrap_or_default()).to_string(),
                    version_id: marker.version_id().unwrap_or("null").to_string(),
                    latest: marker.is_latest().unwrap_or(false),
                    delete_marker: true,
                });
            }
            if !page.is_truncated().unwrap_or(false) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Some(found))
    }

    fn conditional_writes_enforced(&self) -> Result<bool, StoreError> {
        let probe = format!("probes/conditional-write-{:016x}", getrandom::u64().unwrap_or(0));
        let first = self.create(&probe, b"probe")?;
        let second = self.create(&probe, b"probe, second write")?;
        debug!(?first, ?second, "conditional write probe");
        Ok(first == Created::New && second == Created::Existed)
    }

    fn retention_until(&self, key: &str) -> Result<Option<Option<DateTime<Utc>>>, StoreError> {
        self.retained_until(key).map(Some)
    }
}

/// Reads a response body chunk by chunk, driving the runtime as it goes.
struct StreamReader {
    runtime: Arc<Runtime>,
    body: ByteStream,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.runtime.block_on(self.body.try_next()) {
                Ok(Some(bytes)) => {
                    self.chunk = bytes.to_vec();
                    self.at = 0;
                }
                Ok(None) => return Ok(0),
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

async fn load_sdk_config(options: &S3Options) -> aws_config::SdkConfig {
    let region = RegionProviderChain::default_provider().or_else(Region::new("us-east-1"));
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5).min(options.timeout))
                .read_timeout(options.timeout)
                .operation_timeout(options.timeout)
                .build(),
        )
        .load()
        .await
}

/// Parts are large: each gets a longer budget than small requests.
fn part_timeouts(base: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5).min(base))
        .read_timeout(base)
        .operation_timeout(base * 10)
        .build()
}

fn is_local_host(endpoint: &str) -> bool {
    let host = endpoint.split("://").nth(1).unwrap_or(endpoint);
    let host = host.split(['/', ':']).next().unwrap_or_default();
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok() || host.starts_with('[')
}

fn is_precondition_failed<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    match error {
        SdkError::ServiceError(e) => e.err().code() == Some("PreconditionFailed"),
        _ => false,
    }
}

/// A failed request as a store error, with the exit status it deserves.
fn remote_error<E, R>(location: String, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (status, hint) = match &error {
        SdkError::TimeoutError(_) => {
            (ExitStatus::Unavailable, "timed out; the store may be down or slow, a retry may help")
        }
        SdkError::DispatchFailure(_)
            if DisplayErrorContext(&error).to_string().contains("loading credentials") =>
        {
            (
                ExitStatus::Usage,
                "no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a \
                 profile, or a web identity token",
            )
        }
        SdkError::DispatchFailure(_) => (
            ExitStatus::Unavailable,
            "cannot connect; check the endpoint and the network, a retry may help",
        ),
        SdkError::ServiceError(e) => match e.err().code() {
            Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch") => {
                (ExitStatus::Usage, "access refused; check the credentials and the bucket policy")
            }
            Some("NoSuchBucket") => {
                (ExitStatus::Usage, "no such bucket; create it with `locker init`")
            }
            _ => (ExitStatus::Unavailable, "the store refused the request"),
        },
        _ => (ExitStatus::Unavailable, "the request failed"),
    };
    let detail = match &error {
        SdkError::ServiceError(e) => match (e.err().code(), e.err().message()) {
            (Some(code), Some(message)) if !message.is_empty() => format!("{code}: {message}"),
            (Some(code), _) => code.to_string(),
            _ => DisplayErrorContext(&error).to_string(),
        },
        _ => DisplayErrorContext(&error).to_string(),
    };
    StoreError::Remote { location, message: format!("{hint} ({detail})"), status }
}
