#!/usr/bin/env python3
"""Writes one large SARIF 2.1.0 log shaped like a real scanner's output.

The tool, its rules and the shape of every result come from a real report
(default: the CodeQL Python report in tests/fixtures/public/codeql-python.sarif). Its
results are repeated over many synthetic source files until the log reaches SIZE_MB:
each copy moves to another file path and line and gets its own fingerprints, so no two
results are alike, as in a large monorepo scan.

usage: gen_sarif.py OUT SIZE_MB [TEMPLATE.sarif]
Prints the file's size in bytes and its number of results.
"""
import copy
import json
import os
import sys


def main():
    out, size_mb = sys.argv[1], float(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "tests", "fixtures", "public", "codeql-python.sarif")
    template = json.load(open(sys.argv[3] if len(sys.argv) > 3 else default))
    target = int(size_mb * 1_000_000)

    run = template["runs"][0]
    samples = run.pop("results")
    run.pop("artifacts", None)  # per-file artifact indexes would not match the moved copies
    for result in samples:
        for location in result.get("locations", []):
            location.get("physicalLocation", {}).get("artifactLocation", {}).pop("index", None)

    # The log is written as a head, the results one by one, and a tail, so that the
    # generator's memory does not grow with the size asked.
    run["results"] = ["@RESULTS@"]
    head, tail = json.dumps(template, indent=1).split('"@RESULTS@"')
    written, count = 0, 0
    with open(out, "w") as f:
        f.write(head)
        written += len(head)
        while written < target:
            result = vary(samples[count % len(samples)], count)
            text = ("" if count == 0 else ",\n") + json.dumps(result)
            f.write(text)
            written += len(text)
            count += 1
        f.write(tail)
    print(os.path.getsize(out), count)


def vary(sample, n):
    """A copy of `sample` as found in another file, at another line."""
    result = copy.deepcopy(sample)
    service, module = n // 5000, n % 397
    for location in result.get("locations", []):
        physical = location.get("physicalLocation", {})
        artifact = physical.get("artifactLocation", {})
        if "uri" in artifact:
            artifact["uri"] = f"services/svc{service:04d}/mod{module:03d}/{artifact['uri']}"
        region = physical.get("region")
        if region and "startLine" in region:
            shift = (n * 7) % 900
            region["startLine"] += shift
            if "endLine" in region:
                region["endLine"] += shift
    # The line hash moves with the code; the other fingerprints (start columns) stay shared
    # between results, as in the real report.
    fingerprints = result.setdefault("partialFingerprints", {})
    fingerprints["primaryLocationLineHash"] = f"{n:016x}:1"
    return result


if __name__ == "__main__":
    main()
