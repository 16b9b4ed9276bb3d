"""Heading and item numbers in the order GB/T 9704-2012 §7.3.3 sets: 一、 → （一） → 1. → （1）.

Two rules. ``heading.item``: an item number written in a form the standard does
not use (``1、``, half-width ``(1)`` or ``(一)``, ``一.``). ``heading.order``: a
level used inside a lower one (a （一） under a 1., or a 一、 typed into the body
below a Word-numbered （一） heading). Skipping a level going down (一、 then 1.)
is common practice and not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .findings import Document, Finding

STANDARD = "GB/T 9704-2012"
_CN = "一二三四五六七八九十"
_LEVELS = (
    (1, re.compile(f"[{_CN}]{{1,3}}、(?![{_CN}])")),
    (2, re.compile(f"（[{_CN}]{{1,3}}）")),
    (3, re.compile(r"[0-9]{1,2}\.(?![0-9])")),
    (4, re.compile(r"（[0-9]{1,2}）")),
)
_NAMES = {1: "一、", 2: "（一）", 3: "1.", 4: "（1）"}
_ORDINAL = "〇一二三四"
#: Wrong forms: (pattern, level, suggestion from the match, fixable).
_WRONG = (
    (re.compile(r"\(([0-9]{1,2})[)）]|（([0-9]{1,2})\)"), 4, "（{}）", True),
    (re.compile(f"\\(([{_CN}]{{1,3}})[)）]|（([{_CN}]{{1,3}})\\)"), 2, "（{}）", True),
    (re.compile(r"([0-9]{1,2})、(?![0-9])"), 3, "{}.", False),
    (re.compile(f"([{_CN}]{{1,3}})[.．](?![0-9])"), 1, "{}、", False),
)


_FIRST = frozenset("(（0123456789" + _CN)


def _item(view: str) -> tuple[int, re.Match[str], tuple[str, bool] | None] | None:
    """(level, match, (suggestion, fixable) when the form is wrong) of the item number a paragraph starts with."""
    offset = len(view) - len(view.lstrip(" \u3000\t"))
    if offset >= len(view) or view[offset] not in _FIRST:
        return None
    for level, pattern in _LEVELS:
        found = pattern.match(view, offset)
        if found:
            return level, found, None
    for pattern, level, form, fixable in _WRONG:
        found = pattern.match(view, offset)
        if found:
            number = next(group for group in found.groups() if group)
            return level, found, (form.format(number), fixable)
    return None


def check(doc: Document, *, base: int = 0) -> Iterator[Finding | None]:
    """Item numbers in a wrong form, and levels used inside a lower one.

    ``base`` is the level the text starts under (2 for a snippet with a heading:
    its body sits below a Word-numbered （一）). A Word-numbered heading in the text
    (``Paragraph.level``) sets the base; an item typed at or above the base, or above
    the items open below it without having been opened, is reported.
    """
    open_levels: list[int] = []
    for index, par in enumerate(doc.paragraphs):
        if par.level is not None:
            base = par.level
            open_levels = []
            continue
        item = _item(par.view)
        if item is None:
            continue
        level, found, wrong = item
        start, end = found.span()
        at = doc.starts[index]
        shown = par.text[start:end]
        if wrong is not None:
            new, fixable = wrong
            yield doc.finding("heading.item", at + start, at + end, new,
                              f"序号“{shown}”写法不对；{STANDARD} 的第{_ORDINAL[level]}层序数写作"
                              f"“{_NAMES[level]}”，应为“{new}”", fixable=fixable)
        deepest = open_levels[-1] if open_levels else base
        if level <= base:
            why = (f"正文中的“{shown}”是第{_ORDINAL[level]}层序数，而这里已在第{_ORDINAL[base]}层标题"
                   f"（{_NAMES[base]}，由 Word 自动编号）之下")
        elif level in open_levels:
            del open_levels[open_levels.index(level) + 1:]
            continue
        elif level > deepest:
            open_levels.append(level)
            continue
        else:
            why = f"第{_ORDINAL[level]}层的“{shown}”用在了第{_ORDINAL[deepest]}层“{_NAMES[deepest]}”之内"
        yield doc.finding("heading.order", at + start, at + end, None,
                          f"层次序数倒用：{why}；{STANDARD} 的层次依次为 一、（一）1.（1），下级之内不能再用上级序数")
