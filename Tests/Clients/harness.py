"""Shared runner of the client-conformance scenarios (scripts/clients.sh runs them).

Standard library only: every client's virtual environment imports it. A scenario is a function of a `Scenario`;
its steps run one after another, a failed step is recorded and the next runs (a `critical` step ends the scenario),
and each step asserts values a user reads back. On failure the step's error and the HTTP exchanges it made that
answered >= 400 (or its last exchange) are printed, so each line names the request, the answer and the step.

Environment (set by scripts/clients.sh): DEPOT_URL, DEPOT_ADMIN_EMAIL, DEPOT_ADMIN_PASSWORD, DEPOT_ADMIN_TOKEN,
DEPOT_DIALECT, DEPOT_CLIENT (the client's name in the report), DEPOT_FIXTURES (the repository's Fixtures folder).
"""
import contextlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
import zlib

URL = os.environ.get("DEPOT_URL", "http://127.0.0.1:8055")
ADMIN_EMAIL = os.environ.get("DEPOT_ADMIN_EMAIL", "admin@example.com")
ADMIN_PASSWORD = os.environ.get("DEPOT_ADMIN_PASSWORD", "admin-password")
ADMIN_TOKEN = os.environ.get("DEPOT_ADMIN_TOKEN", "admin-token")
DIALECT = os.environ.get("DEPOT_DIALECT", "?")
CLIENT = os.environ.get("DEPOT_CLIENT", os.path.basename(sys.argv[0]))
JPEG_FIXTURE = os.path.join(os.environ.get("DEPOT_FIXTURES", "Fixtures"), "thumb-20k.jpg")
JPEG_SIZE = (400, 225)


# ---- traffic: every exchange a client makes, so a failure names its request -------------------------------------

class Traffic:
    """Exchanges seen so far: (method, url, request body excerpt, status, response body excerpt)."""

    exchanges = []

    @classmethod
    def record(cls, method, url, request_body, status, response_body):
        cls.exchanges.append((method, url, excerpt(request_body), status, excerpt(response_body)))


def excerpt(body, limit=300):
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray)):
        if body[:4] in (b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb", b"\x89PNG") or b"\x00" in body[:200]:
            return f"<{len(body)} bytes>"
        body = body.decode("utf-8", "replace")
    body = str(body).replace("\n", "\\n")
    return body if len(body) <= limit else body[:limit] + "…"


def record_requests_traffic():
    """Observes every exchange the `requests` library makes (the clients call its module functions)."""
    import requests

    original = requests.sessions.Session.send

    def send(self, request, **kwargs):
        response = original(self, request, **kwargs)
        body = request.body if not hasattr(request.body, "read") else "<stream>"
        if isinstance(body, (bytes, bytearray)) and b"Content-Disposition: form-data" in body[:400]:
            body = f"<multipart, {len(body)} bytes>"
        Traffic.record(request.method, request.url, body, response.status_code,
                       response.content if not kwargs.get("stream") else "<stream>")
        return response

    requests.sessions.Session.send = send


def httpx_event_hooks():
    """Event hooks for an httpx.AsyncClient that record each exchange."""

    async def on_response(response):
        await response.aread()
        request = response.request
        body = request.content if not request.headers.get("content-type", "").startswith("multipart/") \
            else f"<multipart, {request.headers.get('content-length', '?')} bytes>"
        Traffic.record(request.method, str(request.url), body, response.status_code, response.content)

    return {"response": [on_response]}


# ---- scenarios ------------------------------------------------------------------------------------------------------

class StepFailed(Exception):
    pass


class Scenario:
    def __init__(self, name):
        self.name = name
        self.failures = []  # (step, error, exchanges)
        self.steps = 0
        self.tag = f"{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
        self.folder = tempfile.mkdtemp(prefix=f"depot-client-{name}-")

    @contextlib.contextmanager
    def step(self, name, critical=False):
        """One user-visible action and its checks. A failure is recorded; a critical one ends the scenario."""
        self.steps += 1
        first = len(Traffic.exchanges)
        try:
            yield
        except Exception as error:  # noqa: BLE001 — any failure of a client call is the step's failure
            made = Traffic.exchanges[first:]
            failing = [e for e in made if e[3] >= 400] or made[-1:]
            self.failures.append((name, describe(error), failing))
            if critical:
                raise StepFailed(name) from error


def describe(error):
    if isinstance(error, AssertionError) and str(error):
        return str(error)
    frames = traceback.extract_tb(error.__traceback__)
    where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(frames)
                  if "Tests/Clients" in f.filename or f.filename.endswith("_scenarios.py")), "")
    return f"{type(error).__name__}: {excerpt(str(error), 400)}" + (f" (at {where})" if where else "")


