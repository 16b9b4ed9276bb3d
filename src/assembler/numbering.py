"""Chinese heading numbers (一、 and （一）, as GB/T 9704 numbers a report's headings): pure text, no XML.

The one home of how a number is spelled; ``ooxml.numbering`` renders Word's list levels with it,
the checklist and the Writer dialog label sections with it, and the readers of finished reports
strip it with ``NUMBER_PREFIX``.
"""

from __future__ import annotations

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 21 → 二十一 (what Word's chineseCounting shows)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = _CN_DIGITS[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + _CN_DIGITS[rest]
        if rest < 20:
            return head + "一" + chinese_number(rest)
        return head + chinese_number(rest)
    return str(n)
