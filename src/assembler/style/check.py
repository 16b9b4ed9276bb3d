"""All style rules over one text (a snippet, a report): each rule runs once over its joined paragraphs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

from . import dates, headings, numerals, punctuation
from .findings import ERROR, WARNING, Document, Finding, Paragraph
from .wording import Wording


@dataclass(frozen=True)
class StyleSettings:
    """How a library wants its style checked: ``mode`` (warn, strict: findings are errors, off)
    and its wording list. Picklable, so a build's workers get it with their jobs."""

    mode: str = "warn"
    wording: Wording = field(default_factory=Wording)

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    @property
    def severity(self) -> str:
        return ERROR if self.mode == "strict" else WARNING


def check_paragraphs(paragraphs: Sequence[Paragraph], *, settings: StyleSettings | None = None,
                     year: int | None = None, base: int = 0) -> list[Finding]:
    """Every finding in ``paragraphs`` (one text: a snippet, a report), in reading order.

    ``year``: the year the text is dated, for wording entries limited to some years
    (``None``: every entry applies). ``base``: the heading level the text sits under
    (see ``headings.check``).
    """
    settings = settings or StyleSettings()
    if not settings.enabled or not paragraphs:
        return []
    doc = Document(paragraphs)
    found = [f for f in chain(punctuation.check(doc), numerals.check(doc), dates.check(doc),
                              headings.check(doc, base=base), settings.wording.check(doc, year)) if f is not None]
    found.sort(key=lambda f: (f.paragraph, f.start, f.end, f.rule))
    if settings.severity != WARNING:
        found = [dataclasses.replace(f, severity=settings.severity) for f in found]
    return found
