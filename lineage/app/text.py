"""Showing untrusted text (model ids, card fields) safely, and small formatting helpers.

Streamlit renders Markdown in ``st.markdown``, ``st.caption``, alerts and widget labels, with
directives such as ``:red[...]`` and ``$...$``; raw HTML is never enabled in this app. Any text
that came from the Hub goes through :func:`md` first, which backslash-escapes every ASCII
punctuation character (CommonMark renders ``\\x`` as a literal ``x``) and HTML-escapes ``<``,
``>`` and ``&``, so it shows as typed and can neither format, link, load an image nor run.

>>> md("<script>alert(1)</script>")
'&lt;script&gt;alert\\\\(1\\\\)&lt;\\\\/script&gt;'
>>> md("Qwen/Qwen2.5-7B")
'Qwen\\\\/Qwen2\\\\.5\\\\-7B'
>>> hub_url("Qwen/Qwen2.5-7B"), hub_url('"><img src=x onerror=alert(1)>')
('https://huggingface.co/Qwen/Qwen2.5-7B', 'https://huggingface.co/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E')
"""

from __future__ import annotations

import html
import re
import string
from urllib.parse import quote

__all__ = ["hub_url", "md"]

_PUNCT = re.compile(
    "([" + re.escape(string.punctuation.replace("<", "").replace(">", "").replace("&", "")) + "])"
)


def md(text: object) -> str:
    """``text`` escaped for Streamlit Markdown: shown literally, never interpreted."""
    escaped = html.escape(str(text), quote=False)
    out = []
    for part in re.split(r"(&(?:lt|gt|amp);)", escaped):
        out.append(part if part in ("&lt;", "&gt;", "&amp;") else _PUNCT.sub(r"\\\1", part))
    return "".join(out).replace("\n", " ")


def hub_url(model_id: str) -> str:
    """The model's page on the Hub (the id URL-quoted; ``/`` kept between org and name)."""
    return "https://huggingface.co/" + quote(model_id, safe="/")
