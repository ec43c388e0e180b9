//! Following findings across the chain: first seen, last seen, fixed, reopened, and the
//! remediation deadline each one is held to.
//!
//! Findings are followed per stream: one project (the CI context's), one report name and one
//! scanner, so that a later complete scan of the same stream that no longer reports a
//! finding marks it fixed there. The same fingerprint seen by several streams (Trivy and
//! Grype on one image) is one finding with several sources; it is fixed when every stream
//! that saw it has fixed it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
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
#[derive(Debug, Clone, Copy)]
struct StreamState {
    /// Whether the stream's last complete scan (or any later one) still reported it.
    open: bool,
    /// The stream's scan that last reported it.
    last_scan: u64,
}

/// The project, report name and scanner that make one stream of scans.
type Stream = (String, String, String);

/// The state of every finding after replaying the chain up to a time.
#[derive(Debug, Default)]
pub struct History {
    tracked: BTreeMap<String, Tracked>,
    streams: HashMap<Stream, HashMap<String, StreamState>>,
    /// Per fingerprint, how many streams have it open: it is fixed when none has.
    open_in: HashMap<String, u32>,
    /// Scans applied so far, which numbers each one.
    scans: u64,
}

/// One findings artifact of an entry, read and parsed, ready to be applied in chain order.
struct Scan {
    seq: u64,
    time: DateTime<Utc>,
    stream: Stream,
    findings: Vec<Finding>,
    complete: bool,
}

/// Entries whose findings are read and parsed together, on every core, while the previous
/// batch is applied.
const BATCH: usize = 64;

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
    /// Reading and parsing the artifacts, most of the work, runs on every core a batch of
    /// entries ahead of the replay itself, which must follow the chain's order.
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
        let mut statements: Vec<(u64, &Statement)> =
            entries.iter().filter_map(|e| e.statement().map(|s| (e.seq, s))).collect();
        statements.retain(|(_, s)| s.predicate.time <= at);
        statements.sort_by_key(|(seq, s)| (s.predicate.time, *seq));

        let mut history = History::default();
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(1);
            let reader = scope.spawn(move || {
                for batch in statements.chunks(BATCH) {
                    let scans = batch
                        .par_iter()
                        .map(|(seq, statement)| read_scans(store, *seq, statement))
                        .collect::<Result<Vec<_>, _>>();
                    let failed = scans.is_err();
                    if sender.send(scans).is_err() || failed {
                        break;
                    }
                }
            });
            for scans in receiver {
                for scan in scans?.into_iter().flatten() {
                    history.scan(scan);
                }
            }
            reader.join().expect("the findings reader does not panic");
            Ok(history)
        })
    }

    /// One scan of one stream.
    fn scan(&mut self, scan: Scan) {
        self.scans += 1;
        let number = self.scans;
        let states = self.streams.entry(scan.stream).or_default();
        for finding in scan.findings {
            let state = StreamState { open: true, last_scan: number };
            match states.get_mut(&finding.fingerprint) {
                Some(known) if known.open => *known = state,
                Some(known) => {
                    *known = state;
                    *self.open_in.entry(finding.fingerprint.clone()).or_default() += 1;
                }
                None => {
                    states.insert(finding.fingerprint.clone(), state);
                    *self.open_in.entry(finding.fingerprint.clone()).or_default() += 1;
                }
            }
            track(&mut self.tracked, finding, scan.seq, scan.time);
        }
        if !scan.complete {
            return;
        }

        // A complete scan that no longer reports a finding fixed it in this stream; it is
        // fixed once no stream has it open.
        for (fingerprint, state) in states.iter_mut() {
            if !state.open || state.last_scan == number {
                continue;
            }
            state.open = false;
            let open = self.open_in.get_mut(fingerprint).expect("counted when opened");
            *open -= 1;
            if let (0, Some(tracked)) = (*open, self.tracked.get_mut(fingerprint)) {
                tracked.fixed = Some(scan.time);
            }
        }
    }

    /// Every finding followed, by fingerprint.
    pub fn findings(&self) -> impl Iterator<Item = &Tracked> {
        self.tracked.values()
    }
}

/// Records one sighting of `finding` in entry `seq` at `time`.
fn track(tracked: &mut BTreeMap<String, Tracked>, finding: Finding, seq: u64, time: DateTime<Utc>) {
    let has_fix = finding.fixed_version.is_some();
    let tracked = match tracked.get_mut(&finding.fingerprint) {
        Some(known) => known,
        None => tracked.entry(finding.fingerprint.clone()).or_insert_with(|| Tracked {
            sources: BTreeSet::new(),
            first_seen: time,
            last_seen: time,
            fix_available: None,
            fixed: None,
            reopened: 0,
            entries: BTreeSet::new(),
            finding: finding.clone(),
        }),
    };
    if tracked.fixed.take().is_some() {
        tracked.reopened += 1;
    }
    if has_fix && tracked.fix_available.is_none() {
        tracked.fix_available = Some(time);
    }
    if !tracked.sources.contains(&finding.tool) {
        tracked.sources.insert(finding.tool.clone());
    }
    tracked.last_seen = time;
    tracked.entries.insert(seq);
    tracked.finding = finding;
}

/// The scans one entry records: each findings artifact it names, read and parsed.
fn read_scans(store: &dyn Store, seq: u64, statement: &Statement) -> Result<Vec<Scan>, StoreError> {
    let time = statement.predicate.time;
    let project = statement.predicate.ci.project.clone().unwrap_or_default();
    let artifacts = &statement.predicate.artifacts;
    let mut scans = Vec::new();
    for record in artifacts.iter().filter(|a| a.kind == ArtifactKind::Findings) {
        let Some(bytes) = store.get(&layout::artifact_key(&record.sha256))? else { continue };
        let Ok(document) = serde_json::from_slice::<FindingsDocument>(&bytes) else {
            tracing::warn!(seq, name = %record.name, "unreadable findings artifact skipped");
            continue;
        };
        let report = artifacts.iter().find(|a| Some(a.sha256) == record.derived_from);
        let scan = report.and_then(|r| r.scan.as_ref());
        let complete = scan.is_some_and(|s| s.failed_runs == 0);
        let tool = scan.and_then(|s| s.runs.first()).map(|r| r.tool.clone()).unwrap_or_default();
        let stream = (project.clone(), document.source.name, tool);
        scans.push(Scan { seq, time, stream, findings: document.findings, complete });
    }
    Ok(scans)
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
