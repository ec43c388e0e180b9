//! `locker`: parse the command line, run one command, map its outcome to an exit status.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use locker::cli::Cli;
use locker::commands;
use tracing_subscriber::EnvFilter;

/// Findings are parsed on worker threads and freed on the main one, millions per report;
/// mimalloc handles that far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global.log_level);
    locker::progress::enable(!cli.global.json);

    let stdout = io::stdout();
    let mut out = stdout.lock();
    let status = match commands::run(&cli, &mut out) {
        Ok(status) => status,
        // A reader that stopped early (`locker log | head`) is not an error.
        Err(locker::Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            locker::ExitStatus::Success
        }
        Err(error) => {
            let _ = out.flush();
            eprintln!("error: {error}");
            error.exit_status()
        }
    };
    let _ = out.flush();
    ExitCode::from(status.code())
}

/// Logs go to stderr, so that stdout carries only results.
fn init_logging(level: &str) {
    // The AWS SDK warns at every fallback of its region chain; keep that out of plain runs.
    let quiet_sdk = if level.contains('=') { String::new() } else { ",aws_config=error".into() };
    let filter = EnvFilter::try_new(format!("{level}{quiet_sdk}"))
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .init();
}
