//! Findings of a SARIF 2.1.0 log.
//!
//! Rules and results are read with the fields a finding needs; severity follows the same
//! order as the entry summary: `security-severity` on the result, then on its rule, then the
//! level.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_sarif::sarif::{ResultKind, ResultLevel};

use super::Severity;
use super::model::{
    Category, Finding, RedactedSecret, SeveritySource, Target, cwe_ids, fingerprint_of,
    image_repository, vulnerability_ids,
};

/// Tools whose every result is a secret.
const SECRET_TOOLS: [&str; 4] = ["gitleaks", "secretlint", "trufflehog", "detect-secrets"];
/// Tools whose every result is a misconfiguration.
const IAC_TOOLS: [&str; 5] = ["checkov", "hadolint", "kics", "tfsec", "terrascan"];

/// Text borrowed from the log when it holds no escapes; inside containers too.
#[derive(Deserialize, Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    runs: Vec<Run<'a>>,
}

#[derive(Deserialize)]
struct Run<'a> {
    #[serde(borrow)]
    tool: Tool<'a>,
    #[serde(default, borrow)]
    results: Option<Vec<SarifResult<'a>>>,
    properties: Option<RunProperties>,
}

#[derive(Deserialize)]
struct RunProperties {
    #[serde(rename = "imageName")]
    image_name: Option<String>,
    #[serde(rename = "repoTags")]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "repoDigests")]
    repo_digests: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow)]
    driver: Driver<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    semantic_version: Option<Text<'a>>,
    #[serde(default, borrow)]
    rules: Vec<Rule<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    default_configuration: Option<Configuration>,
    #[serde(borrow)]
    properties: Option<Properties<'a>>,
    #[serde(borrow)]
    help: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Configuration {
    level: Option<ResultLevel>,
}

#[derive(Deserialize, Default)]
struct Properties<'a> {
    #[serde(rename = "security-severity", borrow)]
    security_severity: Option<ScoreOrLabel<'a>>,
    #[serde(default, borrow)]
    tags: Vec<Text<'a>>,
    #[serde(default, borrow)]
    purls: Vec<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScoreOrLabel<'a> {
    Score(f64),
    #[serde(borrow)]
    Label(Text<'a>),
}

#[derive(Deserialize, Default)]
struct Message<'a> {
    #[serde(borrow)]
    text: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(borrow)]
    rule_id: Option<Text<'a>>,
    rule_index: Option<i64>,
    level: Option<ResultLevel>,
    kind: Option<ResultKind>,
    #[serde(default, borrow)]
    message: Message<'a>,
    #[serde(default, borrow)]
    locations: Vec<Location<'a>>,
    #[serde(default, borrow)]
    fingerprints: BTreeMap<Text<'a>, Text<'a>>,
    #[serde(default, borrow)]
    partial_fingerprints: BTreeMap<Text<'a>, Text<'a>>,
    #[serde(borrow)]
    properties: Option<Properties<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(borrow)]
    physical_location: Option<PhysicalLocation<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    #[serde(borrow)]
    artifact_location: Option<ArtifactLocation<'a>>,
    #[serde(borrow)]
    region: Option<Region<'a>>,
}

#[derive(Deserialize)]
struct ArtifactLocation<'a> {
    #[serde(borrow)]
    uri: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region<'a> {
    start_line: Option<u64>,
    #[serde(borrow)]
    snippet: Option<Message<'a>>,
}

/// Every finding of a SARIF log (results whose kind is `fail`).
///
/// # Errors
///
/// A description of why the bytes are not a SARIF log.
pub fn findings(bytes: &[u8]) -> Result<Vec<Finding>, String> {
    let log: Log =
        serde_json::from_slice(bytes).map_err(|e| format!("not a valid SARIF 2.1.0 log ({e})"))?;
    Ok(log.runs.iter().flat_map(run_findings).collect())
}

fn run_findings(run: &Run) -> Vec<Finding> {
    let driver = &run.tool.driver;
    let by_id: HashMap<&str, &Rule> =
        driver.rules.iter().filter_map(|r| r.id.as_deref().map(|id| (id, r))).collect();
    let results = run.results.as_deref().unwrap_or_default();
    let shared = shared_fingerprints(results);

    results
        .iter()
        .filter(|r| matches!(r.kind, None | Some(ResultKind::Fail)))
        .map(|result| {
            let rule = result
                .rule_index
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| driver.rules.get(i))
                .or_else(|| result.rule_id.as_deref().and_then(|id| by_id.get(id).copied()));
            finding(run, rule, result, &shared)
        })
        .collect()
}

