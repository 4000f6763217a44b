"""Showing untrusted text (model ids, card fields) safely, and small formatting helpers.

Streamlit renders Markdown in ``st.markdown``, ``st.caption``, alerts and widget labels, with
directives such as ``:red[...]`` and ``$...$``; raw HTML is never enabled in this app. Any text
that came from the Hub goes through :func:`md` first, which backslash-escapes every ASCII
punctuation character (CommonMark renders ``\\x`` as a literal ``x``) and HTML-escapes ``<``,
``>`` and ``&``, so it shows as typed and can neither format, link, load an image nor run.
Two things escaping does not stop are handled too: GitHub-flavoured autolinks (``http://``,
``www.``, ``a@b.c`` become links whatever their backslashes) get an invisible word joiner
(U+2060) before ``://``, ``.`` after ``www`` and ``@``; and control characters (terminal escapes,
drawn as blank boxes) are shown as ``\\xNN`` (:func:`shown`, also for plain-text places).

>>> md("<script>alert(1)</script>")
'&lt;script&gt;alert\\\\(1\\\\)&lt;\\\\/script&gt;'
>>> md("Qwen/Qwen2.5-7B")
'Qwen\\\\/Qwen2\\\\.5\\\\-7B'
>>> md("see http://x.io") == "see http\u2060\\\\:\\\\/\\\\/x\\\\.io"
True
>>> shown("evil/\x1b[2J\x07")
'evil/\\\\x1b[2J\\\\x07'
>>> hub_url("Qwen/Qwen2.5-7B"), hub_url('"><img src=x onerror=alert(1)>')
('https://huggingface.co/Qwen/Qwen2.5-7B', 'https://huggingface.co/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E')
>>> hub_listing("Qwen/Qwen2.5-7B", "finetune")
'https://huggingface.co/models?other=base_model%3Afinetune%3AQwen%2FQwen2.5-7B'
"""

from __future__ import annotations

import html
import re
import string
from urllib.parse import quote

from lineage.refs import model_ref
from lineage.render import printable

__all__ = ["HUB_RELATIONS", "hub_listing", "hub_url", "md", "md_note", "model_ref", "shown"]

#: Relations the Hub lists derivatives by (``base_model:<relation>:<id>`` tags).
HUB_RELATIONS = ("finetune", "adapter", "quantized", "merge")

_PUNCT = re.compile(
    "([" + re.escape(string.punctuation.replace("<", "").replace(">", "").replace("&", "")) + "])"
)


# Where a GitHub-flavoured autolink literal would form: "http(s)://", "www." and "x@y.z".
_AUTOLINK = re.compile(r"(?:(?<=http)|(?<=https))(?=://)|(?<=www)(?=\.)|(?=@)", re.I)
_SPACES = re.compile(r"[\r\n\t]")


def shown(text: object) -> str:
    """``text`` for a plain-text place (a table cell, a tooltip, a graph label): line breaks and
    tabs as spaces, other control characters (terminal escapes) visible as ``\\xNN``."""
    return printable(_SPACES.sub(" ", str(text)))


def md(text: object) -> str:
    """``text`` escaped for Streamlit Markdown: shown literally, never interpreted."""
    escaped = html.escape(_AUTOLINK.sub("\u2060", shown(text)), quote=False)
    out = []
    for part in re.split(r"(&(?:lt|gt|amp);)", escaped):
        out.append(part if part in ("&lt;", "&gt;", "&amp;") else _PUNCT.sub(r"\\\1", part))
    return "".join(out)


def md_note(text: str) -> str:
    """One of lineage's own notes for Streamlit Markdown: its `code` spans (command names such
    as `lineage bulk`) stay code, everything else is escaped as by :func:`md` (notes can quote
    model ids and group names).

    >>> md_note("run `lineage bulk` for <b>x</b>")
    'run `lineage bulk` for &lt;b&gt;x&lt;\\\\/b&gt;'
    """
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans
        return md(text)
    return "".join(md(p) if k % 2 == 0 else f"`{shown(p)}`" for k, p in enumerate(parts))


def hub_url(model_id: str) -> str:
    """The model's page on the Hub (the id URL-quoted; ``/`` kept between org and name)."""
    return "https://huggingface.co/" + quote(model_id, safe="/")


def hub_listing(model_id: str, relation: str) -> str:
    """The Hub's own list of a model's direct derivatives of one relation."""
    return "https://huggingface.co/models?other=" + quote(f"base_model:{relation}:{model_id}", safe="")
