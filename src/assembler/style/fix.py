"""Applying the fixes that cannot change meaning (``Finding.fixable``) to a text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace ``[start, end)`` of a text with ``new``."""

    start: int
    end: int
    new: str


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit]]:
    """``text`` with every edit that does not overlap an earlier one applied; and those applied.

    Overlapping edits (two rules on one spot) are left for the next round, when the
    text is checked again.
    """
    chosen: list[Edit] = []
    last_end = -1
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < last_end or edit.end < edit.start:
            continue
        chosen.append(edit)
        last_end = max(edit.end, edit.start + 1)
    for edit in reversed(chosen):
        text = text[:edit.start] + edit.new + text[edit.end:]
    return text, chosen
