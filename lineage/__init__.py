"""lineage: map who builds on whose AI models (Hugging Face Hub lineage as a graph)."""

from __future__ import annotations

__version__ = "0.1.0"
