#!/usr/bin/python3
"""The CI examples (.github/workflows/, .clusterfuzzlite/) cannot run here:
check what can be checked. Every YAML file parses (python3-yaml) and every
workflow job has a runner and steps that each use an action or run a
command; every repository path the files name exists (a built target, such
as build/harness/tlsharness, by its source). Usage: ci_examples.py [ROOT]"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
files = [
    ".github/workflows/matrix.yml",
    ".github/workflows/cflite_pr.yml",
    ".clusterfuzzlite/project.yaml",
    ".clusterfuzzlite/Dockerfile",
    ".clusterfuzzlite/build.sh",
]
# What the files may name that the build makes: target -> its source.
built = {"build/harness/tlsharness": "harness/src/main.c", "harness/tlsharness": "harness/src/main.c"}
# Output folders the jobs create.
generated = ("reports/out/", "shards/")
try:
    import yaml
except ImportError:
    yaml = None
    print("# skip YAML syntax: python3-yaml is not installed (Debian: python3-yaml)")

problems = []
for f in files:
    path = os.path.join(root, f)
    if not os.path.exists(path):
        problems.append(f"{f} is missing")
        continue
    text = open(path, encoding="utf-8").read()
    if yaml and f.endswith((".yml", ".yaml")):
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            problems.append(f"{f}: not valid YAML: {e}")
            continue
        if not isinstance(doc, dict):
            problems.append(f"{f}: not a mapping")
            continue
        if "/workflows/" in f:
            # YAML 1.1 reads the key `on` as true.
            if not doc.get("jobs") or not (True in doc or "on" in doc):
                problems.append(f"{f}: a workflow needs `on` and `jobs`")
            for name, job in (doc.get("jobs") or {}).items():
                if not job.get("runs-on") or not job.get("steps"):
                    problems.append(f"{f}: job {name} needs runs-on and steps")
                for i, st in enumerate(job.get("steps") or []):
                    if ("uses" in st) == ("run" in st):
                        problems.append(f"{f}: job {name} step {i}: one of uses, run")
                for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs") or []:
                    if need not in doc["jobs"]:
                        problems.append(f"{f}: job {name} needs unknown job {need}")
    # Repository paths: words with a slash under a top-level folder of the
    # tree, or a top-level file; $SRC/tlsharness/PATH in the image.
    names = set(re.findall(r"(?<![\w$/.-])(?:\./)?((?:build|harness|impls|fuzz|docker|corpora|reports|bench|\.clusterfuzzlite)/[\w./-]*|bootstrap\.sh|justfile)", text))
    names |= set(re.findall(r"\$SRC/tlsharness/([\w./-]+)", text))
    for name in sorted(names):
        name = name.rstrip(".")
        if name.startswith(generated):
            continue
        target = built.get(name, name)
        if not os.path.exists(os.path.join(root, target)):
            problems.append(f"{f}: names {name}, which does not exist")
    print(f"ok - {f}")

for p in problems:
    print("not ok -", p)
sys.exit(1 if problems else 0)
