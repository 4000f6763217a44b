"""How wide a label is when drawn, so a drawing can give every label the room it needs.

Widths are DejaVu Sans advance widths (the font the explorer's graph asks for first; Verdana,
its fallback, is as wide), in thousandths of an em, for printable ASCII; any other character
counts as a full em, which over-estimates (never under-estimates) most of them.

>>> round(text_width("Qwen2.5-7B-Instruct", 13))
134
>>> text_width("", 13)
0.0
"""

from __future__ import annotations

__all__ = ["FONT_FACE", "short_label", "text_width"]

#: The font stack the graph draws labels with (the widths below are its first face's).
FONT_FACE = "DejaVu Sans, Verdana, Geneva, sans-serif"

# fmt: off
_ASCII = (  # chr(32) .. chr(126)
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632,
    575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685,
    611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579,
    278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)
# fmt: on
#: Bold text is at most this much wider than regular (DejaVu Sans Bold vs Book).
BOLD = 1.13


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The drawn width of one line of ``text`` at font ``size`` (pixels)."""
    units = sum(_ASCII[o - 32] if 32 <= (o := ord(c)) < 127 else 1000 for c in text)
    return units * size / 1000 * (BOLD if bold else 1.0)


def short_label(model_id: str, limit: int = 26) -> str:
    """The model's name without its owner, cut to ``limit`` characters with an ellipsis.

    >>> short_label("Qwen/Qwen2.5-7B-Instruct"), short_label("a/" + "x" * 40, 10)
    ('Qwen2.5-7B-Instruct', 'xxxxxxxxx…')
    """
    name = model_id.rsplit("/", 1)[-1] or model_id
    return name if len(name) <= limit else name[: limit - 1] + "…"
