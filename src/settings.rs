//! Resolved settings: flags, then environment, then `locker.toml`, then defaults.
//!
//! Clap already gives flags precedence over environment variables; this module adds the
//! settings file and the defaults, once, before any command runs.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::cli::GlobalArgs;
use crate::ingest::DEFAULT_MAX_REPORT_SIZE;
use crate::keys::{KeyError, PublicKey, SigningKey, TrustSet, TrustedKey};
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
}

impl Settings {
    /// Resolves the settings of `global`.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid settings file; a missing file named explicitly.
    pub fn resolve(global: &GlobalArgs) -> Result<Settings, SettingsError> {
        let (config_file, file) = load_config(global.config.as_deref())?;
        let base = config_file
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
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
            .map(|k| TrustedKeyConfig {
                path: relative(k.path),
                ..k
            })
            .collect();

        Ok(Settings {
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
        store::open(&self.store)
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
            configured
                .iter()
                .map(|(c, k)| trusted(k.clone(), c.path.clone(), Some(c)))
                .collect()
        } else {
            let mut keys = Vec::new();
            for path in &self.trusted_key_paths {
                let key = PublicKey::load(path)?;
                let window = configured
                    .iter()
                    .find(|(_, k)| k.id() == key.id())
                    .map(|(c, _)| c);
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
    let text = fs::read_to_string(&path).map_err(|e| SettingsError::File {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| SettingsError::File {
        path: path.clone(),
        message: e.to_string().trim_end().replace('\n', "\n  "),
    })?;
    Ok((Some(path), file))
}

/// Parses a size such as `512MiB` or `1GB`.
///
/// # Errors
///
/// A message naming the bad value.
pub fn parse_size(text: &str) -> Result<u64, String> {
    text.parse::<bytesize::ByteSize>()
        .map(|s| s.as_u64())
        .map_err(|e| format!("max_report_size {text:?} is not a size like 512MiB ({e})"))
}
