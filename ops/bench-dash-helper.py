#!/usr/bin/env python3
"""Figures for the dashboard (ops/bench-dash): append -> screen latency and the dash's CPU.

The dashboard runs in tmux with --trace, which records when each alert is first drawn. This
helper submits dangerous-defect inspections (each raises a bridge.dangerousDefect alert) at a
steady pace, then joins each AlertRaised event's recorded time (from the log) with the moment
the dashboard drew that alert. CPU is read from /proc/<pid>/stat: idle, then while alert
events arrive at a fixed rate (acknowledgements of firing alerts, AlertAcknowledged events).
"""
import argparse, json, os, subprocess, sys, threading, time, urllib.request
from datetime import datetime, timezone

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True)
p.add_argument("--data", required=True)
p.add_argument("--url", required=True)
p.add_argument("--inspector", required=True)
p.add_argument("--engineer", required=True)
p.add_argument("--trace", required=True)
p.add_argument("--pid", type=int, required=True)
p.add_argument("--alerts", type=int, default=100)
p.add_argument("--rate", type=float, default=100.0, help="alert events per second for the load figure")
p.add_argument("--seconds", type=float, default=5.0)
a = p.parse_args()

def call(method, path, token, body=None):
    req = urllib.request.Request(a.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")

def cpu_seconds():
    with open(f"/proc/{a.pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

def cpu_percent(seconds, during=None):
    c0, t0 = cpu_seconds(), time.monotonic()
    if during: during()
    rest = seconds - (time.monotonic() - t0)
    if rest > 0: time.sleep(rest)
    return 100.0 * (cpu_seconds() - c0) / (time.monotonic() - t0)

def paced(items, rate, fn):
    start = time.monotonic()
    for k, item in enumerate(items):
        delay = start + k / rate - time.monotonic()
        if delay > 0: time.sleep(delay)
        threading.Thread(target=fn, args=(item,), daemon=True).start()

idle = cpu_percent(10.0)
print(f"dash CPU idle: {idle:.2f} % of one core over 10 s")

# Bridges without a firing dangerous-defect alert.
firing = set()
cursor = None
while True:
    q = "/v1/alerts?rule=bridge.dangerousDefect&state=firing&limit=1000" + (f"&cursor={cursor}" if cursor else "")
    page = call("GET", q, a.engineer)
    firing |= {x["asset"] for x in page["items"]}
    cursor = page.get("nextCursor")
    if not cursor: break
bridges = [f["id"] for f in call("GET", "/v1/export/geojson?layer=bridges", a.engineer)["features"] if f["id"] not in firing]
if len(bridges) < a.alerts:
    sys.exit(f"only {len(bridges)} bridges without a dangerous-defect alert; need {a.alerts}")
today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
errors = []
def inspect(bridge):
    body = {"bridgeId": bridge[len("bridge-"):], "observedAt": today, "inspector": "bench", "access": "full", "spansInspected": 1,
            "bothElevations": True, "criticalElements": [], "defects": [{"element": "beam", "span": 1, "instance": "T1",
            "material": "prestressedConcrete", "code": "C.a./c.a.p._3", "status": "present", "g": 5, "k1": 1, "k2": 1, "ps": True}]}
    try:
        call("POST", "/v1/submissions/bridge-inspection", a.inspector, body)
    except Exception as e:
        errors.append(str(e))
chosen = bridges[: a.alerts]
paced(chosen, 10.0, inspect)
time.sleep(8)
if errors: sys.exit(f"{len(errors)} submissions failed: {errors[0]}")

raised = {}
out = subprocess.run([a.bin, "log", "read", "--data", a.data, "--category", "alert"], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    e = json.loads(line)
    if e["type"] == "AlertRaised" and e["data"].get("rule") == "bridge.dangerousDefect" and e["data"].get("asset") in chosen:
        t = datetime.fromisoformat(e["recordedAt"].replace("Z", "+00:00")).timestamp()
        raised[e["data"]["alertId"]] = t
drawn = {}
with open(a.trace) as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3: drawn.setdefault(parts[0], int(parts[2]) / 1e6)
lat = sorted((drawn[i] - t) * 1000 for i, t in raised.items() if i in drawn)
missing = [i for i in raised if i not in drawn]
if len(raised) < a.alerts: sys.exit(f"only {len(raised)} of {a.alerts} alerts raised in the log")
if missing: sys.exit(f"{len(missing)} alerts never drawn, e.g. {missing[0]}")
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"append -> screen over {len(lat)} alerts (AlertRaised recorded -> first drawn): p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, max {lat[-1]:.0f} ms")

# Load: acknowledgements of firing alerts, at a fixed rate.
targets = []
cursor = None
while len(targets) < int(a.rate * a.seconds):
    q = "/v1/alerts?state=firing&limit=1000" + (f"&cursor={cursor}" if cursor else "")
    page = call("GET", q, a.engineer)
    targets += [x["id"] for x in page["items"] if not x["acknowledgements"]]
    cursor = page.get("nextCursor")
    if not cursor: break
targets = targets[: int(a.rate * a.seconds)]
def ack(alert_id):
    try:
        call("POST", f"/v1/alerts/{urllib.parse.quote(alert_id, safe='')}/acknowledge", a.engineer, {"note": "bench"})
    except Exception as e:
        errors.append(str(e))
import urllib.parse
loaded = cpu_percent(a.seconds + 2, during=lambda: paced(targets, a.rate, ack))
if errors: print(f"({len(errors)} acknowledgements refused: {errors[0]})")
print(f"dash CPU while {a.rate:.0f} alert events/s arrive ({len(targets)} acknowledgements over {a.seconds:.0f} s, measured over {a.seconds + 2:.0f} s): {loaded:.1f} % of one core")
