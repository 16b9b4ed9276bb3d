"""The heading list of a report — where its numbering is decided — and reading it back as a reader sees it.

``HEADING_LEVELS`` is the one multi-level list every report numbers its headings with
(一、 → （一） → 1. → （1）…, list ``HEADING_NUM_ID``; ``base_template.numbering_xml`` writes it);
how a number is spelled in Chinese is ``assembler.numbering`` (pure text, shared with the loaders).

Reports number their headings with native Word lists (so a subsection added by
hand in Writer is renumbered too). The numbers therefore live in numbering.xml,
not in the text; previews, tests and provenance need them as text, so this
module replays the counters: per list, each level counts up and restarts the
levels below it, formatted by the level's numFmt and lvlText.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from ..errors import InputError
from ..numbering import chinese_number
from .names import FANGSONG, HEADING_NUM_ID, HEITI, KAITI, NUMBERING_PART, STYLES_PART, W_NS, w
from .package import check_xml_part

_NS = {"w": W_NS}

__all__ = ["HEADING_LEVELS", "HEADING_NUM_ID", "SECTION_LEVEL", "SUBSECTION_LEVEL", "Numbering", "format_number",
           "fresh_numbering"]

#: The levels of ``HEADING_LEVELS`` a report uses: sections (一、, style Heading1) and subsections
#: (（一）, style Heading2, or run in at the start of a body paragraph).
SECTION_LEVEL = 0
SUBSECTION_LEVEL = 1
#: (number format, level text, font of the number) for each level of the heading list.
HEADING_LEVELS: tuple[tuple[str, str, str], ...] = (
    ("chineseCounting", "%1、", HEITI),
    ("chineseCounting", "（%2）", KAITI),
    ("decimal", "%3.", FANGSONG),
    ("decimal", "（%4）", FANGSONG),
    ("decimalEnclosedCircle", "%5", FANGSONG),
    ("decimal", "%6)", FANGSONG),
    ("lowerLetter", "%7.", FANGSONG),
    ("lowerLetter", "%8)", FANGSONG),
    ("lowerRoman", "%9.", FANGSONG),
)


@dataclass(frozen=True)
class Level:
    fmt: str
    text: str
    start: int


def _val(element: etree._Element | None, default: str | None = None) -> str | None:
    if element is None:
        return default
    return element.get(w("val"), default)


def format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "chineseLegalSimplified"):
        return chinese_number(n)
    if fmt == "decimalEnclosedCircle" and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


class Numbering:
    """Number labels for paragraphs, replayed in document order."""

    def __init__(self, numbering_xml: bytes | None, styles_xml: bytes | None) -> None:
        self.levels: dict[str, dict[int, Level]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        if numbering_xml:
            root = etree.fromstring(numbering_xml)
            abstract: dict[str, dict[int, Level]] = {}
            for node in root.findall("w:abstractNum", _NS):
                levels: dict[int, Level] = {}
                for lvl in node.findall("w:lvl", _NS):
                    levels[int(lvl.get(w("ilvl"), "0"))] = Level(
                        fmt=_val(lvl.find("w:numFmt", _NS), "decimal") or "decimal",
                        text=_val(lvl.find("w:lvlText", _NS), "") or "",
                        start=int(_val(lvl.find("w:start", _NS), "1") or 1),
                    )
                abstract[node.get(w("abstractNumId"), "")] = levels
            for num in root.findall("w:num", _NS):
                ref = _val(num.find("w:abstractNumId", _NS), "")
                self.levels[num.get(w("numId"), "")] = abstract.get(ref or "", {})
        if styles_xml:
            root = etree.fromstring(styles_xml)
            for style in root.findall("w:style", _NS):
                numpr = style.find("w:pPr/w:numPr", _NS)
                if numpr is not None:
                    num_id = _val(numpr.find("w:numId", _NS))
                    ilvl = int(_val(numpr.find("w:ilvl", _NS), "0") or 0)
                    if num_id:
                        self.style_num[style.get(w("styleId"), "")] = (num_id, ilvl)

    def numbering_of(self, p: etree._Element) -> tuple[str, int] | None:
        numpr = p.find("w:pPr/w:numPr", _NS)
        style = _val(p.find("w:pPr/w:pStyle", _NS))
        from_style = self.style_num.get(style or "")
        if numpr is not None:
            num_id = _val(numpr.find("w:numId", _NS)) or (from_style[0] if from_style else None)
            ilvl_node = numpr.find("w:ilvl", _NS)
            ilvl = int(_val(ilvl_node, "0") or 0) if ilvl_node is not None else (from_style[1] if from_style else 0)
            if not num_id or num_id == "0":
                return None
            return num_id, ilvl
        return from_style

    def label(self, p: etree._Element) -> str:
        """Advance the counters for ``p`` and return its visible number ('' if none)."""
        found = self.numbering_of(p)
        if not found:
            return ""
        num_id, ilvl = found
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]

        def sub(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            value = counters.get(level, levels.get(level, Level("decimal", "", 1)).start)
            return format_number(value, levels.get(level, Level("decimal", "", 1)).fmt)

        return re.sub(r"%(\d)", sub, levels[ilvl].text)


@lru_cache(maxsize=8)
def _numbering_template(numbering_xml: bytes | None, styles_xml: bytes | None) -> Numbering:
    """Numbering definitions read once for the many reports of one batch, which share them.

    Raises ``InputError`` (without a file name: the caller adds it) for a part that is
    not safe, well-formed XML.
    """
    for name, payload in ((NUMBERING_PART, numbering_xml), (STYLES_PART, styles_xml)):
        if payload is not None:
            check_xml_part(name, payload)
    return Numbering(numbering_xml, styles_xml)


def fresh_numbering(parts: Mapping[str, bytes], file: str | None) -> Numbering:
    """The package's numbering with its counters at zero (the definitions shared within a batch)."""
    try:
        template = _numbering_template(parts.get(NUMBERING_PART), parts.get(STYLES_PART))
    except InputError as exc:
        raise InputError(exc.message, file=file) from None
    numbering = copy.copy(template)
    numbering.counters = {}
    return numbering
