#!/usr/bin/env python3
"""Sends each URL of a list exactly once to 127.0.0.1 with N concurrent connections; prints
"<requests/s> <ok> <failed> <median ms>". Bounded by the list and by a timeout per request."""
import http.client, statistics, sys, threading, time, urllib.parse

def main():
    port, concurrency, path_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    headers = dict(h.split(": ", 1) for h in sys.argv[4:])
    paths = [line.strip() for line in open(path_file) if line.strip()]
    lock, index, results = threading.Lock(), [0], []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if index[0] >= len(paths):
                    break
                path = paths[index[0]]
                index[0] += 1
            start = time.monotonic()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if not ok:
                    print(f"failed: {response.status} {path}", file=sys.stderr)
            except Exception as error:
                ok = False
                print(f"failed: {error!r} {path}", file=sys.stderr)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                results.append((ok, time.monotonic() - start))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.monotonic() - started
    ok = sum(1 for r in results if r[0])
    print(f"{ok / elapsed:.1f} {ok} {len(results) - ok} {statistics.median(r[1] for r in results) * 1000:.0f}")

main()
