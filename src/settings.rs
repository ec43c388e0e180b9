//! Resolved settings: flags, then environment, then `locker.toml`, then defaults.
//!
//! Clap already gives flags precedence over environment variables; this module adds the
//! settings file and the defaults, once, before any command runs.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::cli::{GlobalArgs, S3Args, SseArg};
use crate::ingest::DEFAULT_MAX_REPORT_SIZE;
use crate::keys::{KeyError, PublicKey, SigningKey, TrustSet, TrustedKey};
use crate::store::s3::{Encryption, LockMode, RetainUntil, Retention, S3Options};
use crate::store::{self, Store, StoreError};

/// The default settings file, looked for in the working directory.
pub const CONFIG_FILE: &str = "locker.toml";
/// The default store.
pub const DEFAULT_STORE: &str = "./evidence";

/// Errors in the settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings file cannot be read or is invalid.
    #[error("{path}: {message}")]
    File {
        /// The settings file.
        path: PathBuf,
        /// What is wrong, with line and column where known.
        message: String,
    },
    /// A setting the command needs is not given.
    #[error("{0}")]
    Missing(String),
}

/// `locker.toml`. Relative paths are relative to the file's directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Store address.
    pub store: Option<String>,
    /// Signing key path.
    pub key: Option<PathBuf>,
    /// Largest report to parse.
    pub max_report_size: Option<String>,
    /// Keys verification trusts, with optional validity windows.
    #[serde(default)]
    pub trusted_keys: Vec<TrustedKeyConfig>,
    /// Control data directory.
    pub controls: Option<PathBuf>,
    /// Exceptions file.
    pub exceptions: Option<PathBuf>,
    /// S3 options.
    #[serde(default)]
    pub s3: S3Config,
}

/// `[s3]` in `locker.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint of an S3-compatible server.
    pub endpoint: Option<String>,
    /// Path-style addressing.
    pub path_style: Option<bool>,
    /// `aes256` or `aws:kms`.
    pub sse: Option<SseArg>,
    /// KMS key id.
    pub kms_key_id: Option<String>,
    /// `governance` or `compliance`.
    pub object_lock_mode: Option<LockMode>,
    /// Retention in days from each write.
    pub object_lock_days: Option<u32>,
    /// Retention until a date.
    pub object_lock_until: Option<DateTime<Utc>>,
    /// Request timeout in seconds.
    pub timeout_seconds: Option<u64>,
    /// Files above this size are uploaded in parts.
    pub multipart_threshold: Option<String>,
    /// Size of each part.
    pub part_size: Option<String>,
}

/// A trusted key in `locker.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKeyConfig {
    /// SPKI PEM public key.
    pub path: PathBuf,
    /// Entries signed earlier are refused.
    pub not_before: Option<DateTime<Utc>>,
    /// Entries signed later are refused (the key was retired or compromised).
    pub not_after: Option<DateTime<Utc>>,
}

/// Settings after every source was consulted.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Store address.
    pub store: String,
    /// Signing key, if any.
    pub key: Option<PathBuf>,
    /// Trusted keys from flags or environment (windows still come from the file).
    pub trusted_key_paths: Vec<PathBuf>,
    /// Trusted keys from the settings file.
    pub trusted_key_configs: Vec<TrustedKeyConfig>,
    /// Largest report to parse.
    pub max_report_size: u64,
    /// The settings file used, if any.
    pub config_file: Option<PathBuf>,
    /// How S3 stores are reached and written.
    pub s3: S3Options,
    /// Control data directory replacing the built-in data, if any.
    pub controls: Option<PathBuf>,
    /// Exceptions file, if any.
    pub exceptions: Option<PathBuf>,
}

impl Settings {
    /// Resolves the settings of `global`.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid settings file; a missing file named explicitly.
    pub fn resolve(global: &GlobalArgs) -> Result<Settings, SettingsError> {
        let (config_file, file) = load_config(global.config.as_deref())?;
        let base = config_file.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let relative = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };

