"""Text for ``lineage diff`` (what changed between two crawls) and ``lineage licenses``.

Each function returns a string (the CLI prints it); model ids and licences come from the Hub,
so every value passes through :func:`~lineage.render.table.printable` (the table renderer's cells
do too).
"""

from __future__ import annotations

from typing import Any

from lineage.analytics.diff import CrawlDiff
from lineage.analytics.licenses import LicenseReport
from lineage.render.table import printable, render_table

__all__ = ["diff_text", "licenses_text"]


def _crawl(c: dict[str, Any]) -> str:
    when = c["finished_at"] or c["started_at"]
    return f"crawl #{c['id']} ({c['mode']}, {c['status']}, {when})"


def _section(title: str, rows: list[dict[str, Any]], columns: list[str], limit: int) -> str:
    if not rows:
        return ""
    more = len(rows) - limit
    text = f"\n{title} ({len(rows):,}):\n" + render_table(rows[:limit], columns)
    if more > 0:
        text += f"... and {more:,} more (--format json lists them all)\n"
    return text


def diff_text(diff: CrawlDiff, limit: int = 10) -> str:
    """The diff as a few short tables: counts, then each kind of change (``limit`` rows each)."""
    counts = diff.counts
    out = [f"Changes from {_crawl(diff.crawl_from)} to {_crawl(diff.crawl_to)}\n"]
    out.append(render_table([{"change": k.replace("_", " "), "count": v} for k, v in counts.items()]))
    models = [
        {"model": m, "change": kind} for kind in ("added", "deleted", "restored") for m in diff.models[kind]
    ]
    out.append(_section("Models", models, ["change", "model"], limit))
    for kind in ("added", "removed"):
        out.append(_section(f"Links {kind}", diff.links[kind], ["parent", "child", "relation", "why"], limit))
    changed = [
        {
            "model": pc["model"],
            "before": ", ".join(f"{p} ({r})" for p, r in pc["before"]),
            "after": ", ".join(f"{p} ({r})" for p, r in pc["after"]),
        }
        for pc in diff.parents_changed
    ]
    out.append(_section("Parents changed", changed, ["model", "before", "after"], limit))
    lic = [
        {"model": lc["model"], "before": _lic(lc["before"]), "after": _lic(lc["after"])}
        for lc in diff.licenses_changed
    ]
    out.append(_section("Licences changed", lic, ["model", "before", "after"], limit))
    out.append(_section("Parents gone from the Hub", diff.vanished_parents, ["model", "derivatives"], limit))
    out.append(
        _section(
            "Bases with the most new derivatives", diff.top_bases, ["base", "group", "new_derivatives"], limit
        )
    )
    groups = [
        {
            diff.by: g["group"],
            "before": g["before"],
            "after": g["after"],
            "change": g["change"],
            "share_before": f"{g['share_before'] * 100:.1f}%",
            "share_after": f"{g['share_after'] * 100:.1f}%",
        }
        for g in diff.groups
    ]
    out.append(
        _section(
            f"Models with a parent by {diff.by}",
            groups,
            [diff.by, "before", "after", "change", "share_before", "share_after"],
            len(groups),
        )
    )
    out += [f"\nnote: {printable(n)}" for n in diff.notes]
    out.append("\n" + diff.method)
    return "".join(out).rstrip("\n") + "\n"


def _lic(d: dict[str, Any]) -> str:
    name = d["license"] if d["license"] != "other" or not d["license_name"] else f"other:{d['license_name']}"
    return f"{name or 'none'} ({d['class']})"


def licenses_text(report: LicenseReport, limit: int = 20) -> str:
    """The licence report: counts, per family, the top offenders, then the method and the
    disclaimer (the link list is in ``--format csv`` and ``json``)."""
    c = report.counts
    out = [
        f"Declared licences along links ({printable(report.scope)}): {c['links']:,} links where base "
        f"and derivative both declare a licence: same {c['same']:,}, changed {c['changed']:,}, "
        f"dropped terms {c['dropped-terms']:,}\n"
    ]
    out.append(
        _section(
            "By family (of the base)",
            report.by_family,
            ["family", "links", "same", "changed", "dropped-terms"],
            limit,
        )
    )
    out.append(
        _section(
            "Derivatives declaring fewer terms than their base, most downloaded first",
            report.offenders,
            ["child", "child_license", "parent", "parent_license", "relation", "downloads"],
            limit,
        )
    )
    out.append("\n" + report.method + "\n")
    return "".join(out)
