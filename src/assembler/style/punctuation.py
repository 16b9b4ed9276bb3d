"""GB/T 15834-2011 《标点符号用法》 in Chinese text.

Each rule reads the document's ``view`` (see ``findings``) and is careful about
what is not Chinese: a comma between digits (1,000), a colon in a time (9:30),
dots in a version number or a URL, an English name in parentheses with no
Chinese beside them. "Beside Chinese" means the very next character is a Han
character or Chinese punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .findings import BODY, CHINESE, CLOSING_MARKS, HAN, Document, Finding

STANDARD = "GB/T 15834-2011"
_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_NAMES = {",": "逗号", ";": "分号", ":": "冒号", "?": "问号", "!": "叹号", "(": "括号", ")": "括号"}
_HALF = re.compile(r"[,;:?!]")
_CHINESE_CHARS = frozenset(CHINESE)
_HAN_RE = re.compile(f"[{HAN}]")
_PAIRS = {"“": ("“", "”", "双引号"), "”": ("“", "”", "双引号"), "‘": ("‘", "’", "单引号"), "’": ("‘", "’", "单引号"),
          "（": ("（", "）", "括号"), "）": ("（", "）", "括号"), "《": ("《", "》", "书名号"), "》": ("《", "》", "书名号"),
          "【": ("【", "】", "方头括号"), "】": ("【", "】", "方头括号")}
_PAIR_CHARS = re.compile("[“”‘’（）《》【】\n]")
#: A pair with nothing between its marks: removed (repeatedly, for nesting) before looking for strays.
_CLOSED_PAIRS = re.compile("“”|‘’|（）|《》|【】")
_PAIR_SET = frozenset("“”‘’（）《》【】")
_PAREN_CHARS = re.compile(r"[()\n]")
#: Each pattern starts with a literal, which Python's re finds fast; runs are measured in code.
_DOTS = (("...", re.compile(r"\.\.\.+")), ("。。。", re.compile("。。。+")), ("…", re.compile("…+")))
_HYPHENS = (("--", re.compile("--+")), ("－－", re.compile("－－+")), ("—", re.compile("—+")))
_DOUBLED = re.compile(r"([，、；：？！。])\1+")
_DOUBLES = ("，，", "、、", "；；", "：：", "？？", "！！", "。。")
_SPACES = re.compile(r"[ \u00a0\u3000\t]+")
_ITEM_START = re.compile(r"[\s\u3000]*[(（](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]")
_DIGITS = "0123456789０１２３４５６７８９〇一二三四五六七八九十"
#: A pair of parentheses this close is reported (and fixed) as one finding.
PAIR_SPAN = 20


def _chinese(char: str) -> bool:
    return char in _CHINESE_CHARS or (char >= "\u3400" and _HAN_RE.match(char) is not None)


def _around(view: str, start: int, end: int) -> tuple[str, str]:
    return (view[start - 1] if start > 0 else ""), (view[end] if end < len(view) else "")


def check(doc: Document) -> Iterator[Finding | None]:
    yield from halfwidth(doc)
    if "(" in doc.view or ")" in doc.view:
        yield from parentheses(doc)
    yield from unbalanced(doc)
    yield from ellipsis_and_dash(doc)
    yield from doubled(doc)
    yield from spaces(doc)


def halfwidth(doc: Document) -> Iterator[Finding | None]:
    """Half-width , ; : ? ! with Chinese on either side."""
    view = doc.view
    if "," not in view and ";" not in view and ":" not in view and "?" not in view and "!" not in view:
        return
    for match in _HALF.finditer(view):
        start = match.start()
        left, right = _around(view, start, start + 1)
        if not (_chinese(left) or _chinese(right)):
            continue
        mark = match.group(0)
        end = start + 1
        if start > 0 and _chinese(view[start - 1]):  # "工作, 推进": the space goes with the mark
            while end < len(view) and view[end] == " ":
                end += 1
            if end < len(view) and not _chinese(view[end]):
                end = start + 1
        yield doc.finding("punct.halfwidth", start, end, _FULL[mark],
                          f"汉字旁用了半角{_NAMES[mark]}“{mark}”；{STANDARD} 规定中文行文用全角标点“{_FULL[mark]}”",
                          fixable=True)


def parentheses(doc: Document) -> Iterator[Finding | None]:
    """Half-width ( ) beside Chinese; a close pair as one finding: (挂职) → （挂职）."""
    view = doc.view
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    lone: list[int] = []
    skip = _item_end(view, 0)  # "(1)" as an item number: headings.item reports it
    for match in _PAREN_CHARS.finditer(view):
        pos = match.start()
        char = view[pos]
        if char == "\n":
            lone += stack
            stack = []
            skip = _item_end(view, pos + 1)
            continue
        if pos < skip:
            continue
        if char == "(":
            stack.append(pos)
        elif stack:
            pairs.append((stack.pop(), pos))
        else:
            lone.append(pos)
    lone += stack
    found: list[tuple[int, int]] = []
    for opening, closing in pairs:
        near = _around(view, opening, opening + 1) + _around(view, closing, closing + 1)
        if not any(_chinese(char) for char in near):
            continue
        if closing - opening <= PAIR_SPAN:
            found.append((opening, closing + 1))
        else:
            found += [(opening, opening + 1), (closing, closing + 1)]
    for pos in lone:
        if any(_chinese(char) for char in _around(view, pos, pos + 1)):
            found.append((pos, pos + 1))
    for start, end in sorted(found):
        old = doc.text[start:end]
        new = "".join(_FULL.get(char, char) if i in (0, end - start - 1) else char for i, char in enumerate(old))
        yield doc.finding("punct.halfwidth", start, end, new,
                          f"中文里用了半角括号；{STANDARD} 规定中文行文用全角括号“（）”", fixable=True)


def unbalanced(doc: Document) -> Iterator[Finding | None]:
    """“” ‘’ （） 《》 【】 that open without closing, or close without opening, in one paragraph."""
    view = doc.view
    marks = "".join(_PAIR_CHARS.findall(view))  # the common case, every mark in a closed pair,
    while True:                                   # settled on the marks alone, without a loop per mark
        shorter = _CLOSED_PAIRS.sub("", marks)
        if shorter == marks:
            break
        marks = shorter
    if _PAIR_SET.isdisjoint(marks):
        return
    stacks: dict[str, list[int]] = {}
    stray: list[int] = []
    skip = _item_end(view, 0)
    for match in _PAIR_CHARS.finditer(view):
        pos = match.start()
        char = view[pos]
        if char == "\n":
            for stack in stacks.values():
                stray += stack
            stacks = {}
            skip = _item_end(view, pos + 1)
            continue
        if pos < skip:
            continue
        opening, closing, _ = _PAIRS[char]
        stack = stacks.setdefault(opening, [])
        if char == opening:
            stack.append(pos)
        elif closing == "’" and _apostrophe(view, pos):
            continue
        elif stack:
            stack.pop()
        else:
            stray.append(pos)
    for stack in stacks.values():
        stray += stack
    for pos in sorted(stray):
        char = view[pos]
        opening, closing, name = _PAIRS[char]
        other = closing if char == opening else opening
        yield doc.finding("punct.unbalanced", pos, pos + 1, None,
                          f"{name}不成对：本段的“{char}”没有对应的“{other}”（{STANDARD} 要求{name}成对使用）")


def _item_end(view: str, pos: int) -> int:
    """Where a paragraph's item number such as "（1)" ends (headings.item reports it), else 0."""
    if pos >= len(view) or view[pos] not in "(（ \u3000\t":
        return 0
    item = _ITEM_START.match(view, pos)
    return item.end() if item else 0


