"""Text laid out for a terminal: a Chinese character takes two columns, so padding by
``len`` misaligns every table with Chinese text in it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide and full-width: 2; combining marks: 0)."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def table(rows: Sequence[Sequence[str]], gap: int = 2) -> list[str]:
    """Rows as lines with aligned columns (the last column is not padded)."""
    if not rows:
        return []
    columns = max(len(row) for row in rows)
    widths = [max(display_width(row[i]) for row in rows if i < len(row)) + gap for i in range(columns - 1)]
    return ["".join(pad(cell, widths[i]) if i < len(widths) else cell for i, cell in enumerate(row)).rstrip()
            for row in rows]
