"""Licences: normalisation, the class table, and ``lineage licenses`` against two truths — the
real sample's listing items (pairs computed here from their tags, without lineage code) and a
simulated hub whose truth marks licence drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from conftest import REAL_SAMPLE
from helpers import ingest_items
from test_neo4j import FakeDriver, assert_graph_equals_store

from lineage.cli import cli
from lineage.hub import CrawlConfig, Crawler
from lineage.licenses import LicenseTableError, default_licenses, load_licenses, pair_status
from lineage.neo4j.push import push
from lineage.records import license_key, normalize_item, normalize_license
from lineage.sim.generate import generate
from lineage.sim.server import SimHub
from lineage.store import open_store


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# -- normalisation (records) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"tags": ["license:apache-2.0"]}, ("apache-2.0", None)),
        ({"tags": ["license:Apache 2.0"]}, ("apache-2.0", None)),
        ({"cardData": {"license": "MIT License"}}, ("mit", None)),  # no tag: the card
        ({"tags": ["license:llama3.1"], "cardData": {"license": "mit"}}, ("llama3.1", None)),  # tag first
        (
            {"tags": ["license:other"], "cardData": {"license": "other", "license_name": "My Terms"}},
            ("other", "my-terms"),
        ),
        (
            {"tags": ["license:mit"], "cardData": {"license": "mit", "license_name": "deepseek"}},
            ("mit", None),
        ),
        ({"cardData": {"license": ["cc-by-nc-4.0", "mit"]}}, ("cc-by-nc-4.0", None)),
        (
            {"cardData": {"license": ["other"], "license_name": ["flux-dev-non-commercial-license"]}},
            ("other", "flux-dev-non-commercial-license"),
        ),
        ({"tags": ["license:other"]}, ("other", None)),
        ({"cardData": {"license": 42}}, (None, None)),
        ({"cardData": {"license": "none"}}, (None, None)),
    ],
)
def test_licences_are_normalised_once_in_records(
    item: dict[str, Any], expected: tuple[str | None, str | None]
) -> None:
    rec, _ = normalize_item({"id": "a/b", **item})
    assert rec is not None and (rec.license, rec.license_name) == expected


def test_class_table_and_pair_status() -> None:
    t = default_licenses()
    assert t.classify("Apache 2.0") == "permissive" and t.classify("gpl-3.0") == "copyleft"
    assert t.classify("gemma") == "model-specific" and t.classify("other", "qwen") == "model-specific"
    assert t.classify("other", "flux-1-dev-non-commercial-license") == "non-commercial"
    assert t.classify("other") == t.classify("other", "never-heard-of") == t.classify("unknown") == "unknown"
    assert t.classify_key(license_key("other", "qwen")) == "model-specific"
    assert pair_status("cc-by-nc-4.0", "mit") == "dropped-terms"
    assert pair_status("llama3.1", "cc-by-nc-4.0") == "changed"  # more restrictive: no terms dropped
    assert pair_status("llama3.1", "gemma") == "changed"  # another family's terms, same class
    assert pair_status("apache-2.0", "apache-2.0") == "same"
    assert pair_status("unknown", "mit") is None and pair_status("mit", None) is None


def test_user_table_extends_the_packaged_one(tmp_path: Path) -> None:
    mine = tmp_path / "licenses.toml"
    mine.write_text('[non-commercial]\nnames = ["My Own Terms"]\n[permissive]\nids = ["llama3.1"]\n')
    t = load_licenses(mine)
    assert t.classify("other", "my-own-terms") == "non-commercial"
    assert t.classify("llama3.1") == "permissive" and t.classify("gemma") == "model-specific"
    assert load_licenses(mine, extend=False).classify("gemma") == "unknown"
    for bad, message in (
        ("[libre]\nids = ['x']\n", "not a licence class"),
        ("[permissive]\nids = 'mit'\n", "list of non-empty strings"),
        (
            "[permissive]\nids = ['mit']\n[copyleft]\nids = ['MIT']\n",
            "listed in [permissive] and in [copyleft]",
        ),
        ("[permissive\n", "not valid TOML"),
    ):
        mine.write_text(bad)
        with pytest.raises(LicenseTableError, match=message.replace("[", r"\[").replace("]", r"\]")):
            load_licenses(mine)


# -- the real sample: pairs computed from the listing items' tags ----------------------------------
#: The classes of the licences the real sample declares, written down here (not lineage's table).
SAMPLE_CLASSES = {
    "mit": "permissive",
    "apache-2.0": "permissive",
    "artistic-2.0": "permissive",
    "ms-pl": "permissive",
    "afl-3.0": "permissive",
    "wtfpl": "permissive",
    "cc-by-sa-4.0": "copyleft",
    "openrail": "model-specific",
    "creativeml-openrail-m": "model-specific",
    "other:stabilityai-ai-community": "model-specific",
    "other:stable-video-diffusion-community": "model-specific",
    "cc-by-nc-nd-4.0": "non-commercial",
    "other:microsoft-research-license": "non-commercial",
}
RANK = {"permissive": 0, "copyleft": 1, "model-specific": 2, "non-commercial": 3}


def sample_pairs() -> set[tuple[str, str, str, str, str]]:
    """(parent, child, parent licence, child licence, status) of every link of the sample whose
    two sides declare a licence, from the listing items alone."""
    items = [orjson.loads(line) for line in (REAL_SAMPLE / "models.jsonl").read_bytes().splitlines() if line]
    lic: dict[str, str] = {}
    for item in items:
        tag = next((t[len("license:") :] for t in item.get("tags", []) if t.startswith("license:")), None)
        name = (item.get("cardData") or {}).get("license_name")
        if tag and tag != "unknown":
            lic[item["id"]] = f"other:{name}" if tag == "other" and name else tag
    out = set()
    for item in items:
        parents = {t.split(":")[-1] for t in item.get("tags", []) if t.startswith("base_model:")}
        card = (item.get("cardData") or {}).get("base_model")
        parents |= set(card if isinstance(card, list) else [card] if card else [])
        for parent in parents:
            if parent in lic and item["id"] in lic:
                p, c = lic[parent], lic[item["id"]]
                pc, cc = SAMPLE_CLASSES.get(p, "unknown"), SAMPLE_CLASSES.get(c, "unknown")
                dropped = pc in ("model-specific", "non-commercial") and cc in RANK and RANK[cc] < RANK[pc]
                out.add(
                    (
                        parent,
                        item["id"],
                        p,
                        c,
                        "same" if p == c else "dropped-terms" if dropped else "changed",
                    )
                )
    return out


def test_real_sample_licence_pairs_equal_the_listing_tags(real_sample_store: Path) -> None:
    report = orjson.loads(run("licenses", "--store", str(real_sample_store), "--format", "json"))
    got = {
        (r["parent"], r["child"], r["parent_license"], r["child_license"], r["status"])
        for r in report["links"]
    }
    want = sample_pairs()
    assert got == want
    assert len(want) > 250 and {s for *_, s in want} == {"same", "changed", "dropped-terms"}
    counts = report["counts"]
    assert counts["links"] == len(want) == counts["same"] + counts["changed"] + counts["dropped-terms"]
    assert sum(f["links"] for f in report["by_family"]) == len(want)
    offenders = [(r["downloads"], r["child"]) for r in report["top_offenders"]]
    assert offenders == sorted(offenders, key=lambda x: (-x[0], x[1]))
    assert "not legal advice" in report["disclaimer"]
    text = run("licenses", "--store", str(real_sample_store))
    assert "not legal advice" in text and "dropped terms" in text
    csv = run("licenses", "--store", str(real_sample_store), "--format", "csv").splitlines()
    assert csv[0].startswith("parent,child,relation,parent_license") and len(csv) == len(want) + 1


def test_licences_of_one_root_or_family(real_sample_store: Path) -> None:
    whole = orjson.loads(run("licenses", "--store", str(real_sample_store), "--format", "json"))
    root = orjson.loads(
        run("licenses", "--store", str(real_sample_store), "--root", "microsoft/phi-2", "--format", "json")
    )
    family = orjson.loads(
        run("licenses", "--store", str(real_sample_store), "--family", "Phi", "--format", "json")
    )
    assert root["links"] and all(r["family"] == "Phi" for r in root["links"])
    assert (
        {r["child"] for r in root["links"]}
        <= {r["child"] for r in family["links"]}
        <= {r["child"] for r in whole["links"]}
    )
    result = CliRunner().invoke(
        cli, ["licenses", "--store", str(real_sample_store), "--root", "no/such-model"]
    )
    assert result.exit_code == 1 and "not in the store" in result.output


# -- a simulated hub: detection equals the truth ------------------------------------------------------
@pytest.mark.parametrize("rate", [0.0, 0.25])
def test_simulated_licence_drift_is_found_exactly(rate: float, tmp_path: Path) -> None:
    pairs = list(generate(6000, seed=21, license_drift=rate))
    truth = {(t["id"], p) for _, t in pairs for p in t["license_drift"]}
    path = tmp_path / "s.sqlite"
    with SimHub([item for item, _ in pairs]) as hub, open_store(path) as store:
        Crawler(store, CrawlConfig(endpoint=hub.url)).run()
    report = orjson.loads(run("licenses", "--store", str(path), "--format", "json", "--top", "100000"))
    found = {(r["child"], r["parent"]) for r in report["links"] if r["status"] == "dropped-terms"}
    assert found == truth
    assert (len(truth) > 100) == (rate > 0)
    assert {(r["child"], r["parent"]) for r in report["top_offenders"]} == found


def test_normalize_license_doctest_cases() -> None:
    assert normalize_license("  GPL_3 ") == "gpl-3.0"
    assert normalize_license("Llama 3.1") == "llama3.1"
    assert normalize_license(None) is None


# -- exports carry the licence class and the drift flag ----------------------------------------------
def test_exports_carry_licence_class_and_drift_as_the_simulator_says(tmp_path: Path) -> None:
    from lineage.export import export_store
    from lineage.graph import Lineage

    pairs = list(generate(3000, seed=5, license_drift=0.3))
    truth = {t["id"]: t for _, t in pairs}
    drift = {(p, c) for c, t in truth.items() for p in t["license_drift"]}
    path = tmp_path / "s.sqlite"
    with SimHub([item for item, _ in pairs]) as hub, open_store(path) as store:
        Crawler(store, CrawlConfig(endpoint=hub.url)).run()
    assert len(drift) > 20
    lin = Lineage.load(path)
    for source, out in ((path, tmp_path / "store.json"), (lin, tmp_path / "lineage.json")):
        export_store(source, "json", out)
        doc = orjson.loads(out.read_bytes())
        classes = {n["id"]: n["license_class"] for n in doc["nodes"]}
        assert {m: classes[m] for m in truth} == {m: t["license_class"] for m, t in truth.items()}
        assert {(e["source"], e["target"]) for e in doc["edges"] if e["license_drift"]} == drift
        assert all(isinstance(e["license_drift"], bool) for e in doc["edges"])


# -- the Neo4j push ------------------------------------------------------------------------------------
def test_incremental_neo4j_push_updates_licence_drift_when_a_base_is_relicensed(tmp_path: Path) -> None:
    """Relicensing a base changes the drift flag of its links to derivatives that were not
    re-listed: an incremental push sends them too."""
    t0 = "2025-01-01T00:00:00.000Z"
    items = [
        {"id": "org/base", "createdAt": t0, "tags": ["license:apache-2.0"]},
        {"id": "a/ft", "createdAt": t0, "tags": ["base_model:finetune:org/base", "license:mit"]},
        {"id": "b/q", "createdAt": t0, "tags": ["base_model:quantized:org/base", "license:llama3.1"]},
    ]
    driver = FakeDriver()
    with open_store(tmp_path / "lic.sqlite") as store:
        ingest_items(store, items)
        push(store, driver)
        assert {k: r["license_drift"] for k, r in driver.graph.rels.items()} == {
            ("org/base", "a/ft"): False,
            ("org/base", "b/q"): False,
        }
        assert driver.graph.nodes["b/q"]["license_class"] == "model-specific"
        base = {**items[0], "lastModified": "2026-01-02T00:00:00.000Z", "tags": ["license:cc-by-nc-4.0"]}
        ingest_items(store, [base], mode="incremental")
        second = push(store, driver)
        assert second.mode == "incremental" and second.relationships_updated == 2
        assert driver.graph.nodes["org/base"]["license_class"] == "non-commercial"
        assert all(r["license_drift"] for r in driver.graph.rels.values())
        assert_graph_equals_store(driver, store)


def test_cli_licence_table_of_your_own(real_sample_store: Path, tmp_path: Path) -> None:
    """--licenses FILE extends the table: mit classed non-commercial turns every link from a
    MIT base to an apache-2.0 derivative into dropped terms; a malformed file is one line."""
    before = orjson.loads(run("licenses", "--store", str(real_sample_store), "--format", "json"))
    mine = tmp_path / "mine.toml"
    mine.write_text('[non-commercial]\nids = ["mit"]\n')
    after = orjson.loads(
        run("licenses", "--store", str(real_sample_store), "--licenses", str(mine), "--format", "json")
    )
    flipped = {
        (r["parent"], r["child"])
        for r in after["links"]
        if r["status"] == "dropped-terms" and r["parent_license"] == "mit"
    }
    assert flipped and all(
        r["parent_class"] == "non-commercial" for r in after["links"] if r["parent_license"] == "mit"
    )
    assert after["counts"]["dropped-terms"] > before["counts"]["dropped-terms"]
    mine.write_text("[libre]\n")
    result = CliRunner().invoke(cli, ["licenses", "--store", str(real_sample_store), "--licenses", str(mine)])
    assert result.exit_code == 1 and "not a licence class" in result.output
    assert result.output.count("\n") == 1
