//! `locker init`: a commented settings file and a prepared store.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::print_json;
use crate::cli::InitArgs;
use crate::error::{Error, ExitStatus};
use crate::settings::{CONFIG_FILE, Settings, SettingsError};
use crate::store::posture;
use crate::store::{S3Store, StoreError, layout};

/// The settings file written by `init`; every key is documented.
const TEMPLATE: &str = include_str!("../../examples/locker.toml");

pub(super) fn run(
    settings: &Settings,
    _args: &InitArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let config_path = settings.config_file.clone().unwrap_or_else(|| CONFIG_FILE.into());
    let wrote_config = write_config(&config_path, &settings.store)?;

    let mut done = Vec::new();
    if settings.store.starts_with("s3://") {
        done = posture::create_bucket(&S3Store::open(&settings.store, settings.s3.clone())?)?;
    } else {
        for dir in [layout::CHAIN, layout::OBJECTS, layout::KEYS] {
            let path = Path::new(&settings.store).join(dir);
            fs::create_dir_all(&path).map_err(|source| StoreError::Io {
                location: path.display().to_string(),
                source,
            })?;
        }
    }

    let store = settings.open_store()?;
    let mut published_key = None;
    if settings.key.is_some() {
        let key = settings.signing_key()?;
        let pem = key.public_key().to_pem();
        store.create(&layout::public_key_key(key.id().as_str()), pem.as_bytes())?;
        published_key = Some(key.id().to_string());
    }

    if json {
        print_json(
            out,
            &json!({
                "config": config_path,
                "config_written": wrote_config,
                "store": settings.store,
                "public_key": published_key,
                "done": done,
            }),
        )?;
    } else {
        let verb = if wrote_config { "wrote" } else { "kept existing" };
        writeln!(out, "{verb} {}", config_path.display())?;
        for step in &done {
            writeln!(out, "{step}")?;
        }
        writeln!(out, "store {} ready; run `locker doctor` to check its posture", settings.store)?;
        if let Some(id) = published_key {
            writeln!(
                out,
                "public key {id} copied to the store (for convenience; verify trusts only keys you pin)"
            )?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Writes the settings template unless a settings file exists. Returns whether it wrote.
fn write_config(path: &Path, store: &str) -> Result<bool, Error> {
    if path.exists() {
        return Ok(false);
    }
    let text = TEMPLATE.replacen("store = \"./evidence\"", &format!("store = {store:?}"), 1);
    fs::write(path, text)
        .map_err(|e| SettingsError::File { path: path.to_owned(), message: e.to_string() })?;
    Ok(true)
}
