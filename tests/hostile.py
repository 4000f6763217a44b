"""Hostile Hub data for the browser tests: payloads in every field that reaches the explorer,
and a beacon HTTP server on 127.0.0.1 that counts the requests a payload makes.

Every payload, if it ever ran or loaded, sets ``window.__pwned`` or requests the beacon (most
do both), so a test detects it without knowing which place let it through. The payloads are
built around the beacon's URL (``Payloads(beacon_url)``); :func:`build_store` writes a crawled
(not simulated) store of them.

Where the payloads sit (the test module checks every place):

* model ids of listing items (the Hub's primary key, kept as given): ``<script>``, ``</script>``
  (it must not close the graph page's script element), ``"><img onerror>``, ``<svg onload>``,
  Markdown links and images, KaTeX, Streamlit directives, terminal escapes, path traversal;
* Hub namespaces (hence orgs and fallback families, grouped on Share and Families): no ``/``;
* author, pipeline_tag, library_name, gated, the ``license:`` tag, ``cardData.license`` and
  ``cardData.license_name`` (of ``other``), the relation in ``base_model:<relation>:<id>``,
  ``cardData.base_model`` values and ``createdAt`` (these two are repairs on Data quality);
* a placeholder parent (not in the store) whose declared id is as odd as a valid id gets.

A declared parent must be a valid repo id (``records.clean_parent_ref``), so a payload id is
never a parent: payload models are leaves, or roots without derivatives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["Beacon", "Payloads", "build_store"]

ESC = "\x1b[2J\x1b]0;pwned\x07"  # clear screen, then an OSC window title


class Beacon:
    """An HTTP server on 127.0.0.1 recording every request path (a payload loading a URL)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Payloads:
    """The payloads, and the model ids carrying them, for a beacon at ``beacon``."""

    beacon: str
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        b = self.beacon
        self.script = f'<script>window.__pwned=1;fetch("{b}/script")</script>'
        self.close_script = f"</script><script>window.__pwned=1</script><img src={b}/close>"
        self.img = f'"><img src={b}/img onerror=window.__pwned=1>'
        self.svg = "<svg/onload=window.__pwned=1>"  # no space: survives licence normalising
        self.md_image = f"![x]({b}/md-image)"
        self.md_link = "[click](javascript:window.__pwned=1)"
        self.katex = r"$\href{javascript:window.__pwned=1}{x}$ $x^2$ :red[red]"
        # Namespaces: no "/" (the id's first part is the org, the fallback family).
        self.org_img = "<img src=x onerror=window.__pwned=1>"
        self.org_svg = "<svg onload=window.__pwned=1>"
        self.org_katex = r"$\href{javascript:window.__pwned=1}{x}$"
        self.ids = {
            "base": "Qwen/Qwen2.5-7B",
            "script": f"evil/{self.script}",
            "close": f"evil/{self.close_script}",
            "img": f"evil/{self.img}",
            "svg": f"evil/{self.svg}",
            "markdown": f"evil/{self.md_link} {self.md_image}",
            "katex": f"evil/{self.katex}",
            "esc": f"{ESC}evil/x",  # first in sorted examples (Data quality shows three)
            "traversal": "../../../../tmp/lineage-pwned",
            "js_url": "javascript:window.__pwned=1//x",
            "root_img": f"{self.org_img}/root",
            "root_svg": f"{self.org_svg}/root",
            "root_katex": f"{self.org_katex}/root",
            "merge": f"evil/{self.org_img} merged",
            "placeholder": "Evil.Org/x_y_-1.0",  # a declared parent not in the store
        }

    def fields(self) -> dict[str, str]:
        """Card and listing fields of the model ``script``, as the panel shows them."""
        return {
            "pipeline_tag": self.img,
            "library_name": self.script,
            "gated": self.md_image.lower(),  # the Hub's gated is lower-cased
            # license:other + cardData.license_name (its "_" runs normalised to "-", like spaces)
            "license": "other:" + self.svg.replace("__", "-"),
        }

    def items(self) -> list[dict[str, Any]]:
        ids, b = self.ids, self.beacon
        q = ids["base"]
        items: list[dict[str, Any]] = [
            {
                "id": q,
                "createdAt": "2024-09-01T00:00:00.000Z",
                "downloads": 9000,
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "tags": ["license:apache-2.0"],
            },
            {  # every card field hostile
                "id": ids["script"],
                "createdAt": "2025-10-02T00:00:00.000Z",
                "downloads": 500,
                "author": self.img,
                "pipeline_tag": self.img,
                "library_name": self.script,
                "gated": self.md_image,
                "tags": ["base_model:finetune:" + q, "license:other"],
                "cardData": {"license": "other", "license_name": self.svg},
            },
            {  # licence from cardData.license; an unknown relation; parents that are payloads
                "id": ids["close"],
                "createdAt": "2025-10-03T00:00:00.000Z",
                "downloads": 400,
                "tags": [f"base_model:{self.svg}:{q}"],
                "cardData": {"license": self.svg, "base_model": [q, self.script, self.img, self.md_image]},
            },
            {
                "id": ids["img"],
                "createdAt": f"{self.img}",  # a bad date: a repair whose detail is the payload
                "downloads": 300,
                "tags": [f"base_model:quantized:{q}", f"license:{self.close_script}"],
            },
            {
                "id": ids["svg"],
                "createdAt": "2025-10-04T00:00:00.000Z",
                "downloads": 200,
                "tags": [f"base_model:adapter:{q}", f"license:{self.katex}"],
            },
            {
                "id": ids["markdown"],
                "createdAt": "2025-10-05T00:00:00.000Z",
                "downloads": 100,
                "tags": [f"base_model:merge:{q}"],
            },
            {
                "id": ids["katex"],
                "createdAt": "2025-10-05T00:00:00.000Z",
                "downloads": 90,
                "tags": [f"base_model:finetune:{q}"],
                "pipeline_tag": self.katex,
                "library_name": ESC,
            },
            {
                "id": ids["esc"],
                "createdAt": "2025-10-05T00:00:00.000Z",
                "downloads": 80,
                "tags": [f"base_model:finetune:{q}", f"license:{ESC}"],
            },
            {
                "id": ids["traversal"],
                "createdAt": "2025-10-06T00:00:00.000Z",
                "downloads": 70,
                "tags": [f"base_model:finetune:{q}"],
            },
            {
                "id": ids["js_url"],
                "createdAt": "2025-10-06T00:00:00.000Z",
                "downloads": 60,
                "tags": [f"base_model:finetune:{q}"],
            },
            {  # a declared parent that is not in the store: a placeholder root
                "id": "ok/child-of-placeholder",
                "createdAt": "2025-10-06T00:00:00.000Z",
                "downloads": 50,
                "tags": [f"base_model:finetune:{ids['placeholder']}"],
            },
            {
                "id": "ok/child-2-of-placeholder",
                "createdAt": "2025-10-06T00:00:00.000Z",
                "tags": [f"base_model:quantized:{ids['placeholder']}"],
            },
        ]
        # Roots in payload namespaces (Share groups every new model by its root's org). A
        # declared parent must be a valid repo id, so payload ids have no children.
        for n, key in enumerate(("root_img", "root_svg", "root_katex")):
            items.append({"id": ids[key], "createdAt": f"2025-0{n + 7}-01T00:00:00.000Z", "downloads": 9 - n})
        # A payload model merged from many parents: with one row per level they are counted in a
        # box whose tooltip names it; its children's parents' placeholder ids are as odd as valid
        # ids get.
        parents = [f"p{k}/base_{k}_" for k in range(12)]
        items.append(
            {
                "id": ids["merge"],
                "createdAt": "2025-10-07T00:00:00.000Z",
                "downloads": 5,
                "tags": [f"base_model:merge:{p}" for p in parents],
            }
        )
        items.append({"id": f"{b}/not-a-model", "createdAt": "2025-10-06T00:00:00.000Z"})  # a URL as id
        return items


def build_store(path: Path, payloads: Payloads) -> Path:
    """A crawled store of ``payloads.items()`` at ``path``."""
    from helpers import ingest_items

    from lineage.store import open_store

    with open_store(path) as store:
        ingest_items(store, payloads.items(), endpoint="http://127.0.0.1:9")
    return path
