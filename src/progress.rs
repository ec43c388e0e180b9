//! Progress bars for long uploads and verifications, on a terminal only: never in CI logs,
//! pipes, or `--json` runs.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns progress bars on when `wanted`, stderr is a terminal and no CI is detected.
pub fn enable(wanted: bool) {
    let on = wanted && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    ENABLED.store(on, Ordering::Relaxed);
}

/// A bar over `total` items (or bytes, when `bytes`), hidden unless enabled.
pub fn bar(total: u64, message: &str, bytes: bool) -> ProgressBar {
    if !ENABLED.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let template = if bytes {
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}"
    } else {
        "{msg} [{bar:30}] {pos}/{len} {eta}"
    };
    let style = ProgressStyle::with_template(template)
        .expect("the progress templates are valid")
        .progress_chars("=> ");
    ProgressBar::new(total).with_style(style).with_message(message.to_string())
}
