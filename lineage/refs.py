"""What a user typed or pasted to name a model: an id, or a Hub URL of the model or of a page
below it. Shared by Explore's search box and the command line's model arguments."""

from __future__ import annotations

import re

__all__ = ["model_ref"]


# Hub pages below a model: /tree/main, /blob/main/x, /resolve/..., /discussions, ...
_HUB_HOSTS = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)(?:/models)?/", re.I)
_MODEL_PAGES = frozenset(
    {"tree", "blob", "resolve", "raw", "commits", "commit", "discussions", "edit", "settings", "discussion"}
)


def model_ref(text: str) -> str:
    """The model id in what a user typed or pasted: an id, or a Hub URL of the model or of a page
    below it (``/tree/main``, ``/blob/main/config.json``, ``?library=...``, ``#section``).

    >>> model_ref(" https://huggingface.co/Qwen/Qwen2.5-7B/tree/main "), model_ref("hf.co/gpt2")
    ('Qwen/Qwen2.5-7B', 'gpt2')
    >>> model_ref("https://huggingface.co/models/meta-llama/Llama-3.1-8B?x=1#y"), model_ref("qwen/QWEN2.5-7b")
    ('meta-llama/Llama-3.1-8B', 'qwen/QWEN2.5-7b')
    """
    text = text.strip()
    if not _HUB_HOSTS.match(text):
        return text
    path = re.split(r"[?#]", _HUB_HOSTS.sub("", text), maxsplit=1)[0].strip("/")
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[1] not in _MODEL_PAGES:
        return "/".join(parts[:2])
    return parts[0] if parts else ""
