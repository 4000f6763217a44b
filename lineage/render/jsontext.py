"""JSON text for ``--format json``, at any nesting depth.

``json.dumps`` recurses once per nesting level and raises ``RecursionError`` past about a
thousand levels — a family tree of a 2,000-model chain nests that deep. :func:`dumps` writes
the same text as ``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False,
default=str)`` with an explicit stack instead.

>>> print(dumps({"b": [1, {"c": None}], "a": "x"}))
{
  "a": "x",
  "b": [
    1,
    {
      "c": null
    }
  ]
}
>>> deep: dict = {}
>>> node = deep
>>> for _ in range(5000):
...     node["child"] = {}
...     node = node["child"]
>>> len(dumps(deep).splitlines())
10001
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps"]


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def dumps(obj: Any, indent: int = 2) -> str:
    """``obj`` as indented JSON with sorted keys (see the module docstring)."""
    out: list[str] = []
    # Work items: ("value", obj, depth) writes a value; ("text", s, 0) writes s as is.
    stack: list[tuple[str, Any, int]] = [("value", obj, 0)]
    while stack:
        kind, value, depth = stack.pop()
        if kind == "text":
            out.append(value)
            continue
        if isinstance(value, dict) and value:
            pad, inner = " " * (indent * depth), " " * (indent * (depth + 1))
            items = sorted(value.items(), key=lambda kv: str(kv[0]))
            stack.append(("text", f"\n{pad}}}", 0))
            for k in range(len(items) - 1, -1, -1):
                key, item = items[k]
                stack.append(("value", item, depth + 1))
                stack.append(("text", f"{',' if k else ''}\n{inner}{_scalar(str(key))}: ", 0))
            stack.append(("text", "{", 0))
        elif isinstance(value, list | tuple) and value:
            pad, inner = " " * (indent * depth), " " * (indent * (depth + 1))
            stack.append(("text", f"\n{pad}]", 0))
            for k in range(len(value) - 1, -1, -1):
                stack.append(("value", value[k], depth + 1))
                stack.append(("text", f"{',' if k else ''}\n{inner}", 0))
            stack.append(("text", "[", 0))
        elif isinstance(value, dict):
            out.append("{}")
        elif isinstance(value, list | tuple):
            out.append("[]")
        else:
            out.append(_scalar(value))
    return "".join(out)
