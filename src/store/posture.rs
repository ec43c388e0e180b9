//! The store's posture: is it really versioned, encrypted, locked and private, and does it
//! enforce the conditional writes that keep the chain from forking? Also the set-up of a new
//! bucket that passes these checks.

use serde::{Deserialize, Serialize};

use super::s3::S3Store;
use super::{Store, StoreError};

/// PCI DSS 10.5.1: audit log history kept for at least 12 months.
const PCI_RETENTION_DAYS: i32 = 365;
/// HIPAA 164.316(b)(2)(i): documentation kept for 6 years.
const HIPAA_RETENTION_DAYS: i32 = 6 * 365;

/// How one posture item fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As it should be.
    Ok,
    /// Weaker than it should be, but evidence is still safe from silent change.
    Warn,
    /// Evidence could be lost or the chain could fork.
    Fail,
}

/// One posture item.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id: `versioning`, `encryption`, `conditional-writes`, `object-lock`,
    /// `public-access`, `lifecycle`, `local-store`.
    pub id: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// The command or setting that fixes it, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// One check as an entry records it: what control states read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostureItem {
    /// The check's id.
    pub id: String,
    /// Its outcome.
    pub status: Status,
}

impl Check {
    /// The check as an entry records it.
    pub fn item(&self) -> PostureItem {
        PostureItem { id: self.id.to_string(), status: self.status }
    }

    fn new(id: &'static str, status: Status, detail: impl Into<String>) -> Check {
        Check { id, status, detail: detail.into(), fix: None }
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        if self.status != Status::Ok {
            self.fix = Some(fix.into());
        }
        self
    }
}

/// The posture of a directory store: none of the guarantees of object storage.
pub fn check_local(store: &dyn Store) -> Result<Vec<Check>, StoreError> {
    store.ensure_readable()?;
    let writable = store.conditional_writes_enforced()?;
    Ok(vec![
        Check::new(
            "local-store",
            Status::Warn,
            "a local directory: no versioning, encryption at rest or retention lock; anyone who \
             can write the directory can delete evidence (verify still detects any change)",
        )
        .fix("use an S3 store for production evidence: --store s3://bucket/prefix"),
        Check::new(
            "conditional-writes",
            if writable { Status::Ok } else { Status::Fail },
            "entries are linked into place with link(2), which never replaces a file",
        ),
    ])
}

/// The posture of an S3 store.
///
/// # Errors
///
/// Requests that fail for reasons other than a missing configuration.
pub fn check_s3(store: &S3Store) -> Result<Vec<Check>, StoreError> {
    store.ensure_readable()?;
    let bucket = store.bucket().to_string();
    let mut checks = vec![
        versioning(store, &bucket)?,
        encryption(store, &bucket)?,
        conditional_writes(store, &bucket)?,
        object_lock(store, &bucket)?,
    ];
    if store.on_aws() {
        checks.push(public_access(store, &bucket)?);
    }
    checks.push(lifecycle(store, &bucket)?);
    Ok(checks)
}

fn versioning(store: &S3Store, bucket: &str) -> Result<Check, StoreError> {
    // What the server does, not what its configuration says: some servers answer the
    // configuration calls in forms the SDK cannot read.
    let probe = store.probe_write()?;
    let (status, detail) = match &probe.version_id {
        Some(id) => (Status::Ok, format!("versioning is on (a probe write got version {id})")),
        None => (Status::Fail, "versioning is off: a probe write got no version id".to_string()),
    };
    Ok(Check::new("versioning", status, detail).fix(format!(
        "aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled"
    )))
}

fn encryption(store: &S3Store, bucket: &str) -> Result<Check, StoreError> {
    let (client, runtime) = store.client();
    let found = runtime.block_on(client.get_bucket_encryption().bucket(bucket).send());
    let algorithms: Vec<String> = match found {
        Ok(output) => output
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string())
            .collect(),
        Err(e) if code_of(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => vec![],
        Err(e) => {
            let error = aws_sdk_s3::error::DisplayErrorContext(&e);
            tracing::debug!(%error, "bucket encryption configuration unreadable");
            vec![]
        }
    };
    let echoed = store.probe_write()?.encryption;
    let (status, detail) = match (algorithms.is_empty(), echoed) {
        (false, _) => (Status::Ok, format!("default encryption {}", algorithms.join(", "))),
        (true, Some(applied)) => (
            Status::Fail,
            format!(
                "no default encryption: locker's own objects are encrypted ({applied}), objects \
                 written by other tools may not be"
            ),
        ),
        (true, None) => (
            Status::Fail,
            "no default encryption, and the server did not confirm encrypting a probe write"
                .to_string(),
        ),
    };
    Ok(Check::new("encryption", status, detail).fix(format!(
        "aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration \
         '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'"
    )))
}

