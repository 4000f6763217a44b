"""Every text output of the command line: tables, trees, summaries, progress."""

from lineage.render.table import FORMATS, printable, render, render_table

__all__ = ["FORMATS", "printable", "render", "render_table"]
