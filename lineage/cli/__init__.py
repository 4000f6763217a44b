"""The ``lineage`` command line: thin commands over the library, in pipeline order.

    crawl.py    crawl, info, quality, bulk           (hub -> store)
    analyze.py  share, families, downloads, tree     (graph -> analytics -> render)
    changes.py  diff, licenses                        (store history, licences -> render)
    output.py   export, neo4j push                   (graph/store -> export, neo4j)
    serve.py    app, demo, start, simulate, simhub   (app, sim)

Errors the user can fix (:class:`lineage.errors.LineageError`) print as one line; any other
exception is a bug and prints its traceback with a request to report it.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import Any

import click

from lineage import __version__
from lineage.errors import ISSUES_URL, LineageError

__all__ = ["cli", "main"]


class _Group(click.Group):
    """Turn errors users can act on into one-line messages, not tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LineageError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Map who builds on whose AI models: Hugging Face Hub lineage as a graph.

    Typical session: `lineage crawl` (or `lineage demo` offline), then `lineage share`,
    `lineage tree MODEL`, `lineage export`, `lineage app`.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(logging.DEBUG, level),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """The ``lineage`` console script."""
    try:
        code = cli(prog_name="lineage", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("\nInterrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `lineage share | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(141)
    except Exception:
        traceback.print_exc()
        click.echo(
            f"\nThis is a bug in lineage {__version__}, not something you did. Please report it at "
            f"{ISSUES_URL} with the command you ran and the traceback above.",
            err=True,
        )
        sys.exit(70)  # EX_SOFTWARE
    sys.exit(code if isinstance(code, int) else 0)


# Register the commands (each module adds its commands to ``cli``).
from lineage.cli import analyze, changes, crawl, output, serve  # noqa: E402, F401