        let store = match (&global.store, file.store) {
            (Some(flag), _) => flag.clone(),
            (None, Some(s)) if s.starts_with("s3://") => s,
            (None, Some(dir)) => relative(PathBuf::from(dir)).display().to_string(),
            (None, None) => DEFAULT_STORE.to_string(),
        };
        let max_report_size = match file.max_report_size {
            Some(text) => parse_size(&text).map_err(|message| SettingsError::File {
                path: config_file.clone().unwrap_or_default(),
                message,
            })?,
            None => DEFAULT_MAX_REPORT_SIZE,
        };
        let trusted_key_configs = file
            .trusted_keys
            .into_iter()
            .map(|k| TrustedKeyConfig { path: relative(k.path), ..k })
            .collect();

        let s3 = resolve_s3(&global.s3, file.s3).map_err(|message| match &config_file {
            Some(path) => SettingsError::File { path: path.clone(), message },
            None => SettingsError::Missing(message),
        })?;

        Ok(Settings {
            controls: global.controls.clone().or_else(|| file.controls.map(relative)),
            exceptions: global.exceptions.clone().or_else(|| file.exceptions.map(relative)),
            s3,
            store,
            key: global.key.clone().or_else(|| file.key.map(relative)),
            trusted_key_paths: global.trusted_keys.clone(),
            trusted_key_configs,
            max_report_size,
            config_file,
        })
    }

    /// Opens the configured store.
    ///
    /// # Errors
    ///
    /// An unusable store address.
    pub fn open_store(&self) -> Result<Box<dyn Store>, StoreError> {
        store::open(&self.store, &self.s3)
    }

    /// The control data in force: the directory given, else the built-in data.
    ///
    /// # Errors
    ///
    /// Every problem of the data, with file and line.
    pub fn controls(&self) -> Result<crate::controls::Controls, crate::controls::ControlsError> {
        match &self.controls {
            Some(dir) => crate::controls::Controls::load_dir(dir),
            None => crate::controls::Controls::builtin(),
        }
    }

    /// The accepted risks in force: the exceptions file, or none.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid exceptions file.
    pub fn exceptions(&self) -> Result<crate::findings::exceptions::Exceptions, SettingsError> {
        match &self.exceptions {
            None => Ok(Default::default()),
            Some(path) => crate::findings::exceptions::Exceptions::load(path).map_err(|message| {
                SettingsError::File {
                    path: path.clone(),
                    message: message.split_once(": ").map_or(message.clone(), |m| m.1.to_string()),
                }
            }),
        }
    }

    /// Loads the signing key.
    ///
    /// # Errors
    ///
    /// [`SettingsError::Missing`] when no key is configured; key errors.
    pub fn signing_key(&self) -> Result<SigningKey, crate::Error> {
        let path = self.key.as_ref().ok_or_else(|| {
            SettingsError::Missing(
                "no signing key: pass --key PATH, set LOCKER_KEY, or set key in locker.toml \
                 (create one with `locker keygen --out PATH`)"
                    .to_string(),
            )
        })?;
        Ok(SigningKey::load(path)?)
    }

    /// The keys verification trusts: those of the flags or environment when given, else
    /// those of the settings file. Validity windows always come from the settings file,
    /// matched by key id.
    ///
    /// # Errors
    ///
    /// [`SettingsError::Missing`] when no key is trusted; key errors.
    pub fn trust_set(&self) -> Result<TrustSet, crate::Error> {
        let configured: Vec<(TrustedKeyConfig, PublicKey)> = self
            .trusted_key_configs
            .iter()
            .map(|c| PublicKey::load(&c.path).map(|k| (c.clone(), k)))
            .collect::<Result<_, KeyError>>()?;

        let keys: Vec<TrustedKey> = if self.trusted_key_paths.is_empty() {
            configured.iter().map(|(c, k)| trusted(k.clone(), c.path.clone(), Some(c))).collect()
        } else {
            let mut keys = Vec::new();
            for path in &self.trusted_key_paths {
                let key = PublicKey::load(path)?;
                let window = configured.iter().find(|(_, k)| k.id() == key.id()).map(|(c, _)| c);
                keys.push(trusted(key, path.clone(), window));
            }
            keys
        };

        if keys.is_empty() {
            return Err(SettingsError::Missing(
                "no trusted key: pass --trusted-key PATH, set LOCKER_TRUSTED_KEYS, or list \
                 [[trusted_keys]] in locker.toml"
                    .to_string(),
            )
            .into());
        }
        Ok(TrustSet::new(keys))
    }
}

