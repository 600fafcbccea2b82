#!/usr/bin/env python3
"""The CLI fuzz harness behind ops/fuzz-cli.

Mutates the catalogue's examples (all 25 kinds) and raw import/append lines, runs submit, log
import, log append, the projections and the read commands of the real binary on a throwaway
data folder, and fails on:
  - any signal (a trap, SIGILL/SIGSEGV) or any exit status other than the documented ones;
  - a crash trace or a multi-line error on stderr;
  - any event stored that is invalid: for every event, what both stores must hold (UTF-8
    without NUL or lone surrogates, actors without control characters, schema versions that
    PostgreSQL holds); for submitted and published events, the published JSON Schema
    (checked here by an independent validator, strict RFC 3339 and code-point lengths);
  - any projection stopped (its position short of the head after `projections run --once`),
    `audit verify` not intact.
With --pg URL the fuzzed log is then copied into PostgreSQL and read through the jsonb view.

Usage: fuzz-cli-helper.py --bin PRESIDIO --cases N [--seed S] [--pg URL]
"""
import argparse
import copy
import datetime
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Submission order that builds a consistent history from the examples.
SCENARIO = [
    ("bridge-census", "BridgeCensused"), ("bridge-census-amendment", "BridgeCensusAmended"), ("bridge-inspection", "BridgeInspected"),
    ("bridge-special-inspection", "SpecialInspectionConcluded"), ("bridge-assessment", "AssessmentConcluded"),
    ("bridge-document", "DocumentAttached"), ("bridge-traffic-measure", "TrafficMeasureChanged"), ("bridge-intervention", "InterventionCompleted"),
    ("bridge-hydraulic-form", "HydraulicFormRecorded"), ("bridge-landslide-form", "LandslideFormRecorded"),
    ("building", "BuildingRegistered"), ("meter-installation", "MeterInstalled"), ("meter-readings", "MeterReadingsRecorded"),
    ("meter-replacement", "MeterReplaced"), ("tariff", "TariffSet"), ("wastesite", "WasteSiteRegistered"),
    ("wastesite-inspection", "WasteSiteInspected"), ("wastesite-sanction", "WasteSiteSanctioned"),
    ("wastesite-follow-up", "WasteSiteFollowUpRecorded"), ("wastesite-fire", "WasteSiteFireReported"),
]
# The alert kinds: people act on alerts with them (they need an alert id that exists).
ALERT_KINDS = [
    ("alert-raised", "AlertRaised"), ("alert-resolution", "AlertResolved"), ("alert-acknowledgement", "AlertAcknowledged"),
    ("alert-escalation", "AlertEscalated"), ("alert-reopening", "AlertReopened"),
]
STREAM_OF = {
    "bridge": lambda o: "bridge-" + str(o.get("bridgeId", "MI0001")), "building": lambda o: "building-" + str(o.get("buildingId", "SC0001")),
    "meter": lambda o: "meter-" + str(o.get("meterId", "SC0001-E1")), "wastesite": lambda o: "wastesite-" + str(o.get("siteId", "WS0001")),
    "tariff": lambda o: "tariff-" + str(o.get("kind", "electricity")), "alert": lambda o: "alert-" + str(o.get("alertId", "a")),
}

INTERESTING = [
    0, -1, 1, 5, 6, 2**31 - 1, 2**31, 2**32, 2**63 - 1, -2**63, 1e308, -1e308, 1.5, 0.1, -0.0, True, False, None, "", " ", "x" * 5000,
    "MI0001\u2028", "MI0001\n", "MI0001\u2029", "MI0001 ", "a\u0000b", "\ud800", "\udc00x", "\U0001F309", "e\u0301" * 1100, "è" * 2001,
    "2024-02-31T25:00:00Z", "2026-02-30T00:00:00Z", "2024-03-12T09:30:00Zjunk", "2024-03-12T09:30:00Z ", "2024-03-12T09:30:00Z\n",
    "2024-03-12T23:59:60Z", "+024-01-01", "0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", "2024-03-12T09:30:00+25:00",
    "2024-03-12t09:30:00z", "2024-03-12T09:30:00.123456789Z", "2024-03-12", "2024-03-12T10:00:00+01:00", [], {}, [1, 2], [None], {"a": 1},
    "SC0001-E1", "WS0001", "SC0001", "MI0002", "alto", "importante", "rollover",
]


