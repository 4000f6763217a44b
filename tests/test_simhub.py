"""Tests of lineage.sim.server: the simulated Hub API, checked with raw HTTP and the real HfApi.

Everything runs on 127.0.0.1. Most fault tests replace huggingface_hub's retry sleep with a
recorder (``client_sleeps``), so they are instant and can assert how long the real client
would have waited; ``test_real_backoff_sleep`` keeps one real sleep to show nothing depends
on that.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import math
import threading
import time
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from lineage.sim.server import DEFAULT_LIST_FIELDS, FaultRule, FaultSpec, SimHub, SimHubError

SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/real-sample"
RELATIONS = ("finetune", "adapter", "quantized", "merge")
hf_http = importlib.import_module("huggingface_hub.utils._http")


# --------------------------------------------------------------------------------------------
# helpers


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def make_items(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` synthetic listing items: ids ``user{i%50}/model-{i}``, createdAt increasing with
    ``i``, lastModified/downloads/likes with many ties, every third a child of an earlier model."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    items = []
    for i in range(start, start + n):
        item: dict[str, Any] = {
            "_id": f"{(i * 2654435761) % 2**96:024x}",
            "id": f"user{i % 50}/model-{i}",
            "author": f"user{i % 50}",
            "createdAt": iso(base + timedelta(minutes=i)),
            "lastModified": iso(base + timedelta(days=30, minutes=(i * 7919) % 997)),
            "downloads": (i * 37) % 101,
            "likes": i % 7,
            "private": False,
            "gated": False,
            "pipeline_tag": ("text-generation", None, "text-to-image")[i % 3],
            "library_name": ("transformers", "gguf", "diffusers", None)[i % 4],
            "tags": ["safetensors", f"user-tag-{i % 5}"],
        }
        if i % 3 == 1 and i >= 7:
            parent = f"user{(i // 7) % 50}/model-{i // 7}"
            relation = RELATIONS[i % 4]
            item["tags"] += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
            if i % 9 == 4:  # a merge of two parents
                other = f"user{(i // 3) % 50}/model-{i // 3}"
                item["tags"] += [f"base_model:{other}", f"base_model:merge:{other}"]
        if i % 10 == 0:
            item["cardData"] = {"license": "mit", "base_model": None}
        if i % 11 == 0:
            del item["likes"]  # items need not all have the same keys
        items.append(item)
    return items


def sample_items() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (SAMPLE / "models.jsonl").read_bytes().splitlines() if line]


def expected_order(items: list[dict[str, Any]], key: str, descending: bool = True) -> list[str]:
    """Ids in the order the Hub simulation promises, computed independently of simhub."""

    def value(item: dict[str, Any]) -> Any:
        if key in ("createdAt", "lastModified"):
            return datetime.fromisoformat(item[key]).timestamp()
        if key == "id":
            return item["id"]
        return item.get(key, -math.inf)

    ordered = sorted(items, key=lambda it: (value(it), it.get("_id", ""), it["id"]), reverse=descending)
    return [it["id"] for it in ordered]


def fetch_pages(
    base: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None, max_pages: int = 10_000
) -> list[httpx2.Response]:
    """Follow ``Link: rel="next"`` from ``/api/models`` and return every response."""
    responses = []
    url: str | None = base + "/api/models"
    with httpx2.Client(timeout=10) as client:
        while url is not None:
            response = client.get(url, params=params)
            assert response.status_code == 200, response.text
            responses.append(response)
            url = response.links.get("next", {}).get("url")
            params = None
            assert len(responses) <= max_pages
    return responses


def all_ids(responses: list[httpx2.Response]) -> list[str]:
    return [item["id"] for r in responses for item in r.json()]


def listing_log(hub: SimHub) -> list[tuple[int, str | None]]:
    return [(e.status, e.fault) for e in hub.request_log if e.path == "/api/models"]


def api(hub: SimHub) -> HfApi:
    assert hub.url is not None
    return HfApi(endpoint=hub.url, token=False)


def hf_ids(hub: SimHub, **kw: Any) -> list[str]:
    return [m.id for m in api(hub).list_models(**kw)]


@pytest.fixture
def client_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record huggingface_hub's retry sleeps instead of sleeping."""
    slept: list[float] = []
    monkeypatch.setattr(hf_http, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture(scope="module")
def items3000() -> list[dict[str, Any]]:
    return make_items(3000)


@pytest.fixture
def hub3000(items3000: list[dict[str, Any]]) -> Iterator[SimHub]:
    with SimHub(items3000) as hub:
        yield hub
    assert hub.server_errors == []


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --------------------------------------------------------------------------------------------
# the real sample, through the real client and raw pages


def test_real_sample_round_trips_through_hfapi() -> None:
    items = sample_items()
    by_id = {it["id"]: it for it in items}
    keys = sorted({k for it in items for k in it})
    with SimHub.from_dir(SAMPLE) as hub:
        models = list(api(hub).list_models(sort="created_at", expand=keys, limit=None))
    assert [m.id for m in models] == expected_order(items, "createdAt")
    for m in models:
        item = by_id[m.id]
        assert m.tags == item["tags"]
        assert m.created_at == datetime.fromisoformat(item["createdAt"])
        assert m.last_modified == datetime.fromisoformat(item["lastModified"])
        assert m.card_data is not None and m.card_data.to_dict() == item["cardData"]
        assert (m.author, m.sha, m.downloads, m.likes, m.gated, m.private, m.disabled) == (
            item["author"],
            item["sha"],
            item["downloads"],
            item["likes"],
            item["gated"],
            item["private"],
            item["disabled"],
        )
        assert (m.library_name, m.pipeline_tag) == (item["library_name"], item["pipeline_tag"])
        assert vars(m)["_id"] == item["_id"]
    assert hub.server_errors == []


@pytest.mark.parametrize("expand_key", ["expand", "expand[]"])
def test_real_sample_raw_pages_are_exact(expand_key: str) -> None:
    items = sample_items()
    keys = sorted({k for it in items for k in it})
    params = [("limit", 50), ("sort", "createdAt"), *((expand_key, k) for k in keys)]
    with SimHub.from_dir(SAMPLE) as hub:
        responses = fetch_pages(hub.url or "", params)
    assert [len(r.json()) for r in responses] == [50] * 7 + [13]
    assert all("next" in r.links for r in responses[:-1]) and "link" not in responses[-1].headers
    by_id = {it["id"]: it for it in items}
    got = [item for r in responses for item in r.json()]
    assert [it["id"] for it in got] == expected_order(items, "createdAt")
    assert got == [by_id[it["id"]] for it in got]  # every field exactly, cardData included
    # The next link keeps every original parameter and adds the cursor.
    link = httpx2.URL(responses[0].links["next"]["url"])
    assert link.params.get_list(expand_key) == keys
    assert link.params["limit"] == "50" and link.params["sort"] == "createdAt" and "cursor" in link.params


def test_real_sample_default_listing_through_hfapi() -> None:
    with SimHub.from_dir(SAMPLE) as hub:
        models = list(api(hub).list_models())
        assert len(models) == 363 == len(hub)
        first = httpx2.get(f"{hub.url}/api/models", params={"limit": 1}).json()[0]
    assert set(first) == DEFAULT_LIST_FIELDS | {"modelId"}
    assert first["modelId"] == first["id"]


# --------------------------------------------------------------------------------------------
# pagination


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("createdAt", "createdAt"),
        ("created_at", "createdAt"),
        ("lastModified", "lastModified"),
        ("last_modified", "lastModified"),
        ("downloads", "downloads"),
        ("likes", "likes"),
        ("id", "id"),
    ],
)
@pytest.mark.parametrize("direction", [None, "-1", "1"])
def test_sort_orders(sort: str, key: str, direction: str | None) -> None:
    items = make_items(400)
    params: dict[str, Any] = {"limit": 37, "sort": sort, "expand": ["createdAt"]}
    if direction is not None:
        params["direction"] = direction
    with SimHub(items) as hub:
        responses = fetch_pages(hub.url or "", params)
    assert [len(r.json()) for r in responses] == [37] * 10 + [30]
    assert all_ids(responses) == expected_order(items, key, descending=direction != "1")