def run(scenarios, skipped=None):
    """Runs each scenario (all, or those named on the command line); one PASS/FAIL line each (SKIP with the reason
    for those in `skipped`). Exit status 1 on any failure."""
    skipped = skipped or {}
    wanted = sys.argv[1:] or list(scenarios)
    failed = 0
    for name in wanted:
        if name in skipped and name not in sys.argv[1:]:
            print(f"SKIP {DIALECT} {CLIENT} {name}: {skipped[name]}", flush=True)
            continue
        scenario = Scenario(name)
        started = time.monotonic()
        try:
            scenarios[name](scenario)
        except StepFailed:
            pass
        except Exception as error:  # noqa: BLE001 — outside any step: the scenario's own setup failed
            scenario.failures.append(("(outside a step)", describe(error), Traffic.exchanges[-1:]))
        finally:
            shutil.rmtree(scenario.folder, ignore_errors=True)
        elapsed = time.monotonic() - started
        verdict = "FAIL" if scenario.failures else "PASS"
        failed += bool(scenario.failures)
        print(f"{verdict} {DIALECT} {CLIENT} {name} ({scenario.steps} steps, {len(scenario.failures)} failed, "
              f"{elapsed:.1f}s)", flush=True)
        for step, error, exchanges in scenario.failures:
            print(f"    step '{step}': {error}")
            for method, url, request_body, status, response_body in exchanges:
                print(f"      {method} {url.replace(URL, '')}" + (f"  body: {request_body}" if request_body else ""))
                print(f"        -> {status} {response_body}")
        sys.stdout.flush()
    return 1 if failed else 0


# ---- checks -------------------------------------------------------------------------------------------------------

def eq(actual, expected, what):
    assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"


def ids_of(rows, key="id"):
    assert isinstance(rows, list), f"expected a list of rows, got {excerpt(repr(rows))}"
    return [row[key] for row in rows]


def titles(rows):
    assert isinstance(rows, list), f"expected a list of rows, got {excerpt(repr(rows))}"
    return [row["title"] for row in rows]


def image_size(data):
    """(width, height) of a JPEG, PNG or WebP from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8X":
            return (int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
        if chunk == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return (w & 0x3FFF, h & 0x3FFF)
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return (w, h)
            i += 2 + length
    raise AssertionError(f"not a JPEG, PNG or WebP image: {excerpt(bytes(data[:40]))}")


def image_format(data):
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "unknown"


def write_png(path, width=64, height=48):
    """A small RGB gradient PNG (made here, so no fixture is needed)."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128)) for x in range(width))
                    for y in range(height))

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
    return path


def copy_jpeg(scenario, name="photo.jpg"):
    path = os.path.join(scenario.folder, name)
    shutil.copyfile(JPEG_FIXTURE, path)
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# ---- the data set the item and query scenarios use ----------------------------------------------------------------

def authors_collection(name):
    return {"collection": name, "meta": {"note": "client conformance"}, "schema": {},
            "fields": [{"field": "id", "type": "integer", "meta": {"hidden": True},
                        "schema": {"is_primary_key": True, "has_auto_increment": True}},
                       {"field": "name", "type": "string"}]}


