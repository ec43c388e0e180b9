//! Frameworks, mapping rules and remediation SLAs, loaded from the data files of `controls/`.
//!
//! The built-in files are embedded in the binary, so the tool works from any directory;
//! `--controls DIR` replaces them with an organisation's own. Every file is validated on
//! load and every problem is reported at once, with file and line; the tool refuses to run on
//! invalid data.

mod data;
pub mod state;

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::findings::{Category, Severity};

/// The built-in data files: name and content.
const BUILTIN: [(&str, &str); 5] = [
    ("pci-dss.toml", include_str!("../../controls/pci-dss.toml")),
    ("hipaa.toml", include_str!("../../controls/hipaa.toml")),
    ("soc2.toml", include_str!("../../controls/soc2.toml")),
    ("mappings.toml", include_str!("../../controls/mappings.toml")),
    ("slas.toml", include_str!("../../controls/slas.toml")),
];

/// A framework and its controls.
#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    /// Short id used in references: `pci-dss`, `hipaa`, `soc2`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version of the framework.
    pub version: String,
    /// Its controls, in file order.
    pub controls: Vec<Control>,
}

/// One requirement, standard or criterion.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// The framework's own id (`6.3.3`, `164.312(c)(1)`, `CC7.1`).
    pub id: String,
    /// Paraphrased title.
    pub title: String,
    /// Group it belongs to.
    pub family: String,
    /// Older ids people still cite for it (PCI DSS v3.2.1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub legacy_ids: Vec<String>,
    /// HIPAA: `required` or `addressable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
    /// SOC 2: the criteria category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// A reference to a control: `framework:id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlRef {
    /// Framework id.
    pub framework: String,
    /// Control id.
    pub id: String,
}

impl fmt::Display for ControlRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.framework, self.id)
    }
}

/// A mapping rule: which evidence speaks to which controls, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// `finding`, `scan`, `signature`, `chain` or `store`.
    pub evidence: String,
    /// Finding categories it applies to (any of; empty: all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<Category>,
    /// Severities it applies to (any of; empty: all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// CWE ids it applies to (any of; empty: all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// Scan kinds it applies to, for scan evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scan_kind: Vec<String>,
    /// `verified` or `missing`, for signature evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The check, for scan, chain and store evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// The controls it speaks to.
    pub controls: Vec<ControlRef>,
    /// Why.
    pub rationale: String,
    /// True when the mapping is this project's judgment rather than a public mapping.
    pub judgment: bool,
    /// The public mapping it follows, when not a judgment.
    pub source: String,
}

/// When the remediation clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// From the release of the fix (PCI DSS 6.3.3).
    FixAvailable,
    /// From the first detection.
    Detected,
}

/// A remediation deadline for one severity under one framework.
#[derive(Debug, Clone, Serialize)]
pub struct Sla {
    /// Framework id.
    pub framework: String,
    /// Severity.
    pub severity: Severity,
    /// Days allowed.
    pub days: u32,
    /// When the days start.
    pub clock: Clock,
    /// Why.
    pub rationale: String,
}

/// Frameworks, rules and SLAs in force.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Controls {
    /// The frameworks.
    pub frameworks: Vec<Framework>,
    /// The mapping rules.
    pub rules: Vec<Rule>,
    /// The remediation SLAs.
    pub slas: Vec<Sla>,
}

/// One problem in a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    /// The file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DataProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in a set of data files.
#[derive(Debug, thiserror::Error)]
pub struct ControlsError {
    /// The problems, by file and line.
    pub problems: Vec<DataProblem>,
}

impl fmt::Display for ControlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the control data is invalid ({} problems); nothing was run:",
            self.problems.len()
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl Rule {
    /// Whether this rule maps `finding`: finding evidence, and every condition it sets holds.
    pub fn matches_finding(&self, finding: &crate::findings::Finding) -> bool {
        self.evidence == "finding"
            && (self.category.is_empty() || self.category.contains(&finding.category))
            && (self.severity.is_empty() || self.severity.contains(&finding.severity))
            && (self.cwe.is_empty() || finding.cwe.iter().any(|c| self.cwe.contains(c)))
    }
}

impl Controls {
    /// The remediation SLAs of `framework`, or of every framework.
    pub fn slas_for(&self, framework: Option<&str>) -> Vec<Sla> {
        let wanted = |sla: &&Sla| framework.is_none_or(|f| f == sla.framework);
        self.slas.iter().filter(wanted).cloned().collect()
    }

    /// The rules that map `finding`.
    pub fn rules_for_finding(&self, finding: &crate::findings::Finding) -> Vec<&Rule> {
        self.rules.iter().filter(|r| r.matches_finding(finding)).collect()
    }

