//! One module per subcommand: glue between the command line, the settings and the library,
//! with no logic of its own beyond presenting results.

mod bundle;
mod checkpoint;
mod controls;
mod doctor;
mod export;
mod findings;
mod init;
mod keygen;
mod log;
mod map;
mod push;
mod report;
mod verify;

use std::io::Write;

use serde::Serialize;

use crate::cli::{Cli, Command};
use crate::error::{Error, ExitStatus};
use crate::settings::Settings;

/// Runs the command of `cli`, writing its results to `out`.
///
/// # Errors
///
/// Whatever the command fails with; the caller maps it to an exit status.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let json = cli.global.json;
    match &cli.command {
        Command::Keygen(args) => keygen::run(args, json, out),
        Command::Init(args) => init::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Push(args) => push::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Verify(args) => verify::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Log(args) => log::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Doctor(args) => doctor::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Map(args) => map::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Findings(args) => findings::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Controls(args) => controls::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Report(args) => report::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Bundle(args) => bundle::create(&Settings::resolve(&cli.global)?, args, json, out),
        Command::Checkpoint(_) => checkpoint::create(&Settings::resolve(&cli.global)?, json, out),
        Command::Prove(args) => {
            checkpoint::prove(&Settings::resolve(&cli.global)?, args, json, out)
        }
        Command::Export(args) => export::run(&Settings::resolve(&cli.global)?, args, json, out),
        Command::VerifyReport(args) => {
            report::verify(&Settings::resolve(&cli.global)?, args, json, out)
        }
    }
}

/// Writes `value` as one line of JSON.
fn print_json(out: &mut dyn Write, value: &impl Serialize) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// `1 entry`, `2 entries`: a count for text output.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