/// Fingerprint values that several results of a run share: placeholders, not identities
/// (Semgrep writes "requires login" when not logged in; Gitleaks writes empty strings). A
/// value one result repeats under two names still identifies that result.
fn shared_fingerprints<'r>(results: &'r [SarifResult]) -> HashSet<&'r str> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut values: Vec<&str> = Vec::new();
    for result in results {
        values.clear();
        let all = result.fingerprints.values().chain(result.partial_fingerprints.values());
        values.extend(all.map(|value| &**value));
        values.sort_unstable();
        values.dedup();
        for value in &values {
            *counts.entry(value).or_default() += 1;
        }
    }
    counts.into_iter().filter(|(_, n)| *n > 1).map(|(v, _)| v).collect()
}

fn finding(
    run: &Run,
    rule: Option<&Rule>,
    result: &SarifResult,
    shared: &HashSet<&str>,
) -> Finding {
    let driver = &run.tool.driver;
    let rule_id = result
        .rule_id
        .as_deref()
        .or_else(|| rule.and_then(|r| r.id.as_deref()))
        .unwrap_or_default();
    let rule_properties = rule.and_then(|r| r.properties.as_ref());
    let tags: Vec<&str> = rule_properties
        .into_iter()
        .chain(result.properties.as_ref())
        .flat_map(|p| p.tags.iter().map(|tag| &**tag))
        .collect();
    let message = result.message.text.as_deref().unwrap_or_default();
    let help =
        rule.and_then(|r| r.help.as_ref()).and_then(|h| h.text.as_deref()).unwrap_or_default();

    let (severity, severity_source) = severity(rule, result);
    let vulnerabilities = vulnerability_ids(rule_id);
    let category = category(&driver.name, rule, &tags, &vulnerabilities, run, message);
    let package = field(message, &["Package"]).or_else(|| field(help, &["Package"]));
    let version = field(message, &["Installed Version"]).or_else(|| field(help, &["Version"]));
    let fixed_version =
        field(message, &["Fixed Version"]).or_else(|| field(help, &["Fix Version"]));

    let physical = result.locations.iter().find_map(|l| l.physical_location.as_ref());
    let path = physical.and_then(|p| p.artifact_location.as_ref()).and_then(|a| a.uri.as_deref());
    let region = physical.and_then(|p| p.region.as_ref());
    let line = region.and_then(|r| r.start_line);
    let snippet = region.and_then(|r| r.snippet.as_ref()).and_then(|s| s.text.as_deref());
    let target = target(run, category, path, message);

    let mut finding = Finding {
        fingerprint: String::new(),
        tool: driver.name.to_string(),
        tool_version: driver
            .version
            .as_deref()
            .or(driver.semantic_version.as_deref())
            .map(str::to_string),
        rule: rule_id.to_string(),
        category,
        severity,
        severity_source,
        cwe: cwe_ids(tags.iter().copied()),
        vulnerabilities,
        package,
        version,
        fixed_version,
        purl: rule_properties.and_then(|p| p.purls.first()).map(|p| p.to_string()),
        location: path.map(|p| line.map_or(p.to_string(), |l| format!("{p}:{l}"))),
        target,
        message: message.to_string(),
        secret: None,
    };
    if category == Category::Secret {
        redact(&mut finding, snippet);
    }
    finding.fingerprint = fingerprint(&finding, result, snippet, line, shared);
    finding
}

fn severity(rule: Option<&Rule>, result: &SarifResult) -> (Severity, SeveritySource) {
    let declared = |p: Option<&Properties>| {
        p.and_then(|p| p.security_severity.as_ref()).and_then(|s| match s {
            ScoreOrLabel::Score(score) => Severity::from_score(*score),
            ScoreOrLabel::Label(label) => Severity::from_label(label),
        })
    };
    if let Some(severity) = declared(result.properties.as_ref())
        .or_else(|| declared(rule.and_then(|r| r.properties.as_ref())))
    {
        return (severity, SeveritySource::SecuritySeverity);
    }
    let level = result
        .level
        .or_else(|| rule.and_then(|r| r.default_configuration.as_ref()).and_then(|c| c.level))
        .unwrap_or(ResultLevel::Warning);
    (super::level_severity(level), SeveritySource::Level)
}

