"""What every analysis returns: rows plus the notes and the method that qualify them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Table"]


@dataclass
class Table:
    """Rows (dicts with the same keys, in ``columns`` order) plus notes and the method."""

    rows: list[dict[str, Any]]
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    method: str = ""

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (pandas is imported on demand)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)
