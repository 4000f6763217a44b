"""Where the command line looks for things, and how it fails before doing any work.

After ``make run`` offline, the demo store is the only store: reading commands use it and say
so. ``lineage app``/``demo``/``start`` check the port and the app extra before any work. Bugs
show a traceback and a request to report; errors users can fix are one line.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli import cli
from lineage.store import default_demo_path, default_store_path, store_to_read


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh per-user data folder (no $LINEAGE_STORE)."""
    monkeypatch.delenv("LINEAGE_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def test_commands_find_the_demo_store_when_it_is_the_only_store(home: Path, demo3k_store: Path) -> None:
    default, demo = default_store_path(), default_demo_path()
    assert str(default).startswith(str(home)) and not default.exists()
    demo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo3k_store, demo)
    path, note = store_to_read(None)
    assert path == demo and note is not None and "demo store" in note
    result = CliRunner().invoke(cli, ["share", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout), "the demo store's shares"
    assert f"using the demo store at {demo}" in result.stderr
    assert result.stderr.count("using the demo store") == 1


def test_a_crawled_default_store_wins_over_the_demo(home: Path, demo3k_store: Path) -> None:
    default, demo = default_store_path(), default_demo_path()
    demo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo3k_store, demo)
    shutil.copy(demo3k_store, default)
    assert store_to_read(None) == (default, None)
    assert store_to_read(home / "x.sqlite") == (home / "x.sqlite", None)


def test_lineage_store_env_is_never_replaced_by_the_demo(
    home: Path, demo3k_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = default_demo_path()
    demo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo3k_store, demo)
    monkeypatch.setenv("LINEAGE_STORE", str(home / "mine.sqlite"))
    path, note = store_to_read(None)
    assert path == home / "mine.sqlite" and note is None
    result = CliRunner().invoke(cli, ["share"])
    assert result.exit_code == 1 and "No lineage store at" in result.output


def _busy_port() -> tuple[socket.socket, int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, int(s.getsockname()[1])


@pytest.mark.parametrize("command", [["app"], ["demo", "--models", "200"], ["start"]])
def test_a_busy_port_is_refused_before_any_work(command: list[str], tmp_path: Path) -> None:
    sock, port = _busy_port()
    with sock:
        store = tmp_path / "never.sqlite"
        result = CliRunner().invoke(cli, [*command, "--store", str(store), "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"http://127.0.0.1:{port} is already in use" in result.output and "--port" in result.output
    assert "Simulating" not in result.output and "Serving" not in result.output
    assert not store.exists(), "nothing was built before the check"


def test_the_app_without_streamlit_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a)
    )
    result = CliRunner().invoke(cli, ["app", "--store", str(tmp_path / "s.sqlite"), "--port", "1"])
    assert result.exit_code == 1
    assert "needs streamlit" in result.output and "hf-lineage[app]" in result.output
    assert "Serving" not in result.output


def test_a_user_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lineage", "share", "--store", str(tmp_path / "none.sqlite")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and proc.stderr.startswith("Error: No lineage store"), proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_an_unexpected_exception_is_reported_as_a_bug(demo3k_store: Path) -> None:
    code = (
        "import lineage.analytics.share as s\n"
        "def boom(*args, **kwargs):\n"
        "    raise ValueError('operands could not be broadcast together')\n"
        "s.share_table = boom\n"
        "import lineage.analytics; lineage.analytics.share_table = boom\n"
        "import sys; sys.argv[0] = 'lineage'\n"
        "from lineage.cli import main; main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "share", "--store", str(demo3k_store)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 70, proc.stderr
    assert "Traceback" in proc.stderr and "operands could not be broadcast" in proc.stderr
    assert "This is a bug in lineage" in proc.stderr and "report it" in proc.stderr
