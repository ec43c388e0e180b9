"""Reads an OSCAL assessment-results file with compliance-trestle's models (which validate it
against the OSCAL version trestle implements), writes it back with trestle, reads that again,
and prints what the test compares, as one JSON object.

usage: python trestle_check.py FILE
Exits 1 with trestle's message when the file does not validate.
"""
import json
import pathlib
import sys
import tempfile

import trestle
import trestle.oscal
from trestle.oscal.assessment_results import AssessmentResults


def summary(model):
    result = model.results[0]
    resources = (model.back_matter.resources or []) if model.back_matter else []
    return {
        "findings": sorted(
            [f.target.target_id, f.target.status.state.value if f.target.status else None]
            for f in (result.findings or [])
        ),
        "observations": sorted(o.uuid for o in (result.observations or [])),
        "risks": len(result.risks or []),
        "hashes": sorted(
            h.value for r in resources for link in (r.rlinks or []) for h in (link.hashes or [])
        ),
    }


def main():
    try:
        model = AssessmentResults.oscal_read(pathlib.Path(sys.argv[1]))
    except Exception as error:  # trestle raises its own error with the validation report
        print(error, file=sys.stderr)
        sys.exit(1)
    written = pathlib.Path(tempfile.mkdtemp()) / "round-trip.json"
    model.oscal_write(written)
    again = AssessmentResults.oscal_read(written)
    print(json.dumps({
        "trestle": trestle.__version__,
        "trestle_oscal_version": trestle.oscal.OSCAL_VERSION,
        "declared": model.metadata.oscal_version.model_dump(mode="json"),
        "summary": summary(model),
        "round_trip": summary(again),
    }))


if __name__ == "__main__":
    main()
