"""py-directus 0.0.30 (PyPI) through its public API: Directus (login, refresh, logout, me, roles, files,
translations, settings), DirectusRequest (collection(…).fields/filter/sort/search/limit/offset/page/aggregate/
group_by/include_count, read/create/update/delete, subscribe) with F and Agg, and its pydantic models.

Its queries travel two ways, both checked: read() sends SEARCH with {"query": params} (F and Agg serialised as JSON
*strings* with newlines and indentation, through json_fix), read(method="get") sends them as query parameters through
httpx (str(F): the same indented JSON, spaces as `+`, newlines as %0A; a sort list as repeated `sort=`).
"""
import asyncio
import contextlib
import io
import json
import os
import sys
from typing import Optional

import httpx
import py_directus
from py_directus import Directus, F
from py_directus.aggregator import Agg
from py_directus.directus_response import DirectusException
from py_directus.models import DirectusModel
from py_directus.models.base import DirectusConfigDict
from py_directus.operators import AggregationOperators

import harness
from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, ARTICLES, AUTHORS, JPEG_FIXTURE, JPEG_SIZE, Traffic,
                     URL, article_rows, comment_rows, copy_jpeg, eq, expected_titles, image_format, image_size,
                     read_bytes, titles, write_png)


def connection():
    return httpx.AsyncClient(timeout=30, event_hooks=harness.httpx_event_hooks())


def last_status():
    return Traffic.exchanges[-1][3]


def quiet():
    """The client prints on gather(), on closing and when caching typed responses: keep the report clean."""
    return contextlib.redirect_stdout(io.StringIO())


def synchronously(scenario):
    return lambda s: asyncio.run(asyncio.wait_for(scenario(s), timeout=240))


async def admin_client():
    return await Directus(URL, token=ADMIN_TOKEN, connection=connection())


async def make_collections(d, tag):
    """The query data set's collections through the client: directus_collections and directus_relations requests."""
    authors, articles, comments = f"authors_{tag}", f"articles_{tag}", f"comments_{tag}"
    await d.collection("directus_collections").create(harness.authors_collection(authors))
    await d.collection("directus_collections").create(harness.articles_collection(articles, authors))
    await d.collection("directus_collections").create(harness.comments_collection(comments, articles))
    await d.collection(py_directus.DirectusRelation).create(
        {"collection": comments, "field": "article", "related_collection": articles,
         "meta": {"one_field": "comments"}, "schema": {"on_delete": "SET NULL"}})
    return authors, articles, comments


async def seed(d, tag):
    authors, articles, comments = await make_collections(d, tag)
    author_ids = [row["id"] for row in (await d.collection(authors).create(AUTHORS)).items]
    created = (await d.collection(articles).create(article_rows(author_ids))).items
    by_title = {row["title"]: row["id"] for row in created}
    await d.collection(comments).create(comment_rows(by_title))
    return (authors, articles, comments), by_title


# ---- scenarios ------------------------------------------------------------------------------------------------------

