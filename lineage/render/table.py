"""Render tables (lists of dicts) as text, CSV or JSON strings. No printing here.

CSV numbers carry no float noise: shares to 6 decimals (0.0001%), download figures (split
fractionally over families) to whole downloads, other fractional counts to 3 decimals. JSON
keeps full precision.

>>> rows = [{"period": "2025-10", "group": "Qwen", "models": 412.49999999999994,
...          "share": 0.4124999999999999, "downloads_30d": 2139367.833}]
>>> print(render(rows, "csv").strip())
period,group,models,share,downloads_30d
2025-10,Qwen,412.5,0.4125,2139368
>>> json.loads(render(rows, "json"))[0]["share"]
0.4124999999999999
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
        if _is_share(key):
            return f"{value * 100:.1f}%"
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return printable(str(value))


def _is_share(key: str) -> bool:
    return key in ("share", "growth") or key.endswith("_share")


def _csv_value(value: Any, key: str) -> Any:
    """A CSV cell: floats rounded to what they mean (see the module docstring)."""
    if not isinstance(value, float) or value != value or value in (float("inf"), float("-inf")):
        return value
    if _is_share(key):
        text = f"{value:.6f}"
    elif "downloads" in key:
        return round(value)
    else:
        text = f"{value:.3f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


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
            writer.writerow({k: _csv_value(v, k) for k, v in r.items()})
        return buf.getvalue()
    if fmt == "table":
        return render_table(rows, columns)
    raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
