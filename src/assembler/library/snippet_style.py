"""House style in snippet files: the ``style`` checks located at ``file:line:col``, and ``lint --fix``.

A snippet's body is checked as the reader will see it: lines of a paragraph
joined (``snippets.join_lines``), Jinja tags masked so that nothing inside
``{{ }}``/``{% %}``/``{# #}`` is a finding, and each character remembered at its
place in the file, so a finding points at its column and a fix edits exactly
those characters. The heading (front matter) opens the body as its level-2 line;
each ``variants`` text is checked on its own, below the same heading.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssemblerError
from ..load.problems import Problems
from ..load.snippets import CJK, read_snippet
from ..load.yamlio import read_text
from ..style import MASK, Edit, Finding, Paragraph, StyleSettings, apply_edits, check_paragraphs, excerpt, mask_links
from .lint_files import JINJA_BLOCK

#: ``lint --fix`` checks again after fixing, as a fix can bring two marks together; at most this often.
FIX_ROUNDS = 5


def mask_jinja(text: str) -> str:
    """``text`` with every Jinja tag's characters (newlines kept) replaced by ``MASK``."""
    if "{" not in text:
        return text
    return JINJA_BLOCK.sub(lambda m: re.sub(r"[^\n]", MASK, m.group(0)), text)


@dataclass(frozen=True)
class Located:
    """A finding in a snippet file: 1-based line and column, and its file offsets when exact."""

    line: int
    col: int
    finding: Finding
    text: str  # the paragraph, for the excerpt
    span: tuple[int, int] | None  # [start, end) in the file, when a fix may be written there

    def message(self) -> str:
        fix = self.finding.suggestion()
        fix = f"；建议{fix}" if fix else ""
        auto = "（可用 assembler lint --fix 自动修正）" if self.finding.fixable and self.span else ""
        where = excerpt(self.text, self.finding.start, self.finding.end)
        return f"“{where}”：{self.finding.message}{fix}{auto} [{self.finding.rule}]"


@dataclass
class _Doc:
    paragraphs: list[Paragraph]
    offsets: list[list[int]]  # file offset of each character (-1: a space added when joining lines)
    exact: list[bool]  # per paragraph: whether the offsets are the characters' own (fixes may be written)
    base: int