def articles_collection(name, authors):
    return {"collection": name, "meta": {"note": "client conformance"}, "schema": {},
            "fields": [{"field": "id", "type": "integer", "meta": {"hidden": True},
                        "schema": {"is_primary_key": True, "has_auto_increment": True}},
                       {"field": "title", "type": "string"},
                       {"field": "status", "type": "string", "schema": {"default_value": "draft"}},
                       {"field": "rank", "type": "integer"},
                       {"field": "published_on", "type": "date"},
                       {"field": "author", "type": "integer", "meta": {"special": ["m2o"]},
                        "schema": {"foreign_key_table": authors, "foreign_key_column": "id"}},
                       # The o2m side of comments.article, so `deep` and `comments.*` have a relation to follow.
                       {"field": "comments", "type": "alias", "meta": {"special": ["o2m"]}}]}


def comments_collection(name, articles):
    return {"collection": name, "schema": {},
            "fields": [{"field": "id", "type": "integer", "schema": {"is_primary_key": True,
                                                                   "has_auto_increment": True}},
                       {"field": "body", "type": "text"},
                       {"field": "votes", "type": "integer"},
                       {"field": "article", "type": "integer",
                        "schema": {"foreign_key_table": articles, "foreign_key_column": "id"}}]}


AUTHORS = [{"name": "Ada Lovelace"}, {"name": "Grace Hopper"}]

# (title, status, rank, published_on, author index) — titles with spaces, case and a `+`, for search and filters.
ARTICLES = [
    ("Red Panda", "published", 1, "2024-01-10", 0),
    ("red pandas in snow", "published", 2, "2024-02-11", 1),
    ("Snow leopard", "draft", 3, "2024-03-12", 0),
    ("C++ and pandas", "published", 4, "2024-04-13", 1),
    ("Quiet river", "archived", 5, "2023-05-14", 0),
    ("Panda diaries", "draft", 6, "2023-06-15", 1),
]


def article_rows(author_ids):
    return [{"title": t, "status": s, "rank": r, "published_on": d, "author": author_ids[a]}
            for t, s, r, d, a in ARTICLES]


def expected_titles(predicate, key=lambda row: row[2]):
    """Titles of ARTICLES that satisfy `predicate(title, status, rank, date, author)`, ordered by `key`."""
    return [row[0] for row in sorted((row for row in ARTICLES if predicate(*row)), key=key)]


# ---- admin calls for checks (what a user would look at in the app), standard library only ---------------------------

def admin(method, path, body=None, token=None, raw=False, headers=None):
    """One request as the administrator (static token); returns `data` (or (status, headers, bytes) with raw)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(URL + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token or ADMIN_TOKEN}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, content, response_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, content, response_headers = error.code, error.read(), error.headers
    Traffic.record(method, URL + path, data, status, content)
    if raw:
        return status, response_headers, content
    assert status < 400, f"{method} {path} answered {status}: {excerpt(content)}"
    return json.loads(content)["data"] if content else None


def make_collections(post, tag):
    """Creates authors, articles (m2o author, o2m comments) and comments through `post(path, body)` (the client's own
    call); returns their names."""
    authors, articles, comments = f"authors_{tag}", f"articles_{tag}", f"comments_{tag}"
    post("/collections", authors_collection(authors))
    post("/collections", articles_collection(articles, authors))
    post("/collections", comments_collection(comments, articles))
    post("/relations", {"collection": comments, "field": "article", "related_collection": articles,
                        "meta": {"one_field": "comments"}, "schema": {"on_delete": "SET NULL"}})
    return authors, articles, comments


# (body, votes, article title): the comments `deep` reads.
COMMENTS = [("first!", 1, "Red Panda"), ("lovely", 7, "Red Panda"), ("meh", 3, "Red Panda"),
            ("cold", 5, "red pandas in snow")]


def comment_rows(article_ids_by_title):
    return [{"body": b, "votes": v, "article": article_ids_by_title[t]} for b, v, t in COMMENTS]
