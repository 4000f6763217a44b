"""The command line, through click's CliRunner: JSON contracts, errors users can act on."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from helpers import SimData, ingest_items, invoke, run_json
from helpers import run_ok as run

import lineage
from lineage.cli import cli, main
from lineage.errors import ISSUES_URL, InputError
from lineage.sim.server import SimHub
from lineage.store import open_store


def crawl_json(path: Path, url: str, *options: str) -> Any:
    """``lineage crawl`` of the hub at ``url`` into ``path``: its JSON summary."""
    return run_json("crawl", "--store", str(path), "--endpoint", url, *options, "--format", "json")


@pytest.fixture(scope="module")
def store(sim5k: SimData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "lineage.sqlite"
    with SimHub(sim5k.items) as hub:
        summary = crawl_json(path, hub.url)
    assert summary["models"] == 5000 and summary["complete"] and summary["mode"] == "full"
    return path


def test_share_json_contract(store: Path, sim5k: SimData) -> None:
    rows = run_json("share", "--store", str(store), "--format", "json")
    assert rows and all(set(r) == {"period", "group", "models", "share"} for r in rows)
    assert all(0 <= r["share"] <= 1 for r in rows)
    total = sum(r["models"] for r in rows)
    expected = sum(1 for t in sim5k.truth.values() if t["parents"] and not t["legacy"])
    assert abs(total - expected) < 1e-6
    top = run_json(
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
    assert {r["group"] for r in top} <= {"china", "us", "eu", "other", "unknown", "(other)"}


def test_share_table_and_csv(store: Path) -> None:
    out = run(
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
    csv = run("share", "--store", str(store), "--format", "csv", "--relation", "finetune")
    assert csv.splitlines()[0] == "period,group,models,share"


def test_tree_text_and_json(store: Path) -> None:
    out = run("tree", "Qwen/Qwen2.5-7B", "--store", str(store), "--down", "1", "--max-children", "3")
    assert out.startswith("● Qwen/Qwen2.5-7B  [Qwen · china]")
    assert "more (" in out  # the long child list is collapsed per relation
    data = run_json("tree", "qwen/qwen2.5-7b", "--store", str(store), "--format", "json", "--down", "1")
    assert data["id"] == "Qwen/Qwen2.5-7B" and data["families"] == ["Qwen"] and data["children"]


def test_quality_info_families_downloads(store: Path) -> None:
    report = run_json("quality", "--store", str(store), "--format", "json")
    kinds = {r["kind"] for r in report["repairs"]}
    assert {"legacy_date", "duplicate_parent"} <= kinds
    assert {r["resolution"] for r in report["resolutions"]} >= {"exact", "unresolved"}
    assert "Repairs and skips" in run("quality", "--store", str(store))
    info = run_json("info", "--store", str(store), "--format", "json")
    assert info["models"] == 5000 and info["simulated"] is True
    fams = run_json("families", "--store", str(store), "--format", "json", "--top", "3")
    assert fams[0]["group"] == "Qwen" and len(fams) == 3
    dl = run_json("downloads", "--store", str(store), "--format", "json", "--over-time")
    assert dl and set(dl[0]) == {"snapshot", "group", "downloads_30d", "downloads_all_time"}


def test_errors_are_one_clear_line(store: Path, tmp_path: Path) -> None:
    result = invoke("tree", "nobody/nothing", "--store", str(store))
    assert result.exit_code == 1 and "not in the store" in result.output and "Traceback" not in result.output
    result = invoke("share", "--store", str(tmp_path / "missing.sqlite"))
    assert result.exit_code == 1 and "lineage crawl" in result.output
    result = invoke("share", "--store", str(store), "--since", "last tuesday")
    assert result.exit_code == 1 and "not a date" in result.output
    result = invoke("crawl", "--store", str(tmp_path / "x.sqlite"), "--full", "--since", "2025-01-01")
    assert result.exit_code == 2 and "exclusive" in result.output
    result = invoke("simhub")
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_incremental_crawl_from_cli(sim5k: SimData, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with SimHub(sim5k.items) as hub:
        assert crawl_json(path, hub.url, "--limit", "1500")["models"] == 1500
        out = crawl_json(path, hub.url, "--full")
        assert out["models"] == 5000 and out["new"] == 3500
        again = crawl_json(path, hub.url)
        assert again["mode"] == "incremental" and again["new"] == 0 and again["requests"] <= 2
        text = run("crawl", "--store", str(path), "--endpoint", hub.url, "--since", "2026-10-01")
        assert "incremental" in text and "requests" in text


def test_simulate_command(tmp_path: Path) -> None:
    out = run("simulate", "--models", "500", "--seed", "3", "--out", str(tmp_path))
    assert "500 models" in out
    assert len((tmp_path / "models.jsonl").read_text().splitlines()) == 500


def test_review_fixes(store: Path, sim5k: SimData, tmp_path: Path) -> None:
    # The demo never replaces a crawled (not simulated) store, and LINEAGE_STORE is not its store.
    crawled = tmp_path / "crawled.sqlite"
    with open_store(crawled) as st:
        ingest_items(st, [{"id": "a/b", "createdAt": "2025-01-01T00:00:00.000Z"}])
    result = invoke("demo", "--no-app", "--models", "300", "--store", str(crawled))
    assert result.exit_code == 1 and "will not replace it" in result.output
    demo_param = next(p for p in cli.commands["demo"].params if p.name == "store_path")
    assert demo_param.envvar is None
    # Credentials and junk in the endpoint are refused at once, never echoed.
    for endpoint, message in (
        ("http://user:s3cret@127.0.0.1:9", "must not contain credentials"),
        ("http://[::1", "not a valid URL"),
        ("ftp://x", "not an http(s) URL"),
    ):
        result = invoke("crawl", "--store", str(tmp_path / "e.sqlite"), "--endpoint", endpoint)
        assert result.exit_code == 1 and message in result.output and "s3cret" not in result.output
    result = invoke("crawl", "--store", str(tmp_path / "e.sqlite"), "--timeout", "0")
    assert result.exit_code == 2
    # Store paths with URI-special characters open the right file.
    odd = tmp_path / "we#ird%20.sqlite"
    odd.write_bytes(store.read_bytes())
    assert run_json("info", "--store", str(odd), "--format", "json")["models"] == 5000


def test_a_first_crawl_with_since_does_not_make_later_crawls_incremental(
    sim5k: SimData, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite"
    with SimHub(sim5k.items) as hub:
        first = crawl_json(path, hub.url, "--since", "2026-06-01")
        assert first["mode"] == "incremental" and first["models"] < 5000
        second = crawl_json(path, hub.url)
    assert second["mode"] == "full" and second["models"] == 5000


def test_tree_escapes_terminal_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "ctl.sqlite"
    with open_store(path) as st:
        ingest_items(st, [{"id": "evil/\x1b]0;pwned\x07", "createdAt": "2025-01-01T00:00:00.000Z"}])
    out = run("tree", "evil/\x1b]0;pwned\x07", "--store", str(path))
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07" in out


# -- the console script: how errors reach the user ---------------------------------------------------
@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """``console(*args) -> (exit code, stdout, stderr)`` of the ``lineage`` console script
    (``lineage.cli.main``, which maps exceptions to exit codes), run in-process."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["lineage", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        return int(exited.value.code or 0), out.out, out.err

    return run


def raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Register a command ``lineage boom`` that raises ``exc`` (for this test only)."""

    @click.command("boom")
    def boom() -> None:
        raise exc

    monkeypatch.setitem(cli.commands, "boom", boom)


def test_a_bug_prints_its_traceback_and_asks_for_a_report(
    monkeypatch: pytest.MonkeyPatch, console: Any
) -> None:
    raising(monkeypatch, ZeroDivisionError("deep in numpy"))
    code, out, err = console("boom")
    assert code == 70 and out == ""
    assert "Traceback" in err and "ZeroDivisionError: deep in numpy" in err
    assert f"This is a bug in lineage {lineage.__version__}" in err and ISSUES_URL in err


def test_an_error_the_user_can_fix_is_one_line(monkeypatch: pytest.MonkeyPatch, console: Any) -> None:
    raising(monkeypatch, InputError("'x' is not a date: use YYYY-MM-DD"))
    assert console("boom") == (1, "", "Error: 'x' is not a date: use YYYY-MM-DD\n")
    code, _, err = console("share", "--no-such-option")
    assert code == 2 and "No such option '--no-such-option'" in err and "Traceback" not in err


def test_ctrl_c_and_version_exit_cleanly(monkeypatch: pytest.MonkeyPatch, console: Any) -> None:
    raising(monkeypatch, KeyboardInterrupt())
    assert console("boom") == (130, "", "\nAborted.\n")  # click turns Ctrl-C into Abort
    assert console("--version") == (0, f"lineage, version {lineage.__version__}\n", "")


def test_crawl_progress_bar_on_a_terminal(
    sim5k: SimData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With stderr on a terminal the crawl draws a rich progress bar (elsewhere: log lines, as
    the other tests see), which ends at the number of models listed."""
    import lineage.render.progress as progress

    monkeypatch.setattr(progress, "_interactive", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich shows every column
    with SimHub(sim5k.items[:1500]) as hub:
        result = invoke("crawl", "--store", str(tmp_path / "tty.sqlite"), "--endpoint", hub.url)
    assert result.exit_code == 0, result.output
    assert "models listed 1,500" in result.stdout
    assert re.search(r"crawl \(full\) .* 1500/\?", result.stderr), result.stderr[-500:]  # no total known
    with progress.count_progress("simulating", total=3) as advance:  # `lineage simulate`'s bar
        for _ in range(3):
            advance(1)


def test_demo_builds_a_labelled_store_and_says_what_to_try(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    result = invoke("demo", "--no-app", "--models", "300", "--seed", "2", "--store", str(path))
    assert result.exit_code == 0, result.output
    # Each crawl lists the hub as it was on its date: the models created before it (all, the last).
    from lineage.sim.demo import SNAPSHOT_DATES
    from lineage.sim.generate import generate

    created = [item.get("createdAt") or "" for item, _ in generate(300, 2)]
    want = [sum(c < day for c in created) for day in SNAPSHOT_DATES[:-1]] + [300]
    err = [ln.strip() for ln in result.stderr.splitlines()]
    assert [ln for ln in err if ln.startswith("crawling")] == [
        f"crawling the hub as on {day} ({n:,} models) ..."
        for day, n in zip(SNAPSHOT_DATES, want, strict=True)
    ]
    done = [ln for ln in err if ln.startswith("crawl #")]
    assert [ln.split(",")[0] for ln in done] == [f"crawl #{k + 1}: {n:,} models" for k, n in enumerate(want)]
    assert f"Demo store ready: {path}" in result.stderr and f"lineage share --store {path}" in result.stderr
    info = run_json("info", "--store", str(path), "--format", "json")
    assert info["models"] == 300 and info["simulated"] is True


def test_app_and_demo_refuse_a_port_in_use_before_any_work(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = invoke("app", "--store", str(tmp_path / "x.sqlite"), "--port", port)
        assert result.exit_code == 1 and f"127.0.0.1:{port} is already in use" in result.output
        result = invoke("demo", "--store", str(tmp_path / "d.sqlite"), "--port", port)
        assert result.exit_code == 1 and "already in use" in result.output
    assert not (tmp_path / "d.sqlite").exists()  # refused before the demo was built
    result = invoke("app", "--store", str(tmp_path / "x.sqlite"), "--port", "70000")
    assert result.exit_code == 1 and "not a TCP port" in result.output


def test_info_says_yes_no_and_none_in_words_not_python_literals(demo3k_store: Path) -> None:
    """`lineage info` printed "crawl_in_progress: None" and "simulated: True"; --format json
    keeps null and true."""
    text = run("info", "--store", str(demo3k_store))
    lines = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}
    assert lines["crawl_in_progress"] == "none" and lines["simulated"] == "yes"
    assert "None" not in text and "True" not in text
    data = run_json("info", "--store", str(demo3k_store), "--format", "json")
    assert data["crawl_in_progress"] is None and data["simulated"] is True
