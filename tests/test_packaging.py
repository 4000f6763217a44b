"""The distribution: the wheel builds without deprecation warnings, carries the package and its
data, and installs into a clean venv where ``lineage --help`` and ``import lineage`` work.

One wheel per session (built from a copy of the sources, so the build leaves nothing in the
tree), installed once into a new venv (no pip inside it: the test's pip installs into it with
``--python``); dependencies come from the package index or pip's cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT

import lineage

pytestmark = pytest.mark.slow

# What the build reads: pyproject.toml names the package, its data, the readme and the licence.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "lineage")


def pip(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel, and the build's log (pip -v shows the build backend's output)."""
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    proc = pip("wheel", str(src), "--no-deps", "-w", str(work / "dist"), "-v", cwd=work)
    wheels = list((work / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def venv(build: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the wheel (and its dependencies, nothing else) installed."""
    env_dir = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    # --no-compile: no .pyc for every file of every dependency up front (half the install time);
    # Python compiles what it imports.
    pip(
        "--python",
        str(env_dir / "bin" / "python"),
        "install",
        "-q",
        "--no-compile",
        str(build[0]),
        cwd=env_dir.parent,
    )
    return env_dir


def test_the_build_prints_no_deprecation_warning(build: tuple[Path, str]) -> None:
    _, log = build
    assert "Successfully built hf-lineage" in log or "Created wheel for hf-lineage" in log, log[-2000:]
    found = [line for line in log.splitlines() if re.search("deprecat", line, re.I)]
    assert not found, "\n".join(found)


def test_the_wheel_is_hf_lineage_with_the_package_data_and_no_tests(build: tuple[Path, str]) -> None:
    wheel, _ = build
    version = lineage.__version__
    assert wheel.name == f"hf_lineage-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(f"hf_lineage-{version}.dist-info/METADATA").decode()
        entry_points = zf.read(f"hf_lineage-{version}.dist-info/entry_points.txt").decode()
    assert {"lineage/py.typed", "lineage/data/registry.toml", "lineage/data/aliases.csv"} <= names
    assert f"hf_lineage-{version}.dist-info/licenses/LICENSE" in names
    packages = {n.split("/")[1] for n in names if re.fullmatch(r"lineage/\w+/__init__\.py", n)}
    source_packages = {p.parent.name for p in (ROOT / "lineage").glob("*/__init__.py")}
    assert packages == source_packages  # every subpackage ships
    assert not [n for n in names if n.startswith(("tests/", "bench/", "notebooks/"))]
    assert re.search(r"^Name: hf-lineage$", meta, re.M) and re.search(rf"^Version: {version}$", meta, re.M)
    assert re.search(r"^License-Expression: Apache-2.0$", meta, re.M)
    assert "lineage = lineage.cli:main" in entry_points
    # Dependencies: exactly the pinned ones of pyproject.toml (extras marked as such).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requires = [line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Requires-Dist: ")]
    assert [r for r in requires if "extra ==" not in r] == project["dependencies"]


def test_the_wheel_installs_into_a_clean_venv_and_runs(venv: Path, tmp_path: Path) -> None:
    bin_dir = venv / "bin"
    # Outside the source tree, with nothing of this environment on the path.
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}

    def run(*cmd: str) -> str:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False
        )
        assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        return proc.stdout

    out = run(str(bin_dir / "lineage"), "--help")
    assert out.startswith("Usage: lineage [OPTIONS] COMMAND") and "crawl" in out and "export" in out
    assert run(str(bin_dir / "lineage"), "--version").strip().endswith(lineage.__version__)
    code = (
        "import lineage, sys\n"
        "lineage.export, lineage.Lineage, lineage.share_table\n"
        "assert lineage.__file__.startswith(sys.prefix), lineage.__file__\n"
        "from lineage.families import default_registry\n"  # the packaged data is found
        "assert default_registry().family_of('Qwen/Qwen2.5-7B') == 'Qwen'\n"
        "print(sorted(m for m in ('streamlit', 'neo4j', 'pyarrow') if m in sys.modules))\n"
    )
    assert run(str(bin_dir / "python"), "-c", code).strip() == "[]"  # optional extras stay optional
