//! OSCAL 1.2.1 assessment results: one result for the period, an observation per evidence
//! entry, a finding per control, a risk per open finding past its deadline, and the artifacts
//! as back-matter resources with their SHA-256. Every UUID is a name-based (v5) UUID of what
//! it stands for, so two exports of one period are identical.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::chain::StoredEntry;
use crate::controls::Controls;
use crate::controls::state::State;
use crate::report::Assessment;
use crate::store::{Store, layout};

/// The OSCAL version the output declares and is valid for.
pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of every UUID this export derives.
const NAMESPACE: Uuid = Uuid::from_u128(0x6d1c_4f0e_5b7a_4c1e_9a43_2f4b_8e0d_7c55);

fn uuid_of(kind: &str, name: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("{kind}\n{name}").as_bytes()).to_string()
}

/// An OSCAL token for a control id: `pci-dss-6.3.3`, `hipaa-164.312_c_1`, `soc2-CC7.1`.
pub fn control_token(framework: &str, id: &str) -> String {
    let mut token = format!("{framework}-");
    for c in id.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '-' | '_' => token.push(c),
            ')' => {}
            _ => token.push('_'),
        }
    }
    token
}

/// What the export is made of.
pub struct OscalInputs<'a> {
    /// The period's name.
    pub label: String,
    /// Generation time.
    pub generated_at: DateTime<Utc>,
    /// The store, for artifact links.
    pub store: &'a dyn Store,
    /// Catalogs and SLAs.
    pub controls: &'a Controls,
    /// Framework asked for, or all.
    pub framework: Option<&'a str>,
}

