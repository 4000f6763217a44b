"""The README documents every registered command, option and export format, and its commands run.

Commands and options come from the click group itself (``lineage.cli.cli``, walked recursively),
so a command or option added later cannot go undocumented.
"""

from __future__ import annotations

import re
import tomllib

import click
import pytest
from helpers import README, ROOT, CypherLint, invoke

from lineage.cli import cli
from lineage.export import FORMATS

TEXT = README.read_text(encoding="utf-8")


def walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every registered command and group below ``group``, with its path of names, sorted."""
    out: list[tuple[tuple[str, ...], click.Command]] = []
    for name, cmd in sorted(group.commands.items()):
        out.append(((*path, name), cmd))
        if isinstance(cmd, click.Group):
            out += walk(cmd, (*path, name))
    return out


COMMANDS = walk(cli)
LEAVES = {" ".join(path): cmd for path, cmd in COMMANDS if not isinstance(cmd, click.Group)}
GROUPS = {" ".join(path): cmd for path, cmd in COMMANDS if isinstance(cmd, click.Group)}


def table_rows() -> dict[str, str]:
    """The README's command table: command path -> the usage text of its row."""
    section = TEXT.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        m = re.match(r"\| `lineage ([^`]*)` \|", line)
        if m:
            usage = m.group(1)
            words = usage.split()
            path = next(p for p in (" ".join(words[:2]), words[0]) if p in LEAVES or p in GROUPS)
            rows[path] = usage
    return rows


ROWS = table_rows()


def options(cmd: click.Command) -> list[click.Option]:
    return [p for p in cmd.params if isinstance(p, click.Option)]


def help_text(*path: str) -> str:
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_finds_every_command() -> None:
    assert len(LEAVES) >= 14 and "neo4j push" in LEAVES and "neo4j" in GROUPS


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_command_has_a_row_in_the_readme_table_and_help_text(path: str) -> None:
    cmd = LEAVES[path]
    assert path in ROWS, f"`lineage {path}` has no row in README.md's command table"
    assert cmd.help and cmd.help.strip(), f"`lineage {path}` has no help text"
    out = help_text(*path.split())
    assert f"Usage: lineage {path}" in out
    first_line = cmd.help.strip().splitlines()[0]
    assert " ".join(first_line.split()) in " ".join(out.split())  # --help wraps lines


@pytest.mark.parametrize("path", ["", *sorted(GROUPS)])
def test_every_group_lists_its_commands_with_their_help(path: str) -> None:
    group = GROUPS.get(path, cli)
    assert isinstance(group, click.Group) and group.help and group.help.strip()
    out = help_text(*path.split())
    for name, cmd in group.commands.items():
        assert re.search(rf"^  {re.escape(name)}\s+\S", out, re.M), f"`lineage {path} --help` lacks {name}"
        assert cmd.help and cmd.help.strip(), f"`lineage {path} {name}` has no help text"


def test_every_documented_command_exists() -> None:
    """`lineage WORDS` in README text and sessions walks the click tree: each word before the
    arguments is a registered command (or group) name."""
    mentions = re.findall(r"(?:`|^\$ |^)lineage((?: [a-z][a-z0-9-]*)+)", TEXT, re.M)
    assert len(mentions) > 20
    for words in mentions:
        group: click.Command = cli
        for word in words.split():
            if not isinstance(group, click.Group):
                break  # the rest are arguments
            assert word in group.commands, f"README.md mentions `lineage{words}`: no command {word!r}"
            group = group.commands[word]


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_option_is_in_the_readme_table_or_the_commands_help(path: str) -> None:
    """Each option of each command is in its row of the README's table, or is described
    (help text, not hidden) in the command's own ``--help``."""
    cmd = LEAVES[path]
    row = ROWS.get(path, "")
    out = help_text(*path.split())
    undocumented = []
    for opt in options(cmd):
        names = opt.opts + opt.secondary_opts
        in_row = any(re.search(rf"{re.escape(n)}(?=[\s\]|)`]|$)", row) for n in names)
        in_help = bool(opt.help) and not opt.hidden and all(n in out for n in names)
        if not (in_row or in_help):
            undocumented.append("/".join(names))
    assert not undocumented, f"`lineage {path}`: options documented nowhere: {undocumented}"


@pytest.mark.parametrize("path", sorted(ROWS))
def test_every_option_in_the_readme_table_exists(path: str) -> None:
    cmd = LEAVES.get(path) or GROUPS[path]
    real = {n for opt in options(cmd) for n in opt.opts + opt.secondary_opts}
    documented = set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", ROWS[path]))
    assert documented <= real, f"README.md's row for `lineage {path}` names {documented - real}"


def test_global_options_have_help() -> None:
    out = help_text()
    for opt in options(cli):
        assert (opt.help or opt.is_flag) and all(n in out for n in opt.opts), opt.opts


def test_every_export_format_is_documented() -> None:
    for fmt in FORMATS:
        assert f"`{fmt}`" in TEXT, fmt


def test_the_two_setup_commands_come_first_and_ci_runs_the_test_one() -> None:
    first_block = TEXT.split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln.split("#")[0].strip() for ln in first_block.strip().splitlines()]
    assert lines == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_make_test_runs_lint_and_measures_coverage() -> None:
    """CI runs `make test`: it must fail on lint errors, run every module's doctests, and
    report coverage of the package."""
    makefile = (ROOT / "Makefile").read_text()
    test_rule = re.search(r"^test:(.*)\n((?:\t.*\n)*)", makefile, re.M)
    assert test_rule and "lint" in test_rule.group(1).split()
    assert "--cov=lineage" in test_rule.group(2)
    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_ini["addopts"] and "lineage" in pytest_ini["testpaths"]


def test_readme_cypher_queries_parse(cypher_lint: CypherLint) -> None:
    block = TEXT.split("```cypher", 1)[1].split("```", 1)[0]
    report = cypher_lint(block)
    assert report["statements"] == 6
    assert report["errors"] == 0 and report["warnings"] == 0, report["diagnostics"]


def test_method_text_matches_the_library() -> None:
    from lineage.analytics import ShareQuery

    method = ShareQuery().method()
    for phrase in ("fractional", "legacy", "placeholder root", "Share = weighted models"):
        assert phrase in method
        assert phrase.split()[0].lower() in TEXT.lower()
