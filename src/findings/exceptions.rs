//! Accepted risks: findings an organisation decided to live with, for a time, with a reason
//! and an approver. An expired exception no longer covers its finding.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Finding;

/// An exceptions file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exceptions {
    /// The exceptions.
    #[serde(default, rename = "exception")]
    pub list: Vec<Exception>,
}

/// One accepted risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// A finding's fingerprint (`sha256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Or a rule id or vulnerability id (`CVE-2019-1549`), covering every finding of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why the risk is accepted.
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// When the acceptance ends.
    pub expires: DateTime<Utc>,
}

impl Exception {
    /// Whether this exception names `finding` (whatever its expiry).
    pub fn names(&self, finding: &Finding) -> bool {
        let by_fingerprint = self.fingerprint.as_deref() == Some(finding.fingerprint.as_str());
        let by_rule = self.rule.as_deref().is_some_and(|rule| {
            finding.rule == rule || finding.vulnerabilities.iter().any(|v| v == rule)
        });
        by_fingerprint || by_rule
    }

    /// Whether it is still in force at `at`.
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        at < self.expires
    }
}

impl Exceptions {
    /// Reads an exceptions file.
    ///
    /// # Errors
    ///
    /// A message naming the file and, for invalid content, the line.
    pub fn load(path: &Path) -> Result<Exceptions, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let exceptions: Exceptions = toml::from_str(&text)
            .map_err(|e| format!("{}: {}", path.display(), e.to_string().trim_end()))?;
        for (index, exception) in exceptions.list.iter().enumerate() {
            if exception.fingerprint.is_none() == exception.rule.is_none() {
                return Err(format!(
                    "{}: exception {} must name exactly one of fingerprint and rule",
                    path.display(),
                    index + 1
                ));
            }
        }
        Ok(exceptions)
    }

    /// The exception naming `finding`, if any, active or not.
    pub fn for_finding(&self, finding: &Finding) -> Option<&Exception> {
        self.list.iter().find(|e| e.names(finding))
    }

    /// Whether an exception in force at `at` covers `finding`.
    pub fn covers(&self, finding: &Finding, at: DateTime<Utc>) -> bool {
        self.list.iter().any(|e| e.names(finding) && e.active_at(at))
    }
}
