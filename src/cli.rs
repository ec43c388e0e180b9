//! Command-line definitions. Each flag that has an environment variable reads it when the
//! flag is absent; `locker.toml` and defaults come after both (see [`crate::settings`]).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::ci::CiContext;
use crate::digest::Sha256;
use crate::ingest::ArtifactKind;

/// Tamper-evident archive of CI security evidence: scan reports and image signatures are
/// hash-chained, signed and stored write-once, and anyone holding the public key can prove
/// later that nothing was added, removed, reordered or changed.
///
/// Exit status: 0 success; 1 the evidence failed a check; 2 usage, configuration or input
/// error; 3 the store could not be reached or an I/O operation failed (worth a retry).
#[derive(Debug, Parser)]
#[command(name = "locker", version, max_term_width = 100)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Settings file [default: ./locker.toml when it exists]
    #[arg(long, global = true, env = "LOCKER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Store: a directory or s3://bucket/prefix [default: ./evidence]
    #[arg(long, global = true, env = "LOCKER_STORE", value_name = "URL")]
    pub store: Option<String>,

    /// Signing key (PKCS#8 PEM, as written by `locker keygen`)
    #[arg(long, global = true, env = "LOCKER_KEY", value_name = "PATH")]
    pub key: Option<PathBuf>,

    /// Public key that verification trusts (repeatable)
    ///
    /// The environment variable takes a comma-separated list. Keys found in the store are
    /// never trusted.
    #[arg(
        long = "trusted-key",
        global = true,
        env = "LOCKER_TRUSTED_KEYS",
        value_delimiter = ',',
        value_name = "PATH"
    )]
    pub trusted_keys: Vec<PathBuf>,

    /// Directory of control data (frameworks, mappings, SLAs) replacing the built-in one
    #[arg(long, global = true, env = "LOCKER_CONTROLS", value_name = "DIR")]
    pub controls: Option<PathBuf>,

    /// Accepted risks: a TOML file of [[exception]] entries
    #[arg(long, global = true, env = "LOCKER_EXCEPTIONS", value_name = "FILE")]
    pub exceptions: Option<PathBuf>,

    /// Print one JSON object on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Log level on stderr: error, warn, info, debug or trace
    #[arg(long, global = true, env = "LOCKER_LOG", default_value = "warn", value_name = "LEVEL")]
    pub log_level: String,

    /// How S3 stores are reached and written.
    #[command(flatten, next_help_heading = "S3 store")]
    pub s3: S3Args,
}

/// Server-side encryption algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
pub enum SseArg {
    /// SSE-S3: keys managed by the service
    #[value(name = "aes256")]
    #[serde(rename = "aes256")]
    Aes256,
    /// SSE-KMS: keys in KMS (see --sse-kms-key-id)
    #[value(name = "aws:kms")]
    #[serde(rename = "aws:kms")]
    Kms,
}

/// S3 options; each also has a key under `[s3]` in locker.toml.
#[derive(Debug, Default, Args)]
pub struct S3Args {
    /// Endpoint of an S3-compatible server (AWS_ENDPOINT_URL is read too)
    #[arg(long = "s3-endpoint", global = true, env = "LOCKER_S3_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    /// Path-style addressing [default: true for IP-address and localhost endpoints]
    #[arg(
        long = "s3-path-style",
        global = true,
        env = "LOCKER_S3_PATH_STYLE",
        value_name = "BOOL"
    )]
    pub path_style: Option<bool>,

    /// Server-side encryption of every object [default: aes256]
    #[arg(long, global = true, env = "LOCKER_SSE", value_enum, value_name = "ALGORITHM")]
    pub sse: Option<SseArg>,

    /// KMS key id for --sse aws:kms [default: the account's S3 KMS key]
    #[arg(
        long = "sse-kms-key-id",
        global = true,
        env = "LOCKER_SSE_KMS_KEY_ID",
        value_name = "ID"
    )]
    pub kms_key_id: Option<String>,

    /// Object Lock mode for every object written (needs --object-lock-days or -until)
    #[arg(
        long = "object-lock-mode",
        global = true,
        env = "LOCKER_OBJECT_LOCK_MODE",
        value_enum,
        value_name = "MODE"
    )]
    pub lock_mode: Option<crate::store::s3::LockMode>,

    /// Object Lock retention, in days from each write
    #[arg(
        long = "object-lock-days",
        global = true,
        env = "LOCKER_OBJECT_LOCK_DAYS",
        value_name = "DAYS"
    )]
    pub lock_days: Option<u32>,

    /// Object Lock retention until this date (RFC 3339)
    #[arg(
        long = "object-lock-until",
        global = true,
        env = "LOCKER_OBJECT_LOCK_UNTIL",
        value_name = "TIME"
    )]
    pub lock_until: Option<DateTime<Utc>>,

    /// Seconds before a store request is abandoned with exit status 3 [default: 30]
    #[arg(long, global = true, env = "LOCKER_TIMEOUT", value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