def interesting(rng):
    """A fresh copy of one INTERESTING value: a shared list or object put into two places, then mutated in
    one, would change the table itself and could come to contain itself (a run once recursed without end)."""
    return copy.deepcopy(rng.choice(INTERESTING))


RAW_NUMBERS = ["1e400", "-1e400", "1e-400", "123456789012345678901234567890", "1" + "0" * 120, "1E+2", "-0", "0.0000001"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


EXAMPLES = {t: load(os.path.join(ROOT, "events/examples", f"{t}.v1.json")) for _, t in SCENARIO}
SCHEMAS = {}
for name in os.listdir(os.path.join(ROOT, "events/schemas")):
    s = load(os.path.join(ROOT, "events/schemas", name))
    SCHEMAS[s["x-presidio"]["eventType"]] = s
for t in ["AlertRaised", "AlertResolved", "AlertAcknowledged", "AlertEscalated", "AlertReopened"]:
    EXAMPLES[t] = load(os.path.join(ROOT, "events/examples", f"{t}.v1.json"))
KIND_OF = {s["x-presidio"]["eventType"]: s["x-presidio"]["submitKind"] for s in SCHEMAS.values()}

# ---------------------------------------------------------------- an independent validator

DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))\Z", re.ASCII)


def valid_day(y, m, d):
    if not 1800 <= y <= 2199:
        return False
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


def check_format(fmt, v):
    if fmt == "date":
        m = DATE.match(v)
        return bool(m) and valid_day(*map(int, m.groups()))
    if fmt == "date-time":
        m = DATETIME.match(v)
        if not m:
            return False
        y, mo, d, h, mi, s = map(int, m.groups()[:6])
        if m.group(9) and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
            return False
        return valid_day(y, mo, d) and h <= 23 and mi <= 59 and s <= 59
    if fmt == "uuid":
        return bool(re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", v))
    return True


def validate(schema, v, path="$"):
    """Problems of `v` against the subset of JSON Schema the catalogue uses."""
    out = []
    types = schema.get("type")
    types = types if isinstance(types, list) else [types] if types else []
    def is_type(t):
        if t == "null":
            return v is None
        if t == "boolean":
            return isinstance(v, bool)
        if t == "integer":
            return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())
        if t == "number":
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        if t == "string":
            return isinstance(v, str)
        if t == "array":
            return isinstance(v, list)
        if t == "object":
            return isinstance(v, dict)
        return False
    if types and not any(is_type(t) for t in types):
        return [f"{path}: type {type(v).__name__} not in {types}"]
    if v is None:
        return out
    if "enum" in schema and v not in schema["enum"]:
        out.append(f"{path}: {v!r} not in enum")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in schema and v < schema["minimum"]:
            out.append(f"{path}: below minimum")
        if "maximum" in schema and v > schema["maximum"]:
            out.append(f"{path}: above maximum")
    if isinstance(v, str):
        if len(v) < schema.get("minLength", 0) or len(v) > schema.get("maxLength", 1 << 30):
            out.append(f"{path}: length {len(v)}")
        # The published patterns are ^(?:…)$; Python's $ (like ICU's) also matches before a
        # final newline, so the whole-string check uses \Z.
        pattern = schema.get("pattern", "")
        if pattern.endswith("$"):
            pattern = pattern[:-1] + r"\Z"
        if pattern and not re.search(pattern, v):
            out.append(f"{path}: pattern {schema['pattern']} does not match {v!r}")
        if "format" in schema and not check_format(schema["format"], v):
            out.append(f"{path}: not a {schema['format']}: {v!r}")
    if isinstance(v, list):
        if len(v) < schema.get("minItems", 0) or len(v) > schema.get("maxItems", 1 << 30):
            out.append(f"{path}: {len(v)} items")
        for i, x in enumerate(v):
            out += validate(schema.get("items", {}), x, f"{path}[{i}]")
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for r in schema.get("required", []):
            if r not in v or v[r] is None:
                out.append(f"{path}.{r}: required")
        for k, x in v.items():
            if k not in props:
                if schema.get("additionalProperties") is False:
                    out.append(f"{path}.{k}: unknown field")
            else:
                out += validate(props[k], x, f"{path}.{k}")
    return out


