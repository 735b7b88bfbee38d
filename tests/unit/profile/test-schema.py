#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TAP: profiles/profile.schema.json is a valid JSON Schema and accepts the stock profiles.

Skipped (TAP "1..0 # SKIP") when python3-jsonschema or python3-yaml is missing.
"""
import glob
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"1..0 # SKIP {e}")
    sys.exit(0)

here = os.path.dirname(os.path.abspath(__file__))
profiles = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "profiles")
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    failed += 0 if cond else 1
    print(f"{'' if cond else 'not '}ok {n} - {what}")
    return cond


schema = json.load(open(os.path.join(profiles, "profile.schema.json")))
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    ok(True, "the schema is a valid draft 2020-12 schema")
except jsonschema.SchemaError as e:
    ok(False, f"the schema is a valid draft 2020-12 schema: {e.message}")
validator = jsonschema.Draft202012Validator(schema)
for path in sorted(glob.glob(os.path.join(profiles, "*.yaml"))):
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(open(path)))]
    if not ok(not errors, f"{os.path.basename(path)} validates"):
        print(f"# {errors}")
typo = {"version": 1, "rootfs": {"path": "/x", "uper": "none"}}
ok(any(validator.iter_errors(typo)), "an unknown key is refused")
ok(any(validator.iter_errors({"version": 2})), "version 2 is refused")
ok(any(validator.iter_errors({"version": 1, "rootfs": {"path": "/x", "upper": "tmpfs"}})),
   "an unknown upper mode is refused")
print(f"1..{n}")
sys.exit(1 if failed else 0)
