//! `locker controls list | show`: the catalogs and mappings in use.

use std::io::Write;

use serde::Serialize;
use serde_json::json;

use super::print_json;
use crate::cli::ControlsCommand;
use chrono::{DateTime, Utc};

use crate::controls::state::State;
use crate::controls::{Control, Controls};
use crate::error::{Error, ExitStatus};
use crate::period::Period;
use crate::report::Assessment;
use crate::settings::{Settings, SettingsError};

/// A control as `controls list --json` shows it.
#[derive(Serialize)]
struct Listed<'a> {
    framework: &'a str,
    #[serde(flatten)]
    control: &'a Control,
}

pub(super) fn run(
    settings: &Settings,
    command: &ControlsCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let controls = settings.controls()?;
    match command {
        ControlsCommand::List { framework } => list(&controls, framework.as_deref(), json, out),
        ControlsCommand::Show { id } => show(&controls, id, json, out),
        ControlsCommand::Status { period, framework, generated_at } => {
            let at = period.as_of(generated_at.unwrap_or_else(chrono::Utc::now));
            status(settings, &controls, period, framework.as_deref(), at, json, out)
        }
    }
}

fn list(
    controls: &Controls,
    framework: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    if let Some(wanted) = framework.filter(|w| !controls.frameworks.iter().any(|f| f.id == *w)) {
        let known: Vec<&str> = controls.frameworks.iter().map(|f| f.id.as_str()).collect();
        return Err(SettingsError::Missing(format!(
            "unknown framework `{wanted}` (known: {})",
            known.join(", ")
        ))
        .into());
    }
    let frameworks = controls.frameworks.iter().filter(|f| framework.is_none_or(|w| f.id == w));
    if json {
        let listed: Vec<Listed> = frameworks
            .flat_map(|f| {
                f.controls.iter().map(move |control| Listed { framework: &f.id, control })
            })
            .collect();
        print_json(out, &json!({ "controls": listed }))?;
        return Ok(ExitStatus::Success);
    }
    for framework in frameworks {
        writeln!(
            out,
            "{} {} ({} controls)",
            framework.name,
            framework.version,
            framework.controls.len()
        )?;
        for control in &framework.controls {
            let rules = controls.rules_for(&framework.id, &control.id).len();
            writeln!(out, "  {:<24} {:>2} rules  {}", control.id, rules, control.title)?;
        }
    }
    Ok(ExitStatus::Success)
}

fn status(
    settings: &Settings,
    controls: &Controls,
    period: &Period,
    framework: Option<&str>,
    at: DateTime<Utc>,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    // The chain counts only when it can be verified against pinned keys.
    let trust = settings.trust_set().ok();
    let store = settings.open_store()?;
    let assessment =
        Assessment::gather(store.as_ref(), controls, framework, *period, at, trust.as_ref())?;
    let states = assessment.states;

    if json {
        print_json(out, &json!({ "period": period.to_string(), "at": at, "controls": states }))?;
        return Ok(ExitStatus::Success);
    }
    for control in &states {
        let label = match control.state {
            State::Met => "met",
            State::NotMet => "NOT MET",
            State::NoEvidence => "no evidence",
            State::NotApplicable => "n/a",
        };
        writeln!(out, "{:<8} {:<24} {label}", control.framework, control.id)?;
        if control.state == State::NotMet {
            for reason in &control.reasons {
                writeln!(out, "    {reason}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn show(
    controls: &Controls,
    id: &str,
    json: bool,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let found = controls.find(id);
    let (framework, control) = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(SettingsError::Missing(format!(
                "no control `{id}` in the catalogs; see `locker controls list`"
            ))
            .into());
        }
        many => {
            let choices: Vec<String> =
                many.iter().map(|(f, c)| format!("{}:{}", f.id, c.id)).collect();
            return Err(SettingsError::Missing(format!(
                "`{id}` is ambiguous: {}",
                choices.join(", ")
            ))
            .into());
        }
    };
    let rules = controls.rules_for(&framework.id, &control.id);
    if json {
        print_json(out, &json!({ "framework": framework.id, "control": control, "rules": rules }))?;
        return Ok(ExitStatus::Success);
    }
    writeln!(out, "{} {} — {}", framework.name, control.id, control.title)?;
    writeln!(out, "family: {}", control.family)?;
    if !control.legacy_ids.is_empty() {
        writeln!(out, "formerly: {}", control.legacy_ids.join(", "))?;
    }
    if let Some(implementation) = &control.implementation {
        writeln!(out, "implementation: {implementation}")?;
    }
    writeln!(out, "{} mapping rules:", rules.len())?;
    for rule in rules {
        let basis = if rule.judgment {
            "our judgment".to_string()
        } else {
            format!("source: {}", rule.source)
        };
        writeln!(out, "  {} ({} evidence)", rule.id, rule.evidence)?;
        writeln!(out, "    {}", rule.rationale)?;
        writeln!(out, "    {basis}")?;
    }
    Ok(ExitStatus::Success)
}
