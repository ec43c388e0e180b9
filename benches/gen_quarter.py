#!/usr/bin/env python3
"""Writes the Trivy JSON reports of a synthetic quarter, shaped like the real Trivy report in
tests/fixtures/public/trivy-alpine39-image.json: PROJECTS image streams, each scanned
PUSHES_PER_PROJECT times across 2026-Q3, each scan holding FINDINGS vulnerabilities. Between
two scans of a stream two vulnerabilities are fixed and two new ones appear, so findings
open, age, get fixed and sometimes come back.

usage: gen_quarter.py OUT_DIR PROJECTS PUSHES_PER_PROJECT FINDINGS
Prints one line per report: `time project path`, in push order.
"""
import copy
import json
import os
import sys
from datetime import datetime, timedelta, timezone

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "MEDIUM", "LOW", "LOW", "UNKNOWN"]


def main():
    out, projects, pushes, findings = sys.argv[1], *map(int, sys.argv[2:5])
    here = os.path.dirname(os.path.abspath(__file__))
    fixture = os.path.join(here, "..", "tests", "fixtures", "public", "trivy-alpine39-image.json")
    template = json.load(open(fixture))
    sample = template["Results"][0]["Vulnerabilities"][0]
    for bulky in ("Description", "References", "CVSS", "Fingerprint", "Layer", "VendorSeverity",
                  "PublishedDate", "LastModifiedDate", "DataSource", "PkgIdentifier"):
        sample.pop(bulky, None)
    start = datetime(2026, 7, 1, tzinfo=timezone.utc)
    quarter = timedelta(days=91)
    os.makedirs(out, exist_ok=True)
    lines = []
    for push in range(pushes):
        for project in range(projects):
            report = copy.deepcopy(template)
            repository = f"registry.example/team{project % 17}/service{project}"
            report["ArtifactName"] = f"{repository}:build-{push}"
            report["Metadata"]["RepoTags"] = [f"{repository}:build-{push}"]
            digest = f"{(project * 100003 + push) & 0xFFFFFFFF:064x}"
            report["Metadata"]["RepoDigests"] = [f"{repository}@sha256:{digest}"]
            vulnerabilities = []
            for index in range(push * 2, push * 2 + findings):
                cve = index % (findings * 3)  # ids recur: a fixed finding may come back
                vulnerability = copy.deepcopy(sample)
                vulnerability["VulnerabilityID"] = f"CVE-2026-{project:03d}{cve:05d}"
                vulnerability["PkgName"] = f"pkg{cve % 50}"
                vulnerability["InstalledVersion"] = "1.0.0"
                vulnerability["FixedVersion"] = "1.0.1" if cve % 3 else ""
                vulnerability["Severity"] = SEVERITIES[cve % len(SEVERITIES)]
                vulnerability["Title"] = f"synthetic vulnerability {cve} in pkg{cve % 50}"
                vulnerabilities.append(vulnerability)
            report["Results"] = [dict(template["Results"][0], Vulnerabilities=vulnerabilities)]
            when = start + quarter * (push * projects + project) / (pushes * projects)
            path = os.path.join(out, f"p{project:04d}-{push:04d}.json")
            with open(path, "w") as file:
                json.dump(report, file, separators=(",", ":"))
            lines.append(f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')} project{project} {path}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