def _apostrophe(view: str, pos: int) -> bool:
    """’ between Latin letters (O’Brien, it’s) is an apostrophe, not a closing quote."""
    left, right = _around(view, pos, pos + 1)
    return left.isascii() and left.isalpha() and (not right or (right.isascii() and right.isalpha()))


def ellipsis_and_dash(doc: Document) -> Iterator[Finding | None]:
    view = doc.view
    for probe, pattern in _DOTS:
        if probe not in view:
            continue
        for match in pattern.finditer(view):
            start, end = match.span()
            left, right = _around(view, start, end)
            if probe == "…" and end - start not in (1, 3):
                continue  # …… is right
            if probe == "..." and not (_chinese(left) or _chinese(right)):
                continue  # English text, a version number
            yield doc.finding("punct.ellipsis", start, end, "……",
                              f"省略号写成了“{match.group(0)}”；{STANDARD} 规定省略号为两个“…”（……），占两个字的位置",
                              fixable=True)
    for probe, pattern in _HYPHENS:
        if probe not in view:
            continue
        for match in pattern.finditer(view):
            start, end = match.span()
            if probe == "—" and end - start == 2:
                continue  # —— is right
            left, right = _around(view, start, end)
            fixable = True
            if match.group(0) == "—":
                if _number_side(view, start, -1) or _number_side(view, end, 1):
                    continue  # a range: 2021—2022年, 1—3月 (一字线连接号)
                if _HAN_RE.match(left or " ") and _HAN_RE.match(right or " "):
                    fixable = False  # 北京—上海 may be a 连接号
            elif match.group(0)[0] in "-－" and not (_chinese(left) or _chinese(right)):
                continue  # command-line options, ASCII art, ranges of digits
            note = "；如果是连接号（如“北京—上海”）可不改" if not fixable else ""
            yield doc.finding("punct.dash", start, end, "——",
                              f"破折号写成了“{match.group(0)}”；{STANDARD} 规定破折号为“——”，占两个字的位置{note}",
                              fixable=fixable)


