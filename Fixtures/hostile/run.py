#!/usr/bin/env python3
"""Sends every file of manifest.json to a running depot and checks the answers, that the server lives and its peak
RSS. Standard library only (urllib). Run against 127.0.0.1 only:

    python3 Fixtures/hostile/run.py --url http://127.0.0.1:8055 --token TOKEN --pid PID [--only SUBSTRING] [--json OUT]

--token may be replaced by --email/--password (a login). --pid is the depot process (its /proc/PID/status is read;
as root the peak is reset before each file through /proc/PID/clear_refs, so each file gets its own peak; otherwise
RSS is sampled every 20 ms). Exit status 1 when any check fails.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                "text/javascript", "application/javascript", "application/ecmascript")


class Reply:
    def __init__(self, status, headers, body, error=None):
        self.status, self.headers, self.body, self.error = status, headers, body, error

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        try:
            return json.loads(self.body)
        except Exception:
            return None

    def label(self):
        return f"ERR({self.error})" if self.error else str(self.status)


class Client:
    def __init__(self, url, token, timeout):
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def request(self, method, path, body=None, headers=None, auth=True):
        h = dict(headers or {})
        if auth and self.token:
            h["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            try:
                data = e.read()
            except Exception:
                data = b""
            return Reply(e.code, {k.lower(): v for k, v in e.headers.items()}, data)
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            return Reply(None, {}, b"", error=type(reason).__name__ if not isinstance(reason, str) else reason)


def status_class(status):
    return f"{status // 100}xx" if status else None


def matches(reply, expect, original=None):
    """`expect` holds "2xx"-style classes, exact statuses, or "same": a 2xx whose body is `original` untouched."""
    if reply.status is None:
        return False
    if "same" in expect and 200 <= reply.status < 300 and original is not None and reply.body == original:
        return True
    return str(reply.status) in expect or status_class(reply.status) in expect


def multipart_file(filename, kind, data):
    boundary = "depot-hostile-" + uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {kind}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Memory:
    """Peak RSS of a process: VmHWM reset per file when allowed, and VmRSS sampled in the background."""

    def __init__(self, pid):
        self.pid, self.sampled, self.running = pid, 0, False
        self.can_reset = self.reset()

    def status(self, key):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) // 1024
        except OSError:
            return None
        return None

    def reset(self):
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def alive(self):
        return os.path.exists(f"/proc/{self.pid}") and self.status("VmRSS") is not None

    def start(self):
        if self.can_reset:
            self.reset()
        self.sampled = self.status("VmRSS") or 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while self.running:
            rss = self.status("VmRSS")
            if rss is None:
                return
            self.sampled = max(self.sampled, rss)
            time.sleep(0.02)

    def stop(self):
        """The file's peak in MB: VmHWM since the reset (or since start when it cannot be reset) and the samples."""
        self.running = False
        self.thread.join()
        hwm = (self.status("VmHWM") or 0) if self.can_reset else 0
        return max(self.sampled, hwm)


def check_served(reply, step, problems):
    """A 2xx from /assets: active content only sandboxed, nosniff, never /etc/passwd."""
    if reply.status is None or not 200 <= reply.status < 300:
        return
    kind = (reply.header("content-type") or "").split(";")[0].strip().lower()
    if kind in ACTIVE_TYPES and "sandbox" not in (reply.header("content-security-policy") or ""):
        problems.append(f"{step}: {kind} served without a sandbox CSP")
    if (reply.header("x-content-type-options") or "").lower() != "nosniff":
        problems.append(f"{step}: no X-Content-Type-Options: nosniff")
    if b"root:x:0:0" in reply.body:
        problems.append(f"{step}: the body holds /etc/passwd")


def created_ids(reply):
    data = (reply.json() or {}).get("data") if reply.status and 200 <= reply.status < 300 else None
    rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return [r for r in rows if isinstance(r, dict) and r.get("id")]