def test_hfapi_sorts_match(hub3000: SimHub, items3000: list[dict[str, Any]]) -> None:
    for sort, key in [
        ("created_at", "createdAt"),
        ("last_modified", "lastModified"),
        ("downloads", "downloads"),
    ]:
        assert hf_ids(hub3000, sort=sort, expand=["createdAt"]) == expected_order(items3000, key)


def test_no_sort_is_insertion_order_and_limit_is_clamped() -> None:
    items = make_items(1500)[::-1]
    with SimHub(items) as hub:
        responses = fetch_pages(hub.url or "", {"limit": 5000})
        default = fetch_pages(hub.url or "")
    assert [len(r.json()) for r in responses] == [1000, 500]
    assert [len(r.json()) for r in default] == [1000, 500]
    assert all_ids(responses) == [it["id"] for it in items]


def test_cursor_is_stable_when_models_change_between_pages() -> None:
    items = make_items(100)
    hub = SimHub(items)
    with hub, httpx2.Client() as client:
        url: str | None = f"{hub.url}/api/models?limit=10&sort=createdAt"
        seen: list[str] = []
        pages = 0
        while url is not None:
            response = client.get(url)
            assert response.status_code == 200
            seen += [it["id"] for it in response.json()]
            url = response.links.get("next", {}).get("url")
            pages += 1
            if pages == 1:
                # newer than everything: belongs on page 1, already served, so never seen
                hub.add(make_items(1, start=1000))
                # the model the cursor points at is deleted: the cursor still works
                hub.delete(seen[-1])
                # older than everything: comes last
                old = make_items(1, start=2000)[0]
                old["createdAt"] = "2023-01-01T00:00:00.000Z"
                hub.add([old])
            if pages == 2:
                hub.update(seen[0], downloads=10**6)  # changes a served model: not served again
    expected = [*expected_order(items, "createdAt"), "user0/model-2000"]
    assert seen == expected
    assert len(seen) == len(set(seen))