/// The commands.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an Ed25519 key pair: PATH (private, mode 0600) and PATH.pub
    Keygen(KeygenArgs),
    /// Write a commented locker.toml and prepare the store
    Init(InitArgs),
    /// Archive files as one signed entry appended to the chain
    Push(PushArgs),
    /// Check every entry and artifact of the store against trusted keys
    Verify(VerifyArgs),
    /// List the entries (read only; run `verify` to check them)
    Log(LogArgs),
    /// Check that the store is versioned, encrypted, locked, private and write-once
    Doctor(DoctorArgs),
    /// The frameworks, controls and mapping rules in use
    #[command(subcommand)]
    Controls(ControlsCommand),
    /// Findings followed across the chain, with age, sources and SLA state
    Findings(FindingsArgs),
    /// Which controls the findings of these reports would touch, without pushing anything
    Map(MapArgs),
    /// Render the signed audit report of a period (HTML, Markdown, JSON) from the chain
    Report(ReportArgs),
    /// Check a report's signature against pinned keys
    VerifyReport(VerifyReportArgs),
    /// Export a period's control states and findings for GRC platforms (OSCAL, CSV, JSON)
    Export(ExportArgs),
    /// Sign the Merkle tree head over every entry so far, as a checkpoint under checkpoints/
    Checkpoint(CheckpointArgs),
    /// Print an inclusion proof of an entry, or a consistency proof between two checkpoints
    Prove(ProveArgs),
    /// Pack a period's entries, artifacts, proofs, checkpoint, report and exports for an
    /// auditor, who checks it offline with `locker verify --bundle`
    Bundle(BundleArgs),
}

/// `locker report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The period: 2026-Q3, 2026-07, or 2026-07-01..2026-09-30
    #[arg(long, value_name = "P")]
    pub period: crate::period::Period,

    /// pci-dss, hipaa, soc2, or all
    #[arg(long, value_name = "F", default_value = "all")]
    pub framework: String,

    /// Formats to write (repeat or comma-separate) [default: html, md, json]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMAT")]
    pub format: Vec<crate::report::Format>,

    /// Directory the report files are written to (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Generation time written in the report [default: SOURCE_DATE_EPOCH, else now]
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<DateTime<Utc>>,

    /// Directory of templates (report.html, report.md) replacing the built-in ones
    #[arg(long, env = "LOCKER_TEMPLATES", value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// `locker export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The period: 2026-Q3, 2026-07, or 2026-07-01..2026-09-30
    #[arg(long, value_name = "P")]
    pub period: crate::period::Period,

    /// pci-dss, hipaa, soc2, or all
    #[arg(long, value_name = "F", default_value = "all")]
    pub framework: String,

    /// oscal or json (to the file PATH), csv (controls.csv and findings.csv in the directory
    /// PATH)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: crate::export::ExportFormat,

    /// Output file (oscal, json) or directory (csv)
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Generation time written in the export [default: SOURCE_DATE_EPOCH, else now]
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<DateTime<Utc>>,
}

/// `locker bundle`
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The period: 2026-Q3, 2026-07, or 2026-07-01..2026-09-30
    #[arg(long, value_name = "P")]
    pub period: crate::period::Period,

    /// pci-dss, hipaa, soc2, or all (for the report and exports)
    #[arg(long, value_name = "F", default_value = "all")]
    pub framework: String,

    /// The bundle to write (.tar.gz)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Generation time of the report and exports [default: SOURCE_DATE_EPOCH, else now]
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<DateTime<Utc>>,
}

/// `locker checkpoint`
#[derive(Debug, Args)]
pub struct CheckpointArgs {}

/// `locker prove`
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The entry to prove
    #[arg(value_name = "SEQ", required_unless_present = "consistency")]
    pub seq: Option<u64>,

    /// The checkpoint (its tree size) to prove the entry in [default: the latest]
    #[arg(long, value_name = "SIZE")]
    pub checkpoint: Option<u64>,

    /// Prove that the checkpoint of NEW entries extends the checkpoint of OLD entries
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with_all = ["seq", "checkpoint"])]
    pub consistency: Option<Vec<u64>>,
}

/// `locker verify-report`
#[derive(Debug, Args)]
pub struct VerifyReportArgs {
    /// The report file; its signature is read from FILE.dsse.json
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `locker map`
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Reports to read
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read every file as this kind instead of detecting it
    #[arg(long, value_enum, value_name = "K")]
    pub kind: Option<ArtifactKind>,
}