fn trusted(key: PublicKey, source: PathBuf, window: Option<&TrustedKeyConfig>) -> TrustedKey {
    TrustedKey {
        key,
        source,
        not_before: window.and_then(|w| w.not_before),
        not_after: window.and_then(|w| w.not_after),
    }
}

/// Reads the settings file: the one named, else `./locker.toml` when it exists.
fn load_config(named: Option<&Path>) -> Result<(Option<PathBuf>, ConfigFile), SettingsError> {
    let path = match named {
        Some(path) => path.to_owned(),
        None if Path::new(CONFIG_FILE).is_file() => PathBuf::from(CONFIG_FILE),
        None => return Ok((None, ConfigFile::default())),
    };
    let text = fs::read_to_string(&path)
        .map_err(|e| SettingsError::File { path: path.clone(), message: e.to_string() })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| SettingsError::File {
        path: path.clone(),
        message: e.to_string().trim_end().replace('\n', "\n  "),
    })?;
    Ok((Some(path), file))
}

/// S3 options: each flag (or its environment variable) over the `[s3]` table.
fn resolve_s3(flags: &S3Args, file: S3Config) -> Result<S3Options, String> {
    let defaults = S3Options::default();
    let encryption = match flags.sse.or(file.sse) {
        None | Some(SseArg::Aes256) => Encryption::S3,
        Some(SseArg::Kms) => Encryption::Kms(flags.kms_key_id.clone().or(file.kms_key_id)),
    };

    let mode = flags.lock_mode.or(file.object_lock_mode);
    let until = match (
        flags.lock_days.or(file.object_lock_days),
        flags.lock_until.or(file.object_lock_until),
    ) {
        (Some(_), Some(_)) => return Err("give object-lock days or an until date, not both".into()),
        (Some(days), None) => Some(RetainUntil::Days(days)),
        (None, Some(date)) => Some(RetainUntil::Date(date)),
        (None, None) => None,
    };
    let retention = match (mode, until) {
        (Some(mode), Some(until)) => Some(Retention { mode, until }),
        (None, None) => None,
        _ => return Err("Object Lock needs both a mode and a retention (days or until)".into()),
    };

    let size = |text: Option<String>, default: u64| text.map_or(Ok(default), |t| parse_size(&t));
    let timeout = flags
        .timeout
        .or(file.timeout_seconds)
        .map_or(defaults.timeout, std::time::Duration::from_secs);
    Ok(S3Options {
        endpoint: flags.endpoint.clone().or(file.endpoint),
        path_style: flags.path_style.or(file.path_style),
        encryption,
        retention,
        multipart_threshold: size(file.multipart_threshold, defaults.multipart_threshold)?,
        part_size: size(file.part_size, defaults.part_size)?.max(5 << 20),
        timeout,
    })
}

/// Parses a size such as `512MiB` or `1GB`.
///
/// # Errors
///
/// A message naming the bad value.
pub fn parse_size(text: &str) -> Result<u64, String> {
    text.parse::<bytesize::ByteSize>()
        .map(|s| s.as_u64())
        .map_err(|e| format!("{text:?} is not a size like 512MiB ({e})"))
}
