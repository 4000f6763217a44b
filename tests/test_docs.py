"""The README documents every command, option group and export format, and its commands run."""

from __future__ import annotations

import re
from pathlib import Path

import click

from lineage.cli import cli
from lineage.export import FORMATS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group, prefix: str = "lineage") -> list[str]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out += all_commands(cmd, full)
        else:
            out.append(full)
    return out


def test_every_command_is_documented() -> None:
    commands = all_commands(cli)
    assert len(commands) >= 14
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_documented_command_exists() -> None:
    documented = set(re.findall(r"`lineage ([a-z0-9]+(?: push)?)", README))
    real = {c.removeprefix("lineage ") for c in all_commands(cli)} | {"neo4j"}
    assert documented <= real, documented - real


def test_every_option_of_share_and_crawl_is_documented() -> None:
    for name in ("share", "crawl", "export", "tree"):
        cmd = cli.commands[name]
        for param in cmd.params:
            if isinstance(param, click.Option) and param.name not in ("help",):
                if set(param.opts) & {"--format", "--store", "--registry", "--timeout", "--force"}:
                    continue  # shared options, documented once in the text
                assert any(f"{opt} " in README or f"{opt}]" in README for opt in param.opts), (
                    f"{name} {param.opts} is not in README.md"
                )


def test_every_export_format_is_documented() -> None:
    for fmt in FORMATS:
        assert f"`{fmt}`" in README, fmt


def test_the_two_setup_commands_come_first_and_ci_runs_the_test_one() -> None:
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln.split("#")[0].strip() for ln in first_block.strip().splitlines()]
    assert lines == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_readme_cypher_queries_parse(tmp_path: Path) -> None:
    from test_export import cypher_lint

    block = README.split("```cypher", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.cypher"
    path.write_text(block, encoding="utf-8")
    report = cypher_lint(path)
    assert report["statements"] == 6
    assert report["errors"] == 0 and report["warnings"] == 0, report["diagnostics"]


def test_method_text_matches_the_library() -> None:
    from lineage.analytics import ShareQuery

    method = ShareQuery().method()
    for phrase in ("fractional", "legacy", "placeholder root", "Share = weighted models"):
        assert phrase in method
        assert phrase.split()[0].lower() in README.lower()