def store_problems(e):
    """What no store may hold, whatever wrote the event."""
    out = []
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in e.get("actor", "")):
        out.append("actor with a control character")
    if not 1 <= e.get("schemaVersion", 1) <= 2**31 - 1:
        out.append(f"schemaVersion {e.get('schemaVersion')}")
    def walk(x):
        if isinstance(x, str):
            if "\x00" in x or any(0xD800 <= ord(c) <= 0xDFFF for c in x):
                out.append("NUL or lone surrogate in a string")
        elif isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for k, y in x.items():
                walk(k)
                walk(y)
    walk(e.get("data"))
    walk(e.get("metadata"))
    return out

# ---------------------------------------------------------------- mutations


def leaves(o, path=()):
    yield path
    if isinstance(o, dict):
        for k, v in o.items():
            yield from leaves(v, path + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o[:5]):
            yield from leaves(v, path + (i,))


def set_at(o, path, value):
    if not path:
        return value
    parent = o
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = value
    return o


def mutate_value(rng, o):
    o = json.loads(json.dumps(o))
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        paths = [p for p in leaves(o) if p]
        if not paths:
            break
        path = rng.choice(paths)
        r = rng.random()
        if r < 0.6:
            o = set_at(o, path, interesting(rng))
        elif r < 0.75:
            parent = o
            for p in path[:-1]:
                parent = parent[p]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and parent:
                parent.pop()
        elif r < 0.85 and isinstance(o, dict):
            o[rng.choice(["extra", "BridgeId", "observedat", ""])] = interesting(rng)
        else:
            parent = o
            for p in path[:-1]:
                parent = parent[p]
            cur = parent[path[-1]]
            if isinstance(cur, (int, float)) and not isinstance(cur, bool):
                parent[path[-1]] = rng.choice([cur + 1, cur - 1, -cur, cur * 1000, int(cur) if cur == cur else 0])
            elif isinstance(cur, str):
                parent[path[-1]] = rng.choice([cur + "\u2028", cur[:-1], cur + "x", cur.upper(), cur + "\u0301", " " + cur])
            elif isinstance(cur, list):
                parent[path[-1]] = rng.choice([[], copy.deepcopy(cur * 3), cur[:1]])
    return o


