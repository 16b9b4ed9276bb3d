"""Chinese heading numbers (一、 and （一）, as GB/T 9704 numbers a report's headings): pure text, no XML.

The one home of how a number is spelled; ``ooxml.numbering`` renders Word's list levels with it,
the checklist and the Writer dialog label sections with it, and the readers of finished reports
strip it with ``NUMBER_PREFIX``.
"""

from __future__ import annotations

import re

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


def section_label(number: int) -> str:
    """The number in front of a section heading: 1 → 一、."""
    return f"{chinese_number(number)}、"


#: The numerals a Chinese heading number is written with (一…十, 百, and 零/〇 as in 一百零一).
CN_NUMERALS = "一二三四五六七八九十百零〇"
#: A first-level number standing alone (一、), and a second-level one (（一）, half-width brackets too).
LEVEL1_NUMBER = re.compile(rf"^[{CN_NUMERALS}]+、$")
LEVEL2_NUMBER = re.compile(rf"^[（(][{CN_NUMERALS}]+[）)]$")
#: A heading whose number was typed into its text: ``rest`` is the heading after 一、 / （一）.
LEVEL1_TEXT = re.compile(rf"^\s*[{CN_NUMERALS}]+\s*、\s*(?P<rest>.*\S)\s*$", re.DOTALL)
LEVEL2_TEXT = re.compile(rf"^\s*[（(]\s*[{CN_NUMERALS}]+\s*[）)]\s*(?P<rest>.*\S)\s*$", re.DOTALL)
#: Any heading number at the start of a line (一、 （一） (一) 1. 1、), as a reader strips it.
NUMBER_PREFIX = re.compile(rf"^\s*(?:[{CN_NUMERALS}]+、|（[{CN_NUMERALS}]+）|\([{CN_NUMERALS}]+\)|\d+[.．、])\s*")
