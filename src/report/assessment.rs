//! The evidence of one period, read once from the store: entries, findings replayed up to the
//! evaluation time, the chain's verification and each control's state. Reports, exports and
//! `controls status` are all views of it.

use chrono::{DateTime, Utc};
use tracing::debug;

use crate::chain::{self, StoredEntry, Verification, VerifyOptions, load_entries};
use crate::controls::Controls;
use crate::controls::state::{self, ControlState, Evidence, SignatureEvidence};
use crate::findings::lifecycle::{History, Tracked};
use crate::ingest::{ScannedImage, SignatureCheck};
use crate::keys::TrustSet;
use crate::period::Period;
use crate::store::Store;

/// A period's evidence and what it establishes.
pub struct Assessment {
    /// The period.
    pub period: Period,
    /// The evaluation time: the earlier of the period's end and the generation time.
    pub at: DateTime<Utc>,
    /// Every entry of the chain, readable or not.
    pub entries: Vec<StoredEntry>,
    /// Findings replayed up to `at`.
    pub history: History,
    /// The chain verified against pinned keys, or `None` when no key is trusted.
    pub verification: Option<Verification>,
    /// Each control's state, for the frameworks asked.
    pub states: Vec<ControlState>,
    /// Signatures pushed up to `at`.
    pub signatures: Vec<SignatureEvidence>,
    /// Image digests scanned in the period, with the entry of each scan.
    pub scanned_images: Vec<(u64, ScannedImage)>,
    /// The checkpoint the period ends on: the first, signed by a pinned key, that covers the
    /// period's last entry.
    pub checkpoint: Option<crate::checkpoint::Checkpoint>,
}

impl Assessment {
    /// Reads the store and evaluates `framework` (or all) for `period` as of `at`.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub fn gather(
        store: &dyn Store,
        controls: &Controls,
        framework: Option<&str>,
        period: Period,
        at: DateTime<Utc>,
        trust: Option<&TrustSet>,
    ) -> Result<Assessment, crate::Error> {
        store.ensure_readable()?;
        let (entries, strays) = load_entries(store)?;
        debug!(entries = entries.len(), "entries read and decoded");
        let history = History::replay(store, &entries, at)?;
        debug!("findings replayed");
        let verification = match trust {
            Some(trust) => {
                let options = VerifyOptions::default();
                Some(chain::verify_loaded(store, &entries, strays, trust, &options)?)
            }
            None => None,
        };
        debug!("chain verified");

        let findings: Vec<&Tracked> =
            history.findings().filter(|t| open_during(t, &period)).collect();
        let mut evidence = Evidence::collect(&entries, &period, at, findings);
        evidence.chain_problems = verification.as_ref().map(|v| v.problems.len());
        let states = state::evaluate(controls, framework, &period, at, &evidence);
        debug!("controls evaluated");
        let (signatures, scanned_images) = (evidence.signatures, evidence.scanned_images);
        let checkpoint = match (trust, last_entry_of(&entries, &period, at)) {
            (Some(trust), Some(last)) => {
                crate::checkpoint::covering(store, trust, &entries, last)?.map(|(head, _)| head)
            }
            _ => None,
        };

        Ok(Assessment {
            period,
            at,
            entries,
            history,
            verification,
            states,
            signatures,
            scanned_images,
            checkpoint,
        })
    }

    /// Findings open at some point of the period.
    pub fn findings_in_period(&self) -> impl Iterator<Item = &Tracked> {
        self.history.findings().filter(|t| open_during(t, &self.period))
    }

    /// Whether a verified signature signs `digest`.
    pub fn is_signed(&self, digest: &str) -> bool {
        self.signatures
            .iter()
            .any(|s| s.check == SignatureCheck::Verified && s.digests.iter().any(|d| d == digest))
    }
}

/// The last entry pushed in the period up to `at`.
fn last_entry_of(entries: &[StoredEntry], period: &Period, at: DateTime<Utc>) -> Option<u64> {
    entries
        .iter()
        .filter(|e| {
            e.statement()
                .is_some_and(|s| period.contains(s.predicate.time) && s.predicate.time <= at)
        })
        .map(|e| e.seq)
        .max()
}

fn open_during(tracked: &Tracked, period: &Period) -> bool {
    tracked.first_seen < period.end && tracked.fixed.is_none_or(|f| f >= period.start)
}
