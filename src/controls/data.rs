//! Reading and validating the control data files from a parse that keeps spans, so that
//! every problem is reported with its line, all in one pass.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, Value};

use super::{
    Clock, Control, ControlRef, Controls, ControlsError, DataProblem, Framework, Rule, Sla,
};
use crate::findings::{Category, Severity};

const FRAMEWORK_KEYS: [&str; 3] = ["id", "name", "version"];
const CONTROL_KEYS: [&str; 6] =
    ["id", "title", "family", "legacy_ids", "implementation", "category"];
const RULE_KEYS: [&str; 12] = [
    "id",
    "evidence",
    "category",
    "severity",
    "cwe",
    "scan_kind",
    "signature",
    "check",
    "controls",
    "rationale",
    "judgment",
    "source",
];
const SLA_KEYS: [&str; 5] = ["framework", "severity", "days", "clock", "rationale"];
const EVIDENCE: [&str; 5] = ["finding", "scan", "signature", "chain", "store"];
const SCAN_KINDS: [&str; 5] = ["container", "dependency", "sast", "secret", "iac"];
const SIGNATURE: [&str; 2] = ["verified", "missing"];
const CHECKS: [&str; 7] =
    ["verified", "broken", "encrypted", "retention", "scheduled", "stale", "after-change"];
const IMPLEMENTATION: [&str; 2] = ["required", "addressable"];

/// Where an item was read.
struct Place {
    file: String,
    line: Option<usize>,
}

/// A control reference waiting for every catalog to be read.
struct PendingRef {
    file: String,
    line: Option<usize>,
    reference: String,
}

/// Reads `(file name, text)` pairs into the data in force.
pub(super) fn load(files: &[(String, String)]) -> Result<Controls, ControlsError> {
    let mut problems = Vec::new();
    let mut controls = Controls::default();
    let mut refs = Vec::new();
    let mut rule_ids: HashMap<String, ()> = HashMap::new();
    let mut sla_places = Vec::new();

    for (file, text) in files {
        let document = match ImDocument::parse(text.as_str()) {
            Ok(document) => document,
            Err(e) => {
                let line = e.span().map(|s| line_of(text, s.start));
                problems.push(DataProblem {
                    file: file.clone(),
                    line,
                    message: e.message().to_string(),
                });
                continue;
            }
        };
        let mut reader = Reader { file, text, problems: &mut problems };
        reader.document(
            document.as_table(),
            &mut controls,
            &mut refs,
            &mut rule_ids,
            &mut sla_places,
        );
    }

    check_references(&controls, &refs, &mut problems);
    check_slas(&controls, &sla_places, &mut problems);
    if problems.is_empty() { Ok(controls) } else { Err(ControlsError { problems }) }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    problems: &'a mut Vec<DataProblem>,
}

