"""Requests encoded the way real HTTP clients encode them, sent with Python's `requests` (2.34, pinned).

Each query is sent three ways, each a step of its own:
- `requests`: `requests.get(url, params=…)`: form encoding, a space as `+`, a list value as repeated keys;
- `URLSearchParams`: the WHATWG urlencoded serializer browsers (and the official JavaScript SDK) use: a space as
  `+`, every byte but `*-._` and alphanumerics percent-encoded, brackets in keys included;
- `encodeURIComponent`: a space as `%20` (hand-built URLs, many HTTP libraries).
JSON values are sent as `json.dumps` writes them (a space after `:` and `,`) and indented, as py-directus sends them.
Then: SEARCH where Directus routes it, `Expect: 100-continue` on an upload, and Content-Disposition of assets.
The data set is made by the administrator through the API (harness.make_collections).
"""
import json
import socket
import sys
import time
import urllib.parse

import requests

import harness
from harness import (ADMIN_EMAIL, ADMIN_TOKEN, ARTICLES, JPEG_FIXTURE, URL, admin, article_rows,
                     comment_rows, eq, expected_titles, image_format, image_size, titles)

STYLES = ("requests", "URLSearchParams", "encodeURIComponent")
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def form_component(text):
    """WHATWG application/x-www-form-urlencoded serializer (URLSearchParams.toString())."""
    out = []
    for byte in str(text).encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "*-._"):
            out.append(char)
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def uri_component(text):
    """JavaScript's encodeURIComponent."""
    return urllib.parse.quote(str(text), safe="-_.!~*'()")


def query_string(pairs, style):
    encode = form_component if style == "URLSearchParams" else uri_component
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


def get(path, pairs, style, headers=AUTH):
    if style == "requests":
        return requests.get(URL + path, params=pairs, headers=headers, timeout=30)
    return requests.get(f"{URL}{path}?{query_string(pairs, style)}", headers=headers, timeout=30)


def data_of(response):
    assert response.status_code == 200, f"status {response.status_code}: {harness.excerpt(response.content)}"
    return response.json()["data"]


def seed(tag):
    authors, articles, comments = harness.make_collections(lambda path, body: admin("POST", path, body), tag)
    author_ids = [row["id"] for row in admin("POST", f"/items/{authors}", harness.AUTHORS)]
    by_title = {row["title"]: row["id"] for row in admin("POST", f"/items/{articles}", article_rows(author_ids))}
    admin("POST", f"/items/{comments}", comment_rows(by_title))
    return authors, articles, comments, by_title


def upload(name, title=None, folder=None):
    fields = {k: v for k, v in (("title", title), ("folder", folder)) if v}
    with open(JPEG_FIXTURE, "rb") as f:
        response = requests.post(f"{URL}/files", headers=AUTH, data=fields,
                                 files={"file": (name, f, "image/jpeg")}, timeout=30)
    return data_of(response)


# ---- /items query parameters ----------------------------------------------------------------------------------------