/// The assessment results document.
pub fn assessment_results(assessment: &Assessment, inputs: &OscalInputs) -> Value {
    let scope = format!("{}\n{}", inputs.store.location(""), inputs.label);
    let entries = evidence_entries(assessment);
    let observations: Vec<Value> = entries.iter().map(|e| observation(e)).collect();
    let resources = resources(&entries, inputs.store);

    let mut result = json!({
        "uuid": uuid_of("result", &scope),
        "title": format!("Evidence of {}", inputs.label),
        "description": format!(
            "Control states derived by evidence-locker from the signed evidence chain at {}, \
             as of {}.",
            inputs.store.location(""),
            assessment.at.to_rfc3339()
        ),
        "start": assessment.period.start.to_rfc3339(),
        "end": assessment.at.to_rfc3339(),
        "reviewed-controls": reviewed_controls(assessment),
        "findings": findings(assessment, &scope, &entries),
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if let Some(checkpoint) = &assessment.checkpoint {
        use base64::Engine as _;
        let root = base64::engine::general_purpose::STANDARD.encode(checkpoint.root);
        result["props"] = json!([{
            "name": "checkpoint",
            "ns": "https://evidence-locker.dev/ns/oscal",
            "value": format!("{} entries, root {root}", checkpoint.size),
        }]);
    }
    let risks = risks(assessment, inputs, &scope);
    if !risks.is_empty() {
        result["risks"] = Value::Array(risks);
    }

    let mut document = json!({
        "uuid": uuid_of("assessment-results", &scope),
        "metadata": {
            "title": format!("evidence-locker assessment results, {}", inputs.label),
            "last-modified": inputs.generated_at.to_rfc3339(),
            "version": inputs.label,
            "oscal-version": OSCAL_VERSION,
        },
        "import-ap": {
            "href": "urn:evidence-locker:assessment-plan:continuous",
            "remarks": "No separate assessment plan: the evidence is what CI pipelines archived \
                        with evidence-locker during the period.",
        },
        "results": [result],
    });
    if !resources.is_empty() {
        document["back-matter"] = json!({ "resources": resources });
    }
    json!({ "assessment-results": document })
}

/// Entries of the period, and earlier ones that control states cite.
fn evidence_entries(assessment: &Assessment) -> Vec<&StoredEntry> {
    let cited: BTreeSet<u64> =
        assessment.states.iter().flat_map(|s| s.entries.iter().copied()).collect();
    assessment
        .entries
        .iter()
        .filter(|e| {
            e.statement().is_some_and(|s| {
                s.predicate.time <= assessment.at
                    && (assessment.period.contains(s.predicate.time) || cited.contains(&e.seq))
            })
        })
        .collect()
}

fn observation(entry: &StoredEntry) -> Value {
    let statement = entry.statement().expect("filtered to readable entries");
    let predicate = &statement.predicate;
    let evidence: Vec<Value> = predicate
        .artifacts
        .iter()
        .map(|a| {
            json!({
                "href": format!("#{}", uuid_of("artifact", &a.sha256.to_string())),
                "description": format!("{} ({}, sha256 {})", a.name, a.kind.as_str(), a.sha256),
            })
        })
        .collect();
    let project = predicate.ci.project.as_deref().unwrap_or("unknown project");
    json!({
        "uuid": uuid_of("entry", &entry.hash.to_string()),
        "title": format!("Evidence entry {}", entry.seq),
        "description": format!(
            "Entry {} of the evidence chain (sha256 {}), pushed by {project} with {} artifact(s).",
            entry.seq,
            entry.hash,
            predicate.artifacts.len()
        ),
        "methods": ["TEST"],
        "collected": predicate.time.to_rfc3339(),
        "relevant-evidence": evidence,
    })
}

fn resources(entries: &[&StoredEntry], store: &dyn Store) -> Vec<Value> {
    let mut artifacts = BTreeMap::new();
    for entry in entries {
        for a in &entry.statement().expect("readable").predicate.artifacts {
            artifacts.entry(a.sha256.to_string()).or_insert((a.name.clone(), a.sha256));
        }
    }
    artifacts
        .into_iter()
        .map(|(hex, (name, sha256))| {
            json!({
                "uuid": uuid_of("artifact", &hex),
                "title": name,
                "rlinks": [{
                    "href": store.location(&layout::artifact_key(&sha256)),
                    "hashes": [{ "algorithm": "SHA-256", "value": hex }],
                }],
            })
        })
        .collect()
}

fn reviewed_controls(assessment: &Assessment) -> Value {
    let included: Vec<Value> = assessment
        .states
        .iter()
        .map(|s| json!({ "control-id": control_token(&s.framework, &s.id) }))
        .collect();
    json!({ "control-selections": [{ "include-controls": included }] })
}

fn findings(assessment: &Assessment, scope: &str, entries: &[&StoredEntry]) -> Vec<Value> {
    let observed: BTreeMap<u64, String> =
        entries.iter().map(|e| (e.seq, uuid_of("entry", &e.hash.to_string()))).collect();
    assessment
        .states
        .iter()
        .map(|s| {
            let token = control_token(&s.framework, &s.id);
            let mut target = json!({
                "type": "objective-id",
                "target-id": token,
                "title": format!("{} {}: {}", s.framework, s.id, s.title),
            });
            let state = serde_json::to_value(s.state).unwrap_or_default();
            match s.state {
                State::Met => target["status"] = json!({ "state": "satisfied" }),
                State::NotMet => target["status"] = json!({ "state": "not-satisfied" }),
                State::NoEvidence | State::NotApplicable => {
                    target["remarks"] = json!(format!("not determined: {}", state.as_str().unwrap_or_default()));
                }
            }
            let mut finding = json!({
                "uuid": uuid_of("finding", &format!("{scope}\n{token}")),
                "title": format!("{} {}", s.framework, s.id),
                "description": if s.reasons.is_empty() { "No reason recorded.".to_string() } else { s.reasons.join(" ") },
                "target": target,
            });
            let related: Vec<Value> = s
                .entries
                .iter()
                .filter_map(|seq| observed.get(seq))
                .map(|uuid| json!({ "observation-uuid": uuid }))
                .collect();
            if !related.is_empty() {
                finding["related-observations"] = Value::Array(related);
            }
            finding
        })
        .collect()
}

fn risks(assessment: &Assessment, inputs: &OscalInputs, scope: &str) -> Vec<Value> {
    let slas = inputs.controls.slas_for(inputs.framework);
    assessment
        .findings_in_period()
        .filter(|t| t.is_open())
        .filter_map(|t| {
            let late = t.sla_states(&slas, assessment.at).into_iter().find(|s| s.state == "overdue")?;
            let finding = &t.finding;
            let what = finding.vulnerabilities.first().unwrap_or(&finding.rule);
            Some(json!({
                "uuid": uuid_of("risk", &format!("{scope}\n{}", finding.fingerprint)),
                "title": format!("{what} ({}) past the {} deadline", finding.severity.as_str(), late.framework),
                "description": finding.message,
                "statement": format!(
                    "Open since {}, due {} under {}; fingerprint {}.",
                    t.first_seen.to_rfc3339(),
                    late.due.to_rfc3339(),
                    late.framework,
                    finding.fingerprint
                ),
                "status": "open",
                "deadline": late.due.to_rfc3339(),
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_become_tokens() {
        assert_eq!(control_token("pci-dss", "6.3.3"), "pci-dss-6.3.3");
        assert_eq!(control_token("hipaa", "164.312(a)(2)(iv)"), "hipaa-164.312_a_2_iv");
        assert_eq!(control_token("soc2", "CC7.1"), "soc2-CC7.1");
    }

    #[test]
    fn uuids_are_stable_and_name_based() {
        let a = uuid_of("entry", "abc");
        assert_eq!(a, uuid_of("entry", "abc"));
        assert_ne!(a, uuid_of("entry", "abd"));
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 5);
    }
}