async def auth(s):
    with s.step("login with email and password", critical=True):
        d = await Directus(URL, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, connection=connection())
        assert d.token and d.refresh_token and d.expires, "tokens after login"
    with s.step("me() and the user property"):
        me = (await d.me()).item
        eq(me.email, ADMIN_EMAIL, "me().item.email")
        with quiet():
            user = await d.user
        eq(user.email, ADMIN_EMAIL, "user.email")
    with s.step("refresh() rotates the tokens; the used refresh token is refused"):
        old = d.refresh_token
        await d.refresh()
        assert d.refresh_token and d.refresh_token != old, "a new refresh token"
        eq((await d.me()).item.email, ADMIN_EMAIL, "me() with the new access token")
        stale = Directus(URL, refresh_token=old, connection=connection())
        try:
            await stale.refresh()
            raise AssertionError("a used refresh token was accepted")
        except DirectusException as error:
            eq((error.status_code, error.code), (401, "INVALID_CREDENTIALS"), "refresh with a used token")
    with s.step("a static token"):
        eq((await (await admin_client()).me()).item.email, ADMIN_EMAIL, "me() with the static token")
    with s.step("a wrong password raises DirectusException"):
        try:
            await Directus(URL, email=ADMIN_EMAIL, password="wrong-password", connection=connection())
            raise AssertionError("login with a wrong password succeeded")
        except DirectusException as error:
            eq((error.status_code, error.code), (401, "INVALID_CREDENTIALS"), "login with a wrong password")
    with s.step("logout() sends no refresh token: Directus answers 400 and the client forgets its tokens"):
        # The client's bug: POST /auth/logout without a body or cookie, which Directus refuses (400
        # INVALID_PAYLOAD, "refresh_token is required"), and it reads success as 200 where Directus answers 204.
        with quiet():
            ended = await d.logout()
        eq((ended, last_status()), (False, 400), "logout() and its answer")
        eq((d.token, d.refresh_token), (None, None), "tokens after logout()")


async def schema(s):
    d = await admin_client()
    with s.step("create collections and a relation (directus_collections, DirectusRelation)", critical=True):
        authors, articles, comments = await make_collections(d, s.tag)
    with s.step("read one collection (GET /collections/:c)"):
        item = (await d.collection("directus_collections").read(articles)).item
        eq((item["collection"], item["meta"]["note"]), (articles, "client conformance"), "collection")
    with s.step("list collections with read(method='get') (GET /collections)"):
        names = {c["collection"] for c in (await d.collection("directus_collections").read(method="get")).items}
        assert {authors, articles, comments} <= names, names
    with s.step("list collections with read() (SEARCH /collections)"):
        names = {c["collection"] for c in (await d.collection("directus_collections").read()).items}
        assert {authors, articles, comments} <= names, names
    with s.step("a collection's fields (GET /fields/:c)"):
        fields = {f["field"]: f for f in (await d.collection("directus_fields").read(articles)).items}
        assert {"id", "title", "status", "rank", "published_on", "author", "comments"} <= set(fields), fields
        eq(fields["rank"]["type"], "integer", "type of rank")
    with s.step("relations as DirectusRelation models (GET /relations/:c)"):
        relations = (await d.collection(py_directus.DirectusRelation).read(comments)).items
        eq([(r.field, r.related_collection, r.meta.one_field) for r in relations],
           [("article", articles, "comments")], "relations of comments")


