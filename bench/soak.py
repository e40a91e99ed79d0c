#!/usr/bin/env python3
"""Mixed load against one depot on 127.0.0.1 for a fixed time, with its RSS, open fds and errors sampled; used by
bench/soak.sh (which starts depot and seeds it). N threads, each with its own keep-alive connection, pick:

  list   30 %  item list reads with a filter and a sort, over 200 distinct URLs (cache misses, then hits)
  cached 25 %  the same 8 item URLs again and again (cache hits)
  write  10 %  PATCH of a random item (drops the cached reads of that collection)
  create  3 %  POST of an item, then DELETE of it (the table does not grow)
  upload  4 %  POST /files of a 2–20 KB file, then DELETE /files/:id (the disk does not grow)
  asset  27 %  GET /assets/:id?width=W&format=F over 3 images x 4 widths x 2 formats (derivatives made once, then stored)
  fresh   1 %  GET /assets/:id?width=W&quality=Q with a pair not asked before (a new transform and derivative each time)

Every 5 s: VmRSS and VmHWM of --pid, its open fds (/proc/PID/fd), requests and errors per kind. At the end: totals,
latency, errors by status, RSS and fds at 60 s against the end, and one PASS/FAIL line per goal (0 errors, RSS growth
< 10 % after the first minute, no fd growth). Exit status 1 when a goal fails. Every request has a 30 s timeout; the
run stops by itself at --duration.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid

KINDS = [("list", 30), ("cached", 25), ("write", 10), ("create", 3), ("upload", 4), ("asset", 27), ("fresh", 1)]
WIDTHS, FORMATS = [100, 200, 320, 480], ["webp", "jpg"]


def proc(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {k: 0 for k, _ in KINDS}
        self.errors = {k: 0 for k, _ in KINDS}
        self.by_status = {}          # "kind status" -> count, errors only
        self.latency = {k: [] for k, _ in KINDS}
        self.hits = 0                # X-Cache: HIT
        self.stored = 0              # Server-Timing: derivative (a stored transform)
        self.transformed = 0         # Server-Timing: transform (made now)
        self.shared = 0              # Server-Timing: transform-shared (waited for an identical transform)

    def record(self, kind, status, seconds, ok, headers=None):
        with self.lock:
            self.requests[kind] += 1
            lat = self.latency[kind]
            if len(lat) < 200000:
                lat.append(seconds)
            if not ok:
                self.errors[kind] += 1
                key = f"{kind} {status}"
                self.by_status[key] = self.by_status.get(key, 0) + 1
            if headers:
                if headers.get("x-cache") == "HIT":
                    self.hits += 1
                timing = headers.get("server-timing", "")
                if timing.startswith("derivative"):
                    self.stored += 1
                elif timing.startswith("transform-shared"):
                    self.shared += 1
                elif timing.startswith("transform"):
                    self.transformed += 1

    def totals(self):
        with self.lock:
            return sum(self.requests.values()), sum(self.errors.values()), dict(self.requests), dict(self.errors)


class Worker(threading.Thread):
    def __init__(self, n, args, setup, stats, deadline, fresh):
        super().__init__(daemon=True)
        self.args, self.setup, self.stats, self.deadline = args, setup, stats, deadline
        self.random = random.Random(n)
        self.fresh = fresh
        self.conn = None
        self.answered_at = None
        self.auth = {"Authorization": "Bearer " + args.token}

    def connect(self):
        self.answered_at = None
        if self.conn:
            self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=30)

    def call(self, kind, method, path, body=None, headers=None, expect=(200,)):
        """One request; returns (status, headers, body) or None on a connection error (counted as an error)."""
        h = dict(self.auth)
        if headers:
            h.update(headers)
        started = time.monotonic()
        idle = started - self.answered_at if self.answered_at else 0
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
            status, rh = r.status, {k.lower(): v for k, v in r.getheaders()}
        except (OSError, http.client.HTTPException) as e:
            # How long this connection sat idle says whether the server's keep-alive timeout closed it; how long
            # the request waited for its answer, whether a timer on the server's side did.
            waited = time.monotonic() - started
            self.stats.record(kind, f"{type(e).__name__} (connection idle {idle:.1f} s, failed after {waited:.1f} s)", waited, False)
            self.connect()
            return None
        self.answered_at = time.monotonic()
        if rh.get("connection", "").lower() == "close":
            self.connect()
        # An unexpected answer is counted with its Directus error message, which says why.
        label = status if status in expect else f"{status} {error_message(data)}"
        self.stats.record(kind, label, time.monotonic() - started, status in expect, rh)
        return status, rh, data

    def run(self):
        self.connect()
        weights = [w for _, w in KINDS]
        names = [k for k, _ in KINDS]
        s = self.setup
        while time.monotonic() < self.deadline:
            kind = self.random.choices(names, weights)[0]
            r = self.random
            if kind == "list":
                path = f"/items/{s['collection']}?filter%5Brank%5D%5B_gte%5D={r.randrange(200) * 5}&sort=-rank&limit=25&fields=id,title,rank"
                self.call(kind, "GET", path)
            elif kind == "cached":
                self.call(kind, "GET", f"/items/{s['cached_collection']}?limit=20&offset={r.randrange(8) * 20}")
            elif kind == "write":
                item = r.choice(s["items"])
                self.call(kind, "PATCH", f"/items/{s['collection']}/{item}", json.dumps({"rank": r.randrange(1000)}).encode(),
                          {"Content-Type": "application/json"})
            elif kind == "create":
                made = self.call(kind, "POST", f"/items/{s['collection']}", json.dumps({"title": "soak", "rank": r.randrange(1000)}).encode(),
                                 {"Content-Type": "application/json"})
                if made and made[0] == 200:
                    item = json.loads(made[2])["data"]["id"]
                    self.call(kind, "DELETE", f"/items/{s['collection']}/{item}", expect=(204,))
            elif kind == "upload":
                boundary = uuid.uuid4().hex
                payload = os.urandom(r.randrange(2048, 20480))
                body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.bin"\r\n'
                        f"Content-Type: application/octet-stream\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
                made = self.call(kind, "POST", "/files", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
                if made and made[0] == 200:
                    fid = json.loads(made[2])["data"]["id"]
                    self.call(kind, "DELETE", f"/files/{fid}", expect=(204,))
            elif kind == "asset":
                image = r.choice(s["images"])
                self.call(kind, "GET", f"/assets/{image}?width={r.choice(WIDTHS)}&format={r.choice(FORMATS)}")
            else:  # fresh: a (width, quality) pair no one asked for yet: 500 widths x 50 qualities
                with self.stats.lock:
                    n = self.fresh[0]
                    self.fresh[0] += 1
                width, quality = 101 + n % 500, 40 + (n // 500) % 50
                self.call(kind, "GET", f"/assets/{r.choice(s['images'])}?width={width}&quality={quality}&format=webp")
        self.conn.close()


def error_message(body):
    try:
        return repr(json.loads(body)["errors"][0]["message"][:100])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def percentile(values, p):
    if not values:
        return 0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--setup", required=True, help="JSON: collection, cached_collection, items, images")
    p.add_argument("--duration", type=float, default=600)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--interval", type=float, default=5)
    p.add_argument("--baseline", type=float, default=60, help="seconds after which RSS and fds must stop growing")
    p.add_argument("--kinds", help="only these kinds, with their weights: e.g. fresh=1 or fresh=1,asset=3 (default: the mix above)")
    args = p.parse_args()
    if args.kinds:
        weights = dict((k, int(w)) for k, w in (pair.split("=") for pair in args.kinds.split(",")))
        for i, (k, _) in enumerate(KINDS):
            KINDS[i] = (k, weights.get(k, 0))
    setup = json.load(open(args.setup))
    stats = Stats()
    fresh = [0]   # the next fresh (width, quality) pair
    started = time.monotonic()
    deadline = started + args.duration
    workers = [Worker(i, args, setup, stats, deadline, fresh) for i in range(args.connections)]
    for w in workers:
        w.start()

    samples = []
    # RssAnon is the heap (and thread stacks); the rest of VmRSS is mostly the binary's pages, faulted in as code runs.
    print(f"{'t':>5} {'rss MB':>8} {'anon MB':>8} {'hwm MB':>8} {'fds':>5} {'req/s':>7} {'errors':>7}  per kind (requests in the interval)")
    last_total, last_time = 0, started
    while True:
        now = time.monotonic()
        next_sample = started + (len(samples) + 1) * args.interval
        time.sleep(max(0, min(next_sample, deadline) - now))
        now = time.monotonic()
        total, errors, requests, _ = stats.totals()
        rss, anon, hwm, fd = proc(args.pid, "VmRSS"), proc(args.pid, "RssAnon"), proc(args.pid, "VmHWM"), fds(args.pid)
        t = now - started
        rate = (total - last_total) / max(1e-6, now - last_time)
        sample = {"t": round(t, 1), "rss_mb": rss, "anon_mb": anon, "hwm_mb": hwm, "fds": fd, "requests": total, "errors": errors, "by_kind": requests}
        prev = samples[-1]["by_kind"] if samples else {k: 0 for k, _ in KINDS}
        samples.append(sample)
        delta = " ".join(f"{k} {requests[k] - prev[k]}" for k, _ in KINDS)
        print(f"{t:5.0f} {rss or 0:8.1f} {anon or 0:8.1f} {hwm or 0:8.1f} {fd or 0:5} {rate:7.1f} {errors:7}  {delta}", flush=True)
        last_total, last_time = total, now
        if rss is None:
            print("the server is gone")
            break
        if now >= deadline:
            break
    for w in workers:
        w.join(timeout=35)
    elapsed = time.monotonic() - started

    total, errors, requests, errs = stats.totals()
    alive = proc(args.pid, "VmRSS") is not None
    print(f"\n== summary: {elapsed:.0f} s, {args.connections} connections, {total} requests ({total / elapsed:.1f}/s), {errors} errors; "
          f"server {'alive' if alive else 'GONE'}")
    print(f"{'kind':<8} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for k, _ in KINDS:
        lat = stats.latency[k]
        print(f"{k:<8} {requests[k]:>9} {errs[k]:>7} {percentile(lat, 0.5) * 1000:8.1f} {percentile(lat, 0.99) * 1000:8.1f}")
    print(f"cache hits (X-Cache: HIT) {stats.hits}; assets from stored derivatives {stats.stored}, transformed now {stats.transformed}, "
          f"waited for an identical transform {stats.shared}")
    print("errors by status:", ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_status.items())) or "none")

    base = next((s for s in samples if s["t"] >= args.baseline), None)
    if base is None or base is samples[-1]:
        base = samples[len(samples) // 3] if samples else None
        note = f" (run shorter than {args.baseline:.0f} s + one interval: baseline at t={base['t'] if base else '?'} s)"
    else:
        note = ""
    end = samples[-1] if samples else None
    goals = []
    goals.append(("0 errors", errors == 0 and alive, f"{errors} errors" + ("" if alive else ", server gone")))
    if base and end and base["rss_mb"] and end["rss_mb"]:
        growth = (end["rss_mb"] - base["rss_mb"]) / base["rss_mb"] * 100
        peak = max(s["rss_mb"] or 0 for s in samples)
        goals.append(("RSS growth < 10 % after the first minute", growth < 10,
                      f"RSS {base['rss_mb']:.1f} MB at {base['t']:.0f} s, {end['rss_mb']:.1f} MB at {end['t']:.0f} s ({growth:+.1f} %), peak sampled {peak:.1f} MB, VmHWM {end['hwm_mb']:.1f} MB{note}"))
        # Single samples move by several MB from one to the next: the medians of the minute after the baseline and
        # of the last minute tell a plateau from a slope (information only; the goal is the one asked for).
        after = [s["rss_mb"] for s in samples if base["t"] <= s["t"] < base["t"] + 60 and s["rss_mb"]]
        last = [s["rss_mb"] for s in samples if s["t"] > end["t"] - 60 and s["rss_mb"]]
        if base.get("anon_mb") and end.get("anon_mb"):
            print(f"info  RssAnon {base['anon_mb']:.1f} MB at {base['t']:.0f} s, {end['anon_mb']:.1f} MB at {end['t']:.0f} s "
                  f"({(end['anon_mb'] / base['anon_mb'] - 1) * 100:+.1f} %)")
        if after and last:
            print(f"info  RSS median of the minute from {base['t']:.0f} s: {statistics.median(after):.1f} MB; of the last minute: "
                  f"{statistics.median(last):.1f} MB ({(statistics.median(last) / statistics.median(after) - 1) * 100:+.1f} %)")
        # A few sockets may be opening or closing at the moment of a sample: 4 fds of slack.
        goals.append(("no fd growth", end["fds"] <= base["fds"] + 4,
                      f"fds {base['fds']} at {base['t']:.0f} s, {end['fds']} at {end['t']:.0f} s, max {max(s['fds'] or 0 for s in samples)}"))
    else:
        goals.append(("RSS and fds sampled", False, "no samples"))
    for name, ok, detail in goals:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    with open(os.environ.get("SOAK_JSON") or os.devnull, "w") as f:
        json.dump({"samples": samples, "errors_by_status": stats.by_status, "requests": requests, "errors": errs}, f)
    sys.exit(0 if all(ok for _, ok, _ in goals) else 1)


if __name__ == "__main__":
    main()