def items_queries(s):
    with s.step("the data set", critical=True):
        authors, articles, comments, _ = seed(s.tag)
    path = f"/items/{articles}"
    everything = expected_titles(lambda *_: True)
    by_rank = [row[0] for row in sorted(ARTICLES, key=lambda row: row[2])]
    published = expected_titles(lambda t, st, *_: st == "published")

    def check(name, pairs, expected, ordered=False, read=titles):
        for style in STYLES:
            with s.step(f"{name} [{style}]"):
                got = read(data_of(get(path, pairs, style)))
                if ordered or read is not titles:
                    eq(got, expected, "answer")
                else:
                    eq(sorted(got), sorted(expected), "titles (in any order)")

    check("filter as JSON", [("filter", json.dumps({"status": {"_eq": "published"}}))], published)
    check("filter as indented JSON", [("filter", json.dumps({"status": {"_eq": "published"}}, indent=2))], published)
    check("filter as JSON, a value with a space",
          [("filter", json.dumps({"title": {"_eq": "Red Panda"}}))], ["Red Panda"])
    check("filter as JSON, a value with a +", [("filter", json.dumps({"title": {"_starts_with": "C++ "}}))],
          ["C++ and pandas"])
    check("filter in brackets", [("filter[status][_eq]", "published")], published)
    check("filter in brackets, a value with a space", [("filter[title][_eq]", "Red Panda")], ["Red Panda"])
    check("filter in brackets, _in as a comma list", [("filter[rank][_in]", "1,3,5")],
          expected_titles(lambda t, st, r, *_: r in (1, 3, 5)))
    check("filter in brackets, _in as repeated [] keys",
          [("filter[rank][_in][]", "1"), ("filter[rank][_in][]", "3"), ("filter[rank][_in][]", "5")],
          expected_titles(lambda t, st, r, *_: r in (1, 3, 5)))
    check("filter in brackets, _or with indices",
          [("filter[_or][0][status][_eq]", "draft"), ("filter[_or][1][rank][_lt]", "2")],
          expected_titles(lambda t, st, r, *_: st == "draft" or r < 2))
    check("filter in brackets through a relation", [("filter[author][name][_eq]", "Ada Lovelace")],
          expected_titles(lambda t, st, r, d, a: a == 0))
    check("search with a space", [("search", "red panda")], expected_titles(lambda t, *_: "red panda" in t.lower()))
    check("search with a +", [("search", "C++")], ["C++ and pandas"])
    check("sort as a comma list", [("sort", "-status,rank")],
          [row[0] for row in sorted(sorted(ARTICLES, key=lambda row: row[2]), key=lambda row: row[1], reverse=True)],
          ordered=True)
    check("sort as repeated keys", [("sort", "status"), ("sort", "-rank")],
          [row[0] for row in sorted(ARTICLES, key=lambda row: (row[1], -row[2]))], ordered=True)
    check("sort as [] keys", [("sort[]", "status"), ("sort[]", "-rank")],
          [row[0] for row in sorted(ARTICLES, key=lambda row: (row[1], -row[2]))], ordered=True)
    check("fields with a space after the comma", [("fields", "title, author.name"), ("sort", "rank"), ("limit", "1")],
          [{"title": "Red Panda", "author": {"name": "Ada Lovelace"}}], read=lambda rows: rows)
    check("fields as [] keys", [("fields[]", "title"), ("fields[]", "author.name"), ("sort", "rank"), ("limit", "1")],
          [{"title": "Red Panda", "author": {"name": "Ada Lovelace"}}], read=lambda rows: rows)
    check("fields as repeated keys", [("fields", "title"), ("fields", "author.name"), ("sort", "rank"), ("limit", "1")],
          [{"title": "Red Panda", "author": {"name": "Ada Lovelace"}}], read=lambda rows: rows)
    check("limit, offset", [("sort", "rank"), ("limit", "2"), ("offset", "2")], by_rank[2:4], ordered=True)
    check("limit, page", [("sort", "rank"), ("limit", "2"), ("page", "2")], by_rank[2:4], ordered=True)
    check("aggregate as JSON", [("aggregate", json.dumps({"count": "*"}))], len(ARTICLES),
          read=lambda rows: int(rows[0]["count"]))
    check("aggregate in brackets with groupBy", [("aggregate[sum]", "rank"), ("groupBy", "status"),
                                                 ("sort", "status")],
          _sums(), read=lambda rows: {row["status"]: int(float(row["sum"]["rank"])) for row in rows})
    check("aggregate as JSON with groupBy[]", [("aggregate", json.dumps({"sum": ["rank"]})), ("groupBy[]", "status")],
          _sums(), read=lambda rows: {row["status"]: int(float(row["sum"]["rank"])) for row in rows})
    deep_expected = [{"title": "Red Panda", "comments": [{"body": "lovely"}]}]
    check("deep as JSON", [("fields", "title,comments.body"), ("filter[title][_eq]", "Red Panda"),
                           ("deep", json.dumps({"comments": {"_sort": ["-votes"], "_limit": 1}}))],
          deep_expected, read=lambda rows: rows)
    check("deep in brackets", [("fields", "title,comments.body"), ("filter[title][_eq]", "Red Panda"),
                               ("deep[comments][_sort]", "-votes"), ("deep[comments][_limit]", "1")],
          deep_expected, read=lambda rows: rows)
    check("alias as JSON", [("alias", json.dumps({"notes": "comments"})), ("fields", "title,notes.body"),
                            ("filter[title][_eq]", "red pandas in snow")],
          [{"title": "red pandas in snow", "notes": [{"body": "cold"}]}], read=lambda rows: rows)
    for style in STYLES:
        with s.step(f"meta with a comma list [{style}]"):
            response = get(path, [("meta", "total_count,filter_count"), ("filter[status][_eq]", "draft"),
                                  ("limit", "1")], style)
            eq(response.status_code, 200, "status")
            eq(response.json()["meta"], {"total_count": len(ARTICLES), "filter_count": 2}, "meta")
    for style in STYLES:
        with s.step(f"a single item's fields with a space [{style}]"):
            first = data_of(get(path, [("filter[rank][_eq]", "1")], style))
            item = data_of(get(f"{path}/{first[0]['id']}", [("fields", "title, rank")], style))
            eq(item, {"title": "Red Panda", "rank": 1}, "item")


