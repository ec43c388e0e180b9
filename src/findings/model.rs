//! One finding model for every report format.

use serde::{Deserialize, Serialize};

use super::Severity;
use crate::digest::Sha256;

/// What kind of weakness a finding is; mapping rules select on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A known vulnerability in a package of a container image.
    ContainerVulnerability,
    /// A known vulnerability in a dependency of the code (SCA).
    DependencyVulnerability,
    /// A weakness in the code itself (SAST).
    Code,
    /// A secret in code or configuration.
    Secret,
    /// A misconfiguration of infrastructure as code or a Dockerfile.
    IacMisconfiguration,
}

/// Where a finding's severity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeveritySource {
    /// SARIF `security-severity` (a CVSS score or a word).
    SecuritySeverity,
    /// A CVSS score given by the report.
    Cvss,
    /// The SARIF level.
    Level,
    /// The tool's own severity field.
    Tool,
}

/// What was scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Image repository without tag or digest (`registry/team/app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Image digest (`sha256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    /// Path inside the scanned tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A secret, never kept in clear: a short prefix to recognise it and a hash to match it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactedSecret {
    /// The first characters (at most 4, and never more than a quarter of the secret).
    pub prefix: String,
    /// SHA-256 of the whole secret.
    pub sha256: Sha256,
}

impl RedactedSecret {
    /// Redacts `secret`.
    pub fn of(secret: &str) -> RedactedSecret {
        let keep = (secret.chars().count() / 4).min(4);
        RedactedSecret {
            prefix: secret.chars().take(keep).collect(),
            sha256: Sha256::of(secret.as_bytes()),
        }
    }
}

/// A finding of one scanner in one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable identity across scans: the report's own fingerprint where it has a usable one,
    /// else a hash of the identifying fields.
    pub fingerprint: String,
    /// The scanner.
    pub tool: String,
    /// The scanner's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// The scanner's rule or check id.
    pub rule: String,
    /// What kind of weakness.
    pub category: Category,
    /// Severity on the common scale.
    pub severity: Severity,
    /// Where the severity came from.
    pub severity_source: SeveritySource,
    /// CWE ids (`CWE-79`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// CVE and GHSA ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<String>,
    /// Affected package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Installed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Version that fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// File and line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What was scanned.
    pub target: Target,
    /// The report's message (for secrets: a description that does not repeat the secret).
    pub message: String,
    /// The secret, redacted, for secret findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<RedactedSecret>,
}

impl Finding {
    /// A finding of `tool`'s `rule`, with every optional field empty and no fingerprint yet.
    pub fn new(
        tool: &str,
        tool_version: Option<&str>,
        rule: &str,
        category: Category,
        severity: Severity,
        severity_source: SeveritySource,
    ) -> Finding {
        Finding {
            fingerprint: String::new(),
            tool: tool.to_string(),
            tool_version: tool_version.map(str::to_string),
            rule: rule.to_string(),
            category,
            severity,
            severity_source,
            cwe: vec![],
            vulnerabilities: vec![],
            package: None,
            version: None,
            fixed_version: None,
            purl: None,
            location: None,
            target: Target::default(),
            message: String::new(),
            secret: None,
        }
    }
}

/// A fingerprint made from identifying fields: `sha256:` and the hash of their
/// NUL-separated concatenation.
pub fn fingerprint_of(parts: &[&str]) -> String {
    format!("sha256:{}", Sha256::of(parts.join("\0").as_bytes()))
}

/// An image reference without tag or digest: `registry:5000/team/app:1.2@sha256:..` gives
/// `registry:5000/team/app`, so that rebuilt or retagged images keep their findings.
pub fn image_repository(reference: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[last_slash..].find(':') {
        Some(colon) => without_digest[..last_slash + colon].to_string(),
        None => without_digest.to_string(),
    }
}

/// CWE ids in rule tags or properties: `external/cwe/cwe-79`, `CWE-79: ...`, `cwe-79`.
pub fn cwe_ids<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut ids: Vec<String> = tags
        .into_iter()
        .filter_map(|tag| {
            let lower = tag.to_ascii_lowercase();
            let at = lower.find("cwe-")?;
            let digits: String = lower[at + 4..].chars().take_while(char::is_ascii_digit).collect();
            (!digits.is_empty()).then(|| format!("CWE-{}", digits.trim_start_matches('0')))
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// CVE and GHSA ids found in `text` (`CVE-1999-0001-package-1` names `CVE-1999-0001`).
pub fn vulnerability_ids(text: &str) -> Vec<String> {
    let upper = text.to_ascii_uppercase();
    let mut ids = Vec::new();
    for (at, _) in upper.match_indices("CVE-") {
        let rest = &upper[at + 4..];
        let year: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let number: String = rest[year.len()..]
            .strip_prefix('-')
            .map(|n| n.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default();
        if year.len() == 4 && number.len() >= 4 {
            ids.push(format!("CVE-{year}-{number}"));
        }
    }
    for (at, _) in upper.match_indices("GHSA-") {
        let candidate = &text[at + 5..];
        let groups: Vec<&str> = candidate.splitn(4, '-').take(3).collect();
        let valid = groups.len() == 3
            && groups.iter().enumerate().all(|(i, g)| {
                let g = if i == 2 { g.get(..4).unwrap_or(g) } else { g };
                g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if valid {
            ids.push(format!("GHSA-{}", candidate[..14].to_ascii_lowercase()));
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_repository_drops_tag_and_digest_but_not_registry_port() {
        assert_eq!(image_repository("registry:5000/team/app:1.2"), "registry:5000/team/app");
        assert_eq!(image_repository("alpine:3.10"), "alpine");
        assert_eq!(image_repository("ghcr.io/org/app@sha256:abcd"), "ghcr.io/org/app");
        assert_eq!(image_repository("registry:5000/app"), "registry:5000/app");
    }

    #[test]
    fn cwe_ids_from_the_usual_tag_forms() {
        let tags = ["external/cwe/cwe-079", "CWE-89: SQL Injection", "security", "cwe-89"];
        assert_eq!(cwe_ids(tags), vec!["CWE-79", "CWE-89"]);
    }

    #[test]
    fn vulnerability_ids_in_text() {
        let text = "CVE-2021-36159 in apk-tools; see GHSA-ABCD-1234-efgh and cve-2019-1549.";
        assert_eq!(
            vulnerability_ids(text),
            vec!["CVE-2019-1549", "CVE-2021-36159", "GHSA-abcd-1234-efgh"]
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let redacted = RedactedSecret::of("AKIAZ7FAKEKEYTEST42Q");
        assert_eq!(redacted.prefix, "AKIA");
        assert_eq!(redacted.sha256, Sha256::of(b"AKIAZ7FAKEKEYTEST42Q"));
        assert_eq!(RedactedSecret::of("abc").prefix, "");
    }
}
