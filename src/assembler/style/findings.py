"""What a style check reports, and the text it reads.

The checks are pure: they see paragraphs of text and return ``Finding`` objects
with offsets into that text. Where the text came from (a snippet file, where
positions are lines and columns; a rendered report, where they are paragraph
numbers) is the caller's business, so one rule serves ``lint`` and ``build``
alike and is written once.

A paragraph has two strings of the same length: ``text`` (what a reader sees,
used for excerpts and fixes) and ``view`` (what the rules look at: Jinja tags,
URLs and e-mail addresses replaced by ``MASK`` characters, which count as
neither Chinese nor punctuation, so a quote inside ``{{ }}`` is never a finding).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

WARNING = "warning"
ERROR = "error"

#: Stands for a masked character (a Jinja tag, a URL): neither Chinese nor punctuation.
MASK = "\ue000"

#: Han characters (CJK unified ideographs and their extensions A, compatibility).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Chinese (full-width) punctuation that closes or sits after a word.
CLOSING_MARKS = "，。、；：？！”’）》〉】」』〕…—"
#: Chinese punctuation that opens.
OPENING_MARKS = "“‘（《〈【「『〔"
CHINESE = HAN + CLOSING_MARKS + OPENING_MARKS
_URL = re.compile(r"(?:https?|ftp)://[^\s\u3000-\u303f\uff00-\uffef" + HAN + r"]+"
                  r"|www\.[A-Za-z0-9.\-]+(?:/[^\s\u3000-\u303f\uff00-\uffef" + HAN + r"]*)?"
                  r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

#: Body text (every rule) and the lines around it whose spacing is layout (title, subtitle, signature).
BODY = "body"
LAYOUT = "layout"


@dataclass(slots=True)
class Paragraph:
    """One paragraph as the rules see it.

    ``level``: the heading level its (Word) number gives it (1 for 一、, 2 for （一）),
    ``None`` for a body paragraph. ``kind``: ``BODY``, or ``LAYOUT`` for lines whose
    spaces are layout (the subtitle's gap between post and name).
    """

    text: str
    view: str
    level: int | None = None
    kind: str = BODY

    @classmethod
    def plain(cls, text: str, *, level: int | None = None, kind: str = BODY) -> Paragraph:
        return cls(text, mask_links(text), level, kind)


class Document:
    """Paragraphs joined by ``\n`` (a line break inside one becomes ``\r``), so that each
    rule runs its regular expression once over the whole text instead of once per paragraph:
    that is what keeps the checks cheap beside a build. Paragraph edges are ``\n``, which no
    rule takes for Chinese or punctuation, so they behave like the ends of a string."""

    def __init__(self, paragraphs: Sequence[Paragraph]) -> None:
        self.paragraphs = paragraphs
        self.view = "\n".join(p.view.replace("\n", "\r") for p in paragraphs)
        self.text = "\n".join(p.text for p in paragraphs)
        self.starts: list[int] = []
        at = 0
        for par in paragraphs:
            self.starts.append(at)
            at += len(par.view) + 1

    def locate(self, start: int) -> tuple[int, int]:
        """(paragraph index, offset in it) of a position in the joined text."""
        index = bisect.bisect_right(self.starts, start) - 1
        return index, start - self.starts[index]

    def finding(self, rule: str, start: int, end: int, new: str | None, message: str,
                fixable: bool = False) -> Finding | None:
        """A finding at ``[start, end)`` of the joined text; None if it runs over a paragraph's end."""
        index, offset = self.locate(start)
        if offset + (end - start) > len(self.paragraphs[index].view):
            return None
        return Finding(rule, index, offset, offset + end - start, self.text[start:end], new, message, fixable)


@dataclass(frozen=True, slots=True)
class Finding:
    """One place that breaks a rule: ``[start, end)`` in paragraph ``paragraph``.

    ``new`` is the suggested text for the span (``None`` when there is no single
    right answer); ``fixable`` says ``lint --fix`` may write it without asking,
    because it cannot change the meaning.
    """

    rule: str
    paragraph: int
    start: int
    end: int
    old: str
    new: str | None
    message: str
    fixable: bool = False
    severity: str = WARNING

    def suggestion(self) -> str:
        if self.new is None:
            return ""
        return f"“{self.old}” → “{self.new}”" if self.new else f"删去“{self.old}”"


def mask_links(text: str) -> str:
    """``text`` with URLs and e-mail addresses masked (their dots, colons and slashes are not punctuation)."""
    if "://" not in text and "www." not in text and "@" not in text:
        return text
    return _URL.sub(lambda m: MASK * len(m.group(0)), text)


def excerpt(text: str, start: int, end: int, width: int = 8) -> str:
    """The paragraph around ``[start, end)``, with … where it was cut."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


#: Rule ids and what they check, in the order the README lists them.
RULES: dict[str, str] = {
    "punct.halfwidth": "汉字旁用了半角标点 , ; : ? ! ( )",
    "punct.unbalanced": "引号、括号、书名号不成对",
    "punct.ellipsis": "省略号写成 ... 、。。。或单个 …",
    "punct.dash": "破折号写成 -- 或单个 —",
    "punct.doubled": "标点重复，如 ，， 或 。。",
    "punct.space": "汉字之间或中文标点前有空格",
    "num.zero": "中文数字中用了阿拉伯数字 0 或字母 O",
    "num.short-year": "年份简写，如 22年",
    "num.mixed": "同一种数量在一份文字中混用阿拉伯数字和中文数字",
    "date.format": "日期写成 2022.12.5、2022-12-05 或 2022/12/5",
    "heading.item": "层次序数写法不对，如 1、 或半角 (1)",
    "heading.order": "层次序数倒用：上一级序数用在了下一级之内",
    "wording": "用语清单（wording.yaml）中的写法",
}