def _number_side(view: str, pos: int, step: int) -> bool:
    """Whether a digit sits next to ``pos`` (skipping spaces) on the side ``step`` points to."""
    pos = pos - 1 if step < 0 else pos
    while 0 <= pos < len(view) and view[pos] in " \u3000":
        pos += step
    return 0 <= pos < len(view) and view[pos] in _DIGITS


def doubled(doc: Document) -> Iterator[Finding | None]:
    if not any(pair in doc.view for pair in _DOUBLES):
        return
    for match in _DOUBLED.finditer(doc.view):
        start, end = match.span()
        mark = match.group(0)[0]
        if mark == "。" and end - start > 2:
            continue  # 。。。: an ellipsis written wrong, reported as such
        yield doc.finding("punct.doubled", start, end, mark,
                          f"标点“{mark}”重复了；{STANDARD} 规定一处只用一个点号", fixable=True)


def spaces(doc: Document) -> Iterator[Finding | None]:
    """Spaces between Chinese characters or marks, or before a Chinese closing mark (body text only:
    the subtitle's gap between post and name is layout)."""
    view = doc.view
    if not any(" " in p.view or "\u3000" in p.view or "\u00a0" in p.view or "\t" in p.view
               for p in doc.paragraphs if p.kind == BODY):
        return  # the subtitle's gap alone: no need to scan
    for match in _SPACES.finditer(view):
        start, end = match.span()
        if start == 0 or end == len(view):
            continue  # indentation, trailing space: not between anything
        left, right = view[start - 1], view[end]
        between = _chinese(left) and _chinese(right)
        before_mark = right in CLOSING_MARKS and right not in "…—" and left != "\n"
        if not (between or before_mark):
            continue
        if doc.paragraphs[doc.locate(start)[0]].kind != BODY:
            continue
        where = "中文标点前" if before_mark and not between else "汉字之间"
        yield doc.finding("punct.space", start, end, "",
                          f"{where}有多余的空格；中文行文字与字、字与标点之间不加空格（{STANDARD}）", fixable=True)