async def items(s):
    d = await Directus(URL, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, connection=connection())
    with s.step("create collections", critical=True):
        authors, articles, comments = await make_collections(d, s.tag)

    class Article(DirectusModel):
        model_config = DirectusConfigDict(collection=articles)
        id: Optional[int] = None
        title: Optional[str] = None
        status: Optional[str] = None
        rank: Optional[int] = None

    with s.step("create(dict) and create(list)", critical=True):
        author = (await d.collection(authors).create({"name": "Ada Lovelace"})).item
        first = (await d.collection(articles).create({"title": "Red Panda", "rank": 1, "author": author["id"],
                                                      "published_on": "2024-01-10"})).item
        eq((first["title"], first["rank"], first["status"], first["published_on"]),
           ("Red Panda", 1, "draft", "2024-01-10"), "created item")
        more = (await d.collection(articles).create([{"title": "A", "rank": 2}, {"title": "B", "rank": 3}])).items
        eq(titles(more), ["A", "B"], "created items")
    with s.step("read(id) with fields through a relation (GET with params)"):
        item = (await d.collection(articles).fields("title", "author.name").read(first["id"])).item
        eq(item, {"title": "Red Panda", "author": {"name": "Ada Lovelace"}}, "item")
    with s.step("a typed collection (pydantic model)"):
        typed = (await d.collection(Article).read(first["id"])).item
        eq((type(typed).__name__, typed.title, typed.rank), ("Article", "Red Panda", 1), "typed item")
        listed = (await d.collection(Article).sort("rank").read()).items
        eq([a.title for a in listed], ["Red Panda", "A", "B"], "typed list")
    with s.step("update(id, dict)"):
        eq((await d.collection(articles).update(first["id"], {"title": "Renamed"})).item["title"], "Renamed",
           "update answer")
        eq((await d.collection(articles).read(first["id"])).item["title"], "Renamed", "read back")
    with s.step("update([ids], dict) (keys and data)"):
        updated = (await d.collection(articles).update([m["id"] for m in more], {"status": "archived"})).items
        eq(sorted(u["status"] for u in updated), ["archived", "archived"], "update answer")
        stored = (await d.collection(articles).filter(status="archived").read()).items
        eq(sorted(titles(stored)), ["A", "B"], "read back")
    with s.step("read as tasks, then gather()"):
        one = await d.collection(articles).read(first["id"], as_task=True)
        two = await d.collection(articles).read(more[0]["id"], as_task=True)
        with quiet():
            await d.gather()
        eq((one.item["title"], two.item["title"]), ("Renamed", "A"), "gathered items")
    with s.step("delete(id)"):
        await d.collection(articles).delete(first["id"])
        eq(titles((await d.collection(articles).sort("rank").read()).items), ["A", "B"], "items after delete")
    with s.step("delete([ids]) fails in the client before any request (httpx's delete() takes no body)"):
        # The client's bug, whatever the server: it passes json= to httpx.AsyncClient.delete.
        seen = len(Traffic.exchanges)
        try:
            await d.collection(articles).delete([m["id"] for m in more])
            raise AssertionError("delete([ids]) succeeded")
        except TypeError:
            eq(len(Traffic.exchanges), seen, "requests sent")