/// `locker findings`
#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Only findings still open
    #[arg(long)]
    pub open: bool,

    /// Only findings at or above this severity
    #[arg(long, value_name = "S")]
    pub severity: Option<crate::findings::Severity>,

    /// Evaluate as of this time (RFC 3339) [default: now]
    #[arg(long, value_name = "TIME")]
    pub at: Option<DateTime<Utc>>,

    /// Only findings open at some point of this period (2026-Q3, 2026-07, or
    /// 2026-07-01..2026-09-30), evaluated as of the earlier of its end and --at
    #[arg(long, value_name = "P")]
    pub period: Option<crate::period::Period>,
}

/// `locker controls ...`
#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// List the controls of every framework, or of one
    List {
        /// Only this framework: pci-dss, hipaa or soc2
        #[arg(long, value_name = "ID")]
        framework: Option<String>,
    },
    /// A control and the mapping rules, with their rationale, that speak to it
    Show {
        /// The control's id (`6.3.3`), or `framework:id` when ids are ambiguous
        id: String,
    },
    /// Each control's state for a period, derived from the evidence: met, not met, no
    /// evidence, not applicable, with the reasons
    Status {
        /// The period: 2026-Q3, 2026-07, or 2026-07-01..2026-09-30
        #[arg(long, value_name = "P")]
        period: crate::period::Period,
        /// Only this framework: pci-dss, hipaa or soc2
        #[arg(long, value_name = "ID")]
        framework: Option<String>,
        /// Generation time; the state is taken as of the earlier of it and the period's end
        #[arg(long, value_name = "TIME")]
        generated_at: Option<DateTime<Utc>>,
    },
}

/// `locker keygen`
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key; the public key goes to PATH.pub
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Replace existing key files
    #[arg(long)]
    pub force: bool,
}

/// `locker init`
#[derive(Debug, Args)]
pub struct InitArgs {}

/// `locker push`
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Reports, signatures or attachments to archive, as relative paths
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read every file as this kind instead of detecting it
    ///
    /// `attachment` archives any file as is, without parsing it and whatever its size.
    #[arg(long, value_enum, value_name = "K")]
    pub kind: Option<ArtifactKind>,

    /// Largest report to parse, e.g. 512MiB [default: 1GiB]
    #[arg(long, env = "LOCKER_MAX_REPORT_SIZE", value_name = "SIZE")]
    pub max_report_size: Option<bytesize::ByteSize>,

    /// Check cosign signatures and Sigstore bundles against this public key (cosign.pub:
    /// ECDSA P-256, or Ed25519); only verified signatures count as signed
    #[arg(long, env = "LOCKER_COSIGN_KEY", value_name = "PUB")]
    pub cosign_key: Option<PathBuf>,

    /// Check keyless Sigstore bundles offline against this Sigstore trusted root
    /// (trusted_root.json: Fulcio CAs and Rekor keys); only verified bundles count as signed
    #[arg(long, env = "LOCKER_TRUSTED_ROOT", value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// The identity a keyless signing certificate must name (an e-mail or workflow URI)
    #[arg(long, env = "LOCKER_CERTIFICATE_IDENTITY", value_name = "ID")]
    pub certificate_identity: Option<String>,

    /// The OIDC issuer a keyless signing certificate must name
    #[arg(long, env = "LOCKER_CERTIFICATE_OIDC_ISSUER", value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,

    /// After archiving, exit 1 if the pushed reports hold open findings at or above this
    /// severity that no exception in force covers: the gate that stops promotion
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<crate::findings::Severity>,

    /// The entry's time (RFC 3339), e.g. the pipeline's own timestamp [default: now]
    #[arg(long, value_name = "TIME")]
    pub time: Option<DateTime<Utc>>,

    /// CI context; detected from the environment, these flags override it.
    #[command(flatten, next_help_heading = "CI context")]
    pub ci: CiContext,
}

/// `locker verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check this auditor bundle offline instead of the store, against pinned keys only
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,

    /// An entry hash known from earlier (a CI log); it must still be in the chain
    #[arg(long, value_name = "HASH")]
    pub expect_head: Option<Sha256>,

    /// The chain must hold at least N entries
    #[arg(long, value_name = "N")]
    pub min_length: Option<u64>,

    /// Also check that every chain object is still under Object Lock retention (S3)
    #[arg(long)]
    pub check_retention: bool,
}

/// `locker doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also append the outcome to the chain as a signed posture record, the evidence that
    /// controls on encryption and retention are evaluated from (run it on a schedule)
    #[arg(long)]
    pub record: bool,

    /// The posture record's time (RFC 3339) [default: now]
    #[arg(long, value_name = "TIME", requires = "record")]
    pub time: Option<DateTime<Utc>>,
}

/// `locker log`
#[derive(Debug, Args)]
pub struct LogArgs {}
