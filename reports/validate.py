#!/usr/bin/env python3
"""Validates tlsharness JSON reports against reports/schema/report-vN.json.

Usage: validate.py REPORT.json [REPORT.json ...]
Exit status 0 if every report is valid, 1 otherwise, 2 on unreadable input.
"""
import json
import pathlib
import sys

import jsonschema

here = pathlib.Path(__file__).resolve().parent


def main(paths):
    bad = 0
    for p in paths:
        try:
            doc = json.loads(pathlib.Path(p).read_text())
        except (OSError, ValueError) as e:
            print(f"{p}: cannot read report: {e}", file=sys.stderr)
            return 2
        version = doc.get("schema_version") if isinstance(doc, dict) else None
        schema_path = here / "schema" / f"report-v{version}.json"
        if not schema_path.exists():
            print(f"{p}: unknown schema_version {version!r}", file=sys.stderr)
            bad += 1
            continue
        schema = json.loads(schema_path.read_text())
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)
        for e in errors[:5]:
            print(f"{p}: {'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
        if errors:
            bad += 1
        else:
            print(f"{p}: valid ({len(doc['results'])} results)")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
