#!/usr/bin/env python3
"""Helper of ops/bench-api: registers the bench's assets, and measures fsync and append → alert."""
import http.client, json, os, statistics, sys, time, urllib.parse

def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)

def call(c, method, path, token, body=None):
    h = {"Authorization": f"Bearer {token}"}
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, data

def setup(url, engineer, examples):
    c = conn(url)
    census = json.load(open(os.path.join(examples, "BridgeCensused.v1.json")))
    census.pop("iopCode", None)
    for i in range(100):
        b = dict(census, bridgeId=f"MI{9001 + i:04d}", name=f"Bench bridge {i}", postTensioned=False, hydraulicRisk="absent")
        st, d = call(c, "POST", "/v1/submissions/bridge-census", engineer, b)
        assert st == 201, (st, d[:300])
    building = json.load(open(os.path.join(examples, "BuildingRegistered.v1.json")))
    for i in range(50):
        bid = f"SC{9001 + i:04d}"
        st, d = call(c, "POST", "/v1/submissions/building", engineer, dict(building, buildingId=bid, observedAt="2026-01-01"))
        assert st == 201, (st, d[:300])
        for k in range(1, 5):
            m = {"meterId": f"{bid}-E{k}", "buildingId": bid, "observedAt": "2026-01-01T00:00:00Z", "kind": "electricity", "unit": "kWh",
                 "registerDigits": 9, "multiplier": 1, "intervalMinutes": 15, "initialReading": 0}
            st, d = call(c, "POST", "/v1/submissions/meter-installation", engineer, m)
            assert st == 201, (st, d[:300])

def probe(url, inspector, engineer, data):
    # One fsync on the data disk: 4 KiB written and fdatasync'ed, 300 times.
    path = os.path.join(data, "fsync-probe.tmp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    block = os.urandom(4096)
    lat = []
    for i in range(300):
        os.pwrite(fd, block, (i % 64) * 4096)
        t = time.perf_counter(); os.fdatasync(fd); lat.append((time.perf_counter() - t) * 1000)
    os.close(fd); os.unlink(path)
    lat.sort()
    fsync_p50, fsync_p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
    # Append → alert: a dangerous defect on a bench bridge, then poll GET /v1/alerts.
    post, get = conn(url), conn(url)
    alerts = []
    for i in range(100):
        bridge = f"MI{9001 + i:04d}"
        body = {"bridgeId": bridge, "observedAt": "2026-11-20", "inspector": "ing. Bench", "access": "full", "spansInspected": 1, "bothElevations": True,
                "defects": [{"element": "beam", "span": 1, "instance": "T1", "material": "prestressedConcrete", "code": "C.a./c.a.p._3", "status": "present",
                             "g": 5, "k1": 1, "k2": 1, "ps": True}], "criticalElements": []}
        st, d = call(post, "POST", "/v1/submissions/bridge-inspection", inspector, body)
        assert st == 201, (st, d[:300])
        t0 = time.perf_counter()
        q = f"/v1/alerts?asset=bridge-{bridge}&rule=bridge.dangerousDefect&state=firing"
        while True:
            st, d = call(get, "GET", q, engineer)
            if st == 200 and json.loads(d)["items"]:
                break
            if time.perf_counter() - t0 > 10:
                raise SystemExit(f"alert for {bridge} not seen within 10 s")
        alerts.append((time.perf_counter() - t0) * 1000)
    alerts.sort()
    print(f"RESULT fsync_p50_ms={fsync_p50:.4f} fsync_p99_ms={fsync_p99:.4f} alert_p50_ms={alerts[len(alerts)//2]:.3f} "
          f"alert_p99_ms={alerts[int(len(alerts)*0.99)]:.3f} probes={len(alerts)}")

if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(*sys.argv[2:5])
    else:
        probe(*sys.argv[2:6])
