//! Following findings across the chain: first seen, last seen, fixed, reopened, and the
//! remediation deadline each one is held to.
//!
//! Findings are followed per stream: one project (the CI context's), one report name and one
//! scanner, so that a later complete scan of the same stream that no longer reports a
//! finding marks it fixed there. The same fingerprint seen by several streams (Trivy and
//! Grype on one image) is one finding with several sources; it is fixed when every stream
//! that saw it has fixed it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Finding, FindingsDocument, Severity};
use crate::chain::{Statement, StoredEntry};
use crate::controls::{Clock, Sla};
use crate::ingest::ArtifactKind;
use crate::store::{Store, StoreError, layout};

/// A finding followed over time.
#[derive(Debug, Clone, Serialize)]
pub struct Tracked {
    /// The finding as last reported.
    #[serde(flatten)]
    pub finding: Finding,
    /// Tools that reported it.
    pub sources: BTreeSet<String>,
    /// When it was first reported.
    pub first_seen: DateTime<Utc>,
    /// When it was last reported.
    pub last_seen: DateTime<Utc>,
    /// When a fixed version was first known (the clock of PCI DSS 6.3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<DateTime<Utc>>,
    /// When every stream that saw it stopped reporting it, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<DateTime<Utc>>,
    /// How often it came back after being fixed.
    pub reopened: u32,
    /// Entries that reported it.
    pub entries: BTreeSet<u64>,
}

/// One stream's view of a fingerprint.
#[derive(Debug, Clone)]
struct StreamState {
    fixed: Option<DateTime<Utc>>,
}

/// The state of every finding after replaying the chain up to a time.
#[derive(Debug, Default)]
pub struct History {
    tracked: BTreeMap<String, Tracked>,
    streams: BTreeMap<(String, String, String), BTreeMap<String, StreamState>>,
}

/// A finding's standing against one SLA at a time.
#[derive(Debug, Clone, Serialize)]
pub struct SlaState {
    /// The framework.
    pub framework: String,
    /// When it is (or was) due.
    pub due: DateTime<Utc>,
    /// `open`, `overdue`, `met` or `missed`.
    pub state: &'static str,
}

impl History {
    /// Replays every readable entry of `entries` whose time is not after `at`, reading each
    /// findings artifact from `store`.
    ///
    /// # Errors
    ///
    /// Store failures; unreadable findings artifacts are skipped with a warning (verify
    /// reports them).
    pub fn replay(
        store: &dyn Store,
        entries: &[StoredEntry],
        at: DateTime<Utc>,
    ) -> Result<History, StoreError> {
        let mut history = History::default();
        let mut statements: Vec<(u64, &Statement)> =
            entries.iter().filter_map(|e| e.statement().map(|s| (e.seq, s))).collect();
        statements.sort_by_key(|(seq, s)| (s.predicate.time, *seq));
        for (seq, statement) in statements.into_iter().filter(|(_, s)| s.predicate.time <= at) {
            history.apply(store, seq, statement)?;
        }
        Ok(history)
    }

    fn apply(
        &mut self,
        store: &dyn Store,
        seq: u64,
        statement: &Statement,
    ) -> Result<(), StoreError> {
        let time = statement.predicate.time;
        let project = statement.predicate.ci.project.clone().unwrap_or_default();
        for record in
            statement.predicate.artifacts.iter().filter(|a| a.kind == ArtifactKind::Findings)
        {
            let Some(bytes) = store.get(&layout::artifact_key(&record.sha256))? else { continue };
            let Ok(document) = serde_json::from_slice::<FindingsDocument>(&bytes) else {
                tracing::warn!(seq, name = %record.name, "unreadable findings artifact skipped");
                continue;
            };
            let report = statement
                .predicate
                .artifacts
                .iter()
                .find(|a| Some(a.sha256) == record.derived_from);
            let complete = report.and_then(|r| r.scan.as_ref()).is_some_and(|s| s.failed_runs == 0);
            let tool = report
                .and_then(|r| r.scan.as_ref())
                .and_then(|s| s.runs.first())
                .map(|r| r.tool.clone())
                .unwrap_or_default();
            let stream = (project.clone(), document.source.name.clone(), tool);
            self.scan(stream, seq, time, document.findings, complete);
        }
        Ok(())
    }

    /// One scan of one stream.
    fn scan(
        &mut self,
        stream: (String, String, String),
        seq: u64,
        time: DateTime<Utc>,
        findings: Vec<Finding>,
        complete: bool,
    ) {
        let states = self.streams.entry(stream).or_default();
        let mut present = BTreeSet::new();
        for finding in findings {
            let fingerprint = finding.fingerprint.clone();
            present.insert(fingerprint.clone());
            states.insert(fingerprint.clone(), StreamState { fixed: None });

            let has_fix = finding.fixed_version.is_some();
            let tracked = self.tracked.entry(fingerprint).or_insert_with(|| Tracked {
                sources: BTreeSet::new(),
                first_seen: time,
                last_seen: time,
                fix_available: None,
                fixed: None,
                reopened: 0,
                entries: BTreeSet::new(),
                finding: finding.clone(),
            });
            if tracked.fixed.take().is_some() {
                tracked.reopened += 1;
            }
            if has_fix && tracked.fix_available.is_none() {
                tracked.fix_available = Some(time);
            }
            tracked.sources.insert(finding.tool.clone());
            tracked.last_seen = time;
            tracked.entries.insert(seq);
            tracked.finding = finding;
        }
        if !complete {
            return;
        }
        let gone: Vec<String> = states
            .iter()
            .filter(|(fingerprint, state)| state.fixed.is_none() && !present.contains(*fingerprint))
            .map(|(fingerprint, _)| fingerprint.clone())
            .collect();
        for fingerprint in &gone {
            states.insert(fingerprint.clone(), StreamState { fixed: Some(time) });
        }
        for fingerprint in gone {
            let still_open = self
                .streams
                .values()
                .any(|s| s.get(&fingerprint).is_some_and(|state| state.fixed.is_none()));
            if let (false, Some(tracked)) = (still_open, self.tracked.get_mut(&fingerprint)) {
                tracked.fixed = Some(time);
            }
        }
    }

    /// Every finding followed, by fingerprint.
    pub fn findings(&self) -> impl Iterator<Item = &Tracked> {
        self.tracked.values()
    }
}

impl Tracked {
    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.fixed.is_none()
    }

    /// Days from first sighting to the fix, or to `at` while open.
    pub fn age_days(&self, at: DateTime<Utc>) -> i64 {
        (self.fixed.unwrap_or(at) - self.first_seen).num_days()
    }

    /// Its standing against every SLA of its severity, at `at`.
    pub fn sla_states(&self, slas: &[Sla], at: DateTime<Utc>) -> Vec<SlaState> {
        slas.iter()
            .filter(|sla| sla.severity == self.finding.severity)
            .filter_map(|sla| {
                let start = match sla.clock {
                    Clock::FixAvailable => self.fix_available?,
                    Clock::Detected => self.first_seen,
                };
                let due = start + Duration::days(i64::from(sla.days));
                let state = match self.fixed {
                    Some(fixed) if fixed <= due => "met",
                    Some(_) => "missed",
                    None if at > due => "overdue",
                    None => "open",
                };
                Some(SlaState { framework: sla.framework.clone(), due, state })
            })
            .collect()
    }

    /// Whether it is open at or above `severity`.
    pub fn open_at_least(&self, severity: Severity) -> bool {
        self.is_open() && self.finding.severity <= severity
    }
}