async def queries(s):
    d = await admin_client()
    with s.step("seed the data set through the client", critical=True):
        (authors, articles, comments), _ = await seed(d, s.tag)

    everything = expected_titles(lambda *_: True)

    async def check(name, build, expected, ordered=False):
        for method in ("search", "get"):
            with s.step(f"{name} [{'SEARCH body' if method == 'search' else 'GET query string'}]"):
                rows = (await build(d.collection(articles)).read(method=method)).items or []
                got = titles(rows)
                eq(got if ordered else sorted(got), expected if ordered else sorted(expected), "titles")

    await check("filter(status=…)", lambda r: r.filter(status="published"),
                expected_titles(lambda t, st, *_: st == "published"))
    await check("filter with two keywords (_and), _gt and _neq", lambda r: r.filter(rank__gt=2, status__neq="archived"),
                expected_titles(lambda t, st, r, *_: r > 2 and st != "archived"))
    await check("F(…) | F(…)", lambda r: r.filter(F(status="draft") | F(rank__lt=2)),
                expected_titles(lambda t, st, r, *_: st == "draft" or r < 2))
    await check("filter(rank__in=…)", lambda r: r.filter(rank__in=[1, 3, 5]), expected_titles(lambda t, st, r, *_: r in (1, 3, 5)))
    await check("_icontains", lambda r: r.filter(title__icontains="PANDA"),
                expected_titles(lambda t, *_: "panda" in t.lower()))
    await check("relational filter author__name", lambda r: r.filter(author__name="Ada Lovelace"),
                expected_titles(lambda t, st, r, d_, a: a == 0))
    await check("_between dates", lambda r: r.filter(published_on__between=["2024-01-01", "2024-03-31"]),
                expected_titles(lambda t, st, r, d_, a: "2024-01-01" <= d_ <= "2024-03-31"))
    await check("_null", lambda r: r.filter(published_on__null=True), [])
    await check("sort descending and limit", lambda r: r.sort("rank", asc=False).limit(2),
                ["Panda diaries", "Quiet river"], ordered=True)
    await check("sort by two fields", lambda r: r.sort("status").sort("rank", asc=False),
                [row[0] for row in sorted(ARTICLES, key=lambda row: (row[1], -row[2]))], ordered=True)
    await check("offset", lambda r: r.sort("rank").limit(2).offset(2), ["Snow leopard", "C++ and pandas"], ordered=True)
    await check("page", lambda r: r.sort("rank").limit(2).page(2), ["Snow leopard", "C++ and pandas"], ordered=True)
    await check("search with a space", lambda r: r.search("red panda"),
                expected_titles(lambda t, *_: "red panda" in t.lower()))
    # search(4): a number in the SEARCH body, which Directus ignores (it takes only a string search): every item;
    # in the query string it is the text "4": numeric fields equal to 4 (the id and the rank of one article).
    with s.step("search(4) [SEARCH body]: a number, ignored"):
        eq(sorted(titles((await d.collection(articles).search(4).read()).items)), sorted(everything), "titles")
    with s.step("search(4) [GET query string]: numeric equality"):
        eq(titles((await d.collection(articles).search(4).read(method="get")).items), ["C++ and pandas"], "titles")
    for method in ("search", "get"):
        label = "SEARCH body" if method == "search" else "GET query string"
        with s.step(f"fields with a relational path [{label}]"):
            rows = (await d.collection(articles).fields("title", "author.name").sort("rank").limit(2)
                    .read(method=method)).items
            eq(rows, [{"title": "Red Panda", "author": {"name": "Ada Lovelace"}},
                      {"title": "red pandas in snow", "author": {"name": "Grace Hopper"}}], "rows")
        with s.step(f"aggregate(count='*') [{label}]"):
            rows = (await d.collection(articles).aggregate(count="*").read(method=method)).items
            eq(int(rows[0]["count"]), len(ARTICLES), "count")
        with s.step(f"aggregate(Agg(operator=Sum)) with group_by [{label}]"):
            rows = (await d.collection(articles).aggregate(Agg(operator=AggregationOperators.Sum, fields="rank"))
                    .group_by("status").read(method=method)).items
            want = {}
            for _, status, rank, _, _ in ARTICLES:
                want[status] = want.get(status, 0) + rank
            eq({row["status"]: int(float(row["sum"]["rank"])) for row in rows}, want, "sum(rank) by status")
        with s.step(f"include_count (meta=*): total_count and filtered_count [{label}]"):
            response = await d.collection(articles).filter(status="published").include_count().limit(1).read(
                method=method)
            eq((response.total_count, response.filtered_count, len(response.items)),
               (len(ARTICLES), len(expected_titles(lambda t, st, *_: st == "published")), 1), "counts")
    with s.step("read(cache=True): the second read is answered from the client's cache"):
        first = await d.collection(articles).filter(status="draft").read(cache=True)
        seen = len(Traffic.exchanges)
        second = await d.collection(articles).filter(status="draft").read(cache=True)
        eq((len(Traffic.exchanges), titles(second.items)), (seen, titles(first.items)), "cached read")


