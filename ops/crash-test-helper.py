#!/usr/bin/env python3
"""Helper of ops/crash-test: kill -9 `presidio serve` while inspectors and gateways submit over
HTTP, restart it, again and again; then prove that every submission answered 201 is in the log
(its position, its stream, its content), that `audit verify` passes, and report restart times.

Usage: crash-test-helper.py --bin PRESIDIO --data DIR --examples DIR --cycles N [--seed S]
"""
import argparse, http.client, json, os, random, signal, socket, statistics, subprocess, sys, threading, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, binary, data, log_path):
        self.bin, self.data, self.log_path = binary, data, log_path
        self.proc, self.port = None, None

    def start(self):
        self.port = free_port()
        log = open(self.log_path, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.bin, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"], stdout=log, stderr=log)
        while time.monotonic() - t0 < 300:
            if self.proc.poll() is not None:
                raise SystemExit(f"crash-test: presidio serve exited with {self.proc.returncode} while starting (see {self.log_path})")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.02)
        raise SystemExit("crash-test: the server was not ready within 300 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        return self.proc.returncode


class Load:
    """Submitting threads: each keeps what the server acknowledged (201) as (position, stream, marker)."""

    def __init__(self, server, tokens, rng):
        self.server, self.tokens, self.rng = server, tokens, rng
        self.acked, self.sent, self.unanswered, self.refused = [], 0, 0, {}
        self.lock = threading.Lock()
        self.running = False
        self.counter = 0
        self.days = {}

    def next_id(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def body(self, worker):
        n = self.next_id()
        if worker % 2 == 0:
            marker = f"crash-test {n}"
            return "/v1/submissions/bridge-inspection", self.tokens["inspector"], f'"{marker}"', {
                "bridgeId": f"MI{9001 + n % 10:04d}", "observedAt": f"2026-11-{1 + n % 28:02d}", "inspector": marker, "access": "full",
                "spansInspected": 1, "bothElevations": True,
                "defects": [{"element": "bearing", "span": 1, "material": "steel", "code": "Ap_1", "status": "present", "g": 1, "k1": 0.2,
                             "k2": 0.5, "ps": False}], "criticalElements": []}
        # One meter per reading worker, one new day per request from 2020-01-01 (readings only
        # grow); after 2,000 days (before they would reach the future) the worker moves to a fresh meter.
        with self.lock:
            n_day = self.days[worker] = self.days.get(worker, -1) + 1
        generation, day = divmod(n_day, 2000)
        m = (worker // 2) + 3 * generation
        meter = f"SC{9001 + m // 4}-E{1 + m % 4}"
        ts = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(1577836800 + day * 86400))
        base = day * 960.0
        return "/v1/submissions/meter-readings", self.tokens["ingest"], f'"{ts}"', {
            "meterId": meter, "observedAt": ts, "intervalMinutes": 15, "readings": [round(base + i * 10, 1) for i in range(96)]}

    def worker(self, k):
        conn = None
        while self.running:
            path, token, marker, body = self.body(k)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
                conn.request("POST", path, body=json.dumps(body), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                with self.lock:
                    self.sent += 1
                    if r.status == 201:
                        d = json.loads(data)
                        self.acked.append((d["positions"][0], d["streams"][0], marker))
                    else:
                        self.refused[r.status] = self.refused.get(r.status, 0) + 1
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.unanswered += 1
                conn = None
                time.sleep(0.01)

    def run_for(self, seconds, workers=6):
        self.running = True
        threads = [threading.Thread(target=self.worker, args=(k,)) for k in range(workers)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        return threads

    def stop(self, threads):
        self.running = False
        for t in threads:
            t.join()


def call(port, method, path, token, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, r.read()


def setup(port, engineer, examples):
    census = json.load(open(os.path.join(examples, "BridgeCensused.v1.json")))
    census.pop("iopCode", None)
    for i in range(10):
        st, d = call(port, "POST", "/v1/submissions/bridge-census", engineer,
                     dict(census, bridgeId=f"MI{9001 + i:04d}", name=f"Crash bridge {i}", postTensioned=False, hydraulicRisk="absent"))
        assert st in (200, 201), (st, d[:300])
    building = json.load(open(os.path.join(examples, "BuildingRegistered.v1.json")))
    for b in range(9001, 9009):
        st, d = call(port, "POST", "/v1/submissions/building", engineer, dict(building, buildingId=f"SC{b}", observedAt="2019-12-31"))
        assert st in (200, 201), (st, d[:300])
        for k in range(1, 5):
            m = {"meterId": f"SC{b}-E{k}", "buildingId": f"SC{b}", "observedAt": "2019-12-31T00:00:00Z", "kind": "electricity", "unit": "kWh",
                 "registerDigits": 9, "multiplier": 1, "intervalMinutes": 15, "initialReading": 0}
            st, d = call(port, "POST", "/v1/submissions/meter-installation", engineer, m)
            assert st in (200, 201), (st, d[:300])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--cycles", type=int, default=50)
    ap.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    a = ap.parse_args()
    print(f"crash-test: seed {a.seed}, {a.cycles} kill -9 cycles", flush=True)
    rng = random.Random(a.seed)
    tokens = {}
    for role in ("inspector", "ingest", "engineer"):
        p = subprocess.run([a.bin, "tokens", "create", "--role", role, "--name", f"crash-{role}", "--data", a.data], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"crash-test: tokens create failed: {p.stderr}")
        tokens[role] = p.stdout.strip()
    server = Server(a.bin, a.data, os.path.join(os.path.dirname(a.data.rstrip("/")) or ".", "serve.log"))
    restarts = [server.start()]
    setup(server.port, tokens["engineer"], a.examples)
    load = Load(server, tokens, rng)
    for cycle in range(a.cycles):
        threads = load.run_for(rng.uniform(0.3, 1.5))
        server.kill9()
        load.stop(threads)
        restarts.append(server.start())
    # A last stretch without a kill, then a clean stop.
    load.stop(load.run_for(0.5))
    code = server.stop()
    failures = []
    if code != 0:
        failures.append(f"the final graceful stop exited with {code}")
    # Every acknowledged submission, at its position, on its stream, with its content.
    p = subprocess.run([a.bin, "log", "read", "--data", a.data, "--from", "1", "--limit", "100000000"], capture_output=True)
    if p.returncode != 0:
        failures.append(f"log read failed: {p.stderr.decode()[:300]}")
    events = {}
    for line in p.stdout.splitlines():
        e = json.loads(line)
        events[e["position"]] = e
    lost = 0
    for position, stream, marker in load.acked:
        e = events.get(position)
        if e is None or e["stream"] != stream or marker not in json.dumps(e["data"], ensure_ascii=False):
            lost += 1
            if lost <= 5:
                failures.append(f"acknowledged submission missing or different: position {position}, stream {stream}, {marker}: found {str(e)[:200]}")
    v = subprocess.run([a.bin, "audit", "verify", "--data", a.data], capture_output=True, text=True)
    if v.returncode != 0:
        failures.append(f"audit verify exited {v.returncode}: {v.stdout.strip()} {v.stderr.strip()}")
    repairs = sum(1 for e in events.values() if e["type"] == "LogRepaired")
    rs = sorted(restarts[1:])
    print(f"crash-test: {a.cycles} cycles, {load.sent} submissions answered ({len(load.acked)} × 201, refused {load.refused or 'none'}), "
          f"{load.unanswered} cut off by a kill; {len(events)} events in the log, {repairs} torn tails quarantined and recorded; "
          f"lost acknowledged: {lost}; audit verify: {v.stdout.strip()[:80]}")
    print(f"crash-test: restart to ready after kill -9: p50 {statistics.median(rs):.2f} s, max {rs[-1]:.2f} s (first start {restarts[0]:.2f} s)")
    if failures:
        print(f"crash-test: FAILED (seed {a.seed}):", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
