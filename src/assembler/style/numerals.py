"""GB/T 15835-2011 《出版物上数字用法》: numerals that readers of 公文 look for.

Three rules, each narrow enough not to fire on ordinary text: an Arabic 0 (or a
letter O) among Chinese numerals (二0二二年), a year cut to two digits where it
can only be a year (22年12月, 22年度), and one kind of quantity written both ways
in one text (2022年 and 二〇二二年; 5% and 百分之五; 12月5日 and 十二月五日).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from .findings import Finding, Paragraph

STANDARD = "GB/T 15835-2011"
_CN_DIGITS = "〇零一二三四五六七八九"
_ZERO_RUN = re.compile(f"[{_CN_DIGITS}0０OＯ]*[{_CN_DIGITS}][{_CN_DIGITS}0０OＯ]*")
_LATIN_ZEROS = "0０OＯ"
_SHORT_YEAR = re.compile(r"(?<![0-9０-９A-Za-z.．])([0-9]{2})年(?=[0-9]{1,2}月|度|[上下]半年|初|底|末)"
                         r"|(?<![0-9０-９A-Za-z.．])(0[0-9])年")
_KINDS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("年份", re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}年"), re.compile(f"[{_CN_DIGITS}]{{4}}年")),
    ("百分数", re.compile(r"[0-9]+(?:\.[0-9]+)?[%％]"), re.compile(r"百分之(?!百)[零一二三四五六七八九十百点]+")),
    ("月日", re.compile(r"(?<![0-9])[0-9]{1,2}月[0-9]{1,2}日"),
     re.compile(r"(?<![一二三四五六七八九十])[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日")),
)


def check(par: Paragraph, index: int) -> Iterator[Finding]:
    yield from zero(par, index)
    yield from short_year(par, index)


def zero(par: Paragraph, index: int) -> Iterator[Finding]:
    view = par.view
    if not any(char in view for char in _LATIN_ZEROS):
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
        yield Finding("num.zero", index, start, end, par.text[start:end], fixed,
                      f"中文数字“{run}”中混入了阿拉伯数字 0 或字母 O；{STANDARD} 规定中文数字的零写作“〇”"
                      "（公文中的年份一般用阿拉伯数字，如 2022年）")


def short_year(par: Paragraph, index: int) -> Iterator[Finding]:
    view = par.view
    if "年" not in view:
        return
    for match in _SHORT_YEAR.finditer(view):
        digits = match.group(1) or match.group(2)
        start, end = match.start(), match.start() + len(digits)
        century = "20" if int(digits) <= 50 else "19"
        yield Finding("num.short-year", index, start, end, par.text[start:end], century + digits,
                      f"年份“{digits}年”不能简写；{STANDARD} 规定年份写全，如“{century}{digits}年”")


def mixed(paragraphs: Sequence[Paragraph]) -> Iterator[Finding]:
    """One kind of quantity written both in Arabic and in Chinese numerals: the Chinese ones are reported."""
    for kind, arabic, chinese in _KINDS:
        first_arabic: str | None = None
        hits: list[tuple[int, re.Match[str]]] = []
        for index, par in enumerate(paragraphs):
            if first_arabic is None:
                found = arabic.search(par.view)
                if found:
                    first_arabic = found.group(0)
            hits += [(index, match) for match in chinese.finditer(par.view)]
        if first_arabic is None:
            continue
        for index, match in hits:
            start, end = match.span()
            yield Finding("num.mixed", index, start, end, paragraphs[index].text[start:end], None,
                          f"{kind}在同一份文字中既用阿拉伯数字（如“{first_arabic}”）又用中文数字（“{match.group(0)}”）；"
                          f"{STANDARD} 要求同类数字写法一致，公文中一般用阿拉伯数字")