fn category(
    tool: &str,
    rule: Option<&Rule>,
    tags: &[&str],
    vulnerabilities: &[String],
    run: &Run,
    message: &str,
) -> Category {
    let tool = tool.to_ascii_lowercase();
    let tagged = |word: &str| tags.iter().any(|t| t.eq_ignore_ascii_case(word));
    if SECRET_TOOLS.iter().any(|t| tool.contains(t)) || tagged("secret") {
        return Category::Secret;
    }
    if IAC_TOOLS.iter().any(|t| tool.contains(t)) || tagged("misconfiguration") {
        return Category::IacMisconfiguration;
    }
    if vulnerabilities.is_empty() {
        return Category::Code;
    }
    let rule_name = rule.and_then(|r| r.name.as_deref()).unwrap_or_default();
    let in_image =
        run.properties.as_ref().is_some_and(|p| p.image_name.is_some() || p.repo_tags.is_some())
            || message.contains(" in image ")
            || rule_name == "OsPackageVulnerability";
    if in_image { Category::ContainerVulnerability } else { Category::DependencyVulnerability }
}

fn target(run: &Run, category: Category, path: Option<&str>, message: &str) -> Target {
    let properties = run.properties.as_ref();
    let digest = properties
        .and_then(|p| p.repo_digests.as_ref())
        .and_then(|d| d.first())
        .and_then(|d| d.split_once('@').map(|(_, digest)| digest.to_string()));
    let image = match category {
        Category::ContainerVulnerability => properties
            .and_then(|p| p.repo_tags.as_ref().and_then(|t| t.first()).or(p.image_name.as_ref()))
            .cloned()
            .or_else(|| image_in_message(message))
            .or_else(|| path.map(str::to_string))
            .map(|reference| image_repository(&reference)),
        _ => None,
    };
    let path = if image.is_some() { None } else { path.map(str::to_string) };
    Target { image, image_digest: digest, path }
}

