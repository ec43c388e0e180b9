//! SARIF 2.1.0: producer, runs, success and results per severity.
//!
//! Only the fields the entry needs are deserialised. The full SARIF object model costs
//! several times the file in memory; these borrowed structs skip everything else.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_sarif::sarif::{ResultKind, ResultLevel};

use super::{Probe, RunSummary, ScanSummary, parse_document};
use crate::findings::{Severity, SeverityCounts};

const SUPPORTED_VERSION: &str = "2.1.0";

/// Results per SARIF level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCounts {
    /// `error` results.
    pub error: u64,
    /// `warning` results.
    pub warning: u64,
    /// `note` results.
    pub note: u64,
    /// `none` results.
    pub none: u64,
}

impl LevelCounts {
    fn add(&mut self, level: ResultLevel) {
        match level {
            ResultLevel::Error => self.error += 1,
            ResultLevel::Warning => self.warning += 1,
            ResultLevel::Note => self.note += 1,
            ResultLevel::None => self.none += 1,
        }
    }
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    runs: Vec<Run<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    #[serde(borrow)]
    tool: Tool<'a>,
    #[serde(default)]
    invocations: Vec<Invocation>,
    #[serde(default, borrow)]
    results: Option<Vec<SarifResult<'a>>>,
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow)]
    driver: Driver<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: Cow<'a, str>,
    version: Option<Cow<'a, str>>,
    semantic_version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    rules: Vec<Rule<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    default_configuration: Option<RuleConfiguration>,
    #[serde(borrow)]
    properties: Option<Properties<'a>>,
}

#[derive(Deserialize)]
struct RuleConfiguration {
    level: Option<ResultLevel>,
}

#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(rename = "security-severity", borrow)]
    security_severity: Option<ScoreOrLabel<'a>>,
}

/// `security-severity` is a number in text by convention, but tools also write bare numbers
/// or words ("CRITICAL").
#[derive(Deserialize)]
#[serde(untagged)]
enum ScoreOrLabel<'a> {
    Score(f64),
    #[serde(borrow)]
    Label(Cow<'a, str>),
}

impl ScoreOrLabel<'_> {
    fn severity(&self) -> Option<Severity> {
        match self {
            ScoreOrLabel::Score(score) => Severity::from_score(*score),
            ScoreOrLabel::Label(label) => Severity::from_label(label),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(borrow)]
    rule_id: Option<Cow<'a, str>>,
    rule_index: Option<i64>,
    #[serde(borrow)]
    rule: Option<RuleReference<'a>>,
    level: Option<ResultLevel>,
    kind: Option<ResultKind>,
    #[serde(borrow)]
    properties: Option<Properties<'a>>,
}

#[derive(Deserialize)]
struct RuleReference<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    index: Option<i64>,
}

/// Summarises a SARIF log whose top level was already probed.
pub(super) fn summarize(bytes: &[u8], probe: &Probe) -> Result<ScanSummary, String> {
    check_version(bytes, probe)?;
    let log: Log = parse_document(bytes, "SARIF 2.1.0 log")?;

    let runs: Vec<RunSummary> = log.runs.iter().map(summarize_run).collect();
    let mut by_severity = SeverityCounts::default();
    for run in &runs {
        by_severity.merge(&run.by_severity);
    }
    Ok(ScanSummary {
        format: "sarif".to_string(),
        format_version: SUPPORTED_VERSION.to_string(),
        report_type: None,
        failed_runs: runs.iter().filter(|r| r.successful == Some(false)).count() as u64,
        results: runs.iter().map(|r| r.results).sum(),
        by_severity,
        runs,
        images: Vec::new(),
    })
}

/// The top-level `version` alone, for logs that put it after `runs`.
#[derive(Deserialize)]
struct VersionOnly {
    version: Option<serde_json::Value>,
}

fn check_version(bytes: &[u8], probe: &Probe) -> Result<(), String> {
    let read_late;
    let version = match &probe.version {
        None if probe.stopped_early => {
            read_late = parse_document::<VersionOnly>(bytes, "SARIF 2.1.0 log")?.version;
            read_late.as_ref()
        }
        version => version.as_ref(),
    };
    match version.and_then(|v| v.as_str()) {
        Some(SUPPORTED_VERSION) => Ok(()),
        Some(other) => Err(format!(
            "SARIF {other} is not supported, only SARIF {SUPPORTED_VERSION}; convert the log, \
             or archive it unparsed with --kind attachment"
        )),
        None => Err(format!(
            "not a SARIF {SUPPORTED_VERSION} log: the top-level \"version\" is missing"
        )),
    }
}

fn summarize_run(run: &Run) -> RunSummary {
    let driver = &run.tool.driver;
    let rules = RuleTable::new(&driver.rules);

    let mut by_severity = SeverityCounts::default();
    let mut by_level = LevelCounts::default();
    let results = run.results.as_deref().unwrap_or_default();
    for result in results {
        let (severity, level) = rules.classify(result);
        by_severity.add(severity);
        by_level.add(level);
    }

    let successful = if run.invocations.is_empty() {
        None
    } else {
        Some(run.invocations.iter().all(|i| i.execution_successful))
    };
    RunSummary {
        tool: driver.name.to_string(),
        version: driver
            .version
            .as_ref()
            .or(driver.semantic_version.as_ref())
            .map(|v| v.to_string()),
        successful,
        results: results.len() as u64,
        by_severity,
        by_level: Some(by_level),
    }
}

/// A run's rules, looked up by index or id.
struct RuleTable<'r, 'a> {
    rules: &'r [Rule<'a>],
    by_id: HashMap<&'r str, usize>,
}

impl<'r, 'a> RuleTable<'r, 'a> {
    fn new(rules: &'r [Rule<'a>]) -> Self {
        let by_id = rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| rule.id.as_deref().map(|id| (id, i)))
            .collect();
        RuleTable { rules, by_id }
    }

    fn find(&self, result: &SarifResult) -> Option<&'r Rule<'a>> {
        let reference = result.rule.as_ref();
        let index = result.rule_index.or_else(|| reference.and_then(|r| r.index));
        if let Some(rule) =
            index.and_then(|i| usize::try_from(i).ok()).and_then(|i| self.rules.get(i))
        {
            return Some(rule);
        }
        let id = result.rule_id.as_deref().or_else(|| reference.and_then(|r| r.id.as_deref()))?;
        self.by_id.get(id).map(|i| &self.rules[*i])
    }

    /// The result's severity and effective level.
    ///
    /// Severity comes from `security-severity` on the result, then on its rule; failing
    /// both, from the level. The level is the result's own, else the rule's default, else
    /// `warning` (SARIF 2.1.0 §3.27.10). Results whose kind is not `fail` carry no defect.
    fn classify(&self, result: &SarifResult) -> (Severity, ResultLevel) {
        let rule = self.find(result);
        let is_failure = matches!(result.kind, None | Some(ResultKind::Fail));
        let default_level = rule
            .and_then(|r| r.default_configuration.as_ref())
            .and_then(|c| c.level)
            .unwrap_or(ResultLevel::Warning);
        let level = match result.level {
            Some(level) => level,
            None if is_failure => default_level,
            None => ResultLevel::None,
        };
        if !is_failure {
            return (Severity::Info, level);
        }

        let declared = |p: &Option<Properties>| {
            p.as_ref().and_then(|p| p.security_severity.as_ref()).and_then(|s| s.severity())
        };
        let severity = declared(&result.properties)
            .or_else(|| rule.and_then(|r| declared(&r.properties)))
            .unwrap_or(crate::findings::level_severity(level));
        (severity, level)
    }
}
