"""XML escaping shared by the GraphML and GEXF writers.

Attribute values escape ``& < > "`` and write tab, newline and carriage return as character
references, so parsers give them back instead of normalizing them to spaces. Characters
that XML 1.0 cannot carry at all (other C0 controls, U+FFFE, U+FFFF) become U+FFFD.
"""

from __future__ import annotations

import re

__all__ = ["attr", "text"]

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def attr(value: str) -> str:
    """``value`` escaped for a double-quoted XML attribute.

    >>> attr('a<b & "c"\\n')
    'a&lt;b &amp; &quot;c&quot;&#10;'
    """
    return _ILLEGAL.sub("\ufffd", value).translate(_ATTR)


def text(value: str) -> str:
    """``value`` escaped for XML character data.

    >>> text("x < y & z")
    'x &lt; y &amp; z'
    """
    return _ILLEGAL.sub("\ufffd", value).translate(_TEXT)