def test_short_page_that_is_not_the_last_has_a_next_link() -> None:
    items = make_items(2000)
    wanted = "base_model:finetune:someone/rare"  # only three models carry it
    for i in (5, 1500, 1990):
        items[i]["tags"].append(wanted)
    with SimHub(items, max_limit=100, scan_limit=400) as hub:
        responses = fetch_pages(hub.url or "", {"filter": wanted, "sort": "createdAt", "limit": 100})
    sizes = [len(r.json()) for r in responses]
    assert len(responses) >= 4  # 2000 models / 400 scanned per request
    assert sizes.count(0) >= 2  # empty pages in the middle, each with a next link
    assert all("next" in r.links for r in responses[:-1]) and "next" not in responses[-1].links
    assert all_ids(responses) == [items[i]["id"] for i in (1990, 1500, 5)]


def test_filters(hub3000: SimHub, items3000: list[dict[str, Any]]) -> None:
    url = hub3000.url or ""
    order = expected_order(items3000, "createdAt")
    by_id = {it["id"]: it for it in items3000}
    lineage_tags = collections.Counter(
        t for it in items3000 for t in it["tags"] if t.startswith("base_model:")
    )
    plain = next(t for t, _ in lineage_tags.most_common() if t.count(":") == 1)
    adapter = next(t for t, _ in lineage_tags.most_common() if t.startswith("base_model:adapter:"))

    def check(params: dict[str, Any], predicate: Any) -> None:
        got = all_ids(fetch_pages(url, {"sort": "createdAt", "limit": 300, **params}))
        assert got == [i for i in order if predicate(by_id[i])]
        assert got, params

    check({"author": "USER7"}, lambda it: it["id"].startswith("user7/"))
    check({"search": "MODEL-12"}, lambda it: "model-12" in it["id"])
    check({"filter": plain}, lambda it: plain in it["tags"])
    check({"filter": [adapter, "safetensors"]}, lambda it: adapter in it["tags"])
    check({"pipeline_tag": "text-to-image"}, lambda it: it["pipeline_tag"] == "text-to-image")
    check({"library": "gguf"}, lambda it: it["library_name"] == "gguf")
    check(
        {"author": "user4", "filter": "user-tag-4", "library": "transformers"},
        lambda it: (
            it["id"].startswith("user4/")
            and "user-tag-4" in it["tags"]
            and it["library_name"] == "transformers"
        ),
    )
    assert all_ids(fetch_pages(url, {"filter": "no-such-tag"})) == []
    # the same through the real client
    author = plain.split(":")[1].split("/")[0]
    got = hf_ids(hub3000, author=author, filter=["safetensors", plain], sort="created_at")
    assert got == [i for i in order if i.startswith(author + "/") and plain in by_id[i]["tags"]]


def test_expand_selects_fields(hub3000: SimHub, items3000: list[dict[str, Any]]) -> None:
    url = hub3000.url or ""
    by_id = {it["id"]: it for it in items3000}
    for params in ({"expand": ["likes", "cardData"]}, {"expand[]": ["likes", "cardData"]}):
        for item in fetch_pages(url, params)[0].json():
            src = by_id[item["id"]]
            assert item == {k: src[k] for k in ("_id", "id", "likes", "cardData") if k in src}
    full = fetch_pages(url, {"full": "true"})[0].json()
    assert all(
        item == {**{k: v for k, v in by_id[item["id"]].items() if k != "cardData"}, "modelId": item["id"]}
        for item in full
    )
    full_card = fetch_pages(url, {"full": "true", "cardData": "true"})[0].json()
    assert all(item == {**by_id[item["id"]], "modelId": item["id"]} for item in full_card)
    default = fetch_pages(url, {"cardData": "true"})[0].json()
    for item in default:
        src = by_id[item["id"]]
        fields = (DEFAULT_LIST_FIELDS | {"cardData"}) & set(src)
        assert item == {**{k: src[k] for k in fields}, "modelId": src["id"]}
    # an expand set that covers every stored key returns the stored item unchanged
    keys = sorted({k for it in items3000 for k in it})
    assert fetch_pages(url, {"expand": keys})[0].json() == items3000[:1000]


def test_listing_rejects_detail_only_expand(hub3000: SimHub) -> None:
    response = httpx2.get(f"{hub3000.url}/api/models", params={"expand[]": ["tags", "baseModels"]})
    assert response.status_code == 400 and "baseModels" in response.json()["error"]


# --------------------------------------------------------------------------------------------
# /api/models/{repo_id}