impl Reader<'_> {
    fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        span.map(|s| line_of(self.text, s.start))
    }

    fn problem(&mut self, span: Option<Range<usize>>, message: String) {
        let line = self.line(span);
        self.problems.push(DataProblem { file: self.file.to_string(), line, message });
    }

    fn document(
        &mut self,
        root: &Table,
        controls: &mut Controls,
        refs: &mut Vec<PendingRef>,
        rule_ids: &mut HashMap<String, ()>,
        sla_places: &mut Vec<Place>,
    ) {
        for (key, item) in root.iter() {
            let span = root.get_key_value(key).and_then(|(k, _)| k.span());
            match key {
                "framework" => {}
                "control" => {}
                "rule" => self.rules(item, controls, refs, rule_ids),
                "sla" => self.slas(item, controls, sla_places),
                other => self.problem(span, format!("unknown table `{other}`")),
            }
        }
        if root.contains_key("framework") || root.contains_key("control") {
            self.catalog(root, controls);
        }
    }

    fn unknown_keys(&mut self, table: &Table, allowed: &[&str]) {
        for (key, _) in table.iter() {
            if !allowed.contains(&key) {
                let span = table.get_key_value(key).and_then(|(k, _)| k.span());
                self.problem(span, format!("unknown key `{key}`"));
            }
        }
    }

    fn tables<'t>(&mut self, item: &'t Item, name: &str) -> Vec<&'t Table> {
        match item {
            Item::ArrayOfTables(array) => array.iter().collect(),
            other => {
                self.problem(
                    other.span(),
                    format!("`{name}` must be an array of tables ([[{name}]])"),
                );
                vec![]
            }
        }
    }

    /// A string value, with its span; a problem when missing (and required) or not a string.
    fn string(
        &mut self,
        table: &Table,
        key: &str,
        required: bool,
    ) -> Option<(String, Option<Range<usize>>)> {
        match table.get(key) {
            None if required => {
                self.problem(table.span(), format!("missing key `{key}`"));
                None
            }
            None => None,
            Some(item) => match item.as_str() {
                Some(text) => Some((text.to_string(), item.span())),
                None => {
                    self.problem(item.span(), format!("`{key}` must be a string"));
                    None
                }
            },
        }
    }

    /// A list of strings, each with its span.
    fn strings(&mut self, table: &Table, key: &str) -> Vec<(String, Option<Range<usize>>)> {
        let Some(item) = table.get(key) else {
            return vec![];
        };
        let Some(array) = item.as_array() else {
            self.problem(item.span(), format!("`{key}` must be a list of strings"));
            return vec![];
        };
        let mut values = Vec::new();
        for value in array.iter() {
            match value {
                Value::String(text) => values.push((text.value().clone(), value.span())),
                other => self.problem(other.span(), format!("`{key}` must hold strings only")),
            }
        }
        values
    }

    fn one_of(
        &mut self,
        value: &(String, Option<Range<usize>>),
        allowed: &[&str],
        what: &str,
    ) -> bool {
        let ok = allowed.contains(&value.0.as_str());
        if !ok {
            self.problem(
                value.1.clone(),
                format!("unknown {what} `{}` (expected {})", value.0, allowed.join(", ")),
            );
        }
        ok
    }

    fn catalog(&mut self, root: &Table, controls: &mut Controls) {
        let Some(header) = root.get("framework").and_then(Item::as_table) else {
            self.problem(None, "a catalog needs a [framework] table".into());
            return;
        };
        self.unknown_keys(header, &FRAMEWORK_KEYS);
        let id = self.string(header, "id", true).map(|v| v.0).unwrap_or_default();
        let name = self.string(header, "name", true).map(|v| v.0).unwrap_or_default();
        let version = self.string(header, "version", true).map(|v| v.0).unwrap_or_default();

        let mut seen = HashSet::new();
        let mut list = Vec::new();
        let items =
            root.get("control").map(|item| self.tables(item, "control")).unwrap_or_default();
        for table in items {
            self.unknown_keys(table, &CONTROL_KEYS);
            let Some((control_id, span)) = self.string(table, "id", true) else { continue };
            if !seen.insert(control_id.clone()) {
                self.problem(span, format!("duplicate control id `{control_id}`"));
            }
            let implementation = self.string(table, "implementation", false);
            if let Some(value) = &implementation {
                self.one_of(value, &IMPLEMENTATION, "implementation");
            }
            list.push(Control {
                id: control_id,
                title: self.string(table, "title", true).map(|v| v.0).unwrap_or_default(),
                family: self.string(table, "family", true).map(|v| v.0).unwrap_or_default(),
                legacy_ids: self.strings(table, "legacy_ids").into_iter().map(|v| v.0).collect(),
                implementation: implementation.map(|v| v.0),
                category: self.string(table, "category", false).map(|v| v.0),
            });
        }
        if controls.frameworks.iter().any(|f| f.id == id) {
            let span = header.get("id").and_then(Item::span);
            self.problem(span, format!("framework `{id}` is defined twice"));
        }
        controls.frameworks.push(Framework { id, name, version, controls: list });
    }

    fn rules(
        &mut self,
        item: &Item,
        controls: &mut Controls,
        refs: &mut Vec<PendingRef>,
        rule_ids: &mut HashMap<String, ()>,
    ) {
        for table in self.tables(item, "rule") {
            self.unknown_keys(table, &RULE_KEYS);
            let Some((id, span)) = self.string(table, "id", true) else { continue };
            if rule_ids.insert(id.clone(), ()).is_some() {
                self.problem(span, format!("duplicate rule id `{id}`"));
            }
            let evidence = self.string(table, "evidence", true);
            if let Some(value) = &evidence {
                self.one_of(value, &EVIDENCE, "evidence");
            }
            let severity = self.severities(table);
            let category = self.categories(table);
            let scan_kind = self.strings(table, "scan_kind");
            scan_kind.iter().for_each(|v| {
                self.one_of(v, &SCAN_KINDS, "scan kind");
            });
            let signature = self.string(table, "signature", false);
            if let Some(value) = &signature {
                self.one_of(value, &SIGNATURE, "signature state");
            }
            let check = self.string(table, "check", false);
            if let Some(value) = &check {
                self.one_of(value, &CHECKS, "check");
            }
            let references = self.strings(table, "controls");
            if references.is_empty() {
                self.problem(table.span(), format!("rule `{id}` maps to no control"));
            }
            let mut parsed = Vec::new();
            for (reference, span) in references {
                refs.push(PendingRef {
                    file: self.file.to_string(),
                    line: self.line(span.clone()),
                    reference: reference.clone(),
                });
                match reference.split_once(':') {
                    Some((framework, control)) => {
                        parsed.push(ControlRef { framework: framework.into(), id: control.into() })
                    }
                    None => self.problem(span, format!("`{reference}` is not framework:control")),
                }
            }
            let judgment = match table.get("judgment") {
                Some(item) => item.as_bool().unwrap_or_else(|| {
                    self.problem(item.span(), "`judgment` must be true or false".into());
                    false
                }),
                None => {
                    self.problem(table.span(), "missing key `judgment`".into());
                    false
                }
            };
            controls.rules.push(Rule {
                id,
                evidence: evidence.map(|v| v.0).unwrap_or_default(),
                category,
                severity,
                cwe: self.strings(table, "cwe").into_iter().map(|v| v.0).collect(),
                scan_kind: scan_kind.into_iter().map(|v| v.0).collect(),
                signature: signature.map(|v| v.0),
                check: check.map(|v| v.0),
                controls: parsed,
                rationale: self.string(table, "rationale", true).map(|v| v.0).unwrap_or_default(),
                judgment,
                source: self.string(table, "source", false).map(|v| v.0).unwrap_or_default(),
            });
        }
    }

    fn severities(&mut self, table: &Table) -> Vec<Severity> {
        let mut found = Vec::new();
        for (text, span) in self.strings(table, "severity") {
            match text.parse::<Severity>() {
                Ok(severity) => found.push(severity),
                Err(message) => self.problem(span, message),
            }
        }
        found
    }

    fn categories(&mut self, table: &Table) -> Vec<Category> {
        let mut found = Vec::new();
        for (text, span) in self.strings(table, "category") {
            let parsed: Result<Category, _> =
                serde_json::from_value(serde_json::Value::String(text.clone()));
            match parsed {
                Ok(category) => found.push(category),
                Err(_) => self.problem(span, format!("unknown category `{text}` (expected container-vulnerability, dependency-vulnerability, code, secret, iac-misconfiguration)")),
            }
        }
        found
    }

    fn slas(&mut self, item: &Item, controls: &mut Controls, places: &mut Vec<Place>) {
        for table in self.tables(item, "sla") {
            self.unknown_keys(table, &SLA_KEYS);
            let framework = self.string(table, "framework", true);
            let severity = self.string(table, "severity", true).and_then(|(text, span)| {
                text.parse::<Severity>().map_err(|message| self.problem(span, message)).ok()
            });
            let clock = self.string(table, "clock", true).and_then(|value| {
                self.one_of(&value, &["fix-available", "detected"], "clock").then(|| {
                    if value.0 == "fix-available" { Clock::FixAvailable } else { Clock::Detected }
                })
            });
            let days = match table.get("days") {
                Some(item) => match item.as_integer().and_then(|d| u32::try_from(d).ok()) {
                    Some(days) => Some(days),
                    None => {
                        self.problem(item.span(), "`days` must be a whole number of days".into());
                        None
                    }
                },
                None => {
                    self.problem(table.span(), "missing key `days`".into());
                    None
                }
            };
            let rationale = self.string(table, "rationale", true).map(|v| v.0).unwrap_or_default();
            if let (Some(framework), Some(severity), Some(clock), Some(days)) =
                (framework, severity, clock, days)
            {
                places.push(Place {
                    file: self.file.to_string(),
                    line: self.line(framework.1.clone()),
                });
                controls.slas.push(Sla {
                    framework: framework.0,
                    severity,
                    days,
                    clock,
                    rationale,
                });
            }
        }
    }
}

fn check_references(controls: &Controls, refs: &[PendingRef], problems: &mut Vec<DataProblem>) {
    for pending in refs {
        let Some((framework, id)) = pending.reference.split_once(':') else { continue };
        let exists = controls
            .frameworks
            .iter()
            .any(|f| f.id == framework && f.controls.iter().any(|c| c.id == id));
        if !exists {
            problems.push(DataProblem {
                file: pending.file.clone(),
                line: pending.line,
                message: format!(
                    "unknown control `{}`: no such id in the catalogs",
                    pending.reference
                ),
            });
        }
    }
}

fn check_slas(controls: &Controls, places: &[Place], problems: &mut Vec<DataProblem>) {
    let mut seen = HashSet::new();
    for (sla, place) in controls.slas.iter().zip(places) {
        let mut report = |message: String| {
            problems.push(DataProblem { file: place.file.clone(), line: place.line, message });
        };
        if !controls.frameworks.iter().any(|f| f.id == sla.framework) {
            report(format!("SLA for unknown framework `{}`", sla.framework));
        }
        if !seen.insert((sla.framework.clone(), sla.severity)) {
            report(format!("a second SLA for {} {}", sla.framework, sla.severity));
        }
    }
}