def _sums():
    sums = {}
    for _, status, rank, _, _ in ARTICLES:
        sums[status] = sums.get(status, 0) + rank
    return sums


# ---- system routes --------------------------------------------------------------------------------------------------

def system_routes(s):
    with s.step("the data set, a role, a policy, a permission, a folder and a file with spaces in names",
                critical=True):
        authors, articles, comments, by_title = seed(s.tag)
        role = admin("POST", "/roles", {"name": f"Client Editors {s.tag}"})
        policy = admin("POST", "/policies", {"name": f"Client Policy {s.tag}"})
        admin("POST", "/permissions", {"policy": policy["id"], "collection": articles, "action": "read",
                                       "fields": ["*"]})
        folder = admin("POST", "/folders", {"name": f"Summer photos {s.tag}"})
        photo = upload("red panda.jpg", title=f"Red panda photo {s.tag}", folder=folder["id"])
        admin("PATCH", f"/items/{articles}/{by_title['Red Panda']}", {"rank": 11})

    def check(name, path, pairs, read, expected):
        for style in STYLES:
            with s.step(f"{name} [{style}]"):
                eq(read(data_of(get(path, pairs, style))), expected, "answer")

    check("/users filter as JSON", "/users", [("filter", json.dumps({"email": {"_eq": ADMIN_EMAIL}})),
                                             ("fields", "email, status")],
          lambda rows: rows, [{"email": ADMIN_EMAIL, "status": "active"}])
    check("/users search with a space", "/users", [("search", "admin@example"), ("fields", "email")],
          lambda rows: [r["email"] for r in rows], [ADMIN_EMAIL])
    check("/roles filter with a space", "/roles", [("filter", json.dumps({"name": {"_eq": f"Client Editors {s.tag}"}}))],
          lambda rows: [r["id"] for r in rows], [role["id"]])
    check("/policies filter in brackets with a space", "/policies",
          [("filter[name][_eq]", f"Client Policy {s.tag}"), ("fields", "id, name")],
          lambda rows: rows, [{"id": policy["id"], "name": f"Client Policy {s.tag}"}])
    check("/permissions filter as JSON", "/permissions",
          [("filter", json.dumps({"policy": {"_eq": policy["id"]}})), ("fields", "collection, action")],
          lambda rows: rows, [{"collection": articles, "action": "read"}])
    check("/folders filter with a space", "/folders", [("filter", json.dumps({"name": {"_eq": f"Summer photos {s.tag}"}}))],
          lambda rows: [r["id"] for r in rows], [folder["id"]])
    check("/files filter with a space", "/files", [("filter", json.dumps({"title": {"_eq": f"Red panda photo {s.tag}"}})),
                                                  ("fields", "id, filename_download")],
          lambda rows: rows, [{"id": photo["id"], "filename_download": "red panda.jpg"}])
    check("/files search with a space", "/files", [("search", f"panda photo {s.tag}"), ("fields", "id")],
          lambda rows: [r["id"] for r in rows], [photo["id"]])
    check("/activity filter as JSON", "/activity",
          [("filter", json.dumps({"collection": {"_eq": articles}, "action": {"_eq": "update"}})),
           ("fields", "collection, action, item")],
          lambda rows: rows, [{"collection": articles, "action": "update", "item": str(by_title["Red Panda"])}])
    check("/revisions filter as JSON", "/revisions",
          [("filter", json.dumps({"collection": {"_eq": articles}, "item": {"_eq": str(by_title["Red Panda"])}})),
           ("fields", "delta"), ("sort", "-id"), ("limit", "1")],
          lambda rows: rows, [{"delta": {"rank": 11}}])
    check("/settings fields with a space", "/settings", [("fields", "project_name, storage_asset_transform")],
          sorted, ["project_name", "storage_asset_transform"])
    check("/fields/:c (query parameters decoded without error)", f"/fields/{articles}", [("sort", "field")],
          lambda rows: "title" in [r["field"] for r in rows], True)
    for style in STYLES:
        with s.step(f"/assets transforms as JSON with spaces [{style}]"):
            response = get(f"/assets/{photo['id']}", [("width", "80"), ("format", "png"),
                                                       ("transforms", json.dumps([["flip"], ["blur", 1]]))], style)
            eq(response.status_code, 200, f"status ({harness.excerpt(response.content)})")
            eq((image_format(response.content), image_size(response.content)[0]), ("png", 80), "transformed asset")