def encode(rng, value):
    """JSON text of `value`, sometimes with raw-level damage or odd number literals."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.7)
    r = rng.random()
    if r < 0.08:
        text = re.sub(r"(?<=: )-?\d+(\.\d+)?", lambda m: rng.choice(RAW_NUMBERS), text, count=1)
    elif r < 0.12 and len(text) > 2:
        text = text[: rng.randrange(1, len(text))]
    elif r < 0.15:
        k = rng.randrange(len(text))
        text = text[:k] + rng.choice(["\\", '"', "}", ",", "\u0000", "\ufeff", "\\u0000", "\\ud800"]) + text[k:]
    elif r < 0.17:
        text = "[" * 300 + "]" * 300
    elif r < 0.19:
        text = text + " x"
    return text.encode("utf-8", "surrogatepass")

# ---------------------------------------------------------------- the runs


class Failure(Exception):
    pass


class Harness:
    def __init__(self, binary, data, rng):
        self.bin, self.data, self.rng = binary, data, rng
        self.counts = {}
        self.failures = []

    def run(self, args, stdin=b"", allowed=(0, 2), what=""):
        # argv as bytes: lone surrogates become invalid UTF-8 (a fair input); NUL cannot be passed.
        argv = [a.encode("utf-8", "surrogatepass").replace(b"\x00", b"0") for a in [self.bin] + args + ["--data", self.data]]
        p = subprocess.run(argv, input=stdin, capture_output=True, timeout=120)
        err = p.stderr.decode("utf-8", "replace")
        key = args[0] if args[0] not in ("log", "queue", "projections") else " ".join(args[:2])
        self.counts[key] = self.counts.get(key, 0) + 1
        problem = None
        if p.returncode < 0:
            problem = f"killed by signal {-p.returncode}"
        elif p.returncode not in allowed:
            problem = f"exit {p.returncode} (allowed {allowed})"
        elif re.search(r"Fatal error|Stack dump|Current stack trace|Illegal instruction|Segmentation", err):
            problem = "crash trace on stderr"
        elif p.returncode == 2 and args[0] == "submit" and not err.lstrip().startswith('{"problems"'):
            problem = "a refused submission without problems JSON"
        elif p.returncode != 0 and args[0] != "submit" and len(err.strip().splitlines()) > 1:
            problem = "a multi-line error"
        if problem:
            self.failures.append(f"{' '.join(args)} {what}: {problem}\n  stdin: {stdin[:300]!r}\n  stderr: {err[:600]}")
        return p

    def seed(self):
        for kind, t in SCENARIO:
            p = self.run(["submit", kind, "--actor", "fuzz-submit"], json.dumps(EXAMPLES[t]).encode(), allowed=(0,), what="(seed)")
            if p.returncode != 0:
                raise Failure(f"seeding {kind} failed: {p.stderr.decode()}")

    def case(self, i):
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            kind, t = rng.choice(SCENARIO + ALERT_KINDS)
            value = mutate_value(rng, EXAMPLES[t])
            if rng.random() < 0.1:
                value = [value, mutate_value(rng, EXAMPLES[t])]
            self.run(["submit", kind, "--actor", "fuzz-submit"], encode(rng, value), what=f"case {i}")
        elif r < 0.9:
            lines = []
            for _ in range(rng.choice([1, 1, 2, 5])):
                t = rng.choice(list(EXAMPLES))
                data = mutate_value(rng, EXAMPLES[t]) if rng.random() < 0.8 else EXAMPLES[t]
                cat = SCHEMAS[t]["x-presidio"]["stream"].split("-")[0]
                stream = STREAM_OF[cat](data if isinstance(data, dict) else {}) if rng.random() < 0.85 else rng.choice(
                    ["bridge-MI0001", "bridge-", "nocat", "bridge-MI0001\u2028", "meter-\u0000", "bridge-" + "x" * 300])
                e = {"stream": stream, "type": t if rng.random() < 0.9 else rng.choice(["Foreign", "BridgeInspected ", "", "Alert\nRaised"]), "data": data}
                if rng.random() < 0.15:
                    e["schemaVersion"] = rng.choice([0, 1, 2, 2**31 - 1, 2**31, 2**32 - 1, 2**32, -1, 1.5, "1"])
                if rng.random() < 0.1:
                    e["actor"] = rng.choice(["ins\u0000pector", "a\nb", "", "x" * 300, "ispettore è", "tab\there"])
                if rng.random() < 0.1:
                    e["metadata"] = rng.choice([{"a": "\u0000"}, [], {"a": 1}, "x", {"n": "\ud800"}])
                lines.append(encode(rng, e))
            if r < 0.75:
                self.run(["log", "import", "-"], b"\n".join(lines) + b"\n", what=f"case {i}")
            else:
                e = json.loads(lines[0].decode("utf-8", "surrogatepass")) if self._parses(lines[0]) else None
                if isinstance(e, dict) and isinstance(e.get("stream"), str) and isinstance(e.get("type"), str) and e["type"] and e["stream"]:
                    self.run(["log", "append", "--stream", e["stream"], "--type", e["type"]], encode(rng, e.get("data")), what=f"case {i}")
                else:
                    self.run(["log", "import", "-"], lines[0] + b"\n", what=f"case {i}")
        else:
            ids = ["bridge-MI0001", "bridge-MI9999", "meter-SC0001-E1", "wastesite-WS0001", "building-SC0001", "bridge-MI0001\u2028", "x", "bridge-", "-"]
            c = rng.choice([
                ["asset", rng.choice(ids)], ["asset", "bridge-MI0001", "--as-of", str(rng.choice([0, 1, 5, 10**12]))], ["alerts"], ["alerts", "--json"],
                ["queue", "safety"], ["queue", "inspection"], ["log", "read", "--from", str(rng.choice([1, 3, 10**9]))],
            ])
            self.run(c, allowed=(0, 1, 2), what=f"case {i}")

    @staticmethod
    def _parses(b):
        try:
            json.loads(b.decode("utf-8", "surrogatepass"))
            return True
        except Exception:
            return False

    def checkpoint(self, final=False):
        p = self.run(["projections", "run", "--once"], allowed=(0,), what="(checkpoint)")
        st = self.run(["projections", "status", "--json"], allowed=(0,), what="(checkpoint)")
        stats = self.run(["log", "stats", "--json"], allowed=(0,), what="(checkpoint)")
        if st.returncode == 0 and stats.returncode == 0:
            head = json.loads(stats.stdout)["head"]
            for s in json.loads(st.stdout):
                if s["position"] != head:
                    self.failures.append(f"projection {s['name']} stopped at {s['position']} of {head}")
        self.run(["audit", "verify"], allowed=(0,), what="(checkpoint)")
        for c in (["alerts", "--json"], ["queue", "safety"], ["queue", "inspection"], ["asset", "bridge-MI0001"]):
            self.run(c, allowed=(0,), what="(checkpoint)")
        if final:
            self.check_log()

    def check_log(self):
        p = self.run(["log", "read", "--from", "1"], allowed=(0,), what="(final)")
        self.stored = 0
        self.parked = None
        for line in p.stdout.decode("utf-8", "surrogatepass").split("\n"):
            if not line:
                continue
            e = json.loads(line)
            self.stored += 1
            for prob in store_problems(e):
                self.failures.append(f"stored event {e.get('position')}: {prob}")
            if e.get("actor") == "fuzz-submit" or str(e.get("actor", "")).startswith("projection:"):
                schema = SCHEMAS.get(e["type"])
                probs = validate(schema, e["data"]) if schema else [f"unknown type {e['type']}"]
                for prob in probs[:3]:
                    self.failures.append(f"invalid {e['type']} stored at {e.get('position')} by {e.get('actor')}: {prob}")
        st = self.run(["projections", "status", "--json"], allowed=(0,), what="(final)")
        if st.returncode == 0:
            self.parked = {s["name"]: s["parkedEvents"] for s in json.loads(st.stdout)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    ap.add_argument("--pg", default="")
    a = ap.parse_args()
    print(f"fuzz-cli: seed {a.seed} (re-run with --seed {a.seed})", flush=True)
    work = tempfile.mkdtemp(prefix="presidio-fuzz-cli.")
    try:
        h = Harness(a.bin, os.path.join(work, "data"), random.Random(a.seed))
        h.seed()
        for i in range(a.cases):
            h.case(i)
            if (i + 1) % 100 == 0:
                h.checkpoint()
        h.checkpoint(final=True)
        if a.pg:
            schema = f"fuzz_{a.seed}"
            p = subprocess.run([a.bin, "db", "migrate", "--store", a.pg, "--schema", schema], capture_output=True, timeout=120)
            if p.returncode == 0:
                p = subprocess.run([a.bin, "log", "copy", "--from", h.data, "--to", a.pg, "--schema", schema], capture_output=True, timeout=600)
            if p.returncode != 0:
                h.failures.append(f"log copy to PostgreSQL failed (exit {p.returncode}): {p.stderr.decode()[:500]}")
            else:
                q = subprocess.run(["psql", a.pg, "-Atc", f"SELECT count(data::text), count(metadata::text) FROM {schema}.events_json"], capture_output=True)
                if q.returncode != 0 or q.stdout.decode().split("|")[0].strip() != str(h.stored):
                    h.failures.append(f"the jsonb view does not read every copied row: {q.stdout.decode().strip()} {q.stderr.decode()[:300]}")
                subprocess.run(["psql", a.pg, "-qc", f"DROP SCHEMA {schema} CASCADE"], capture_output=True)
        runs = sum(h.counts.values())
        print(f"fuzz-cli: seed {a.seed}, {a.cases} cases, {runs} command runs ({', '.join(f'{k} {v}' for k, v in sorted(h.counts.items()))}); "
              f"{h.stored} events stored, parked {h.parked}{', copied to PostgreSQL and read through the view' if a.pg and not h.failures else ''}")
        if h.failures:
            print(f"fuzz-cli: {len(h.failures)} failures (seed {a.seed}):", file=sys.stderr)
            for f in h.failures[:40]:
                print("  " + f, file=sys.stderr)
            sys.exit(1)
    except Failure as e:
        print(f"fuzz-cli: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
