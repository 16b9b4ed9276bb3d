"""GB/T 15835-2011 《出版物上数字用法》: numerals that readers of 公文 look for.

Three rules, each narrow enough not to fire on ordinary text: an Arabic 0 (or a
letter O) among Chinese numerals (二0二二年), a year cut to two digits where it
can only be a year (22年12月, 22年度), and one kind of quantity written both ways
in one text (2022年 and 二〇二二年; 5% and 百分之五; 12月5日 and 十二月五日).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .findings import Document, Finding

STANDARD = "GB/T 15835-2011"
_CN_DIGITS = "〇零一二三四五六七八九"
_LATIN_ZEROS = "0０OＯ"
_ZEROS = re.compile(f"[{_LATIN_ZEROS}]")
_CN_SET = frozenset(_CN_DIGITS + "十")
_ZERO_RUN = re.compile(f"[{_CN_DIGITS}{_LATIN_ZEROS}]*[{_CN_DIGITS}][{_CN_DIGITS}{_LATIN_ZEROS}]*")
_YEAR_CHAR = re.compile("年")
_YEAR_AFTER = re.compile(r"[0-9]{1,2}月|度|[上下]半年|初|底|末")
_DIGIT_SET = frozenset("0123456789")
_NOT_BEFORE_YEAR = frozenset("0123456789０１２３４５６７８９.．ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_CN_COUNT = "一二三四五六七八九十"
#: (kind, Arabic form, the character a Chinese form is found by, the Chinese form ending there).
_KINDS: tuple[tuple[str, re.Pattern[str], str, re.Pattern[str]], ...] = (
    ("年份", re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}年"), "年", re.compile(f"[{_CN_DIGITS}]{{4}}年")),
    ("百分数", re.compile(r"[0-9]+(?:\.[0-9]+)?[%％]"), "百分之", re.compile(r"百分之(?!百)[零一二三四五六七八九十百点]+")),
    ("月日", re.compile(r"(?<![0-9])[0-9]{1,2}月[0-9]{1,2}日"), "月",
     re.compile(f"(?<![{_CN_COUNT}])[{_CN_COUNT}]{{1,2}}月[{_CN_COUNT}]{{1,3}}日")),
)
#: How far before its key character a Chinese form may start.
_BACK = {"年": 4, "百分之": 0, "月": 2}


def check(doc: Document) -> Iterator[Finding | None]:
    yield from zero(doc)
    yield from short_year(doc)
    yield from mixed(doc)


def zero(doc: Document) -> Iterator[Finding | None]:
    view = doc.view
    if not any(_touches(view, m.start(), _CN_SET) for m in _ZEROS.finditer(view)):
        return
    for match in _ZERO_RUN.finditer(view):
        run = match.group(0)
        if not any(char in run for char in _LATIN_ZEROS):
            continue
        start, end = match.span()
        before = view[start - 1] if start else ""
        after = view[end] if end < len(view) else ""
        if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalnum()):
            continue  # part of a Latin word or an Arabic number
        fixed = "".join("〇" if char in _LATIN_ZEROS else char for char in run)
        yield doc.finding("num.zero", start, end, fixed,
                          f"中文数字“{run}”中混入了阿拉伯数字 0 或字母 O；{STANDARD} 规定中文数字的零写作“〇”"
                          "（公文中的年份一般用阿拉伯数字，如 2022年）")


def _touches(view: str, pos: int, chars: frozenset[str]) -> bool:
    return (pos > 0 and view[pos - 1] in chars) or (pos + 1 < len(view) and view[pos + 1] in chars)


def short_year(doc: Document) -> Iterator[Finding | None]:
    """22年12月, 22年度, 22年底, 05年 (found from each 年: the regular expression engine is slow
    on patterns that start with a look-behind)."""
    view = doc.view
    for match in _YEAR_CHAR.finditer(view):
        at = match.start()
        start = at - 2
        if start < 0 or view[start] not in _DIGIT_SET or view[start + 1] not in _DIGIT_SET:
            continue
        if start > 0 and view[start - 1] in _NOT_BEFORE_YEAR:
            continue
        digits = view[start:at]
        if digits[0] != "0" and not _YEAR_AFTER.match(view, at + 1):
            continue
        century = "20" if int(digits) <= 50 else "19"
        yield doc.finding("num.short-year", start, start + 2, century + digits,
                          f"年份“{digits}年”不能简写；{STANDARD} 规定年份写全，如“{century}{digits}年”")


def mixed(doc: Document) -> Iterator[Finding | None]:
    """One kind of quantity written both in Arabic and in Chinese numerals: the Chinese ones are reported."""
    view = doc.view
    for kind, arabic, key, chinese in _KINDS:
        if key not in view:
            continue
        hits = []
        for found in re.finditer(key, view):
            if _BACK[key] and (found.start() == 0 or view[found.start() - 1] not in _CN_SET):
                continue  # 二〇二一年, 十二月五日: a Chinese numeral right before the key
            at = found.start() - _BACK[key]
            for start in range(max(0, at), found.start() + 1):
                match = chinese.match(view, start)
                if match:
                    hits.append(match)
                    break
        if not hits:
            continue
        first = arabic.search(view)
        if first is None:
            continue
        for match in hits:
            yield doc.finding("num.mixed", match.start(), match.end(), None,
                              f"{kind}在同一份文字中既用阿拉伯数字（如“{first.group(0)}”）又用中文数字"
                              f"（“{match.group(0)}”）；{STANDARD} 要求同类数字写法一致，公文中一般用阿拉伯数字")