# ---- SEARCH wherever Directus routes it ---------------------------------------------------------------------------

SEARCH_ROUTES = ["/files", "/folders", "/users", "/roles", "/policies", "/access", "/permissions", "/activity",
                 "/revisions", "/presets", "/translations", "/comments", "/notifications", "/shares", "/versions",
                 "/dashboards", "/panels", "/flows", "/operations"]


def search_method(s):
    with s.step("the data set", critical=True):
        authors, articles, comments, _ = seed(s.tag)

    def search(path, body=None, raw=None, params=None):
        return requests.request("SEARCH", URL + path, headers=AUTH, json=body, data=raw, params=params, timeout=30)

    with s.step("SEARCH /items/:c with a query"):
        rows = data_of(search(f"/items/{articles}", {"query": {"filter": {"status": {"_eq": "published"}},
                                                               "fields": ["title"]}}))
        eq(sorted(titles(rows)), sorted(expected_titles(lambda t, st, *_: st == "published")), "titles")
    with s.step("SEARCH /items/:c: the body's query replaces the URL's"):
        rows = data_of(search(f"/items/{articles}", {"query": {"filter": {"status": {"_eq": "draft"}}}},
                              params={"filter[status][_eq]": "published"}))
        eq(sorted(titles(rows)), sorted(expected_titles(lambda t, st, *_: st == "draft")), "titles")
    with s.step("SEARCH /items/:c with an empty body reads as {}"):
        eq(len(data_of(search(f"/items/{articles}"))), len(ARTICLES), "rows")
    with s.step("SEARCH /items/:c with a search that is not a string: ignored"):
        eq(len(data_of(search(f"/items/{articles}", {"query": {"search": ["red", "panda"]}}))), len(ARTICLES), "rows")
    with s.step("SEARCH /collections honours keys"):
        rows = data_of(search("/collections", {"keys": [articles, authors]}))   # keys at the top level: Directus reads req.body.keys
        eq(sorted(r["collection"] for r in rows), sorted([articles, authors]), "collections")
    for path in SEARCH_ROUTES:
        with s.step(f"SEARCH {path}"):
            response = search(path, {"query": {"limit": 1}})
            eq(response.status_code, 200, f"status ({harness.excerpt(response.content)})")
            assert isinstance(response.json()["data"], list), response.json()
    for path in ("/fields", "/relations", "/settings"):
        with s.step(f"SEARCH {path} is not routed (404, as Directus)"):
            eq(search(path, {"query": {}}).status_code, 404, "status")