def lineage_expectations(
    items: list[dict[str, Any]],
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, Any] | None]]:
    """childrenModelCount and baseModels for every item, computed from the tags."""
    by_lower = {it["id"].lower(): it for it in items}
    children: dict[str, dict[str, int]] = {it["id"].lower(): dict.fromkeys(RELATIONS, 0) for it in items}
    base: dict[str, dict[str, Any] | None] = {}
    for it in items:
        own = it["id"].lower()
        edges = set()
        parents: list[dict[str, Any]] = []
        relation = None
        for tag in it.get("tags", []):
            if not tag.startswith("base_model:"):
                continue
            parts = tag.split(":")
            rel, ref = (parts[1], parts[2]) if len(parts) == 3 else (None, parts[1])
            if ref.lower() == own:
                continue
            if rel in RELATIONS:
                edges.add((ref.lower(), rel))
            parent = by_lower.get(ref.lower())
            if parent is None:
                continue
            relation = relation or rel
            entry = {"_id": parent["_id"], "id": parent["id"]}
            if entry not in parents:
                parents.append(entry)
        for ref, rel in edges:
            children.setdefault(ref, dict.fromkeys(RELATIONS, 0))[rel] += 1
        base[it["id"]] = {"relation": relation or "finetune", "models": parents} if parents else None
    return children, base


@pytest.mark.parametrize("source", ["sample", "synthetic"])
def test_model_info_lineage(source: str) -> None:
    items = sample_items() if source == "sample" else make_items(600)
    children, base = lineage_expectations(items)
    with SimHub(items) as hub, httpx2.Client(base_url=hub.url or "") as client:
        for it in items:
            r = client.get(
                f"/api/models/{it['id']}", params={"expand[]": ["baseModels", "childrenModelCount"]}
            )
            assert r.status_code == 200
            body = r.json()
            expected: dict[str, Any] = {"_id": it["_id"], "id": it["id"]}
            if base[it["id"]] is not None:
                expected["baseModels"] = base[it["id"]]
            expected["childrenModelCount"] = children[it["id"].lower()]
            assert body == expected
            assert client.get(f"/api/models/{it['id'].upper()}").json() == it  # case-insensitive, all fields
        # the parent with most children, through the real client
        top = max(items, key=lambda it: sum(children[it["id"].lower()].values()))
        info = api(hub).model_info(top["id"], expand=["baseModels", "childrenModelCount", "tags"])
    assert info.children_model_count == children[top["id"].lower()]
    assert sum(children[top["id"].lower()].values()) > 1
    assert info.tags == top["tags"] and info.base_models == base[top["id"]]


def test_children_index_follows_add_update_delete() -> None:
    parent = {"_id": "p", "id": "org/base", "tags": []}
    child = {"_id": "c", "id": "me/ft", "tags": ["base_model:org/base", "base_model:finetune:org/base"]}
    with SimHub([parent, child]) as hub, httpx2.Client(base_url=hub.url or "") as client:

        def counts() -> dict[str, int]:
            r = client.get("/api/models/org/base", params={"expand[]": "childrenModelCount"})
            result: dict[str, int] = r.json()["childrenModelCount"]
            return result

        assert counts() == {"finetune": 1, "adapter": 0, "quantized": 0, "merge": 0}
        hub.add([{"_id": "q", "id": "me/q", "tags": ["base_model:quantized:ORG/BASE"]}])
        assert counts() == {"finetune": 1, "adapter": 0, "quantized": 1, "merge": 0}
        hub.update("me/ft", tags=["base_model:adapter:org/base"])
        assert counts() == {"finetune": 0, "adapter": 1, "quantized": 1, "merge": 0}
        hub.delete("me/q")
        assert counts() == {"finetune": 0, "adapter": 1, "quantized": 0, "merge": 0}
        r = client.get("/api/models/me/ft", params={"expand[]": "baseModels"})
        assert r.json()["baseModels"] == {"relation": "adapter", "models": [{"_id": "p", "id": "org/base"}]}
        hub.delete("org/base")  # a deleted parent is no longer listed
        assert "baseModels" not in client.get("/api/models/me/ft", params={"expand[]": "baseModels"}).json()


def test_model_info_unknown_is_repository_not_found(hub3000: SimHub) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api(hub3000).model_info("nobody/nothing")
    r = httpx2.get(f"{hub3000.url}/api/models/nobody/nothing")
    assert r.status_code == 404 and r.headers["x-error-code"] == "RepoNotFound"
    assert r.json() == {"error": "Repository not found"}


