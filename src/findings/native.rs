//! Findings of the native JSON reports many pipelines still produce: GitLab security
//! reports, Trivy JSON, Clair (clair-scanner and klar) and Anchore Engine.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Severity;
use super::model::{
    Category, Finding, RedactedSecret, SeveritySource, Target, fingerprint_of, image_repository,
    vulnerability_ids,
};

/// Findings and the producing tool of one report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFindings {
    /// The scanner.
    pub tool: String,
    /// Its version.
    pub version: Option<String>,
    /// Whether the scan declared success, when it says.
    pub successful: Option<bool>,
    /// The findings.
    pub findings: Vec<Finding>,
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8], format: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a valid {format} ({e})"))
}

fn label_severity(label: Option<&str>) -> Severity {
    label.and_then(Severity::from_label).unwrap_or(Severity::Info)
}

/// A vulnerability in a package of a container image, as image scanners report it.
struct ImageVulnerability<'a> {
    tool: &'a str,
    version: Option<&'a str>,
    image: Option<&'a str>,
    digest: Option<&'a str>,
    id: &'a str,
    package: Option<&'a str>,
    installed: Option<&'a str>,
    fixed: Option<&'a str>,
    severity: Severity,
    message: String,
}

/// A container-vulnerability finding, fingerprinted by image repository, package and id, so
/// that every scanner reporting it on any tag of the image gives the same fingerprint.
fn image_vulnerability(v: ImageVulnerability) -> Finding {
    let image = v.image.map(image_repository);
    let package = v.package.unwrap_or_default();
    let fingerprint =
        fingerprint_of(&["image", image.as_deref().unwrap_or_default(), package, v.id]);
    let mut vulnerabilities = vulnerability_ids(v.id);
    if vulnerabilities.is_empty() {
        vulnerabilities.push(v.id.to_string());
    }

    let category = Category::ContainerVulnerability;
    let base = Finding::new(v.tool, v.version, v.id, category, v.severity, SeveritySource::Tool);
    Finding {
        fingerprint,
        vulnerabilities,
        package: v.package.map(str::to_string),
        version: v.installed.map(str::to_string),
        fixed_version: v.fixed.filter(|f| !f.is_empty() && *f != "None").map(str::to_string),
        target: Target { image, image_digest: v.digest.map(str::to_string), path: None },
        message: v.message,
        ..base
    }
}

#[derive(Deserialize)]
struct GitlabReport {
    vulnerabilities: Vec<GitlabVulnerability>,
    scan: GitlabScan,
}

#[derive(Deserialize)]
struct GitlabScan {
    #[serde(rename = "type")]
    report_type: String,
    status: Option<String>,
    scanner: GitlabScanner,
}