/// Grype writes "... was found in image NAME at: PATH".
fn image_in_message(message: &str) -> Option<String> {
    let rest = message.split(" in image ").nth(1)?;
    let name = rest.split(" at:").next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The value of a `Name: value` line in a message, for the first name present.
fn field(text: &str, names: &[&str]) -> Option<String> {
    text.lines().find_map(|line| {
        names.iter().find_map(|name| {
            let value = line.trim().strip_prefix(name)?.strip_prefix(':')?.trim();
            (!value.is_empty()).then(|| value.to_string())
        })
    })
}

/// Removes the secret from everything the finding shows, keeping a redacted form.
fn redact(finding: &mut Finding, snippet: Option<&str>) {
    let secret = snippet.map(str::trim).filter(|s| !s.is_empty());
    finding.secret = secret.map(RedactedSecret::of);
    let place = finding.location.clone().unwrap_or_else(|| "an unknown place".into());
    finding.message = format!("{} secret found at {place}", finding.rule);
}

fn fingerprint(
    finding: &Finding,
    result: &SarifResult,
    snippet: Option<&str>,
    line: Option<u64>,
    shared: &HashSet<&str>,
) -> String {
    if finding.category == Category::ContainerVulnerability {
        let image = finding.target.image.as_deref().unwrap_or_default();
        let package = finding.package.as_deref().unwrap_or_default();
        let id = finding.vulnerabilities.first().map_or(finding.rule.as_str(), String::as_str);
        return fingerprint_of(&["image", image, package, id]);
    }
    let own = result
        .fingerprints
        .iter()
        .chain(&result.partial_fingerprints)
        .find(|(_, value)| !value.is_empty() && !shared.contains(&value.0.as_ref()));
    if let Some((name, value)) = own {
        return fingerprint_of(&["report", &finding.tool, name, value]);
    }
    let path =
        finding.location.as_deref().unwrap_or_default().split(':').next().unwrap_or_default();
    let anchor = match (&finding.secret, snippet) {
        (Some(secret), _) => secret.sha256.to_hex(),
        (None, Some(text)) => normalize(text),
        (None, None) => line.map(|l| l.to_string()).unwrap_or_default(),
    };
    fingerprint_of(&["code", &finding.tool, &finding.rule, path, &anchor])
}

/// Whitespace-insensitive form of a code snippet, so reformatting keeps the fingerprint.
fn normalize(snippet: &str) -> String {
    snippet.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<Finding> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        findings(&std::fs::read(format!("{root}{path}")).unwrap()).unwrap()
    }

    #[test]
    fn trivy_image_scan() {
        let found = fixture("public/trivy-alpine310-image.sarif");
        assert_eq!(found.len(), 4);
        let first = &found[0];
        assert_eq!(first.category, Category::ContainerVulnerability);
        assert_eq!(first.vulnerabilities, vec!["CVE-2019-1549"]);
        assert_eq!(first.package.as_deref(), Some("libcrypto1.1"));
        assert_eq!(first.fixed_version.as_deref(), Some("1.1.1d-r0"));
        assert_eq!(first.target.image.as_deref(), Some("ghcr.io/aquasecurity/trivy-test-images"));
        assert_eq!(first.severity, Severity::Medium);
        assert_eq!(first.severity_source, SeveritySource::SecuritySeverity);
    }

    #[test]
    fn codeql_cwe_from_rule_tags_and_own_fingerprints() {
        let found = fixture("public/codeql-python.sarif");
        assert_eq!(found.len(), 72);
        assert_eq!(found.iter().filter(|f| !f.cwe.is_empty()).count(), 25);
        assert!(found.iter().all(|f| f.category == Category::Code));
        let distinct: std::collections::HashSet<&str> =
            found.iter().map(|f| f.fingerprint.as_str()).collect();
        assert!(distinct.len() > 60, "report fingerprints are used: {}", distinct.len());
    }

    #[test]
    fn semgrep_placeholder_fingerprints_are_not_used() {
        let found = fixture("scanners/semgrep-sample-app.sarif");
        let distinct: std::collections::HashSet<&str> =
            found.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(distinct.len(), found.len(), "every result keeps its own identity");
    }

    #[test]
    fn a_value_repeated_within_one_result_still_identifies_it() {
        let log = br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
            "results": [
              {"ruleId": "r", "message": {"text": "a"},
               "partialFingerprints": {"one": "same-a", "two": "same-a"}},
              {"ruleId": "r", "message": {"text": "b"},
               "partialFingerprints": {"one": "same-b", "two": "same-b"}},
              {"ruleId": "r", "message": {"text": "c"}, "locations": [{"physicalLocation":
                {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}],
               "partialFingerprints": {"one": "placeholder"}},
              {"ruleId": "r", "message": {"text": "d"}, "locations": [{"physicalLocation":
                {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 4}}}],
               "partialFingerprints": {"one": "placeholder"}}]}]}"#;
        let found = findings(log).unwrap();
        let from_report = |f: &Finding, value: &str| {
            f.fingerprint == fingerprint_of(&["report", "t", "one", value])
        };
        assert!(from_report(&found[0], "same-a"));
        assert!(from_report(&found[1], "same-b"));
        assert!(!from_report(&found[2], "placeholder"), "a value two results share is no identity");
        assert_ne!(found[2].fingerprint, found[3].fingerprint);
    }

    #[test]
    fn secrets_never_appear_in_findings() {
        for path in ["scanners/gitleaks-sample-app.sarif", "scanners/trivy-secret-sample-app.sarif"]
        {
            let found = fixture(path);
            assert!(!found.is_empty());
            let shown = serde_json::to_string(&found).unwrap();
            assert!(!shown.contains("AKIAZ7FAKEKEYTEST42Q"), "{path}: {shown}");
            assert!(found.iter().all(|f| f.category == Category::Secret), "{path}");
        }
        let gitleaks = fixture("scanners/gitleaks-sample-app.sarif");
        assert!(gitleaks.iter().any(|f| f.secret.as_ref().is_some_and(|s| s.prefix == "AKIA")));
    }

    #[test]
    fn misconfiguration_tools() {
        for path in ["scanners/checkov-sample-app.sarif", "scanners/hadolint-sample-app.sarif"] {
            assert!(fixture(path).iter().all(|f| f.category == Category::IacMisconfiguration));
        }
        let trivy = fixture("scanners/trivy-misconfig-sample-app.sarif");
        assert!(trivy.iter().all(|f| f.category == Category::IacMisconfiguration));
    }

    #[test]
    fn grype_image_names_the_image_in_its_message() {
        let found = fixture("public/grype-image.sarif");
        assert_eq!(found[0].category, Category::ContainerVulnerability);
        assert_eq!(found[0].target.image.as_deref(), Some("user-input"));
        assert_eq!(found[0].package.as_deref(), Some("package-1"));
        assert_eq!(found[0].vulnerabilities, vec!["CVE-1999-0001"]);
    }
}
