"""Render tables (lists of dicts) as text, CSV or JSON strings. No printing here.

>>> rows = [{"period": "2025-10", "group": "Qwen", "models": 412.5, "share": 0.4125}]
>>> print(render(rows, "csv").strip())
period,group,models,share
2025-10,Qwen,412.5,0.4125
>>> json.loads(render(rows, "json"))[0]["share"]
0.4125
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from lineage.errors import InputError

__all__ = ["FORMATS", "printable", "render", "render_table"]

FORMATS = ("table", "csv", "json")


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


def printable(text: str) -> str:
    r"""Text safe for a terminal: control characters (escape sequences) shown as ``\xNN``.

    >>> print(printable("evil/\x1b]0;pwned\x07"))
    evil/\x1b]0;pwned\x07
    """
    return text.translate(_CONTROL)


def _cell(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if key in ("share", "growth") or key.endswith("_share"):
            return f"{value * 100:.1f}%"
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return printable(str(value))


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A plain aligned text table (numbers right-aligned, shares as percentages)."""
    if not rows:
        return "(no rows)\n"
    cols = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c), c) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    numeric = [all(isinstance(r.get(c), int | float) or r.get(c) is None for r in rows) for c in cols]

    def fmt(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [fmt(cols), fmt(["-" * w for w in widths])]
    lines += [fmt(row) for row in cells]
    return "\n".join(lines) + "\n"


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    """Render ``rows`` as ``table``, ``csv`` or ``json`` (a JSON list of objects, stable keys)."""
    if fmt == "json":
        if not rows:
            return "[]\n"
        return "[\n" + ",\n".join(json.dumps(dict(r), ensure_ascii=False) for r in rows) + "\n]\n"
    if fmt == "csv":
        buf = io.StringIO()
        cols = list(columns or (rows[0].keys() if rows else []))
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow(r)
        return buf.getvalue()
    if fmt == "table":
        return render_table(rows, columns)
    raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
