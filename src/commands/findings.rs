//! `locker findings`: every finding with its age, sources and SLA state.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::print_json;
use crate::chain::load_entries;
use crate::cli::FindingsArgs;
use crate::error::{Error, ExitStatus};
use crate::findings::exceptions::Exception;
use crate::findings::lifecycle::{History, SlaState, Tracked};
use crate::settings::Settings;

#[derive(Serialize)]
struct ExceptionState<'a> {
    #[serde(flatten)]
    exception: &'a Exception,
    active: bool,
}

#[derive(Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    tracked: &'a Tracked,
    state: &'static str,
    age_days: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: Option<ExceptionState<'a>>,
    sla: Vec<SlaState>,
}

pub(super) fn run(
    settings: &Settings,
    args: &FindingsArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let controls = settings.controls()?;
    let exceptions = settings.exceptions()?;
    let store = settings.open_store()?;
    store.ensure_readable()?;
    let (entries, _) = load_entries(store.as_ref())?;
    let now: DateTime<Utc> = args.at.unwrap_or_else(Utc::now);
    let at = args.period.map_or(now, |p| p.as_of(now));
    let history = History::replay(store.as_ref(), &entries, at)?;

    let listed: Vec<Listed> = history
        .findings()
        .filter(|t| !args.open || t.is_open())
        .filter(|t| {
            args.period.is_none_or(|p| t.first_seen < p.end && t.fixed.is_none_or(|f| f >= p.start))
        })
        .filter(|t| args.severity.is_none_or(|s| t.finding.severity <= s))
        .map(|tracked| Listed {
            state: match (tracked.is_open(), tracked.reopened) {
                (true, 0) => "open",
                (true, _) => "reopened",
                (false, _) => "fixed",
            },
            age_days: tracked.age_days(at),
            exception: exceptions
                .for_finding(&tracked.finding)
                .map(|exception| ExceptionState { exception, active: exception.active_at(at) }),
            sla: tracked.sla_states(&controls.slas, at),
            tracked,
        })
        .collect();

    if json {
        print_json(out, &serde_json::json!({ "at": at, "findings": listed }))?;
        return Ok(ExitStatus::Success);
    }
    if listed.is_empty() {
        writeln!(out, "no findings")?;
    }
    for item in &listed {
        let finding = &item.tracked.finding;
        let overdue: Vec<&str> = item
            .sla
            .iter()
            .filter(|s| s.state == "overdue" || s.state == "missed")
            .map(|s| s.framework.as_str())
            .collect();
        let sla = if overdue.is_empty() {
            String::new()
        } else {
            format!("  PAST SLA: {}", overdue.join(", "))
        };
        let what = finding.vulnerabilities.first().unwrap_or(&finding.rule);
        let sources: Vec<&str> = item.tracked.sources.iter().map(String::as_str).collect();
        writeln!(
            out,
            "{:<8} {:<9} {:>4}d  {what}  {}  [{}]{sla}",
            finding.severity.as_str(),
            item.state,
            item.age_days,
            target_of(item.tracked),
            sources.join(", ")
        )?;
    }
    Ok(ExitStatus::Success)
}

fn target_of(tracked: &Tracked) -> String {
    let finding = &tracked.finding;
    match (&finding.target.image, &finding.package, &finding.location) {
        (Some(image), Some(package), _) => format!("{image} {package}"),
        (Some(image), None, _) => image.clone(),
        (None, Some(package), _) => package.clone(),
        (None, None, Some(location)) => location.clone(),
        _ => "-".to_string(),
    }
}
