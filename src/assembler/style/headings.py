"""Heading and item numbers in the order GB/T 9704-2012 §7.3.3 sets: 一、 → （一） → 1. → （1）.

Two rules. ``heading.item``: an item number written in a form the standard does
not use (``1、``, half-width ``(1)`` or ``(一)``, ``一.``). ``heading.order``: a
level used inside a lower one (a （一） under a 1., or a 一、 typed into the body
below a Word-numbered （一） heading). Skipping a level going down (一、 then 1.)
is common practice and not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from .findings import Finding, Paragraph

STANDARD = "GB/T 9704-2012"
_CN = "一二三四五六七八九十"
_LEAD = re.compile(r"^[\s\u3000]*")
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


def item_level(par: Paragraph) -> tuple[int, int, int] | None:
    """(level, start, end) of the item number the paragraph starts with, in any form."""
    view = par.view
    lead = _LEAD.match(view)
    offset = lead.end() if lead else 0
    for level, pattern in _LEVELS:
        found = pattern.match(view, offset)
        if found:
            return level, found.start(), found.end()
    for pattern, level, _, _ in _WRONG:
        found = pattern.match(view, offset)
        if found:
            return level, found.start(), found.end()
    return None


def item_form(par: Paragraph, index: int) -> Iterator[Finding]:
    view = par.view
    lead = _LEAD.match(view)
    offset = lead.end() if lead else 0
    if offset >= len(view) or view[offset] not in "(（0123456789" + _CN:
        return
    for pattern, level, form, fixable in _WRONG:
        found = pattern.match(view, offset)
        if not found:
            continue
        number = next(group for group in found.groups() if group)
        new = form.format(number)
        start, end = found.span()
        yield Finding("heading.item", index, start, end, par.text[start:end], new,
                      f"序号“{found.group(0)}”写法不对；{STANDARD} 的第{_ORDINAL[level]}层序数写作"
                      f"“{_NAMES[level]}”，应为“{new}”", fixable=fixable)
        return


def order(paragraphs: Sequence[Paragraph], *, base: int = 0) -> Iterator[Finding]:
    """A level used inside a lower one.

    ``base`` is the level the text starts under (2 for a snippet with a heading:
    its body sits below a Word-numbered （一）). A Word-numbered heading in the text
    (``Paragraph.level``) sets the base; an item typed at or above the base, or above
    the items open below it without having been opened, is reported.
    """
    open_levels: list[int] = []
    for index, par in enumerate(paragraphs):
        if par.level is not None:
            base = par.level
            open_levels = []
            continue
        found = item_level(par)
        if found is None:
            continue
        level, start, end = found
        deepest = open_levels[-1] if open_levels else base
        if level <= base:
            inside = _NAMES[base]
        elif level in open_levels:
            del open_levels[open_levels.index(level) + 1:]
            continue
        elif level > deepest:
            open_levels.append(level)
            continue
        else:
            inside = _NAMES[deepest]
        shown = par.text[start:end]
        if level <= base:
            why = (f"正文中的“{shown}”是第{_ORDINAL[level]}层序数，而这里已在第{_ORDINAL[base]}层标题"
                   f"（{_NAMES[base]}，由 Word 自动编号）之下")
        else:
            why = f"第{_ORDINAL[level]}层的“{shown}”用在了第{_ORDINAL[deepest]}层“{inside}”之内"
        yield Finding("heading.order", index, start, end, shown, None,
                      f"层次序数倒用：{why}；{STANDARD} 的层次依次为 一、（一）1.（1），下级之内不能再用上级序数")