#[derive(Deserialize)]
struct GitlabScanner {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct GitlabVulnerability {
    id: Option<String>,
    name: Option<String>,
    message: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    identifiers: Vec<GitlabIdentifier>,
    #[serde(default)]
    location: GitlabLocation,
    raw_source_code_extract: Option<String>,
}

#[derive(Deserialize)]
struct GitlabIdentifier {
    #[serde(rename = "type")]
    kind: String,
    value: Value,
}

#[derive(Deserialize, Default)]
struct GitlabLocation {
    file: Option<String>,
    start_line: Option<u64>,
    image: Option<String>,
    dependency: Option<GitlabDependency>,
}

#[derive(Deserialize)]
struct GitlabDependency {
    package: Option<GitlabPackage>,
    version: Option<String>,
}

#[derive(Deserialize)]
struct GitlabPackage {
    name: Option<String>,
}

/// Findings of a GitLab security report.
///
/// # Errors
///
/// When the bytes are not a GitLab security report.
pub fn gitlab(bytes: &[u8]) -> Result<ReportFindings, String> {
    let report: GitlabReport = parse(bytes, "GitLab security report")?;
    let scanner = &report.scan.scanner;
    let category = match report.scan.report_type.as_str() {
        "container_scanning" | "cluster_image_scanning" => Category::ContainerVulnerability,
        "dependency_scanning" => Category::DependencyVulnerability,
        "secret_detection" => Category::Secret,
        _ => Category::Code,
    };
    let findings = report
        .vulnerabilities
        .iter()
        .map(|v| gitlab_finding(v, category, &scanner.name, scanner.version.as_deref()))
        .collect();
    Ok(ReportFindings {
        tool: scanner.name.clone(),
        version: scanner.version.clone(),
        successful: report.scan.status.as_deref().map(|s| s == "success"),
        findings,
    })
}

fn gitlab_finding(
    v: &GitlabVulnerability,
    category: Category,
    tool: &str,
    version: Option<&str>,
) -> Finding {
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let cwe: Vec<String> = v
        .identifiers
        .iter()
        .filter(|i| i.kind.eq_ignore_ascii_case("cwe"))
        .map(|i| text(&i.value))
        .filter(|v| v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty())
        .map(|v| format!("CWE-{v}"))
        .collect();
    let ids: Vec<String> =
        v.identifiers.iter().flat_map(|i| vulnerability_ids(&text(&i.value))).collect();
    let rule = v
        .identifiers
        .first()
        .map(|i| text(&i.value))
        .unwrap_or_else(|| v.name.clone().unwrap_or_default());
    let severity = label_severity(v.severity.as_deref());
    let message = v
        .message
        .clone()
        .or_else(|| v.name.clone())
        .or_else(|| v.description.clone())
        .unwrap_or_default();
    let dependency = v.location.dependency.as_ref();
    let package = dependency.and_then(|d| d.package.as_ref()).and_then(|p| p.name.clone());
    let installed = dependency.and_then(|d| d.version.clone());

    if category == Category::ContainerVulnerability {
        let id = ids.first().cloned().unwrap_or(rule);
        let mut finding = image_vulnerability(ImageVulnerability {
            tool,
            version,
            image: v.location.image.as_deref(),
            digest: None,
            id: &id,
            package: package.as_deref(),
            installed: installed.as_deref(),
            fixed: None,
            severity,
            message,
        });
        finding.cwe = cwe;
        return finding;
    }

    let location = v.location.file.as_ref().map(|f| match v.location.start_line {
        Some(line) => format!("{f}:{line}"),
        None => f.clone(),
    });
    let mut finding = Finding {
        fingerprint: String::new(),
        tool: tool.to_string(),
        tool_version: version.map(str::to_string),
        rule,
        category,
        severity,
        severity_source: SeveritySource::Tool,
        cwe,
        vulnerabilities: ids,
        package,
        version: installed,
        fixed_version: None,
        purl: None,
        location: location.clone(),
        target: Target { path: v.location.file.clone(), ..Target::default() },
        message,
        secret: None,
    };
    if category == Category::Secret {
        finding.secret = v.raw_source_code_extract.as_deref().map(RedactedSecret::of);
        finding.message =
            format!("{} secret found at {}", finding.rule, location.as_deref().unwrap_or("?"));
    }
    finding.fingerprint = match &v.id {
        Some(id) if !id.is_empty() => fingerprint_of(&["report", tool, "id", id]),
        _ => {
            fingerprint_of(&["code", tool, &finding.rule, location.as_deref().unwrap_or_default()])
        }
    };
    finding
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyReport {
    trivy: Option<TrivyTool>,
    artifact_name: Option<String>,
    artifact_type: Option<String>,
    metadata: Option<TrivyMetadata>,
    #[serde(default)]
    results: Vec<TrivyResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyTool {
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyMetadata {
    #[serde(default)]
    repo_tags: Vec<String>,
    #[serde(default)]
    repo_digests: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyResult {
    target: String,
    #[serde(default)]
    vulnerabilities: Vec<TrivyVulnerability>,
    #[serde(default)]
    secrets: Vec<TrivySecret>,
    #[serde(default)]
    misconfigurations: Vec<TrivyMisconfiguration>,
    class: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyVulnerability {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    pkg_name: Option<String>,
    installed_version: Option<String>,
    fixed_version: Option<String>,
    severity: Option<String>,
    title: Option<String>,
    #[serde(default, rename = "CweIDs")]
    cwe_ids: Vec<String>,
    pkg_identifier: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivySecret {
    #[serde(rename = "RuleID")]
    rule_id: String,
    severity: Option<String>,
    start_line: Option<u64>,
    #[serde(rename = "Match")]
    matched: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyMisconfiguration {
    #[serde(rename = "ID")]
    id: String,
    title: Option<String>,
    severity: Option<String>,
    status: Option<String>,
}

/// Findings of a Trivy JSON report (schema version 2).
///
/// # Errors
///
/// When the bytes are not a Trivy JSON report.
pub fn trivy(bytes: &[u8]) -> Result<ReportFindings, String> {
    let report: TrivyReport = parse(bytes, "Trivy JSON report")?;
    let version = report.trivy.as_ref().and_then(|t| t.version.clone());
    let metadata = report.metadata.as_ref();
    let in_image = report.artifact_type.as_deref() == Some("container_image");
    let image = metadata.and_then(|m| m.repo_tags.first()).or(report.artifact_name.as_ref());
    let digest = metadata
        .and_then(|m| m.repo_digests.first())
        .and_then(|d| d.split_once('@').map(|(_, digest)| digest.to_string()));

    let mut findings = Vec::new();
    for result in &report.results {
        for v in &result.vulnerabilities {
            let severity = label_severity(v.severity.as_deref());
            let message = v.title.clone().unwrap_or_else(|| v.vulnerability_id.clone());
            let mut finding = image_vulnerability(ImageVulnerability {
                tool: "Trivy",
                version: version.as_deref(),
                image: image.map(String::as_str),
                digest: digest.as_deref(),
                id: &v.vulnerability_id,
                package: v.pkg_name.as_deref(),
                installed: v.installed_version.as_deref(),
                fixed: v.fixed_version.as_deref(),
                severity,
                message,
            });
            let os_package = result.class.as_deref() == Some("os-pkgs");
            if !(in_image || os_package) {
                finding.category = Category::DependencyVulnerability;
                finding.target = Target { path: Some(result.target.clone()), ..Target::default() };
            }
            finding.cwe = v.cwe_ids.clone();
            finding.purl = v
                .pkg_identifier
                .as_ref()
                .and_then(|p| p.get("PURL"))
                .and_then(|p| p.as_str())
                .map(str::to_string);
            findings.push(finding);
        }
        for secret in &result.secrets {
            let location = match secret.start_line {
                Some(line) => format!("{}:{line}", result.target),
                None => result.target.clone(),
            };
            let redacted = secret.matched.as_deref().map(RedactedSecret::of);
            let anchor = redacted.as_ref().map(|r| r.sha256.to_hex()).unwrap_or_default();
            let severity = label_severity(secret.severity.as_deref());
            let base = Finding::new(
                "Trivy",
                version.as_deref(),
                &secret.rule_id,
                Category::Secret,
                severity,
                SeveritySource::Tool,
            );
            findings.push(Finding {
                fingerprint: fingerprint_of(&[
                    "code",
                    "Trivy",
                    &secret.rule_id,
                    &result.target,
                    &anchor,
                ]),
                location: Some(location.clone()),
                target: Target { path: Some(result.target.clone()), ..Target::default() },
                message: format!("{} secret found at {location}", secret.rule_id),
                secret: redacted,
                ..base
            });
        }
        for check in result.misconfigurations.iter().filter(|m| m.status.as_deref() != Some("PASS"))
        {
            let severity = label_severity(check.severity.as_deref());
            let base = Finding::new(
                "Trivy",
                version.as_deref(),
                &check.id,
                Category::IacMisconfiguration,
                severity,
                SeveritySource::Tool,
            );
            findings.push(Finding {
                fingerprint: fingerprint_of(&["code", "Trivy", &check.id, &result.target, ""]),
                location: Some(result.target.clone()),
                target: Target { path: Some(result.target.clone()), ..Target::default() },
                message: check.title.clone().unwrap_or_else(|| check.id.clone()),
                ..base
            });
        }
    }
    Ok(ReportFindings { tool: "Trivy".into(), version, successful: None, findings })
}

#[derive(Deserialize)]
struct ClairScannerReport {
    image: String,
    vulnerabilities: Vec<ClairScannerVulnerability>,
}

#[derive(Deserialize)]
struct ClairScannerVulnerability {
    featurename: Option<String>,
    featureversion: Option<String>,
    vulnerability: String,
    severity: Option<String>,
    fixedby: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KlarReport {
    #[serde(default)]
    vulnerabilities: BTreeMap<String, Vec<KlarVulnerability>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KlarVulnerability {
    name: String,
    severity: Option<String>,
    fixed_by: Option<String>,
    feature_name: Option<String>,
    feature_version: Option<String>,
    description: Option<String>,
}

/// Findings of a Clair report, in the clair-scanner or the klar form. Klar reports do not
/// name the image; `image` (from the push) fills that in when known.
///
/// # Errors
///
/// When the bytes are neither form.
pub fn clair(bytes: &[u8]) -> Result<ReportFindings, String> {
    let probe: Value = parse(bytes, "Clair report")?;
    let findings = if probe.get("LayerCount").is_some() || probe.get("Vulnerabilities").is_some() {
        let report: KlarReport = parse(bytes, "klar report")?;
        report
            .vulnerabilities
            .values()
            .flatten()
            .map(|v| {
                let severity = label_severity(v.severity.as_deref());
                let message = v.description.clone().unwrap_or_else(|| v.name.clone());
                image_vulnerability(ImageVulnerability {
                    tool: "klar",
                    version: None,
                    image: None,
                    digest: None,
                    id: &v.name,
                    package: v.feature_name.as_deref(),
                    installed: v.feature_version.as_deref(),
                    fixed: v.fixed_by.as_deref(),
                    severity,
                    message,
                })
            })
            .collect()
    } else {
        let report: ClairScannerReport = parse(bytes, "clair-scanner report")?;
        report
            .vulnerabilities
            .iter()
            .map(|v| {
                let severity = label_severity(v.severity.as_deref());
                let message = v.description.clone().unwrap_or_else(|| v.vulnerability.clone());
                image_vulnerability(ImageVulnerability {
                    tool: "clair-scanner",
                    version: None,
                    image: Some(&report.image),
                    digest: None,
                    id: &v.vulnerability,
                    package: v.featurename.as_deref(),
                    installed: v.featureversion.as_deref(),
                    fixed: v.fixedby.as_deref(),
                    severity,
                    message,
                })
            })
            .collect()
    };
    let tool = if probe.get("LayerCount").is_some() { "klar" } else { "clair-scanner" };
    Ok(ReportFindings { tool: tool.into(), version: None, successful: None, findings })
}

#[derive(Deserialize)]
struct AnchoreReport {
    #[serde(alias = "imageDigest")]
    image_digest: Option<String>,
    #[serde(rename = "imageFullTag")]
    image_full_tag: Option<String>,
    vulnerabilities: Vec<AnchoreVulnerability>,
}

#[derive(Deserialize)]
struct AnchoreVulnerability {
    vuln: String,
    severity: Option<String>,
    package_name: Option<String>,
    package_version: Option<String>,
    fix: Option<String>,
    url: Option<String>,
}

/// Findings of an Anchore Engine `image vuln` report. A digest that is not a valid sha256
/// (some exports redact it) is left out.
///
/// # Errors
///
/// When the bytes are not such a report.
pub fn anchore(bytes: &[u8]) -> Result<ReportFindings, String> {
    let report: AnchoreReport = parse(bytes, "Anchore Engine report")?;
    let digest = report.image_digest.as_deref().filter(|d| {
        d.strip_prefix("sha256:")
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    let findings = report
        .vulnerabilities
        .iter()
        .map(|v| {
            let severity = label_severity(v.severity.as_deref());
            let message = v.url.clone().unwrap_or_else(|| v.vuln.clone());
            image_vulnerability(ImageVulnerability {
                tool: "Anchore Engine",
                version: None,
                image: report.image_full_tag.as_deref(),
                digest,
                id: &v.vuln,
                package: v.package_name.as_deref(),
                installed: v.package_version.as_deref(),
                fixed: v.fix.as_deref(),
                severity,
                message,
            })
        })
        .collect();
    Ok(ReportFindings { tool: "Anchore Engine".into(), version: None, successful: None, findings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/public/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
    }

    fn count(findings: &[Finding], severity: Severity) -> usize {
        findings.iter().filter(|f| f.severity == severity).count()
    }

    #[test]
    fn trivy_json_image_scan() {
        let report = trivy(&read("trivy-alpine39-image.json")).unwrap();
        assert_eq!(report.findings.len(), 6);
        assert_eq!(count(&report.findings, Severity::Critical), 2);
        assert_eq!(count(&report.findings, Severity::Medium), 4);
        let first = &report.findings[0];
        assert_eq!(first.category, Category::ContainerVulnerability);
        assert_eq!(first.target.image.as_deref(), Some("ghcr.io/aquasecurity/trivy-test-images"));
        assert!(first.purl.as_deref().unwrap().starts_with("pkg:apk/alpine/"));
        assert!(report.findings.iter().flat_map(|f| &f.cwe).any(|c| c == "CWE-787"));
    }

    #[test]
    fn the_same_cve_from_trivy_sarif_and_json_is_one_finding() {
        let json = trivy(&read("trivy-alpine310-image.json")).unwrap().findings;
        let sarif_bytes = read("trivy-alpine310-image.sarif");
        let sarif = super::super::sarif::findings(&sarif_bytes).unwrap();
        let mut a: Vec<&str> = json.iter().map(|f| f.fingerprint.as_str()).collect();
        let mut b: Vec<&str> = sarif.iter().map(|f| f.fingerprint.as_str()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn clair_both_forms() {
        let scanner = clair(&read("clair-scanner-ubuntu-bionic.json")).unwrap();
        assert_eq!(scanner.findings.len(), 35);
        assert_eq!(count(&scanner.findings, Severity::Medium), 9);
        assert_eq!(count(&scanner.findings, Severity::Low), 15);
        assert_eq!(count(&scanner.findings, Severity::Info), 11);
        assert!(scanner.findings[0].target.image.as_deref().unwrap().ends_with("/ubuntu"));

        let klar = clair(&read("clair-klar-centos7.json")).unwrap();
        assert_eq!(klar.findings.len(), 6);
        assert_eq!(count(&klar.findings, Severity::Critical), 2, "Defcon1 and Critical");
    }

    #[test]
    fn anchore_reports_and_a_redacted_digest() {
        let all = anchore(&read("anchore-engine-vuln-all-rhel8.json")).unwrap().findings;
        assert_eq!(all.len(), 51);
        assert_eq!(
            (
                count(&all, Severity::Medium),
                count(&all, Severity::Low),
                count(&all, Severity::High)
            ),
            (34, 14, 3)
        );
        assert!(all[0].target.image_digest.as_deref().unwrap().starts_with("sha256:"));
        assert_eq!(
            all[0].target.image.as_deref(),
            Some("registry1.dsop.io/ironbank-staging/cloudbees/core/agent")
        );

        let os = anchore(&read("anchore-engine-vuln-os-debian9.json")).unwrap().findings;
        assert_eq!(os.len(), 23);
        assert!(
            os.iter().all(|f| f.target.image_digest.is_none()),
            "the redacted digest is dropped"
        );
        assert_eq!(os.iter().filter(|f| f.fixed_version.is_some()).count(), 8);
    }

    #[test]
    fn gitlab_reports() {
        let sast = gitlab(&read("gitlab-sast-cwe-v15.json")).unwrap().findings;
        assert_eq!(sast.len(), 3);
        let cwes: Vec<&String> = sast.iter().flat_map(|f| &f.cwe).collect();
        assert_eq!(cwes, ["CWE-79", "CWE-89"], "the non-numeric cwe value is skipped");
        let containers = gitlab(&read("gitlab-container-scanning-v15.json")).unwrap().findings;
        assert_eq!(containers[0].category, Category::ContainerVulnerability);
        assert_eq!(containers[0].target.image.as_deref(), Some("registry/vulnerable-project"));
        assert_eq!(containers[0].package.as_deref(), Some("libc6"));
    }
}