async def files(s):
    d = await admin_client()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with quiet():
        await py_directus.async_init(URL, ADMIN_TOKEN)  # the documented set-up: get_file_url reads its URL
    jpeg = copy_jpeg(s, "photo.jpg")
    png = write_png(f"{s.folder}/gradient.png")
    with s.step("upload_file (multipart with a title, the type from libmagic)", critical=True):
        row = (await d.upload_file(jpeg)).item
        eq((row["title"], row["type"], row["filename_download"], row["width"], row["height"]),
           ("photo", "image/jpeg", "photo.jpg", *JPEG_SIZE), "uploaded row")
    with s.step("a folder, then upload_file(folder=name) (it finds the folder with SEARCH /folders)"):
        folder = (await d.collection(py_directus.DirectusFolder).create({"name": f"Folder {s.tag}"})).item
        in_folder = (await d.upload_file(png, folder=f"Folder {s.tag}")).item
        # create() with a model class answers a model object, not a dict.
        eq((in_folder["folder"], in_folder["type"], in_folder["width"]), (folder.id, "image/png", 64),
           "uploaded row")
    with s.step("read a file as a DirectusFile model"):
        model = (await d.collection(py_directus.DirectusFile).read(row["id"])).item
        eq((model.filename_download, int(model.filesize), model.width, model.type),
           ("photo.jpg", len(read_bytes(JPEG_FIXTURE)), JPEG_SIZE[0], "image/jpeg"), "DirectusFile")
    with s.step("list files filtered by type (SEARCH /files)"):
        found = (await d.collection(py_directus.DirectusFile).filter(type="image/png").fields("id").read()).items
        eq([model.id for model in found], [in_folder["id"]], "files of type image/png")
    with s.step("update a file's title, description and tags (PATCH /files/:id)"):
        updated = (await d.collection(py_directus.DirectusFile).update(
            row["id"], {"title": "Renamed", "description": "a panda", "tags": ["panda"]})).item
        eq((updated.title, updated.description, updated.tags), ("Renamed", "a panda", ["panda"]), "answer")
    with s.step("get_file_url with width, height and fit, fetched"):
        url = Directus.get_file_url(row["id"], fit="cover", width=50, height=50)
        async with httpx.AsyncClient(timeout=30, event_hooks=harness.httpx_event_hooks()) as http:
            response = await http.get(url, headers=auth)
        eq(response.status_code, 200, f"GET {url}")
        eq((image_format(response.content), image_size(response.content)), ("jpeg", (50, 50)), "transformed asset")
    with s.step("get_file_url with transforms writes them as a Python list: Directus refuses it with 400"):
        # The client's bug: `transforms=[['blur', 1]]` (str() of a list) is not JSON; Directus answers 400
        # INVALID_QUERY for it.
        url = Directus.get_file_url(row["id"], width=50, blur=1)
        async with httpx.AsyncClient(timeout=30, event_hooks=harness.httpx_event_hooks()) as http:
            response = await http.get(url, headers=auth)
        eq(response.status_code, 400, f"GET {url}")
        eq(response.json()["errors"][0]["extensions"]["code"], "INVALID_QUERY", "error code")
    # download_file sends no token (the client does not pass its auth to that request), so it reads public files
    # only, on Directus as on Depot: the public policy is given read access to files first.
    with s.step("public read on files (the public policy found with SEARCH /policies, a DirectusPermission)"):
        public = (await d.collection("directus_policies").filter(name="$t:public_label").fields("id").read()).item
        await d.collection(py_directus.DirectusPermission).create(
            {"policy": public["id"], "collection": "directus_files", "action": "read", "fields": ["*"]})
    with s.step("download_file saves the file under the name of Content-Disposition"):
        response = await d.download_file(row["id"])
        eq(response.status_code, 200, "download status")
        saved = os.path.join(os.path.expanduser("~/Downloads/py_directus"), "photo.jpg")
        eq(os.path.exists(saved), True, f"{saved} exists (Content-Disposition: "
                                        f"{response.headers.get('content-disposition')!r})")
        eq(read_bytes(saved) == read_bytes(JPEG_FIXTURE), True, "saved bytes equal the upload")
    with s.step("download_file with width and format"):
        response = await d.download_file(row["id"], width=30, img_format="png")
        eq((response.status_code, image_format(response.content), image_size(response.content)[0]),
           (200, "png", 30), "transformed download")
    with s.step("delete a file"):
        doomed = (await d.upload_file(png)).item
        await d.collection(py_directus.DirectusFile).delete(doomed["id"])
        eq((await d.collection(py_directus.DirectusFile).filter(id=doomed["id"]).read()).items, None,
           "the deleted file")