def run_entry(client, entry, problems, steps):
    data = open(os.path.join(HERE, entry["file"]), "rb").read()

    def step(name, reply, expect, original=None):
        same = original is not None and reply.status is not None and 200 <= reply.status < 300 and reply.body == original
        steps.append(f"{name} {reply.label()}{' same' if same else ''}")
        if reply.error:
            problems.append(f"{name}: connection failed ({reply.error})")
        elif reply.status >= 500 and reply.status != 503:
            problems.append(f"{name}: {reply.status} (a server error)")
        elif expect is not None and not matches(reply, expect, original):
            problems.append(f"{name}: {reply.status}{' (a decoded or altered body)' if reply.status < 300 and 'same' in expect else ''}, expected {'/'.join(expect)}")

    if entry["send"] == "upload":
        body, headers = multipart_file(entry["filename"], entry["type"], data)
        up = client.request("POST", "/files", body, headers)
        step("upload", up, entry["upload"])
        rows = created_ids(up)
        for row in rows:
            fid = row["id"]
            original = client.request("GET", f"/assets/{fid}")
            step("original", original, entry.get("original"))
            check_served(original, "original", problems)
            for t in entry["transforms"]:
                reply = client.request("GET", f"/assets/{fid}{t['query']}")
                step(t["query"], reply, t["expect"], data)
                check_served(reply, t["query"], problems)
            step("delete", client.request("DELETE", f"/files/{fid}"), ["2xx"])
    else:
        reply = client.request(entry.get("method", "POST"), entry["path"], data, {"Content-Type": entry["content_type"]})
        step(f"{entry.get('method', 'POST')} {entry['path']}", reply, entry["expect"])
        rows = created_ids(reply) if entry["path"] == "/files" else []
        for row in rows:
            if "/" in str(row.get("filename_disk", "")) or ".." in str(row.get("filename_disk", "")):
                problems.append(f"filename_disk {row.get('filename_disk')!r} leaves the storage root")
        if rows:
            ids = [r["id"] for r in rows]
            deleted = client.request("DELETE", "/files", json.dumps(ids).encode(), {"Content-Type": "application/json"})
            step(f"delete {len(ids)}", deleted, ["2xx"])
        elif entry["path"] == "/folders" and reply.status and 200 <= reply.status < 300:
            folder = (reply.json() or {}).get("data") or {}
            if isinstance(folder, dict) and folder.get("id"):
                client.request("DELETE", f"/folders/{folder['id']}")


def ping(client, wait=15):
    deadline = time.monotonic() + wait
    while True:
        reply = client.request("GET", "/server/ping", auth=False)
        if reply.status == 200:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--token")
    p.add_argument("--email", default="admin@example.com")
    p.add_argument("--password")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--manifest", default=os.path.join(HERE, "manifest.json"))
    p.add_argument("--only", help="run only entries whose file name contains this")
    p.add_argument("--rss-mb", type=int, help="override limits.rss_mb")
    p.add_argument("--json", help="write the results here as JSON")
    args = p.parse_args()
    host = urllib.parse.urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("run.py only targets the loopback interface")
    manifest = json.load(open(args.manifest))
    limit = args.rss_mb or manifest["limits"]["rss_mb"]
    client = Client(args.url, args.token, manifest["limits"].get("request_timeout_s", 60))
    if not client.token:
        login = client.request("POST", "/auth/login", json.dumps({"email": args.email, "password": args.password}).encode(),
                               {"Content-Type": "application/json"}, auth=False)
        client.token = ((login.json() or {}).get("data") or {}).get("access_token")
        if not client.token:
            sys.exit(f"login failed: {login.label()} {login.body[:200]!r}")
    memory = Memory(args.pid)
    if not memory.alive():
        sys.exit(f"no process {args.pid}")
    print(f"peak RSS per file: {'VmHWM reset before each file' if memory.can_reset else 'VmRSS sampled every 20 ms'}; limit {limit} MB")
    results, failed = [], 0
    entries = [e for e in manifest["entries"] if not args.only or args.only in e["file"]]
    for entry in entries:
        problems, steps = [], []
        memory.start()
        started = time.monotonic()
        run_entry(client, entry, problems, steps)
        elapsed = time.monotonic() - started
        peak = memory.stop()
        alive = memory.alive() and ping(client)
        if not alive:
            problems.append("the server died or stopped answering /server/ping")
        if peak > limit:
            problems.append(f"peak RSS {peak} MB > {limit} MB")
        ok = not problems
        failed += not ok
        results.append({"file": entry["file"], "steps": steps, "peak_rss_mb": peak, "seconds": round(elapsed, 2),
                        "alive": alive, "ok": ok, "problems": problems})
        print(f"{'PASS' if ok else 'FAIL'} {entry['file']:<34} {peak:>5} MB {elapsed:6.1f}s  {' | '.join(steps)}")
        for problem in problems:
            print(f"     - {problem}")
        sys.stdout.flush()
        if not alive:
            print("stopping: the server is gone")
            break
    print(f"{len(results) - failed}/{len(entries)} passed; overall VmHWM {memory.status('VmHWM')} MB" if memory.alive() else
          f"{len(results) - failed}/{len(entries)} passed; the server is gone")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(1 if failed or len(results) < len(entries) else 0)


if __name__ == "__main__":
    main()