# ---- Expect: 100-continue -----------------------------------------------------------------------------------------

def multipart(size):
    boundary = "depotclientsboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()
    return boundary, head + b"\x00" * size + f"\r\n--{boundary}--\r\n".encode()


def exchange_head(sock, deadline):
    """Reads until the end of a response head or the deadline; returns the bytes read."""
    data = b""
    while b"\r\n\r\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def expect_continue(s):
    host, port = urllib.parse.urlsplit(URL).hostname, urllib.parse.urlsplit(URL).port
    boundary, body = multipart(1_500_000)

    def start(token):
        sock = socket.create_connection((host, port), timeout=10)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        sock.sendall((f"POST /files HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
        return sock

    with s.step("an upload with Expect: 100-continue gets 100 Continue before sending its body"):
        sock = start(ADMIN_TOKEN)
        try:
            started = time.monotonic()
            head = exchange_head(sock, started + 0.5)
            assert head.startswith(b"HTTP/1.1 100"), \
                f"no 100 Continue within 0.5 s (got {harness.excerpt(head) or 'nothing'})"
            sock.sendall(body)
            rest = head.split(b"\r\n\r\n", 1)[1]
            final = rest if b"\r\n\r\n" in rest else rest + exchange_head(sock, time.monotonic() + 20)
            assert final.startswith(b"HTTP/1.1 200"), f"final answer: {harness.excerpt(final)}"
        finally:
            sock.close()
    with s.step("without a token, the final status comes at once (or 100 Continue), not after a wait"):
        sock = start(None)
        try:
            head = exchange_head(sock, time.monotonic() + 0.5)
            assert head.startswith((b"HTTP/1.1 100", b"HTTP/1.1 401", b"HTTP/1.1 403")), \
                f"nothing within 0.5 s (got {harness.excerpt(head) or 'nothing'})"
        finally:
            sock.close()


# ---- Content-Disposition ------------------------------------------------------------------------------------------

def content_disposition(s):
    with s.step("uploads named photo.jpg and 'snow ☃ day.jpg'", critical=True):
        plain = upload("photo.jpg")
        fancy = upload("snow ☃ day.jpg")

    def header(path):
        response = requests.get(URL + path, headers=AUTH, timeout=30)
        eq(response.status_code, 200, f"GET {path}")
        return response.headers.get("content-disposition")

    with s.step("inline, with the ASCII filename_download"):
        eq(header(f"/assets/{plain['id']}"), 'inline; filename="photo.jpg"', "Content-Disposition")
    with s.step("?download: attachment"):
        eq(header(f"/assets/{plain['id']}?download"), 'attachment; filename="photo.jpg"', "Content-Disposition")
    with s.step("the URL's :filename segment names the file"):
        eq(header(f"/assets/{plain['id']}/holiday.jpg?download"), 'attachment; filename="holiday.jpg"',
           "Content-Disposition")
    with s.step("a name that is not ASCII: an ASCII fallback and filename*"):
        eq(header(f"/assets/{fancy['id']}?download"),
           "attachment; filename=\"snow ? day.jpg\"; filename*=UTF-8''snow%20%E2%98%83%20day.jpg",
           "Content-Disposition")


if __name__ == "__main__":
    harness.record_requests_traffic()
    sys.exit(harness.run({"items-queries": items_queries, "system-routes": system_routes,
                          "search-method": search_method, "expect-continue": expect_continue,
                          "content-disposition": content_disposition}))