def test_errors(hub3000: SimHub) -> None:
    url = hub3000.url
    with httpx2.Client() as client:
        for path in ("/", "/api/datasets", "/api/spaces/x/y"):
            r = client.get(f"{url}{path}")
            assert r.status_code == 404 and "error" in r.json()
        for params in (
            {"cursor": "not-a-cursor"},
            {"cursor": "eyJ4IjoxfQ"},  # valid base64 JSON, not a cursor
            {"sort": "popularity"},
            {"direction": "up"},
            {"limit": "many"},
            {"limit": "0"},
        ):
            r = client.get(f"{url}/api/models", params=params)
            assert r.status_code == 400 and "error" in r.json(), params
        link = client.get(f"{url}/api/models", params={"sort": "likes", "limit": 5}).links["next"]["url"]
        cursor = httpx2.URL(link).params["cursor"]
        r = client.get(f"{url}/api/models", params={"sort": "downloads", "cursor": cursor})
        assert r.status_code == 400 and "sort" in r.json()["error"]


def test_update_delete_and_len() -> None:
    clock = FakeClock(1_750_000_000.0)
    hub = SimHub(make_items(10), clock=clock)
    assert len(hub) == 10
    hub.update("user3/model-3", downloads=5)
    item = hub.get("USER3/model-3")
    assert item is not None and item["downloads"] == 5
    assert item["lastModified"] == "2025-06-15T15:06:40.000Z"
    hub.update("user3/model-3", lastModified="2020-01-01T00:00:00.000Z")
    assert (hub.get("user3/model-3") or {})["lastModified"] == "2020-01-01T00:00:00.000Z"
    hub.add([{"id": "user3/model-3", "_id": "x"}])  # replace by id
    assert len(hub) == 10 and hub.get("user3/model-3") == {"id": "user3/model-3", "_id": "x"}
    hub.delete("user3/model-3")
    assert len(hub) == 9 and "user3/model-3" not in hub
    with pytest.raises(KeyError):
        hub.delete("user3/model-3")
    with pytest.raises(KeyError):
        hub.update("nobody/x", likes=1)
    with pytest.raises(ValueError, match="id"):
        hub.add([{"_id": "no id"}])


def test_stop_closes_kept_alive_connections() -> None:
    hub = SimHub(make_items(5))
    with httpx2.Client() as client:
        hub.start()
        assert client.get(f"{hub.url}/api/models").status_code == 200
        hub.stop()
        with pytest.raises(httpx2.TransportError):
            client.get(f"{hub.url}/api/models")


def test_busy_or_bad_address_is_one_clear_error() -> None:
    with SimHub(make_items(3)) as first:
        port = int((first.url or "").rsplit(":", 1)[1])
        with pytest.raises(SimHubError, match=rf"127\.0\.0\.1:{port}.*already in use.*--port") as busy:
            SimHub(make_items(3)).start(port=port)
        assert isinstance(busy.value, OSError) and "\n" not in str(busy.value)
        with pytest.raises(SimHubError, match="already in use"):
            SimHub().serve_forever("127.0.0.1", port)
    for bad in (70000, -1):
        with pytest.raises(SimHubError, match=rf"127\.0\.0\.1:{bad}.*out of range.*--port"):
            SimHub().start(port=bad)


@pytest.mark.parametrize("port", ["busy", "99999"])
def test_simhub_command_on_a_bad_port_prints_one_line(port: str) -> None:
    from click.testing import CliRunner

    from lineage.cli import cli

    with SimHub(make_items(3)) as first:
        number = (first.url or "").rsplit(":", 1)[1] if port == "busy" else port
        result = CliRunner().invoke(cli, ["simhub", "--data", str(SAMPLE), "--port", number])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot serve on 127.0.0.1:" + number), lines
    assert "Traceback" not in result.output and "Serving" not in result.output


# --------------------------------------------------------------------------------------------
# faults through the real client


@pytest.mark.parametrize(
    ("spec", "sleeps"),
    [
        ("429@2,retry_after=0", [1.0]),  # Retry-After 0 -> the client waits 0 + 1 s
        ("429@2,retry_after=3,quota=1000", [4.0]),  # RateLimit says r>0, so Retry-After counts
        ("500@2", [1]),
        ("502@2", [1]),
        ("503@2", [1]),
        ("504@2", [1]),
        ("503@1", [1]),  # the first page is retried too (http_backoff), contrary to a common belief
        ("503@2,3,4", [1, 2, 4]),  # exponential backoff
    ],
)
def test_status_faults_are_survived(
    spec: str, sleeps: list[float], items3000: list[dict[str, Any]], client_sleeps: list[float]
) -> None:
    with SimHub(items3000, faults=spec) as hub:
        ids = hf_ids(hub, sort="created_at", expand=["createdAt"])
    assert ids == expected_order(items3000, "createdAt")
    assert client_sleeps == sleeps
    kind = spec.split("@")[0]
    assert hub.faults_injected() == {kind: len(sleeps)}
    statuses = [status for status, _ in listing_log(hub)]
    assert statuses.count(int(kind)) == len(sleeps) and statuses.count(200) == 3
    assert all(fault in (None, kind) for _, fault in listing_log(hub))