async def users(s):
    d = await admin_client()
    email = f"{s.tag}@example.com"
    with s.step("create a role (DirectusRole), then roles() lists it (SEARCH /roles)", critical=True):
        role = (await d.collection(py_directus.DirectusRole).create({"name": f"Editors {s.tag}"})).item
        names = [r.name for r in (await d.roles()).items]
        assert f"Editors {s.tag}" in names, names
    with s.step("create a user (DirectusUser)", critical=True):
        user = (await d.collection(py_directus.DirectusUser).create(
            {"email": email, "password": "user-password", "role": role.id, "first_name": "Client"})).item
        eq((user.email, user.first_name, user.role), (email, "Client", role.id), "created user")
    with s.step("find the user by email (SEARCH /users)"):
        found = (await d.collection(py_directus.DirectusUser).filter(email=email).read()).items
        eq([(u.id, u.first_name) for u in found], [(user.id, "Client")], "users")
    with s.step("update the user"):
        eq((await d.collection(py_directus.DirectusUser).update(user.id, {"last_name": "Tester"})).item.last_name,
           "Tester", "last_name")
    with s.step("delete the user"):
        await d.collection(py_directus.DirectusUser).delete(user.id)
        eq((await d.collection(py_directus.DirectusUser).filter(email=email).read()).items, None,
           "users after delete")
    with s.step("read_settings and update_settings"):
        await d.update_settings({"project_name": f"Clients {s.tag}"})
        eq((await d.read_settings()).item["project_name"], f"Clients {s.tag}", "project_name read back")


async def translations(s):
    d = await admin_client()
    with s.step("create_translations (POST /translations)", critical=True):
        created = (await d.create_translations(f"greeting_{s.tag}", (f"farewell_{s.tag}", "fr-FR"))).items
        eq(sorted((t.key, t.language) for t in created),
           sorted([(f"greeting_{s.tag}", "en-GB"), (f"farewell_{s.tag}", "fr-FR")]), "created translations")
    with s.step("set a value, then get_translations(clean=True) (SEARCH /translations)"):
        greeting = (await d.collection(py_directus.DirectusTranslation).filter(key=f"greeting_{s.tag}").read()).item
        await d.collection(py_directus.DirectusTranslation).update(greeting.id, {"value": "Hello"})
        clean = await d.get_translations(clean=True)
        eq((clean.get(f"greeting_{s.tag}"), clean.get(f"farewell_{s.tag}")), ({"en-GB": "Hello"}, {"fr-FR": ""}),
           "translations by key")


async def realtime(s):
    d = await admin_client()
    name = f"live_{s.tag}"
    with s.step("a collection to watch", critical=True):
        await d.collection("directus_collections").create(
            {"collection": name, "schema": {}, "fields": [{"field": "title", "type": "string"}]})
    with s.step("subscribe (websocket auth with the access token, subscribe to create), then a create arrives"):
        ws_url = URL.replace("http://", "ws://") + "/websocket"
        auth_reply, ws = await asyncio.wait_for(d.collection(name).fields("id", "title").subscribe(
            ws_url, event_type="create"), timeout=10)
        try:
            eq({k: v for k, v in json.loads(auth_reply).items() if k in ("type", "status")},
               {"type": "auth", "status": "ok"}, "auth reply")
            await d.collection(name).create({"title": "live one"})
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                if message.get("type") == "subscription" and message.get("event") == "create":
                    break
            eq([row["title"] for row in message["data"]], ["live one"], "created item in the event")
        finally:
            await ws.close()


# Depot has no /websocket yet (API.md describes it; issue 16 does not ask for it): listed, not run, until it has.
SKIPPED = {"realtime": "depot has no /websocket yet (API.md: Realtime); remove this skip when it has"}

if __name__ == "__main__":
    sys.exit(harness.run({name: synchronously(fn) for name, fn in {
        "auth": auth, "schema": schema, "items": items, "queries": queries, "files": files, "users": users,
        "translations": translations, "realtime": realtime}.items()}, skipped=SKIPPED))
