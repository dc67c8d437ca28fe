#!/usr/bin/python3
"""A large tlsharness report made from real ones, for the HTML page at scale.

Usage: big_report.py -o DIR [--results N] [--distinct M] REPORT.json [REPORT.json ...]

Writes DIR/report.json with N results (default 60,000) over nine backends
(81 client x server pairs: the backends of the inputs first, then the
project's other backend names), as many scenario rows as N needs (N / 81).
Every result copies a real result of the inputs - verdict, raw verdict,
expected and observed text, error, alerts, duration - under a new scenario
id (the real id plus "/xK"), with its real transcript: DIR/transcripts/ holds
M files (default: one per result), hard links to (or copies of) the real
.tlstr files, so the page gets M distinct transcripts of realistic content
and size. The result templates rotate with the pair, so that a row mixes
verdicts the way a real matrix does. Deterministic: the same inputs give the
same report.
"""
import argparse
import json
import os
import pathlib
import shutil
import sys

BACKEND_NAMES = ["openssl", "boringssl", "gnutls", "wolfssl", "mbedtls", "bearssl", "nss", "botan", "pep748"]
VERDICTS = ["PASS", "PASS-LOOSE", "FAIL", "UNSUPPORTED", "XFAIL", "XPASS", "CRASH", "TIMEOUT", "HARNESS-ERROR"]


def load(paths):
    """The inputs' results (transcript paths made absolute) and backends."""
    results, backends, first = [], {}, None
    for p in paths:
        p = pathlib.Path(p)
        rep = json.loads(p.read_text())
        first = first or rep
        for b in rep.get("backends", []):
            backends.setdefault(b["name"], b)
        for r in rep["results"]:
            r = dict(r)
            if r.get("transcript"):
                t = pathlib.Path(r["transcript"])
                r["transcript"] = str(t if t.is_absolute() else (p.parent / t).resolve())
            results.append(r)
    if not results:
        sys.exit(f"big_report.py: no result in {', '.join(map(str, paths))}")
    return first, results, backends


def link(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def generate(inputs, out, n=60000, distinct=None):
    """Writes out/report.json; returns its path."""
    first, base, known = load(inputs)
    names = list(known) + [b for b in BACKEND_NAMES if b not in known]
    names = names[:9]
    pairs = [(c, s) for c in names for s in names]
    out = pathlib.Path(out)
    tdir = out / "transcripts"
    if tdir.exists():
        shutil.rmtree(tdir)
    tdir.mkdir(parents=True)
    distinct = n if distinct is None else max(1, min(distinct, n))
    with_tx = [r for r in base if r.get("transcript") and os.path.exists(r["transcript"])]
    rows = list({r["id"]: r for r in base}.values())  # one per scenario id
    made = {}
    results = []
    for k in range(n):
        p = k % len(pairs)
        row = k // len(pairs)
        idt = rows[row % len(rows)]
        tpl = base[(row * 7 + p) % len(base)]
        rid = f"{idt['id']}/x{row // len(rows)}"
        client, server = pairs[p]
        r = {
            "id": rid,
            "family": rid.split("/")[0],
            "params": idt.get("params", ""),
            "title": idt.get("title", ""),
            "spec": idt.get("spec", ""),
            "client": client,
            "server": server,
            "verdict": tpl["verdict"],
            "raw_verdict": tpl.get("raw_verdict", tpl["verdict"]),
            "expected": tpl.get("expected", ""),
            "observed": tpl.get("observed", ""),
            "error": tpl.get("error", ""),
            "xfail_reason": tpl.get("xfail_reason"),
            "alerts": tpl.get("alerts"),
            "duration_ms": tpl.get("duration_ms", 0),
            "transcript": None,
        }
        if with_tx:
            j = k % distinct
            if j not in made:
                src = tpl["transcript"] if tpl.get("transcript") and os.path.exists(tpl["transcript"]) \
                    else with_tx[j % len(with_tx)]["transcript"]
                made[j] = f"transcripts/t{j:06d}.tlstr"
                link(src, out / made[j])
            r["transcript"] = made[j]
        results.append(r)
    backends = []
    for b in names:
        d = dict(known.get(b) or {"name": b, "spec": b, "library_version": f"{b} (synthetic: big_report.py)",
                                   "path": "", "capabilities": [], "expectations": None})
        backends.append(d)
    summary = {v: 0 for v in VERDICTS}
    for r in results:
        summary[r["verdict"]] += 1
    summary["total"] = len(results)
    rep = {
        "schema": first["schema"],
        "schema_version": first["schema_version"],
        "harness": first.get("harness", {}),
        "run": dict(first.get("run", {}), command=f"(big_report.py: {n} results from {len(base)} real ones)"),
        "backends": backends,
        "pairs": [{"client": c, "server": s} for c, s in pairs],
        "summary": summary,
        "results": results,
    }
    path = out / "report.json"
    path.write_text(json.dumps(rep, separators=(",", ":")))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", required=True, help="output folder")
    ap.add_argument("--results", type=int, default=60000)
    ap.add_argument("--distinct", type=int, default=None, help="distinct transcript files (default: one per result)")
    ap.add_argument("reports", nargs="+")
    a = ap.parse_args()
    if a.results < 1:
        ap.error("--results takes a positive number")
    path = generate(a.reports, a.out, a.results, a.distinct)
    print(f"{path}: {a.results} results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