def test_real_backoff_sleep(items3000: list[dict[str, Any]]) -> None:
    """No sleep patching: huggingface_hub really waits 1 s and then gets the page."""
    start = time.monotonic()
    with SimHub(items3000, faults="503@2") as hub:
        assert sorted(hf_ids(hub)) == sorted(it["id"] for it in items3000)
    assert time.monotonic() - start >= 1.0
    assert listing_log(hub) == [(200, None), (503, "503"), (200, None), (200, None)]


def test_too_many_failures_are_not_survived(
    items3000: list[dict[str, Any]], client_sleeps: list[float]
) -> None:
    """huggingface_hub gives up after 5 retries (6 attempts): the 6th consecutive 503 raises."""
    with SimHub(items3000, faults="503@2,3,4,5,6,7") as hub, pytest.raises(HfHubHTTPError) as err:
        hf_ids(hub)
    assert err.value.response is not None and err.value.response.status_code == 503
    assert client_sleeps == [1, 2, 4, 8, 8]


def test_truncate_is_retried(items3000: list[dict[str, Any]], client_sleeps: list[float]) -> None:
    """A cut connection is an httpx2.RemoteProtocolError, which the client retries."""
    with SimHub(items3000, faults="truncate@2") as hub:
        ids = hf_ids(hub, sort="created_at")
    assert ids == expected_order(items3000, "createdAt")
    assert listing_log(hub) == [(200, None), (200, "truncate"), (200, None), (200, None)]
    assert client_sleeps == [1] and hub.faults_injected() == {"truncate": 1}
    log = [e for e in hub.request_log if e.path == "/api/models"]
    assert log[1].query == log[2].query  # the retry asked for the same page


def test_truncated_body_is_cut_short(hub3000: SimHub) -> None:
    hub3000.faults = "truncate@1"
    with pytest.raises(httpx2.RemoteProtocolError):
        httpx2.get(f"{hub3000.url}/api/models")


def test_stall_delays_but_is_survived(items3000: list[dict[str, Any]]) -> None:
    """huggingface_hub has no timeout on list_models: it simply waits out the stall."""
    start = time.monotonic()
    with SimHub(items3000, faults="stall@2,stall_seconds=1") as hub:
        ids = hf_ids(hub)
    assert time.monotonic() - start >= 1.0
    assert ids == [it["id"] for it in items3000]
    assert listing_log(hub) == [(200, None), (200, "stall"), (200, None)]


def test_stall_is_bounded_by_a_client_timeout_and_cut_by_stop() -> None:
    hub = SimHub(make_items(5), faults="stall@1,2,stall_seconds=30")
    hub.start()
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(f"{hub.url}/api/models", timeout=0.3)
    result: list[BaseException] = []

    def stalled() -> None:
        try:
            httpx2.get(f"{hub.url}/api/models", timeout=30)
        except httpx2.HTTPError as exc:
            result.append(exc)

    thread = threading.Thread(target=stalled)
    thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    hub.stop()
    thread.join(5)
    assert time.monotonic() - start < 5 and result  # the stalled request ended with the server


def test_empty_page_is_survived(items3000: list[dict[str, Any]]) -> None:
    with SimHub(items3000, faults="empty@2") as hub:
        ids = hf_ids(hub, sort="created_at")
    assert ids == expected_order(items3000, "createdAt")
    log = [e for e in hub.request_log if e.path == "/api/models"]
    assert [(e.status, e.fault) for e in log] == [(200, None), (200, "empty"), (200, None), (200, None)]
    assert log[1].query == log[2].query  # the empty page linked to its own cursor


def test_dup_repeats_one_model(items3000: list[dict[str, Any]]) -> None:
    """huggingface_hub does not de-duplicate: every id arrives, and one of them twice."""
    with SimHub(items3000, faults="dup@2") as hub:
        ids = hf_ids(hub, sort="created_at")
    counts = collections.Counter(ids)
    assert set(counts) == {it["id"] for it in items3000}
    repeated = [i for i, n in counts.items() if n > 1]
    assert len(repeated) == 1 == hub.faults_injected()["dup"]
    assert ids.index(repeated[0]) == 1999  # the last model of page 2 opens page 3
    assert ids[2000] == repeated[0]


def test_rate_faults_over_many_pages(items3000: list[dict[str, Any]]) -> None:
    """dup and empty at rates over 30 pages; dups are the only repeats the client sees."""
    with SimHub(items3000, faults="dup:0.3,empty:0.3", seed=7, max_limit=100) as hub:
        ids = hf_ids(hub, sort="downloads")
    injected = hub.faults_injected()
    assert injected["dup"] > 0 and injected["empty"] > 0
    counts = collections.Counter(ids)
    assert set(counts) == {it["id"] for it in items3000}
    assert sum(n - 1 for n in counts.values()) == injected["dup"]
    deduped = list(dict.fromkeys(ids))
    assert deduped == expected_order(items3000, "downloads")


