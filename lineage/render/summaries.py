"""Text summaries for the terminal: a crawl, a Neo4j push, the store, the data-quality report.

Each function returns a string (the CLI prints it). Every value that can come from the Hub
(model ids, card fields, error messages quoting them) passes through :func:`printable`.

>>> print(info_text({"store": "x.sqlite", "models": 1200, "simulated": True}))
                 store: x.sqlite
                models: 1,200
             simulated: yes
"""

from __future__ import annotations

from typing import Any

from lineage.render.table import printable

__all__ = ["bulk_text", "crawl_text", "info_text", "push_text", "quality_text"]


def _value(value: Any) -> str:
    """A value for a reader: yes/no, none, numbers with separators (``--format json`` keeps
    true/false/null)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return printable(str(value))


def info_text(info: dict[str, Any]) -> str:
    """``lineage info``: one ``key: value`` line per entry, numbers with thousands separators."""
    return "\n".join(f"{k:>22}: {_value(v)}" for k, v in info.items())


def crawl_text(s: Any) -> str:
    """A finished crawl (:class:`lineage.hub.CrawlSummary`) in four lines."""
    state = "complete" if s.complete else "partial (--limit)"
    resolved = ", ".join(f"{k} {v:,}" for k, v in s.resolution.items())
    return (
        f"Crawl #{s.crawl_id} ({s.mode}{', resumed' if s.resumed else ''}) of {printable(s.endpoint)}: "
        f"{state} in {s.seconds:.1f} s\n"
        f"  models listed {s.models:,}: new {s.new:,}, updated {s.updated:,}, deleted {s.deleted:,}, "
        f"duplicates in listing {s.duplicates:,}, skipped {s.skipped:,}\n"
        f"  links in store {s.links:,}: {resolved}\n"
        f"  requests {s.requests:,}, retries {s.retries:,}, rate-limit waits {s.rate_limit_waits:,}\n"
        f"  repairs and skips: {sum(s.repairs.values()):,} (see `lineage quality`)"
    )


def push_text(s: Any, target: str, database: str | None) -> str:
    """A finished Neo4j push (:class:`lineage.neo4j.push.PushSummary`); ``target`` is redacted."""
    lines = [
        f"Pushed to {printable(target)}{f' (database {printable(database)})' if database else ''}: "
        f"{s.mode}{', resumed' if s.resumed else ''}, {s.batches:,} batches in {s.seconds:.1f} s",
        f"  models:        created {s.nodes_created:,}, updated {s.nodes_updated:,}, "
        f"unchanged {s.nodes_unchanged:,}",
        f"  relationships: created {s.relationships_created:,}, updated {s.relationships_updated:,}, "
        f"unchanged {s.relationships_unchanged:,}, removed {s.relationships_removed:,}"
        + (
            f", skipped {s.relationships_skipped:,} (endpoint not pushed yet; the next push adds them)"
            if s.relationships_skipped
            else ""
        ),
    ]
    if s.placeholders_removed:
        lines.append(f"  placeholders removed: {s.placeholders_removed:,}")
    lines.append(
        f"  Neo4j now holds {s.graph_models:,} models and {s.graph_relationships:,} BASE_OF relationships"
    )
    return "\n".join(lines)


def quality_text(report: dict[str, Any]) -> str:
    """Human-readable text for :func:`lineage.analytics.quality.quality_report`."""
    p = printable
    lines = [
        f"Data quality of {p(report['store'])}" + ("  [SIMULATED DATA]" if report["simulated"] else ""),
        f"  {report['models']:,} models, {report['links']:,} parent links",
        "",
        "Repairs and skips while cleaning (per model card / tags):",
    ]
    if not report["repairs"]:
        lines.append("  none")
    for r in report["repairs"]:
        lines.append(f"  {r['count']:>10,}  {p(r['kind']):<26} {r['meaning']}")
        for ex in r["examples"]:
            lines.append(f"{'':>14}e.g. {p(ex['model'])}  {p(ex['detail'])}")
    lines += ["", "Parent links by resolution:"]
    for r in report["resolutions"]:
        lines.append(f"  {r['links']:>10,}  {p(r['resolution']):<12} {r['meaning']}")
        for ex in r["examples"]:
            lines.append(
                f"{'':>14}e.g. {p(ex['child'])} -> {p(ex['declared'])}"
                + (f" (= {p(ex['parent'])})" if ex["parent"] != ex["declared"] else "")
            )
    lines += ["", "Crawls:"]
    for c in report["crawls"]:
        lines.append(
            f"  #{c['id']} {c['mode']:<11} {c['status']:<11} {c['started_at'][:19]}  models {c['models']:,} "
            f"(new {c['new']:,}, updated {c['updated']:,}, deleted {c['deleted']:,}), "
            f"skipped {c['skipped']:,}, "
            f"requests {c['requests']:,}, retries {c['retries']:,}"
            + (f"  error: {p(c['error'])}" if c["error"] else "")
        )
    if "bulk" in report:
        lines += ["", bulk_text(report["bulk"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


def bulk_text(bulk: dict[str, Any]) -> str:
    """The automated bulk uploads of a store (:func:`lineage.analytics.bulk_flags.bulk_report`):
    the rules, the state of the detection, flagged models per rule, the biggest uploaders."""
    p = printable
    lines = [f"Automated bulk uploads: {bulk['rules_text']}."]
    if not bulk["detected"]:
        lines.append("  detection has not run on this store yet: run `lineage bulk`")
        return "\n".join(lines) + "\n"
    state = "" if bulk["current"] else " (the store changed since: run `lineage bulk` to update)"
    rules = ", ".join(f"{k} {v:,}" for k, v in bulk["by_rule"].items()) or "none"
    lines.append(f"  {bulk['models']:,} models flagged ({rules}), detected {bulk['detected_at'][:19]}{state}")
    if bulk["uploaders"]:
        lines.append(
            f"  {'models':>10}  {'bursts':>6}  {'bases':>5}  {'first':<10}  {'last':<10}  "
            "uploader: top base (models)"
        )
    for u in bulk["uploaders"]:
        lines.append(
            f"  {u['models']:>10,}  {u['bursts']:>6,}  {u['bases']:>5,}  "
            f"{u['first'][:10]:<10}  {u['last'][:10]:<10}  "
            f"{p(u['author'])}: {p(u['top_base'])} ({u['top_base_models']:,}), e.g. {p(u['example'])}"
        )
    return "\n".join(lines) + "\n"
