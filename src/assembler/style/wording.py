"""The library's own wording list (``wording.yaml`` beside the rules file).

The tool has no opinion on wording: it ships only typographic rules. A keeper
who wants, say, an old name of a meeting flagged in reports from some year on
writes it here, in Git with the snippets, and both ``lint`` (snippets) and
``build`` (rendered reports) apply it. Entries::

    - find: 文字或正则表达式        # Python regular expression; plain text works as is
      say: 为什么要改（出处）
      replace: 建议写法            # optional; may use \\1 for a group of find
      from_year: 2023               # optional: only reports of these years
      to_year: 2030                 # optional

A mistake in the file (a bad regular expression, a missing ``say``) is reported
at its line, as every other input error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AssemblerError, InputError
from ..load.yamlio import LineDict, LineList, load_yaml
from .findings import Document, Finding

FILE_NAME = "wording.yaml"
KEYS = ("find", "say", "replace", "from_year", "to_year")


@dataclass(frozen=True)
class WordingEntry:
    find: str
    say: str
    replace: str | None
    from_year: int | None
    to_year: int | None
    line: int
    pattern: re.Pattern[str]

    def applies(self, year: int | None) -> bool:
        if year is None:
            return True
        return (self.from_year is None or year >= self.from_year) and (self.to_year is None or year <= self.to_year)


@dataclass(frozen=True)
class WordingProblem:
    line: int
    message: str


@dataclass(frozen=True)
class Wording:
    """A parsed wording list; ``problems`` are the entries refused (each at its line)."""

    file: str = FILE_NAME
    entries: tuple[WordingEntry, ...] = ()
    problems: tuple[WordingProblem, ...] = field(default_factory=tuple)

    def check(self, doc: Document, year: int | None) -> Iterator[Finding | None]:
        for entry in self.entries:
            if not entry.applies(year):
                continue
            for match in entry.pattern.finditer(doc.view):
                start, end = match.span()
                if start == end:
                    continue
                new = None
                if entry.replace is not None:
                    try:
                        new = match.expand(entry.replace)
                    except (re.error, IndexError):
                        new = entry.replace
                yield doc.finding("wording", start, end, new,
                                  f"“{match.group(0)}”：{entry.say}（用语清单 {Path(self.file).name} "
                                  f"第{entry.line}行{_years(entry)}）")


def _years(entry: WordingEntry) -> str:
    if entry.from_year is None and entry.to_year is None:
        return ""
    if entry.to_year is None:
        return f"，适用于 {entry.from_year} 年起的报告"
    if entry.from_year is None:
        return f"，适用于 {entry.to_year} 年及以前的报告"
    return f"，适用于 {entry.from_year}–{entry.to_year} 年的报告"


def parse_wording(text: str, *, file: str | Path = FILE_NAME) -> Wording:
    """Every entry that is right, and a problem (with its line) for each that is not."""
    try:
        data = load_yaml(text, file=file)
    except AssemblerError as exc:
        return Wording(str(file), (), (WordingProblem(exc.line or 1, exc.message),))
    if data is None:
        return Wording(str(file))
    if not isinstance(data, list):
        return Wording(str(file), (), (WordingProblem(1, "用语清单必须是列表，每一项形如 "
                                                        "{find: 文字或正则, say: 为什么, replace: 建议写法}"),))
    entries: list[WordingEntry] = []
    problems: list[WordingProblem] = []
    for index, item in enumerate(data):
        line = data.line_of(index) if isinstance(data, LineList) else 1
        entry = _entry(item, line, problems)
        if entry is not None:
            entries.append(entry)
    return Wording(str(file), tuple(entries), tuple(problems))


def _entry(item: object, line: int, problems: list[WordingProblem]) -> WordingEntry | None:
    if not isinstance(item, dict):
        problems.append(WordingProblem(line, "这一项应是映射，如 {find: 旧说法, say: 为什么要改, replace: 新说法}"))
        return None

    def at(key: str) -> int:
        return item.line_of(key) if isinstance(item, LineDict) else line

    before = len(problems)
    for key in item:
        if key not in KEYS:
            problems.append(WordingProblem(at(key), f"未知的键“{key}”；可用的键：{'、'.join(KEYS)}"))
    find, say, replace = item.get("find"), item.get("say"), item.get("replace")
    if not isinstance(find, str) or not find:
        problems.append(WordingProblem(at("find"), "缺少 find（要查找的文字或正则表达式）"))
    if not isinstance(say, str) or not say.strip():
        problems.append(WordingProblem(at("say"), "缺少 say（为什么要改，读者会看到这句话）"))
    if replace is not None and not isinstance(replace, (str, int)):
        problems.append(WordingProblem(at("replace"), "replace 必须是文本（建议的写法）"))
    years: list[int | None] = []
    for key in ("from_year", "to_year"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2999):
            problems.append(WordingProblem(at(key), f"{key} 必须是四位年份，如 2023"))
            value = None
        years.append(value)
    if years[0] is not None and years[1] is not None and years[0] > years[1]:
        problems.append(WordingProblem(at("to_year"), f"to_year（{years[1]}）早于 from_year（{years[0]}）"))
    pattern = None
    if isinstance(find, str) and find:
        try:
            pattern = re.compile(find)
        except re.error as exc:
            problems.append(WordingProblem(at("find"), f"find 不是有效的正则表达式（{exc.msg}，第{(exc.pos or 0) + 1}个字符）；"
                                                       r"要按字面查找 ( ) [ ] . * ? + 等符号，请在前面加 \ "))
    if len(problems) > before or pattern is None or not isinstance(say, str) or not isinstance(find, str):
        return None
    return WordingEntry(find, say.strip(), None if replace is None else str(replace), years[0], years[1],
                        line, pattern)


def load_wording(path: Path) -> Wording:
    """The wording list at ``path``; an empty one when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Wording(str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"无法读取用语清单（{exc}），请保存为 UTF-8 文本", file=path) from None
    return parse_wording(text, file=path)


def strict_wording(path: Path) -> Wording:
    """``load_wording`` for a build: a wrong entry stops it before anything is written."""
    wording = load_wording(path)
    if wording.problems:
        first = wording.problems[0]
        raise InputError(f"用语清单有误：{first.message}；请运行 assembler lint 查看全部问题", file=path, line=first.line)
    return wording


def year_of(paragraphs: Sequence[str]) -> int | None:
    """The year a report is dated: the latest four-digit year in its title and signature lines."""
    years = [int(y) for text in paragraphs for y in re.findall(r"(?<![0-9])((?:19|20)[0-9]{2})(?=年)", text)]
    return max(years) if years else None