    /// The built-in data.
    ///
    /// # Errors
    ///
    /// Never in a released build: a test loads the built-in files.
    pub fn builtin() -> Result<Controls, ControlsError> {
        let files: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(name, text)| (format!("controls/{name}"), text.to_string()))
            .collect();
        data::load(&files)
    }

    /// Every `*.toml` file of `dir` and of `dir/mappings/`.
    ///
    /// # Errors
    ///
    /// Unreadable files and every problem of the data.
    pub fn load_dir(dir: &Path) -> Result<Controls, ControlsError> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for folder in [dir.to_path_buf(), dir.join("mappings")] {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(_) if folder != dir => continue,
                Err(e) => {
                    let file = dir.display().to_string();
                    problems.push(DataProblem { file, line: None, message: e.to_string() });
                    continue;
                }
            };
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.retain(|p| p.extension().is_some_and(|e| e == "toml"));
            paths.sort();
            for path in paths {
                let file = path.display().to_string();
                match std::fs::read_to_string(&path) {
                    Ok(text) => files.push((file, text)),
                    Err(e) => {
                        problems.push(DataProblem { file, line: None, message: e.to_string() })
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(ControlsError { problems });
        }
        data::load(&files)
    }

    /// The control `reference` (`6.3.3`, or `pci-dss:6.3.3` when ids are ambiguous).
    pub fn find(&self, reference: &str) -> Vec<(&Framework, &Control)> {
        let (framework, id) = match reference.split_once(':') {
            Some((f, id)) if self.frameworks.iter().any(|fw| fw.id == f) => (Some(f), id),
            _ => (None, reference),
        };
        self.frameworks
            .iter()
            .filter(|f| framework.is_none_or(|wanted| f.id == wanted))
            .flat_map(|f| f.controls.iter().filter(|c| c.id == id).map(move |c| (f, c)))
            .collect()
    }

    /// The rules that map to `framework:control`.
    pub fn rules_for(&self, framework: &str, control: &str) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.controls.iter().any(|c| c.framework == framework && c.id == control))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_is_valid_and_every_reference_resolves() {
        let controls = Controls::builtin().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(controls.frameworks.len(), 3);
        for rule in &controls.rules {
            for reference in &rule.controls {
                let found = controls.find(&reference.to_string());
                assert_eq!(found.len(), 1, "{} -> {reference}", rule.id);
            }
        }
        assert!(!controls.find("6.3.3").is_empty());
        assert!(!controls.find("164.312(c)(1)").is_empty());
        assert!(!controls.find("CC7.1").is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let catalog = "[framework]\nid = \"x\"\nname = \"X\"\nversion = \"1\"\n\n[[control]]\nid = \"1.1\"\ntitle = \"t\"\nfamily = \"f\"\ncolour = \"red\"\n\n[[control]]\nid = \"1.1\"\ntitle = \"t\"\nfamily = \"f\"\n";
        let rules = "[[rule]]\nid = \"a\"\nevidence = \"finding\"\nseverity = [\"severe\"]\ncontrols = [\"x:9.9\"]\nrationale = \"r\"\njudgment = true\nsource = \"\"\n\n[[rule]]\nid = \"a\"\nevidence = \"finding\"\ncontrols = [\"x:1.1\"]\nrationale = \"r\"\njudgment = true\nsource = \"\"\n";
        let files = vec![
            ("c.toml".to_string(), catalog.to_string()),
            ("m.toml".to_string(), rules.to_string()),
        ];
        let error = data::load(&files).unwrap_err();
        let shown: Vec<String> = error.problems.iter().map(|p| p.to_string()).collect();
        assert!(shown.contains(&"c.toml:10: unknown key `colour`".to_string()), "{shown:?}");
        assert!(
            shown.iter().any(|s| s.starts_with("c.toml:13: duplicate control id `1.1`")),
            "{shown:?}"
        );
        assert!(shown.iter().any(|s| s.starts_with("m.toml:4: unknown severity")), "{shown:?}");
        assert!(
            shown.iter().any(|s| s.starts_with("m.toml:5: unknown control `x:9.9`")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|s| s.starts_with("m.toml:11: duplicate rule id `a`")),
            "{shown:?}"
        );
        assert_eq!(shown.len(), 5, "{shown:?}");
    }

    #[test]
    fn sla_problems_name_their_line() {
        let catalog = "[framework]\nid = \"x\"\nname = \"X\"\nversion = \"1\"\n";
        let slas = "[[sla]]\nframework = \"x\"\nseverity = \"high\"\ndays = 30\nclock = \"detected\"\nrationale = \"r\"\n\n[[sla]]\nframework = \"x\"\nseverity = \"high\"\ndays = 60\nclock = \"detected\"\nrationale = \"r\"\n\n[[sla]]\nframework = \"nope\"\nseverity = \"low\"\ndays = 60\nclock = \"detected\"\nrationale = \"r\"\n";
        let files = vec![
            ("c.toml".to_string(), catalog.to_string()),
            ("s.toml".to_string(), slas.to_string()),
        ];
        let shown: Vec<String> =
            data::load(&files).unwrap_err().problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                "s.toml:9: a second SLA for x high".to_string(),
                "s.toml:16: SLA for unknown framework `nope`".to_string(),
            ]
        );
    }
}
