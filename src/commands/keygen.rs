//! `locker keygen`: a new Ed25519 key pair.

use std::io::Write;

use serde_json::json;

use super::print_json;
use crate::cli::KeygenArgs;
use crate::error::{Error, ExitStatus};
use crate::keys::SigningKey;

pub(super) fn run(args: &KeygenArgs, json: bool, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let key = SigningKey::generate()?;
    let public_path = key.write_pair(&args.out, args.force)?;

    if json {
        print_json(
            out,
            &json!({
                "key_id": key.id(),
                "private_key": args.out,
                "public_key": public_path,
            }),
        )?;
    } else {
        writeln!(out, "key id {}", key.id())?;
        writeln!(out, "private key {} (keep it secret)", args.out.display())?;
        writeln!(out, "public key {} (give it to verifiers)", public_path.display())?;
    }
    Ok(ExitStatus::Success)
}
