#!/usr/bin/python3
"""Validates tlsharness JSON reports against reports/schema/report-vN.json.

Usage: validate.py REPORT.json [REPORT.json ...]
Exit status 0 if every report is valid, 1 if one is not, 2 on unreadable
input (not a file, not JSON) or a schema this jsonschema cannot use.

Works with Debian 12's python3-jsonschema (4.10) and with later releases: the
validator class is the one the schema's "$schema" names, and the schema's
"$id" is an absolute URI, so its "#/$defs/..." references resolve inside the
document with either generation of jsonschema's reference resolution.
"""
import json
import pathlib
import sys

import jsonschema
import jsonschema.validators

here = pathlib.Path(__file__).resolve().parent
validators = {}  # schema file -> validator, or None when unusable


def validator(schema_path):
    if schema_path in validators:
        return validators[schema_path]
    v = None
    try:
        schema = json.loads(schema_path.read_text())
        cls = jsonschema.validators.validator_for(schema, default=None)
        if cls is None:
            print(f"{schema_path}: this jsonschema does not know $schema {schema.get('$schema')!r}",
                  file=sys.stderr)
        else:
            cls.check_schema(schema)
            v = cls(schema)
    except (OSError, ValueError) as e:
        print(f"{schema_path}: cannot read schema: {e}", file=sys.stderr)
    except jsonschema.exceptions.SchemaError as e:
        print(f"{schema_path}: not a valid schema: {e.message}", file=sys.stderr)
    validators[schema_path] = v
    return v


def check(p):
    """0 valid, 1 invalid, 2 unreadable (message on stderr)."""
    try:
        doc = json.loads(pathlib.Path(p).read_text())
    except (OSError, ValueError) as e:
        print(f"{p}: cannot read report: {e}", file=sys.stderr)
        return 2
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    schema_path = here / "schema" / f"report-v{version}.json"
    if not isinstance(version, int) or isinstance(version, bool) or not schema_path.exists():
        print(f"{p}: not a tlsharness report of a known schema_version (found {version!r})",
              file=sys.stderr)
        return 1
    v = validator(schema_path)
    if v is None:
        return 2
    try:
        errors = sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    except Exception as e:  # a reference the schema cannot resolve: a schema bug
        print(f"{p}: cannot validate against {schema_path}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    for e in errors[:5]:
        where = "/".join(map(str, e.absolute_path)) or "(top level)"
        print(f"{p}: {where}: {e.message}", file=sys.stderr)
    if len(errors) > 5:
        print(f"{p}: ... and {len(errors) - 5} more errors", file=sys.stderr)
    if errors:
        return 1
    print(f"{p}: valid ({len(doc['results'])} results)")
    return 0


def main(paths):
    return max(check(p) for p in paths)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
