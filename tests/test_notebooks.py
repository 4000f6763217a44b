"""The notebooks run top to bottom on a small simulated store, label it, and compute their claims.

Each notebook is executed once (nbclient, the ``python3`` kernel of this interpreter) with
``LINEAGE_STORE`` pointing at a 4,000-model demo store with three monthly snapshots; the numbers it
prints next to each published claim must equal what the library computes for the same query.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import lineage
from lineage.sim.demo import build_demo_store

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("share_of_new_models", "family_trees", "adoption", "method_sensitivity")
LABEL = (
    "SIMULATED DATA (lineage demo): these numbers illustrate the method, they are not measurements of the Hub"
)

Run = Callable[[str], str]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("notebooks") / "lineage.sqlite"
    build_demo_store(path, models=4000, seed=3, snapshots=3)
    return path


@pytest.fixture(scope="module")
def kernel_name() -> str:
    """The ``python3`` kernel; ipykernel ships its spec (it runs ``sys.executable``)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], check=True
        )
    return "python3"


def execute(name: str, store: Path, kernel_name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINEAGE_STORE", str(store))  # the kernel inherits the environment
        NotebookClient(
            nb, timeout=300, kernel_name=kernel_name, resources={"metadata": {"path": str(ROOT)}}
        ).execute()
    return nb


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed as text, in order."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{out.ename}: {out.evalue}"
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def run(demo_store: Path, kernel_name: str) -> Iterator[Run]:
    """Executes a notebook on the demo store (once per module) and returns its text output."""
    done: dict[str, str] = {}

    def _run(name: str) -> str:
        if name not in done:
            done[name] = output_text(execute(name, demo_store, kernel_name))
        return done[name]

    yield _run


@pytest.fixture(scope="module")
def lin(demo_store: Path) -> lineage.Lineage:
    return lineage.Lineage.load(demo_store)


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_clean(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code), "clear the outputs"
    assert 'os.environ.get("LINEAGE_STORE")' in code[0].source


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_labels_simulated_data(name: str, run: Run, demo_store: Path) -> None:
    text = run(name)
    assert text.startswith("=" * len(LABEL) + "\n" + LABEL), "the SIMULATED label comes first"
    with lineage.open_store(demo_store, readonly=True) as store:
        finished = store.info()["last_crawl_finished"]
    assert f"Data date: last complete crawl finished {finished}" in text
    lines = text.splitlines()
    claims = [k for k, line in enumerate(lines) if line.startswith("CLAIM")]
    for k in claims:  # the label sits right under every claim
        assert lines[k + 1].strip() == LABEL, lines[k : k + 2]


def _pct(share: float) -> str:
    return f"{share:.2%}"


def test_share_notebook_prints_computed_claims(run: Run, lin: lineage.Lineage) -> None:
    text = run("share_of_new_models")
    family = lineage.share_table(lin, lineage.ShareQuery(pipeline_tags=("text-generation",))).rows
    by_month = {(r["period"], r["group"]): r["share"] for r in family}
    qwen = re.search(r"Qwen: ([\d.]+%) of new language models in 2025-10", text)
    meta = re.search(r"Meta \(Llama family[^)]*\): ([\d.]+%) of new language models in 2025-10", text)
    assert qwen and meta, text
    assert qwen.group(1) == _pct(by_month["2025-10", "Qwen"])
    assert meta.group(1) == _pct(by_month["2025-10", "Llama"])
    assert "--pipeline-tag text-generation" in text and "fractional attribution" in text

    region = lineage.share_table(lin, by="region", period="quarter").rows
    by_quarter = {(r["period"], r["group"]): r["share"] for r in region}
    for quarter in ("2024-Q1", "2026-Q1"):
        china = re.search(rf"china: ([\d.]+%) of new derivatives in {quarter}", text)
        assert china, text
        assert china.group(1) == _pct(by_quarter[quarter, "china"])

    # The effect of excluding quantizations is computed too.
    no_quant = tuple(r for r in lin.relation_labels if r != "quantized")
    rows = lineage.share_table(lin, pipeline_tags=("text-generation",), relations=no_quant).rows
    excluded = next(r["share"] for r in rows if r["period"] == "2025-10" and r["group"] == "Qwen")
    assert f"to {100 * excluded:.2f}% and Meta's" in text


def test_family_trees_notebook_prints_computed_shapes(run: Run, lin: lineage.Lineage) -> None:
    text = run("family_trees")
    largest = lineage.family_summary(lin, top=3).rows[0]["group"]
    found = re.search(r"^(.+?): ([\d,]+) models \(([\d,]+) base models", text, re.MULTILINE)
    assert found, text
    nodes = lineage.group_nodes(lin, largest)
    assert found.group(1) == largest
    assert int(found.group(2).replace(",", "")) == len(nodes)
    assert int(found.group(3).replace(",", "")) == int((lin.in_degree[nodes] == 0).sum())
    assert "descendants" in text and "└──" in text  # the rendered trees


def test_adoption_notebook_prints_computed_downloads(
    run: Run, lin: lineage.Lineage, demo_store: Path
) -> None:
    text = run("adoption")
    with lineage.open_store(demo_store, readonly=True) as store:
        rows = lineage.downloads_over_time(lin, store.iter_snapshots()).rows
    total = {(r["snapshot"], r["group"]): r["downloads_all_time"] for r in rows}
    printed = re.findall(r"(\S+): Qwen ([\d,]+) vs Llama ([\d,]+) cumulative downloads", text)
    assert len(printed) == 3, text
    for when, qwen, llama in printed:
        assert qwen == f"{total[when, 'Qwen']:,.0f}" and llama == f"{total[when, 'Llama']:,.0f}"
    assert 'CLAIM: "Qwen passed Llama in cumulative downloads in 2025"' in text


def test_sensitivity_notebook_prints_every_definition_as_computed(run: Run, lin: lineage.Lineage) -> None:
    text = run("method_sensitivity")
    found = re.findall(r"^SHARE (\S+) (\S+) scope=(\w+) relations=(\w+) bulk=(\w+): ([\d.]+)%$", text, re.M)
    definitions = {(s, r, b) for _, _, s, r, b, _ in found}
    assert definitions == set(
        itertools.product(("tree", "direct"), ("all", "finetune"), ("include", "exclude"))
    )
    months = {m for m, *_ in found}
    assert len(months) >= 2 and len(found) == 8 * 3 * len(months)
    printed: dict[tuple[str, ...], float] = {}
    for month, family, scope, relations, bulk, pct in found:
        q = lineage.ShareQuery(
            scope=scope, relations=("finetune",) if relations == "finetune" else (), bulk=bulk
        )
        rows = lineage.share_table(lin, q).rows
        share = next((r["share"] for r in rows if (r["period"], r["group"]) == (month, family)), 0.0)
        assert pct == f"{100 * share:.2f}", (month, family, scope, relations, bulk)
        printed[month, family, scope, relations, bulk] = share
    # the choices do move the number: bulk uploads in the month with the most of them
    assert any(
        printed[m, f, "tree", "all", "include"] != printed[m, f, "tree", "all", "exclude"]
        for m, f, *_ in printed
    )
    for month, family, low, high in re.findall(r"^RANGE (\S+) (\S+): ([\d.]+)% .* to ([\d.]+)% ", text, re.M):
        values = [v for k, v in printed.items() if k[:2] == (month, family)]
        assert (low, high) == (f"{100 * min(values):.2f}", f"{100 * max(values):.2f}")
    downloads = re.findall(
        r"^DOWNLOADS population=(\S+): Qwen ([\d,]+) vs Llama ([\d,]+) cumulative", text, re.M
    )
    assert [p for p, _, _ in downloads] == ["family", "first-party"]
    for population, qwen, llama in downloads:
        rows = lineage.downloads_by_group(lin, population=population).rows
        total = {r["group"]: r["downloads_all_time"] for r in rows}
        assert (qwen, llama) == (f"{total['Qwen']:,.0f}", f"{total['Llama']:,.0f}")
    assert "Scope direct" in text and "Bulk uploads exclude" in text


def test_missing_store_says_how_to_get_one(tmp_path: Path, kernel_name: str) -> None:
    with pytest.raises(CellExecutionError) as err:
        execute("adoption", tmp_path / "nothing-here.sqlite", kernel_name)
    assert "No lineage store at" in str(err.value) and "lineage demo --no-app" in str(err.value)
