"""Exports: every format read back by a real reader gives the source graph; Cypher parses.

Graphs: the real sample (363 Hub models), a 3000-model simulated hub, and dirty ids (quotes,
backslashes, backticks, ``<`` ``&``, unicode, line breaks, ``../``) both built by hand and
crawled through the store. Readers: networkx (graphml, gexf, json), the csv module, pyarrow,
and a Cypher literal decoder below plus Neo4j's own parser (``tools/cypher-lint``).
"""

from __future__ import annotations

import csv as pycsv
import io
import random
import re
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
import pyarrow.parquet as pq
import pytest
from helpers import DIRTY_IDS, CypherLint
from helpers import invoke as run

from lineage.export import _MODULES as MODULES
from lineage.export import (
    FORMATS,
    NODE_ATTRS,
    GraphSource,
    LineageSource,
    StoreSource,
    UnknownModelError,
    export,
    export_bytes,
    export_store,
    safe_filename,
    select,
)
from lineage.graph import Lineage
from lineage.licenses import default_licenses, drops_terms
from lineage.store import open_store

Dump = tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]


# -- graphs ----------------------------------------------------------------------------------------
def dirty_graph() -> nx.DiGraph[str]:
    """Dirty ids at both ends of edges and in string attributes."""
    g: nx.DiGraph[str] = nx.DiGraph()
    for k, mid in enumerate(DIRTY_IDS):
        g.add_node(
            mid,
            author=mid.split("/")[0],
            downloads=k * 1000,
            likes=k,
            legacy_date=k % 2 == 0,
            deleted=False,
            placeholder=k == 3,
            license='it\'s "mine" \\ <&>',
            gated="false",
        )
    g.nodes["uni/ünïcödé-模型-😀"]["created_at"] = "2025-01-01T00:00:00.000Z"
    del g.nodes["tag/<b>&amp;</b>"]["author"]  # a missing attribute stays missing
    for k in range(1, len(DIRTY_IDS)):
        g.add_edge(DIRTY_IDS[(k - 1) // 2], DIRTY_IDS[k], relation=("finetune", "merge", "quantized")[k % 3])
    return g


def dump(g: nx.DiGraph[Any]) -> Dump:
    """Nodes and edges with type-tagged attributes (so True never equals 1)."""

    def typed(d: dict[str, Any]) -> dict[str, Any]:
        return {k: (type(v).__name__, v) for k, v in d.items()}

    return (
        {str(n): typed(d) for n, d in g.nodes(data=True)},
        {(str(u), str(v)): typed(d) for u, v, d in g.edges(data=True)},
    )


# -- readers ---------------------------------------------------------------------------------------
def read_gexf(path: Path) -> nx.DiGraph[Any]:
    h = nx.read_gexf(path)
    for n, d in h.nodes(data=True):
        assert d.pop("label") == n  # GEXF's label is the id
    for _, _, d in h.edges(data=True):
        d.pop("id")  # GEXF's edge number
    return h


def _csv_value(text: str, kind: str) -> Any:
    if kind == "long":
        return int(text)
    if kind == "boolean":
        assert text in ("true", "false")
        return text == "true"
    return float(text) if kind == "double" else text


def read_csv(folder: Path) -> nx.DiGraph[Any]:
    """neo4j-admin headers, read with the csv module."""
    g: nx.DiGraph[Any] = nx.DiGraph()
    with open(folder / "nodes.csv", newline="", encoding="utf-8") as fh:
        rows = pycsv.reader(fh)
        header = next(rows)
        assert header[0] == "id:ID(Model)" and header[-1] == ":LABEL"
        cols = [(h.split(":")[0], h.split(":")[1] if ":" in h else "string") for h in header[1:-1]]
        for row in rows:
            assert row[-1] == "Model"
            g.add_node(
                row[0], **{n: _csv_value(v, t) for (n, t), v in zip(cols, row[1:-1], strict=True) if v != ""}
            )
    with open(folder / "edges.csv", newline="", encoding="utf-8") as fh:
        rows = pycsv.reader(fh)
        header = next(rows)
        assert header[:3] == [":START_ID(Model)", ":END_ID(Model)", ":TYPE"]
        ecols = [(h.split(":")[0], h.split(":")[1] if ":" in h else "string") for h in header[3:]]
        assert ecols[:2] == [("relation", "string"), ("license_drift", "boolean")]
        for row in rows:
            assert row[2] == "BASE_OF"
            g.add_edge(
                row[0], row[1], **{n: _csv_value(v, t) for (n, t), v in zip(ecols, row[3:], strict=True) if v}
            )
    return g


def read_parquet(folder: Path) -> nx.DiGraph[Any]:
    g: nx.DiGraph[Any] = nx.DiGraph()
    for row in pq.read_table(folder / "nodes.parquet").to_pylist():
        g.add_node(row.pop("id"), **{k: v for k, v in row.items() if v is not None})
    for row in pq.read_table(folder / "edges.parquet").to_pylist():
        g.add_edge(row.pop("source"), row.pop("target"), **{k: v for k, v in row.items() if v is not None})
    return g


# A decoder of the Cypher literals the script uses (maps, lists, strings, numbers, booleans),
# by the language's rules, independent of the writer's code.
_CYPHER_ESC = {"\\": "\\", "'": "'", '"': '"', "t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


class CypherLiterals:
    def __init__(self, text: str) -> None:
        self.s, self.i = text, 0

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def expect(self, tok: str) -> None:
        self.ws()
        assert self.s.startswith(tok, self.i), f"expected {tok!r} at {self.s[self.i : self.i + 30]!r}"
        self.i += len(tok)

    def value(self) -> Any:
        self.ws()
        c = self.s[self.i]
        if c == "{":
            return self.map()
        if c == "[":
            return self.list()
        if c == "'":
            return self.string()
        m = re.compile(r"true|false|-?\d+(\.\d+)?([eE][-+]?\d+)?").match(self.s, self.i)
        assert m, f"not a literal: {self.s[self.i : self.i + 30]!r}"
        self.i = m.end()
        word = m.group(0)
        if word in ("true", "false"):
            return word == "true"
        return float(word) if m.group(1) or m.group(2) else int(word)

    def string(self) -> str:
        self.expect("'")
        out: list[str] = []
        while (c := self.s[self.i]) != "'":
            self.i += 1
            if c != "\\":
                out.append(c)
                continue
            e = self.s[self.i]
            self.i += 1
            if e in _CYPHER_ESC:
                out.append(_CYPHER_ESC[e])
            elif e in "uU":
                n = 4 if e == "u" else 8
                out.append(chr(int(self.s[self.i : self.i + n], 16)))
                self.i += n
            else:
                raise AssertionError(f"invalid escape \\{e}")
        self.i += 1
        return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")

    def key(self) -> str:
        self.ws()
        if self.s[self.i] == "`":
            end = self.i + 1
            while True:
                end = self.s.index("`", end)
                if self.s.startswith("``", end):
                    end += 2
                    continue
                break
            name = self.s[self.i + 1 : end].replace("``", "`")
            self.i = end + 1
            return name
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.s, self.i)
        assert m
        self.i = m.end()
        return m.group(0)

    def map(self) -> dict[str, Any]:
        self.expect("{")
        out: dict[str, Any] = {}
        self.ws()
        while self.s[self.i] != "}":
            k = self.key()
            self.expect(":")
            out[k] = self.value()
            self.ws()
            if self.s[self.i] == ",":
                self.i += 1
                self.ws()
        self.i += 1
        return out

    def list(self) -> list[Any]:
        self.expect("[")
        out: list[Any] = []
        self.ws()
        while self.s[self.i] != "]":
            out.append(self.value())
            self.ws()
            if self.s[self.i] == ",":
                self.i += 1
                self.ws()
        self.i += 1
        return out


def read_cypher(path: Path) -> nx.DiGraph[Any]:
    from lineage.export.cypher import CONSTRAINT_STATEMENT as CONSTRAINT
    from lineage.export.cypher import MERGE_EDGES, MERGE_NODES

    text = path.read_text(encoding="utf-8")
    g: nx.DiGraph[Any] = nx.DiGraph()
    p = CypherLiterals(text)
    p.i = text.index(CONSTRAINT) + len(CONSTRAINT)
    while True:
        p.ws()
        if p.i >= len(text):
            break
        p.expect("UNWIND")
        rows = p.list()
        tail = text[p.i : p.i + max(len(MERGE_NODES), len(MERGE_EDGES))]
        if tail.startswith(MERGE_NODES[1:]):
            for row in rows:
                g.add_node(row.pop("id"), **row)
            p.i += len(MERGE_NODES) - 1
        else:
            assert tail.startswith(MERGE_EDGES[1:]), tail
            for row in rows:
                g.add_edge(row["source"], row["target"], **row["props"])
            p.i += len(MERGE_EDGES) - 1
    return g


def read_json(path: Path) -> nx.DiGraph[Any]:
    return nx.node_link_graph(orjson.loads(path.read_bytes()), edges="edges")


READERS = {
    "graphml": nx.read_graphml,
    "gexf": read_gexf,
    "json": read_json,
    "csv": read_csv,
    "parquet": read_parquet,
    "cypher": read_cypher,
}


def with_licences(g: nx.DiGraph[Any]) -> nx.DiGraph[Any]:
    """``g`` as an export writes it: every node with its licence class, every edge with its
    licence drift flag (the classification itself is tested in test_licenses.py)."""
    h = g.copy()
    table = default_licenses()
    for _, d in h.nodes(data=True):
        d.setdefault("license_class", table.classify(d.get("license"), d.get("license_name")))
    for u, v, d in h.edges(data=True):
        d.setdefault("license_drift", drops_terms(h.nodes[u]["license_class"], h.nodes[v]["license_class"]))
    return h


def round_trip(g: nx.DiGraph[Any], fmt: str, folder: Path) -> None:
    paths = export(g, fmt, folder / f"out-{fmt}")
    assert all(p.is_file() for p in paths)
    target = paths[0].parent if fmt in ("csv", "parquet") else paths[0]
    got = READERS[fmt](target)
    want_nodes, want_edges = dump(with_licences(g))
    got_nodes, got_edges = dump(got)
    assert set(got_nodes) == set(want_nodes)
    bad = [n for n in want_nodes if got_nodes[n] != want_nodes[n]]
    assert not bad, f"{len(bad)} nodes differ, e.g. {bad[0]!r}: {got_nodes[bad[0]]} != {want_nodes[bad[0]]}"
    assert got_edges == want_edges


# -- round trips -----------------------------------------------------------------------------------
def test_formats_registry() -> None:
    assert FORMATS == ("graphml", "gexf", "json", "csv", "parquet", "cypher")
    assert set(MODULES) == set(FORMATS) == set(READERS)
    with pytest.raises(ValueError, match="unknown export format 'dot'"):
        export_bytes(nx.DiGraph(), "dot")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_real_sample(fmt: str, real_sample_store: Path, tmp_path: Path) -> None:
    g = Lineage.load(real_sample_store).to_networkx()
    assert g.number_of_nodes() >= 363 and g.number_of_edges() > 300
    assert any(d["placeholder"] for _, d in g.nodes(data=True))
    round_trip(g, fmt, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_simulated_family(fmt: str, demo3k_store: Path, tmp_path: Path) -> None:
    lin = Lineage.load(demo3k_store)
    g = lin.to_networkx(select(lin, family="Qwen"))
    assert g.number_of_nodes() > 100
    round_trip(g, fmt, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_dirty_ids(fmt: str, tmp_path: Path) -> None:
    round_trip(dirty_graph(), fmt, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_dirty_store(fmt: str, dirty_store: Path, tmp_path: Path) -> None:
    g = Lineage.load(dirty_store).to_networkx()
    assert set(DIRTY_IDS) < set(g) and g.nodes["ghost/deleted-parent"]["placeholder"] is True
    round_trip(g, fmt, tmp_path)


def test_extra_attributes_are_typed() -> None:
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_node("a", family="Qwen", score=1, weird=[1, "x"])
    g.add_node("b", score=2.5, flag=True, nothing=None)
    g.add_edge("a", "b", relation="merge", weight=3)
    src = GraphSource(g)
    extra = {a.name: a.type for a in src.node_attrs[len(NODE_ATTRS) :]}
    assert extra == {
        "family": "string",
        "flag": "boolean",
        "nothing": "string",
        "score": "double",
        "weird": "string",
    }
    h = nx.read_graphml(io.BytesIO(export_bytes(g, "graphml")[0]))
    assert h.nodes["a"] == {"license_class": "unknown", "family": "Qwen", "score": 1.0, "weird": '[1,"x"]'}
    assert h.nodes["b"] == {"license_class": "unknown", "score": 2.5, "flag": True}
    assert h.edges["a", "b"] == {"relation": "merge", "license_drift": False, "weight": 3}
    bad: nx.DiGraph[str] = nx.DiGraph()
    bad.add_node("a", downloads="many")
    with pytest.raises(ValueError, match="'downloads' should be long"):
        export_bytes(bad, "json")
    with pytest.raises(ValueError, match="reserved"):
        GraphSource(nx.DiGraph([("a", "b", {"source": "x"})]))


def test_xml_formats_replace_characters_xml_cannot_carry(tmp_path: Path) -> None:
    g: nx.DiGraph[str] = nx.DiGraph([("bell/\x07", "ok/x", {"relation": "finetune"})])
    assert set(nx.read_graphml(io.BytesIO(export_bytes(g, "graphml")[0]))) == {"bell/\ufffd", "ok/x"}
    assert set(read_json_bytes(export_bytes(g, "json")[0])) == {"bell/\x07", "ok/x"}  # exact elsewhere
    export(g, "cypher", tmp_path / "x.cypher")
    assert set(read_cypher(tmp_path / "x.cypher")) == {"bell/\x07", "ok/x"}


def read_json_bytes(data: bytes) -> nx.DiGraph[Any]:
    return nx.node_link_graph(orjson.loads(data), edges="edges")


# -- determinism and streaming ---------------------------------------------------------------------
def shuffled(g: nx.DiGraph[Any], seed: int) -> nx.DiGraph[Any]:
    rng = random.Random(seed)
    nodes, edges = list(g.nodes(data=True)), list(g.edges(data=True))
    rng.shuffle(nodes)
    rng.shuffle(edges)
    h: nx.DiGraph[Any] = nx.DiGraph()
    h.add_nodes_from((n, dict(reversed(list(d.items())))) for n, d in nodes)
    h.add_edges_from(edges)
    return h


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic(fmt: str, real_sample_store: Path) -> None:
    g = Lineage.load(real_sample_store).to_networkx()
    first = export_bytes(g, fmt)
    assert export_bytes(shuffled(g, 1), fmt) == first
    assert export_bytes(dirty_graph(), fmt) == export_bytes(shuffled(dirty_graph(), 2), fmt)


def _bytes(source: Any, fmt: str) -> bytes:
    mod = MODULES[fmt]
    if fmt in ("csv", "parquet"):
        a, b = io.BytesIO(), io.BytesIO()
        mod.write_tables(source, a, b)
        return a.getvalue() + b"\0" + b.getvalue()
    out = io.BytesIO()
    mod.write(source, out)
    return out.getvalue()


@pytest.mark.parametrize("store_fixture", ["real_sample_store", "demo3k_store", "dirty_store"])
def test_store_and_lineage_streams_equal_networkx_export(
    store_fixture: str, request: pytest.FixtureRequest
) -> None:
    path = request.getfixturevalue(store_fixture)
    lin = Lineage.load(path)
    g = lin.to_networkx()
    with open_store(path, readonly=True) as st:
        for fmt in FORMATS:
            want = _bytes(GraphSource(g), fmt)
            assert _bytes(LineageSource(lin, chunk=7), fmt) == want, fmt
            assert _bytes(StoreSource(st, chunk=13), fmt) == want, fmt


def test_store_stream_is_chunked_and_memory_flat(demo3k_store: Path, tmp_path: Path) -> None:
    with open_store(demo3k_store, readonly=True) as st:
        src = StoreSource(st, chunk=100)
        sizes = [len(c) for c in src.node_chunks()] + [len(c) for c in src.edge_chunks()]
        # 3,000 nodes and (28% of models declaring a base, as on the real Hub) about 800 links
        assert max(sizes) == 100 and len(sizes) > 35
        peaks = {}
        for chunk in (100, 100_000):
            export_store(st, "graphml", tmp_path / f"warm-{chunk}.graphml", chunk=chunk)
            tracemalloc.start()
            result = export_store(st, "graphml", tmp_path / f"all-{chunk}.graphml", chunk=chunk)
            peaks[chunk] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    size = result.paths[0].stat().st_size
    assert result.nodes == 3000 + st_placeholders(demo3k_store) and size > 1_000_000
    # Python memory follows the chunk, not the graph: the file buffer and a chunk at a time.
    assert peaks[100] < (1 << 18) + size / 5 and peaks[100] < peaks[100_000] / 3, (peaks, size)


def st_placeholders(path: Path) -> int:
    return int(Lineage.load(path).placeholder.sum())


def test_selection_export_streams_from_lineage(demo3k_store: Path, tmp_path: Path) -> None:
    lin = Lineage.load(demo3k_store)
    nodes = select(lin, family="Llama", depth=2)
    res = export_store(lin, "json", tmp_path / "llama.json", nodes=nodes)
    assert (res.nodes, res.edges) == (len(nodes), lin.to_networkx(nodes).number_of_edges())
    assert res.paths[0].read_bytes() == export_bytes(lin.to_networkx(nodes), "json")[0]


# -- selection -------------------------------------------------------------------------------------
def test_select_roots_family_depth(demo3k_store: Path) -> None:
    lin = Lineage.load(demo3k_store)
    root = lin.find("Qwen/Qwen2.5-7B")
    assert root is not None
    assert select(lin, roots=["qwen/QWEN2.5-7b"], depth=0).tolist() == [root]
    one = select(lin, roots=["Qwen/Qwen2.5-7B"], depth=1)
    assert set(one.tolist()) == {root, *lin.children(root).tolist()}
    assert len(select(lin, roots=["Qwen/Qwen2.5-7B"])) > len(one)
    fam = select(lin, family="qwen")
    assert root in fam and len(select(lin, family="Qwen", depth=0)) < len(fam)
    with pytest.raises(UnknownModelError) as info:
        select(lin, roots=["Qwen/Qwen2.5-7B", "no/such", "../x"])
    assert info.value.missing == ["no/such", "../x"] and "'no/such'" in str(info.value)
    with pytest.raises(ValueError, match="exactly one"):
        select(lin, roots=["a"], family="Qwen")
    with pytest.raises(ValueError, match="exactly one"):
        select(lin)
    with pytest.raises(ValueError, match=r"registry families: .*Qwen"):
        select(lin, family="NoSuchFamily")


# -- names, paths, bytes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        ".",
        "/abs/path",
        "a/../../b",
        "C:\\win\\x",
        "x\0y",
        "\x1b[31mred",
        "ünï/模型",
        "",
        "CON",
        "a" * 500,
        "-rf",
        ".hidden",
    ],
)
def test_safe_filename(name: str) -> None:
    out = safe_filename(name, ".graphml")
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{8}\.graphml", out), out
    assert ".." not in out and len(out) <= 80 + len(".graphml")
    assert out == safe_filename(name, ".graphml")


def test_safe_filename_never_collides() -> None:
    names = ["a/b", "a-b", "a b", "a_b/", "A/B", "a//b"]
    assert len({safe_filename(n) for n in names}) == len(names)


def test_export_bytes_names_and_zips() -> None:
    g = dirty_graph()
    for fmt in FORMATS:
        data, name, mime = export_bytes(g, fmt)
        assert "/" not in name and not name.startswith(".")
        if fmt in ("csv", "parquet"):
            assert name.endswith(f".{fmt}.zip") and mime == "application/zip"
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                assert zf.namelist() == [f"nodes.{fmt}", f"edges.{fmt}"]
        else:
            assert name.endswith(f".{fmt}")
    named = nx.DiGraph(name="Qwen family")
    assert export_bytes(named, "json")[1].startswith("Qwen-family-")


def test_failed_export_leaves_no_file(tmp_path: Path) -> None:
    g = dirty_graph()
    g.add_node("zzz/last", downloads="not a number")  # fails after the first chunk was written
    for fmt in ("graphml", "csv"):
        with pytest.raises(ValueError):
            export(g, fmt, tmp_path / "out")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # not even a temporary file


def test_export_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    g = dirty_graph()
    export(g, "gexf", tmp_path / "g.gexf")
    with pytest.raises(FileExistsError):
        export(g, "gexf", tmp_path / "g.gexf", overwrite=False)
    export(g, "gexf", tmp_path / "g.gexf")  # the library's default overwrites
    paths = export(g, "graphml", tmp_path)  # an existing directory: a safe name inside it
    assert paths[0].parent == tmp_path and paths[0].name.startswith("it-s-a-model-")


# -- CLI -------------------------------------------------------------------------------------------
def test_cli_export_modes(demo3k_store: Path, tmp_path: Path) -> None:
    store = ["--store", str(demo3k_store)]
    r = run(
        "export",
        *store,
        "--root",
        "qwen/qwen2.5-7b",
        "--depth",
        "1",
        "--format",
        "graphml",
        "-o",
        str(tmp_path / "q.graphml"),
    )
    assert r.exit_code == 0, r.output
    g = nx.read_graphml(tmp_path / "q.graphml")
    assert "Qwen/Qwen2.5-7B" in g and f"Wrote {g.number_of_nodes():,} models" in r.output
    r = run("export", *store, "--family", "Llama", "--format", "csv", "-o", str(tmp_path / "llama"))
    assert r.exit_code == 0 and (tmp_path / "llama" / "edges.csv").exists()
    r = run("export", *store, "--all", "--format", "parquet", "-o", str(tmp_path / "all"))
    assert r.exit_code == 0 and pq.read_table(tmp_path / "all" / "nodes.parquet").num_rows >= 3000
    # refuses to overwrite without --force
    r = run("export", *store, "--all", "--format", "parquet", "-o", str(tmp_path / "all"))
    assert r.exit_code == 1 and "already exists: pass --force" in r.output
    assert (
        run(
            "export", *store, "--all", "--format", "parquet", "-o", str(tmp_path / "all"), "--force"
        ).exit_code
        == 0
    )


def test_cli_export_errors(demo3k_store: Path, tmp_path: Path) -> None:
    store = ["--store", str(demo3k_store)]
    out = ["--format", "json", "-o", str(tmp_path / "x.json")]
    r = run("export", *store, "--root", "Qwen2.5-7B-typo", *out)
    assert r.exit_code == 1 and "'Qwen2.5-7B-typo' is not in the store" in r.output
    r = run("export", *store, "--root", "Qwen2.5-7B", *out)
    assert "did you mean: Qwen/Qwen2.5-7B" in r.output
    assert run("export", *store, *out).exit_code == 2
    assert run("export", *store, "--all", "--family", "Qwen", *out).exit_code == 2
    assert run("export", *store, "--all", "--depth", "1", *out).exit_code == 2
    r = run("export", "--store", str(tmp_path / "none.sqlite"), "--all", *out)
    assert r.exit_code == 1 and "No lineage store" in r.output
    assert not (tmp_path / "x.json").exists()


def test_cli_path_traversal_id_stays_in_output_dir(dirty_store: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "a" / "b"
    outdir.mkdir(parents=True)
    r = run(
        "export",
        "--store",
        str(dirty_store),
        "--root",
        "../../etc/passwd",
        "--format",
        "graphml",
        "-o",
        str(outdir),
    )
    assert r.exit_code == 0, r.output
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 1 and written[0].parent == outdir and written[0].name.startswith("etc-passwd-")
    assert "../../etc/passwd" in nx.read_graphml(written[0])


# -- Cypher: Neo4j's own parser --------------------------------------------------------------------
def test_cypher_of_dirty_ids_parses(tmp_path: Path, cypher_lint: CypherLint) -> None:
    g = dirty_graph()
    g.add_node("ctl/\x01\x7f", downloads=1)
    g.add_edge("ctl/\x01\x7f", 'say/"hi"', relation="adapter")
    path = tmp_path / "dirty.cypher"
    export(g, "cypher", path)
    report = cypher_lint(path.read_text(encoding="utf-8"))
    assert report["errors"] == 0 and report["warnings"] == 0, report["diagnostics"][:3]
    assert report["statements"] == 3  # constraint, nodes, relationships
    assert dump(read_cypher(path)) == dump(with_licences(g))


def test_cypher_lint_reports_a_broken_statement(tmp_path: Path, cypher_lint: CypherLint) -> None:
    g = dirty_graph()
    path = tmp_path / "broken.cypher"
    export(g, "cypher", path)
    text = path.read_text(encoding="utf-8")
    # What an unescaped quote would do: the string ends early and the rest is garbage.
    broken = text.replace("'it\\'s/a\\'model'", "'it's/a'model'", 1)
    assert broken != text
    report = cypher_lint(broken)
    assert report["errors"] >= 1 and report["diagnostics"][0]["statement"] == 2
    assert cypher_lint("MATCH (n:Model {id: 'x'}) SET n.x = ;\n")["errors"] == 1
    # The long-running linter answers the next request as if it had just started.
    assert cypher_lint(text)["errors"] == 0


def test_a_missing_linter_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"not installed: run `make cypher-lint`"):
        CypherLint(tmp_path / "lint.mjs")  # no node_modules beside it


@pytest.mark.slow
def test_cypher_of_real_sample_parses(
    real_sample_store: Path, tmp_path: Path, cypher_lint: CypherLint
) -> None:
    path = tmp_path / "real.cypher"
    export_store(real_sample_store, "cypher", path)
    report = cypher_lint(path.read_text(encoding="utf-8"))
    assert report["errors"] == 0 and report["warnings"] == 0, report["diagnostics"][:3]
    assert dump(read_cypher(path)) == dump(with_licences(Lineage.load(real_sample_store).to_networkx()))
