"""The ``lineage`` command line."""

from lineage.cli.main import cli, main

__all__ = ["cli", "main"]