fn conditional_writes(store: &S3Store, _bucket: &str) -> Result<Check, StoreError> {
    let enforced = store.conditional_writes_enforced()?;
    let (status, detail) = if enforced {
        (Status::Ok, "a second create-if-absent write of one key was refused (412)")
    } else {
        (
            Status::Fail,
            "a second If-None-Match: * write of one key was accepted: appends could fork the chain, so push refuses this store",
        )
    };
    Ok(Check::new("conditional-writes", status, detail).fix(
        "use a server that enforces If-None-Match on PUT (AWS S3; Ceph RGW only on unversioned buckets)",
    ))
}

fn object_lock(store: &S3Store, bucket: &str) -> Result<Check, StoreError> {
    let (client, runtime) = store.client();
    let found = runtime.block_on(client.get_object_lock_configuration().bucket(bucket).send());
    let configuration = match found {
        Ok(output) => output.object_lock_configuration().cloned(),
        Err(e) if code_of(&e) == Some("ObjectLockConfigurationNotFoundError") => None,
        Err(e) => return Err(store.error("", e)),
    };
    let enabled = configuration.as_ref().and_then(|c| c.object_lock_enabled()).is_some();
    let default = configuration.as_ref().and_then(|c| c.rule()).and_then(|r| r.default_retention());
    let per_object = store.options().retention.is_some();
    let (status, detail) = match (enabled, default) {
        (true, Some(d)) => (
            Status::Ok,
            format!(
                "Object Lock on, default retention {} {} days / {} years",
                d.mode().map(|m| m.as_str()).unwrap_or("?"),
                d.days().unwrap_or(0),
                d.years().unwrap_or(0)
            ),
        ),
        (true, None) if per_object => {
            (Status::Ok, "Object Lock on; locker sets retention on each object it writes".into())
        }
        (true, None) => (Status::Warn, "Object Lock on but without default retention".into()),
        (false, _) => (
            Status::Warn,
            "Object Lock is off: versions can be deleted by anyone allowed to".into(),
        ),
    };
    Ok(Check::new("object-lock", status, detail).fix(format!(
        "Object Lock can only be turned on at bucket creation (`locker init --store s3://NEW-BUCKET`); \
         then: aws s3api put-object-lock-configuration --bucket {bucket} --object-lock-configuration \
         '{{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":{{\"DefaultRetention\":{{\"Mode\":\"COMPLIANCE\",\"Years\":1}}}}}}', \
         or --object-lock-mode/--object-lock-days"
    )))
}

fn public_access(store: &S3Store, bucket: &str) -> Result<Check, StoreError> {
    let (client, runtime) = store.client();
    let found = runtime.block_on(client.get_public_access_block().bucket(bucket).send());
    let blocked = match found {
        Ok(output) => output.public_access_block_configuration().is_some_and(|c| {
            [
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ]
            .iter()
            .all(|v| *v == Some(true))
        }),
        Err(e) if code_of(&e) == Some("NoSuchPublicAccessBlockConfiguration") => false,
        Err(e) => return Err(store.error("", e)),
    };
    let (status, detail) = if blocked {
        (Status::Ok, "public access is blocked")
    } else {
        (Status::Warn, "public access is not fully blocked")
    };
    Ok(Check::new("public-access", status, detail).fix(format!(
        "aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration \
         BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    )))
}

fn lifecycle(store: &S3Store, bucket: &str) -> Result<Check, StoreError> {
    let (client, runtime) = store.client();
    let found = runtime.block_on(client.get_bucket_lifecycle_configuration().bucket(bucket).send());
    let rules = match found {
        Ok(output) => output.rules().to_vec(),
        Err(e) if code_of(&e) == Some("NoSuchLifecycleConfiguration") => vec![],
        Err(e) => return Err(store.error("", e)),
    };
    let mut short = Vec::new();
    for rule in rules.iter().filter(|r| r.status().as_str() == "Enabled") {
        let id = rule.id().unwrap_or("(unnamed)");
        if let Some(days) = rule.expiration().and_then(|e| e.days()) {
            short.push((id.to_string(), "current", days));
        }
        if let Some(days) = rule.noncurrent_version_expiration().and_then(|e| e.noncurrent_days()) {
            short.push((id.to_string(), "noncurrent", days));
        }
    }
    short.retain(|(_, _, days)| *days < HIPAA_RETENTION_DAYS);
    let (status, detail) = match short.iter().map(|s| s.2).min() {
        None => (Status::Ok, "no lifecycle rule expires versions before 6 years".to_string()),
        Some(days) => {
            let which: Vec<String> = short
                .iter()
                .map(|(id, kind, d)| format!("rule {id} expires {kind} versions after {d} days"))
                .collect();
            let frameworks = if days < PCI_RETENTION_DAYS {
                "PCI DSS 10.5.1 (12 months) and HIPAA 164.316 (6 years)"
            } else {
                "HIPAA 164.316 (6 years)"
            };
            (Status::Warn, format!("{}: shorter than {frameworks} require", which.join("; ")))
        }
    };
    Ok(Check::new("lifecycle", status, detail).fix(format!(
        "lengthen or scope the expiring rules away from the store's prefix: aws s3api get-bucket-lifecycle-configuration --bucket {bucket}"
    )))
}

/// Creates the bucket of `store` with versioning, default encryption and Object Lock (and,
/// on AWS, public access blocked). Returns what was done; an existing bucket is left as it
/// is, and its posture is for `doctor` to report.
///
/// # Errors
///
/// Requests that fail.
pub fn create_bucket(store: &S3Store) -> Result<Vec<String>, StoreError> {
    use super::s3::{Encryption, LockMode, RetainUntil};
    use aws_sdk_s3::types::{
        BucketVersioningStatus, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled,
        ObjectLockRetentionMode, ObjectLockRule, PublicAccessBlockConfiguration,
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule, VersioningConfiguration,
    };

    let (client, runtime) = store.client();
    let bucket = store.bucket().to_string();
    if store.ensure_readable().is_ok() {
        return Ok(vec![format!("bucket {bucket} exists; left as it is")]);
    }
    let mut done = Vec::new();
    let created = runtime.block_on(
        client.create_bucket().bucket(&bucket).object_lock_enabled_for_bucket(true).send(),
    );
    created.map_err(|e| store.error("", e))?;
    done.push(format!("created bucket {bucket} with Object Lock enabled"));

    let versioning =
        VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    let result = runtime.block_on(
        client.put_bucket_versioning().bucket(&bucket).versioning_configuration(versioning).send(),
    );
    result.map_err(|e| store.error("", e))?;
    done.push("enabled versioning".to_string());

    let (algorithm, kms_key) = match &store.options().encryption {
        Encryption::S3 => (ServerSideEncryption::Aes256, None),
        Encryption::Kms(key) => (ServerSideEncryption::AwsKms, key.clone()),
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm.clone())
        .set_kms_master_key_id(kms_key)
        .build()
        .map_err(|e| StoreError::Config(e.to_string()))?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .build();
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| StoreError::Config(e.to_string()))?;
    let result = runtime.block_on(
        client
            .put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration(encryption)
            .send(),
    );
    result.map_err(|e| store.error("", e))?;
    done.push(format!("default encryption {}", algorithm.as_str()));

    if let Some(retention) = &store.options().retention {
        let mode = match retention.mode {
            LockMode::Governance => ObjectLockRetentionMode::Governance,
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        };
        if let RetainUntil::Days(days) = retention.until {
            let rule = ObjectLockRule::builder()
                .default_retention(DefaultRetention::builder().mode(mode).days(days as i32).build())
                .build();
            let configuration = ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(rule)
                .build();
            let result = runtime.block_on(
                client
                    .put_object_lock_configuration()
                    .bucket(&bucket)
                    .object_lock_configuration(configuration)
                    .send(),
            );
            result.map_err(|e| store.error("", e))?;
            done.push(format!("default retention {} days", days));
        }
    }

    if store.on_aws() {
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        let result = runtime.block_on(
            client
                .put_public_access_block()
                .bucket(&bucket)
                .public_access_block_configuration(block)
                .send(),
        );
        result.map_err(|e| store.error("", e))?;
        done.push("blocked public access".to_string());
    }
    Ok(done)
}

fn code_of<E: aws_sdk_s3::error::ProvideErrorMetadata, R>(
    error: &aws_sdk_s3::error::SdkError<E, R>,
) -> Option<&str> {
    match error {
        aws_sdk_s3::error::SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}
