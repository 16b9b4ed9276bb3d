"""What a finished report should not contain: placeholder marks left in its text, and an end without
a signature (name and date). Checked per report where it is rendered, before it is written, so that
``--strict`` can refuse it instead of leaving it on disk.

``MASK`` is the one definition of a placeholder: ``assembler lint`` warns about the same marks in
the snippet sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Placeholders people type when they blank out a figure or a name.
MASK = re.compile(r"\*{2,}|＊{2,}|(?<![A-Za-z])[Xx]{2,}(?![A-Za-z])|[Ｘｘ]{2,}|[×✕╳]{2,}|某某|○○|□□")

#: How much of a paragraph a warning quotes.
QUOTE = 60


def placeholder_paragraphs(paragraphs: Iterable[str]) -> list[tuple[str, str]]:
    """(mark, paragraph) for every distinct placeholder mark in each paragraph, in reading order."""
    found: list[tuple[str, str]] = []
    for text in paragraphs:
        seen: set[str] = set()
        for match in MASK.finditer(text):
            if match.group(0) not in seen:
                seen.add(match.group(0))
                found.append((match.group(0), text))
    return found


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


def placeholder_warnings(paragraphs: Iterable[str]) -> list[str]:
    return [f"正文中有占位符“{mark}”，像是未替换的打码内容：“{_quote(text)}”；"
            "请在片段中改为变量（如 {{ 次数 }}）或具体文字，或在人员表中填写本人的数字"
            for mark, text in placeholder_paragraphs(paragraphs)]


SIGNATURE_MISSING = ("报告末尾没有落款（署名和日期）：规则文件中没有 signature，或落款各行都是空的；"
                     "请在规则文件中加上如 signature: [\"{{ name }}\", \"{{ report_date }}\"]")


def report_warnings(body: Iterable[str], *, signed: bool) -> list[str]:
    """A rendered report's warnings: its placeholders (the paragraph quoted), and a missing signature."""
    warnings = placeholder_warnings(body)
    if not signed:
        warnings.append(SIGNATURE_MISSING)
    return warnings