class _File:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())
        self.lines = text.split("\n")

    def place(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1


def _paragraphs(lines: Sequence[tuple[str, str, int]]) -> tuple[list[Paragraph], list[list[int]]]:
    """(original line, masked line, file offset of the line) → paragraphs joined as ``join_lines`` does."""
    pars: list[Paragraph] = []
    offsets: list[list[int]] = []
    text: list[str] = []
    view: list[str] = []
    where: list[int] = []

    def flush() -> None:
        if text:
            pars.append(Paragraph("".join(text), mask_links("".join(view))))
            offsets.append(list(where))
        text.clear()
        view.clear()
        where.clear()

    for original, masked, offset in lines:
        stripped = original.strip()
        if not stripped:
            flush()
            continue
        lead = len(original) - len(original.lstrip())
        if text and not (CJK.search(text[-1][-1]) or CJK.search(stripped[0])):
            text.append(" ")
            view.append(" ")
            where.append(-1)
        text.append(stripped)
        view.append(masked[lead:lead + len(stripped)])
        where.extend(range(offset + lead, offset + lead + len(stripped)))
    flush()
    return pars, offsets


def _body_doc(file: _File, body_line: int, heading: Paragraph | None, heading_at: list[int] | None,
              heading_exact: bool) -> _Doc:
    start = file.starts[body_line - 1] if body_line - 1 < len(file.starts) else len(file.text)
    body = file.text[start:]
    masked = mask_jinja(body)
    rows = []
    offset = start
    for original, hidden in zip(body.split("\n"), masked.split("\n"), strict=True):
        rows.append((original, hidden, offset))
        offset += len(original) + 1
    pars, offsets = _paragraphs(rows)
    exact = [True] * len(pars)
    if heading is not None and heading_at is not None:
        pars.insert(0, heading)
        offsets.insert(0, heading_at)
        exact.insert(0, heading_exact)
    return _Doc(pars, offsets, exact, 1 if heading is not None else 0)


def _find_lines(file: _File, text: str, first_line: int) -> list[tuple[str, str, int]] | None:
    """The lines of ``text`` (a heading or variant from YAML) found in order in the file from ``first_line``."""
    masked = mask_jinja(text)
    rows = []
    index = max(0, first_line - 1)
    for original, hidden in zip(text.split("\n"), masked.split("\n"), strict=True):
        stripped = original.strip()
        if not stripped:
            rows.append((original, hidden, -1))
            continue
        while index < len(file.lines) and stripped not in file.lines[index]:
            index += 1
        if index >= len(file.lines):
            return None
        column = file.lines[index].index(stripped)
        lead = len(original) - len(original.lstrip())
        rows.append((original, hidden, file.starts[index] + column - lead))
        index += 1
    return rows


def _located_doc(file: _File, text: str, first_line: int, base: int) -> _Doc:
    rows = _find_lines(file, text, first_line)
    if rows is not None:
        pars, offsets = _paragraphs(rows)
        return _Doc(pars, offsets, [True] * len(pars), base)
    # not found verbatim (folded or escaped YAML): every finding at the first line, no fixes
    pars, _ = _paragraphs([(line, hidden, 0) for line, hidden in
                           zip(text.split("\n"), mask_jinja(text).split("\n"), strict=True)])
    start = file.starts[min(first_line, len(file.starts)) - 1]
    return _Doc(pars, [[start] * len(p.text) for p in pars], [False] * len(pars), base)


def style_findings(text: str, *, body_line: int, heading: str | None = None, heading_line: int = 0,
                   variants: Sequence[tuple[str, int]] = (), settings: StyleSettings,
                   year: int | None = None) -> list[Located]:
    """Every style finding in a snippet file's text, located in the file."""
    if not settings.enabled:
        return []
    file = _File(text)
    head: Paragraph | None = None
    head_at: list[int] | None = None
    head_exact = False
    docs: list[_Doc] = []
    if heading:
        heading_doc = _located_doc(file, heading, heading_line, 1)
        if heading_doc.paragraphs:
            first = heading_doc.paragraphs[0]
            head = Paragraph(first.text, first.view, level=2)
            head_at, head_exact = heading_doc.offsets[0], heading_doc.exact[0]
    docs.append(_body_doc(file, body_line, head, head_at, head_exact))
    for variant, line in variants:
        docs.append(_located_doc(file, variant, line, 2 if heading else 0))
    located: list[Located] = []
    for doc in docs:
        for finding in check_paragraphs(doc.paragraphs, settings=settings, year=year, base=doc.base):
            at = doc.offsets[finding.paragraph]
            spot = next((o for o in at[finding.start:finding.end] if o >= 0), None)
            if spot is None:
                spot = next((o for o in at if o >= 0), 0)
            line, col = file.place(spot)
            span = None
            if doc.exact[finding.paragraph] and finding.end > finding.start:
                begin, last = at[finding.start], at[finding.end - 1]
                if begin >= 0 and last >= 0:
                    span = (begin, last + 1)
            located.append(Located(line, col, finding, doc.paragraphs[finding.paragraph].text, span))
    located.sort(key=lambda item: (item.line, item.col, item.finding.rule))
    return located


def snippet_pieces(text: str, *, file: Path) -> tuple[int, str | None, int, list[tuple[str, int]]]:
    """(body line, heading, heading line, variants with their lines) as the loader reads them, the
    same pieces lint checks; the file's first grammar error is raised (``lint`` reports them all)."""
    reading = read_snippet(text, file=file, problems=Problems(strict=True), default_section=file.parent.name)
    assert reading is not None  # strict: a file without front matter has been raised
    return reading.body_line, reading.heading, reading.heading_line, reading.variants


@dataclass(frozen=True)
class FixedLine:
    """One change ``lint --fix`` made: ``file:line: 旧 → 新``."""

    file: Path
    line: int
    old: str
    new: str

    def format(self) -> str:
        return f"{self.file}:{self.line}: {self.old} → {self.new}"


def fix_file(path: Path, settings: StyleSettings, year: int | None = None) -> list[FixedLine]:
    """Write the fixable findings' fixes into a snippet file (several rounds); the changes made.

    A file the parser refuses is left alone (``lint`` reports why).
    """
    changes: list[FixedLine] = []
    for _ in range(FIX_ROUNDS):
        try:
            text = read_text(path)
            body_line, heading, heading_line, variants = snippet_pieces(text, file=path)
        except AssemblerError:
            return changes
        found = style_findings(text, body_line=body_line, heading=heading, heading_line=heading_line,
                               variants=variants, settings=settings, year=year)
        edits = {}
        for item in found:
            if item.finding.fixable and item.span and item.finding.new is not None:
                edits[Edit(item.span[0], item.span[1], item.finding.new)] = item
        if not edits:
            break
        new_text, applied = apply_edits(text, edits)
        if new_text == text:
            break
        for edit in applied:
            changes.append(_describe(path, text, edit))
        _write_same_mode(path, new_text)
    return changes


def _describe(path: Path, text: str, edit: Edit, width: int = 6) -> FixedLine:
    line_start = text.rfind("\n", 0, edit.start) + 1
    line_end = text.find("\n", edit.end)
    line_end = len(text) if line_end < 0 else line_end
    left = max(line_start, edit.start - width)
    right = min(line_end, edit.end + width) if edit.end <= line_end else edit.end + width
    old = text[left:right]
    new = text[left:edit.start] + edit.new + text[edit.end:right]
    line = text.count("\n", 0, edit.start) + 1
    return FixedLine(path, line, old.replace("\n", "⏎"), new.replace("\n", "⏎"))


def _write_same_mode(path: Path, text: str) -> None:
    """Replace the file's text through a temporary file (never half-written), keeping its mode,
    its byte-order mark and its line ends (``read_text`` gave them as ``\n``)."""
    from ..output import atomic_write

    raw = path.read_bytes()
    if b"\r\n" in raw:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    mode = path.stat().st_mode & 0o7777
    atomic_write(path, data)
    path.chmod(mode)


def wording_path(rules: Path | None, library: Path | None) -> Path | None:
    """Where a library's ``wording.yaml`` lives: beside the rules file (the library repository's
    root), else in the library folder or the folder above it."""
    from ..style import WORDING_FILE

    if rules is not None:
        return rules.parent / WORDING_FILE
    if library is not None:
        for folder in (library, library.parent):
            if (folder / WORDING_FILE).is_file():
                return folder / WORDING_FILE
    return None


def shown_findings(text: str, shown: Sequence[tuple[str, int, bool]], *, settings: StyleSettings,
                   year: int | None = None) -> list[Located]:
    """Findings in the rules file's own text (title, subtitle, signature: layout lines; section
    headings: level-1 lines), each checked alone and located at its line; never fixed."""
    from ..style import BODY, LAYOUT

    if not settings.enabled:
        return []
    file = _File(text)
    located: list[Located] = []
    for value, line, heading in shown:
        doc = _located_doc(file, value, line, 0)
        for par, at in zip(doc.paragraphs, doc.offsets, strict=True):
            single = Paragraph(par.text, par.view, kind=BODY if heading else LAYOUT)
            for finding in check_paragraphs([single], settings=settings, year=year, base=1 if heading else 0):
                spot = at[finding.start] if finding.start < len(at) and at[finding.start] >= 0 else at[0]
                where = file.place(spot)
                located.append(Located(where[0], where[1], finding, par.text, None))
    return located
