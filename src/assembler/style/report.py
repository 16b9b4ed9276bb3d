"""Style findings on a rendered report, as warnings a person can act on.

Input is what ``similarity.report_text`` already reads from the .docx (style,
Word number, text of each paragraph), so checking costs no second parse. A
finding is told by paragraph number (counted from the title, empty paragraphs
not counted) with the paragraph quoted around the spot.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .check import StyleSettings, check_paragraphs
from .findings import BODY, LAYOUT, Finding, Paragraph, excerpt
from .wording import year_of

#: Styles of the lines around the body, whose spacing is layout.
LAYOUT_STYLES = frozenset({"Title", "Subtitle", "Signature", "Date"})
#: Findings spelled out per report; the rest are counted.
MAX_SHOWN = 20


def _level(label: str) -> int | None:
    label = label.strip()
    if not label:
        return None
    if label.endswith("、"):
        return 1
    if label.startswith("（") and label.endswith("）"):
        return 2 if not label[1:-1].isdigit() else 4
    if label.endswith("."):
        return 3
    return None


def report_paragraphs(paragraphs: Sequence[tuple[str, str, str]]) -> list[Paragraph]:
    """(style, Word number, text) of every paragraph → what the rules read (empty ones dropped)."""
    out: list[Paragraph] = []
    for style, label, text in paragraphs:
        if not text.strip():
            continue
        kind = LAYOUT if style in LAYOUT_STYLES else BODY
        out.append(Paragraph.plain(text, level=_level(label) if label else None, kind=kind))
    return out


def check_report(paragraphs: Sequence[tuple[str, str, str]], settings: StyleSettings) -> list[str]:
    """The report's style findings as messages: ``第N段“…”：问题；建议 … [rule]``."""
    if not settings.enabled:
        return []
    pars = report_paragraphs(paragraphs)
    year = year_of([p.text for p in pars if p.kind == LAYOUT])
    findings = check_paragraphs(pars, settings=settings, year=year)
    messages = [describe(f, pars[f.paragraph].text) for f in findings[:MAX_SHOWN]]
    if len(findings) > MAX_SHOWN:
        messages.append(f"另有 {len(findings) - MAX_SHOWN} 处文字规范问题未列出（同类问题多半来自片段本身，"
                        "请先运行 assembler lint 检查片段库）")
    return messages


def describe(finding: Finding, text: str) -> str:
    where = f"第{finding.paragraph + 1}段"
    fix = finding.suggestion()
    fix = f"；建议{fix}" if fix else ""
    return f"{where}“{excerpt(text, finding.start, finding.end)}”：{finding.message}{fix} [{finding.rule}]"


def project_style(mode: str, rules_path: Path) -> StyleSettings:
    """The style settings of a rules file: its ``style`` mode and the ``wording.yaml`` beside it
    (a wrong entry stops the build before anything is written, like any input error)."""
    from .wording import FILE_NAME, strict_wording

    if mode == "off":
        return StyleSettings(mode)
    return StyleSettings(mode, strict_wording(Path(rules_path).parent / FILE_NAME))
