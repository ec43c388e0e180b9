//! Telling report formats apart by their top-level fields.
//!
//! The probe reads the top-level keys of the first JSON value, skipping every value it does
//! not need without building it. A `runs` array decides for SARIF at once, so a SARIF log,
//! usually the largest report, is not read twice before it is parsed.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::ArtifactKind;

/// The top-level fields that tell report formats apart.
#[derive(Debug, Default)]
pub(super) struct Probe {
    /// `version` (SARIF), when read before the probe stopped.
    pub version: Option<Value>,
    schema: Option<Value>,
    media_type: Option<Value>,
    /// `SchemaVersion` (Trivy JSON).
    pub schema_version: Option<Value>,
    runs: bool,
    scan: bool,
    vulnerabilities: bool,
    critical: bool,
    base64_signature: bool,
    trivy_results: bool,
    unapproved: bool,
    layer_count: bool,
    image_digest: bool,
    /// The probe stopped at `runs`: later keys were not read.
    pub stopped_early: bool,
}

/// The error the probe's visitor raises to stop reading once the format is known. It never
/// reaches users: [`Probe::read`] keeps what was read before it.
const DECIDED: &str = "locker: format decided";

impl Probe {
    /// Reads the first JSON value of `bytes`. Only `cosign download signature` output may
    /// hold several values (one per line); others are refused later by their own parser.
    pub fn read(bytes: &[u8]) -> Result<Probe, String> {
        let mut decided = None;
        let mut json = serde_json::Deserializer::from_slice(bytes);
        let read = ProbeSeed { decided: &mut decided }.deserialize(&mut json);
        if let Some(probe) = decided {
            return Ok(probe);
        }
        match read {
            Ok(probe) => Ok(probe),
            Err(e) if e.is_data() => {
                Err(format!("JSON, but not a JSON object as reports are ({e})"))
            }
            Err(e) if e.is_eof() => Err(format!("truncated JSON ({e})")),
            Err(e) => Err(format!(
                "not JSON ({e}); archive it with --kind attachment if it is meant to be kept as is"
            )),
        }
    }

    fn text(value: &Option<Value>) -> Option<&str> {
        value.as_ref().and_then(|v| v.as_str())
    }

    /// The format these fields belong to.
    pub fn detect(&self) -> Result<ArtifactKind, String> {
        let schema_says_sarif = Self::text(&self.schema).is_some_and(|s| s.contains("sarif"));
        let media_type = Self::text(&self.media_type).unwrap_or_default();

        if self.runs || schema_says_sarif {
            Ok(ArtifactKind::Sarif)
        } else if self.scan && self.vulnerabilities {
            Ok(ArtifactKind::Gitlab)
        } else if self.schema_version.is_some() && self.trivy_results {
            Ok(ArtifactKind::Trivy)
        } else if self.unapproved || self.layer_count {
            Ok(ArtifactKind::Clair)
        } else if self.image_digest && self.vulnerabilities {
            Ok(ArtifactKind::Anchore)
        } else if media_type.starts_with("application/vnd.dev.sigstore.bundle") {
            Ok(ArtifactKind::SigstoreBundle)
        } else if self.base64_signature {
            Ok(ArtifactKind::CosignSignature)
        } else if self.critical {
            Ok(ArtifactKind::CosignPayload)
        } else {
            Err("JSON, but not a format locker reads (SARIF 2.1.0, GitLab security report, \
                 Trivy, Clair or Anchore JSON, cosign signature or payload, Sigstore bundle); \
                 archive it with --kind attachment if it is meant to be kept as is"
                .to_string())
        }
    }
}

/// Reads a [`Probe`]; when it stops early, leaves what it read in `decided`.
struct ProbeSeed<'p> {
    decided: &'p mut Option<Probe>,
}

impl<'de> DeserializeSeed<'de> for ProbeSeed<'_> {
    type Value = Probe;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Probe, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProbeSeed<'_> {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut probe = Probe::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            // A present key whose value is null counts as absent, as for optional fields.
            let flag = |map: &mut A| -> Result<bool, A::Error> {
                Ok(map.next_value::<Option<IgnoredAny>>()?.is_some())
            };
            match key.as_ref() {
                "runs" => {
                    probe.runs = true;
                    probe.stopped_early = true;
                    *self.decided = Some(probe);
                    return Err(de::Error::custom(DECIDED));
                }
                "version" => probe.version = map.next_value()?,
                "$schema" => probe.schema = map.next_value()?,
                "mediaType" => probe.media_type = map.next_value()?,
                "SchemaVersion" => probe.schema_version = map.next_value()?,
                "scan" => probe.scan = flag(&mut map)?,
                "vulnerabilities" => probe.vulnerabilities = flag(&mut map)?,
                "critical" => probe.critical = flag(&mut map)?,
                "Base64Signature" => probe.base64_signature = flag(&mut map)?,
                "Results" => probe.trivy_results = flag(&mut map)?,
                "unapproved" => probe.unapproved = flag(&mut map)?,
                "LayerCount" => probe.layer_count = flag(&mut map)?,
                "imageDigest" | "image_digest" => probe.image_digest = flag(&mut map)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(probe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_decides_without_reading_further() {
        // What follows `runs` is never read: not even the broken tail.
        let probe = Probe::read(br#"{"version": "2.1.0", "runs": [], "x": "#).unwrap();
        assert!(probe.stopped_early);
        assert_eq!(probe.detect().unwrap(), ArtifactKind::Sarif);
        assert_eq!(probe.version.unwrap(), "2.1.0");
    }

    #[test]
    fn other_formats_are_read_to_the_end() {
        let trivy = br#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": []}"#;
        let probe = Probe::read(trivy).unwrap();
        assert!(!probe.stopped_early);
        assert_eq!(probe.detect().unwrap(), ArtifactKind::Trivy);

        let nulls = br#"{"scan": null, "vulnerabilities": []}"#;
        assert!(Probe::read(nulls).unwrap().detect().is_err());
    }

    #[test]
    fn not_an_object() {
        assert!(Probe::read(b"[1, 2]").unwrap_err().contains("not a JSON object"));
        assert!(Probe::read(b"{\"a\": ").unwrap_err().contains("truncated"));
        assert!(Probe::read(b"{oops}").unwrap_err().contains("not JSON"));
    }
}
