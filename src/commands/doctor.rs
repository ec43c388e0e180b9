//! `locker doctor`: check the store's posture.

use std::io::Write;

use serde_json::json;

use super::print_json;
use crate::cli::DoctorArgs;
use crate::error::{Error, ExitStatus};
use crate::settings::Settings;
use crate::store::S3Store;
use crate::store::posture::{self, Status};

pub(super) fn run(
    settings: &Settings,
    _args: &DoctorArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let checks = if settings.store.starts_with("s3://") {
        posture::check_s3(&S3Store::open(&settings.store, settings.s3.clone())?)?
    } else {
        posture::check_local(settings.open_store()?.as_ref())?
    };
    let ok = checks.iter().all(|c| c.status != Status::Fail);

    if json {
        print_json(out, &json!({ "ok": ok, "store": settings.store, "checks": checks }))?;
    } else {
        for check in &checks {
            let status = match check.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            writeln!(out, "{status:<5} {:<19} {}", check.id, check.detail)?;
            if let Some(fix) = &check.fix {
                writeln!(out, "      fix: {fix}")?;
            }
        }
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::CheckFailed })
}
