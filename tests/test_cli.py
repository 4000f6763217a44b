"""The command line, through click's CliRunner: JSON contracts, errors users can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SimData

from lineage.cli import cli
from lineage.sim.server import SimHub


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def store(sim5k: SimData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "lineage.sqlite"
    with SimHub(sim5k.items) as hub:
        result = CliRunner().invoke(
            cli, ["crawl", "--store", str(path), "--endpoint", hub.url, "--format", "json"]
        )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["models"] == 5000 and summary["complete"] and summary["mode"] == "full"
    return path


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_share_json_contract(runner: CliRunner, store: Path, sim5k: SimData) -> None:
    rows = json.loads(run(runner, "share", "--store", str(store), "--format", "json"))
    assert rows and all(set(r) == {"period", "group", "models", "share"} for r in rows)
    assert all(0 <= r["share"] <= 1 for r in rows)
    total = sum(r["models"] for r in rows)
    expected = sum(1 for t in sim5k.truth.values() if t["parents"] and not t["legacy"])
    assert abs(total - expected) < 1e-6
    top = json.loads(
        run(
            runner,
            "share",
            "--store",
            str(store),
            "--format",
            "json",
            "--top",
            "2",
            "--by",
            "region",
            "--period",
            "quarter",
            "--attribution",
            "any",
        )
    )
    assert {r["group"] for r in top} <= {"china", "us", "eu", "other", "unknown", "(other)"}


def test_share_table_and_csv(runner: CliRunner, store: Path) -> None:
    out = run(
        runner,
        "share",
        "--store",
        str(store),
        "--since",
        "2025-10-01",
        "--until",
        "2025-10-31",
        "--pipeline-tag",
        "text-generation",
        "--explain",
    )
    assert out.splitlines()[0].split() == ["period", "group", "models", "share"]
    assert "2025-10" in out and "Method:" in out and "fractional" in out
    csv = run(runner, "share", "--store", str(store), "--format", "csv", "--relation", "finetune")
    assert csv.splitlines()[0] == "period,group,models,share"


def test_tree_text_and_json(runner: CliRunner, store: Path) -> None:
    out = run(runner, "tree", "Qwen/Qwen2.5-7B", "--store", str(store), "--down", "1", "--max-children", "3")
    assert out.startswith("● Qwen/Qwen2.5-7B  [Qwen · china]")
    assert "more (" in out  # the long child list is collapsed per relation
    data = json.loads(
        run(runner, "tree", "qwen/qwen2.5-7b", "--store", str(store), "--format", "json", "--down", "1")
    )
    assert data["id"] == "Qwen/Qwen2.5-7B" and data["families"] == ["Qwen"] and data["children"]


def test_quality_info_families_downloads(runner: CliRunner, store: Path) -> None:
    report = json.loads(run(runner, "quality", "--store", str(store), "--format", "json"))
    kinds = {r["kind"] for r in report["repairs"]}
    assert {"legacy_date", "duplicate_parent"} <= kinds
    assert {r["resolution"] for r in report["resolutions"]} >= {"exact", "unresolved"}
    assert "Repairs and skips" in run(runner, "quality", "--store", str(store))
    info = json.loads(run(runner, "info", "--store", str(store), "--format", "json"))
    assert info["models"] == 5000 and info["simulated"] is True
    fams = json.loads(run(runner, "families", "--store", str(store), "--format", "json", "--top", "3"))
    assert fams[0]["group"] == "Qwen" and len(fams) == 3
    dl = json.loads(run(runner, "downloads", "--store", str(store), "--format", "json", "--over-time"))
    assert dl and set(dl[0]) == {"snapshot", "group", "downloads_30d", "downloads_all_time"}


def test_errors_are_one_clear_line(runner: CliRunner, store: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["tree", "nobody/nothing", "--store", str(store)])
    assert result.exit_code == 1 and "not in the store" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["share", "--store", str(tmp_path / "missing.sqlite")])
    assert result.exit_code == 1 and "lineage crawl" in result.output
    result = runner.invoke(cli, ["share", "--store", str(store), "--since", "last tuesday"])
    assert result.exit_code == 1 and "not a date" in result.output
    result = runner.invoke(
        cli, ["crawl", "--store", str(tmp_path / "x.sqlite"), "--full", "--since", "2025-01-01"]
    )
    assert result.exit_code == 2 and "exclusive" in result.output
    result = runner.invoke(cli, ["simhub"])
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_incremental_crawl_from_cli(runner: CliRunner, sim5k: SimData, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with SimHub(sim5k.items) as hub:
        run(
            runner,
            "crawl",
            "--store",
            str(path),
            "--endpoint",
            hub.url,
            "--limit",
            "1500",
            "--format",
            "json",
        )
        out = json.loads(
            run(runner, "crawl", "--store", str(path), "--endpoint", hub.url, "--full", "--format", "json")
        )
        assert out["models"] == 5000 and out["new"] == 3500
        again = json.loads(
            run(runner, "crawl", "--store", str(path), "--endpoint", hub.url, "--format", "json")
        )
        assert again["mode"] == "incremental" and again["new"] == 0 and again["requests"] <= 2
        text = run(runner, "crawl", "--store", str(path), "--endpoint", hub.url, "--since", "2026-10-01")
        assert "incremental" in text and "requests" in text


def test_simulate_command(runner: CliRunner, tmp_path: Path) -> None:
    out = run(runner, "simulate", "--models", "500", "--seed", "3", "--out", str(tmp_path))
    assert "500 models" in out
    assert len((tmp_path / "models.jsonl").read_text().splitlines()) == 500


def test_help_lists_every_command(runner: CliRunner) -> None:
    out = run(runner, "--help")
    for name in (
        "crawl",
        "simulate",
        "simhub",
        "demo",
        "share",
        "tree",
        "quality",
        "app",
        "info",
        "families",
        "downloads",
        "start",
    ):
        assert name in out


def test_review_fixes(runner: CliRunner, store: Path, sim5k: SimData, tmp_path: Path) -> None:
    # The demo never replaces a crawled (not simulated) store, and LINEAGE_STORE is not its store.
    from conftest import ingest_items

    from lineage.store import open_store

    crawled = tmp_path / "crawled.sqlite"
    with open_store(crawled) as st:
        ingest_items(st, [{"id": "a/b", "createdAt": "2025-01-01T00:00:00.000Z"}])
    result = runner.invoke(cli, ["demo", "--no-app", "--models", "300", "--store", str(crawled)])
    assert result.exit_code == 1 and "will not replace it" in result.output
    demo_param = next(p for p in cli.commands["demo"].params if p.name == "store_path")
    assert demo_param.envvar is None
    # Credentials and junk in the endpoint are refused at once, never echoed.
    for endpoint, message in (
        ("http://user:s3cret@127.0.0.1:9", "must not contain credentials"),
        ("http://[::1", "not a valid URL"),
        ("ftp://x", "not an http(s) URL"),
    ):
        result = runner.invoke(cli, ["crawl", "--store", str(tmp_path / "e.sqlite"), "--endpoint", endpoint])
        assert result.exit_code == 1 and message in result.output and "s3cret" not in result.output
    result = runner.invoke(cli, ["crawl", "--store", str(tmp_path / "e.sqlite"), "--timeout", "0"])
    assert result.exit_code == 2
    # Store paths with URI-special characters open the right file.
    odd = tmp_path / "we#ird%20.sqlite"
    odd.write_bytes(store.read_bytes())
    assert json.loads(run(runner, "info", "--store", str(odd), "--format", "json"))["models"] == 5000


def test_a_first_crawl_with_since_does_not_make_later_crawls_incremental(
    runner: CliRunner, sim5k: SimData, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite"
    with SimHub(sim5k.items) as hub:
        first = json.loads(
            run(
                runner,
                "crawl",
                "--store",
                str(path),
                "--endpoint",
                hub.url,
                "--since",
                "2026-06-01",
                "--format",
                "json",
            )
        )
        assert first["mode"] == "incremental" and first["models"] < 5000
        second = json.loads(
            run(runner, "crawl", "--store", str(path), "--endpoint", hub.url, "--format", "json")
        )
    assert second["mode"] == "full" and second["models"] == 5000


def test_tree_escapes_terminal_control_characters(runner: CliRunner, tmp_path: Path) -> None:
    from conftest import ingest_items

    from lineage.store import open_store

    path = tmp_path / "ctl.sqlite"
    with open_store(path) as st:
        ingest_items(st, [{"id": "evil/\x1b]0;pwned\x07", "createdAt": "2025-01-01T00:00:00.000Z"}])
    out = run(runner, "tree", "evil/\x1b]0;pwned\x07", "--store", str(path))
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07" in out