def test_quota_exceeded() -> None:
    clock = FakeClock(1000.0)  # window index 500 of 2 s windows; 2 s to reset
    with SimHub(make_items(50), faults="quota=3,window=2", clock=clock) as hub, httpx2.Client() as client:
        url = f"{hub.url}/api/models"
        seen = []
        for _ in range(4):
            r = client.get(url, params={"limit": 5})
            seen.append((r.status_code, r.headers["ratelimit"], r.headers.get("retry-after")))
            assert r.headers["ratelimit-policy"] == '"fixed window";"api";q=3;w=2'
        assert seen == [
            (200, '"api";r=2;t=2', None),
            (200, '"api";r=1;t=2', None),
            (200, '"api";r=0;t=2', None),
            (429, '"api";r=0;t=2', "2"),
        ]
        # not counted, but still announced: other paths
        r = client.get(f"{hub.url}/nothing")
        assert r.status_code == 404 and r.headers["ratelimit"] == '"api";r=0;t=2'
        clock.advance(1.5)
        r = client.get(f"{hub.url}/api/models/user1/model-1")  # details count too
        assert r.status_code == 429 and r.headers["ratelimit"] == '"api";r=0;t=1'
        clock.advance(0.5)  # a new window
        r = client.get(url)
        assert r.status_code == 200 and r.headers["ratelimit"] == '"api";r=2;t=2'
    assert [(e.status, e.fault) for e in hub.request_log] == [
        (200, None),
        (200, None),
        (200, None),
        (429, "quota"),
        (404, None),
        (429, "quota"),
        (200, None),
    ]


def test_quota_through_hfapi(items3000: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The client reads RateLimit on a 429, waits t + 1 s and goes on (time is simulated)."""
    clock = FakeClock(1000.0)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(hf_http, "time", types.SimpleNamespace(sleep=sleep))
    with SimHub(items3000, faults="quota=3,window=2", clock=clock, max_limit=500) as hub:
        ids = hf_ids(hub)
    assert ids == [it["id"] for it in items3000]
    assert slept == [3.0]  # 429 with r=0;t=2 -> 2 + 1 s
    assert listing_log(hub) == [(200, None)] * 3 + [(429, "quota")] + [(200, None)] * 3


def test_same_seed_same_faults() -> None:
    spec = "500:0.2,dup:0.3,empty:0.2,truncate:0.1,503@3"

    def run(seed: int) -> list[tuple[int, str | None]]:
        with SimHub(make_items(40), faults=spec, seed=seed) as hub, httpx2.Client() as client:
            for _ in range(40):
                with contextlib.suppress(httpx2.RemoteProtocolError):
                    client.get(f"{hub.url}/api/models", params={"limit": 10})
        return listing_log(hub)

    first = run(3)
    assert first == run(3)
    assert first != run(4)
    assert first[2] == (503, "503")
    assert {fault for _, fault in first} >= {None, "500", "dup", "empty", "truncate"}


def test_faults_do_not_touch_model_info(hub3000: SimHub) -> None:
    hub3000.faults = "503:1"
    assert api(hub3000).model_info("user1/model-1").id == "user1/model-1"
    assert httpx2.get(f"{hub3000.url}/api/models").status_code == 503


# --------------------------------------------------------------------------------------------
# FaultSpec


def test_fault_spec_parse() -> None:
    spec = FaultSpec.parse("503:0.05, truncate@2,5 ,stall:0.01,dup:0.1,quota=100,window=300,stall_seconds=3")
    assert spec.rules == (
        FaultRule("503", 0.05),
        FaultRule("truncate", 0.0, frozenset({2, 5})),
        FaultRule("stall", 0.01),
        FaultRule("dup", 0.1),
    )
    assert (spec.quota, spec.window, spec.stall_seconds, spec.retry_after) == (100, 300, 3.0, 1)
    assert FaultSpec.parse(str(spec)) == spec
    assert FaultSpec.parse(None) == FaultSpec.parse("") == FaultSpec()
    assert SimHub(faults="429@1").faults == FaultSpec.parse("429@1")


@pytest.mark.parametrize(
    "bad",
    [
        "bogus:0.1",
        "503:2",
        "503:-0.1",
        "503:x",
        "503@0",
        "503@x",
        "503",
        "7,503@1",
        "quota=0",
        "quota=many",
        "window=0",
        "stall_seconds=-1",
        "stall_seconds=inf",
        "retry_after=-1",
        "color=red",
        "quota=1,quota=2",
    ],
)
def test_fault_spec_errors(bad: str) -> None:
    with pytest.raises(ValueError, match="accepted forms") as err:
        FaultSpec.parse(bad)
    assert "bad fault spec item" in str(err.value)
    with pytest.raises(ValueError):
        SimHub(faults=bad)


def test_fake_hub_shares_no_code_with_the_code_it_tests() -> None:
    """The simulated Hub (generator and server) imports nothing from lineage outside lineage.sim
    (only the demo, which crawls it, may use the crawler and the store)."""
    import ast

    import lineage.sim

    sim_dir = Path(lineage.sim.__file__).parent
    checked = 0
    for path in sorted(sim_dir.glob("*.py")):
        if path.name == "demo.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                names = [node.module or ""]
            for name in names:
                assert not (name == "lineage" or name.startswith("lineage.")) or name.startswith(
                    "lineage.sim."
                ), f"{path.name} imports {name}"
        checked += 1
    assert checked >= 6


# --------------------------------------------------------------------------------------------
# changing what a running hub serves, seen through the real crawler


def _crawl(store: Any, hub: SimHub, clock: Any, mode: str = "auto") -> Any:
    from lineage.hub import CrawlConfig, Crawler

    return Crawler(store, CrawlConfig(endpoint=hub.url or "", timeout=10.0), clock=clock).run(mode)


def test_changes_between_crawls_are_seen_by_the_crawler(tmp_path: Path) -> None:
    from conftest import FakeClock, store_edges

    from lineage.sim.generate import generate
    from lineage.store import open_store

    pairs = list(generate(3000, seed=4))
    items = [item for item, _ in pairs]
    truth = {t["id"]: t for _, t in pairs}
    child, parent = next((t["id"], t["parents"][0][0]) for t in truth.values() if len(t["parents"]) == 1)
    # a parent with children, to delete; a root to relicense; a base for the new models
    kids = collections.Counter(p for t in truth.values() for p, _ in t["parents"])
    doomed = next(m for m, k in kids.most_common() if m in truth and m not in (child, parent) and k > 1)
    relicensed = next(t["id"] for t in truth.values() if t["license"] == "apache-2.0" and t["id"] != doomed)
    clock = FakeClock()  # behind the data's newest lastModified (2026-11): bumps go past it
    with SimHub(items, clock=clock) as hub, open_store(tmp_path / "s.sqlite") as store:
        first = _crawl(store, hub, clock)
        assert first.mode == "full" and first.models == 3000
        newest = max(i["lastModified"] for i in items)
        new = [
            {
                "_id": f"ffff{k:020x}",
                "id": f"newcomer/Qwen3-8B-ft-{k}",
                "createdAt": hub.now_iso(),
                "lastModified": hub.now_iso(),
                "tags": ["base_model:Qwen/Qwen3-8B", "base_model:finetune:Qwen/Qwen3-8B", "license:mit"],
                "cardData": {"base_model": "Qwen/Qwen3-8B", "license": "mit"},
            }
            for k in range(3)
        ]
        hub.add(new)
        hub.set_parents(child, [("Qwen/Qwen3-8B", "adapter"), (parent, "merge")])
        hub.set_license(relicensed, "other", license_name="my-own-terms")
        hub.remove([doomed])
        for mid in (child, relicensed):
            assert (hub.get(mid) or {})["lastModified"] > newest  # bumped past every served model
        assert [c.kind for c in hub.changes] == ["added"] * 3 + ["parents", "license", "removed"]

        second = _crawl(store, hub, clock)
        assert second.mode == "incremental" and second.new == 3
        edges = store_edges(store)
        assert ("newcomer/Qwen3-8B-ft-1", "Qwen/Qwen3-8B", "finetune") in edges
        assert {(c, p, r) for c, p, r in edges if c == child} == {
            (child, "Qwen/Qwen3-8B", "adapter"),
            (child, parent, "merge"),
        }
        assert (store.model(relicensed) or {})["license"] == "other"
        assert (store.model(doomed) or {})["deleted_at"] is None  # only a full crawl sees deletions

        third = _crawl(store, hub, clock, "full")
        assert third.deleted == 1 and (store.model(doomed) or {})["deleted_at"] is not None
    assert hub.server_errors == []


def test_changes_while_serving_are_thread_safe(tmp_path: Path) -> None:
    from conftest import FakeClock

    from lineage.sim.generate import generate
    from lineage.store import open_store

    items = [item for item, _ in generate(5000, seed=2)]
    ids = [i["id"] for i in items]
    stop = threading.Event()
    changed: list[int] = []

    def churn(hub: SimHub) -> None:
        k = 0
        while not stop.is_set():
            mid = ids[(k * 7919) % len(ids)]
            hub.set_license(mid, ("mit", "apache-2.0")[k % 2])
            hub.update(mid, downloads=k)
            k += 1
        changed.append(k)

    clock = FakeClock()
    with SimHub(items, clock=clock, max_limit=200) as hub, open_store(tmp_path / "s.sqlite") as store:
        worker = threading.Thread(target=churn, args=(hub,))
        worker.start()
        try:
            summary = _crawl(store, hub, clock)
        finally:
            stop.set()
            worker.join()
        assert summary.complete and store.count_models() == 5000
        assert len(hub) == 5000 and changed[0] > 10
    assert hub.server_errors == []
