"""The words for what a batch really did, shared by the CLI and the dialog."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..hints import WORDINGS, Hinted, worded

if TYPE_CHECKING:
    from .results import BatchResult


def pdf_line(batch: BatchResult) -> str | None:
    """PDFs made now and PDFs of skipped reports left as they were; None when none was asked for."""
    if not batch.pdfs_made and not batch.pdfs_kept:
        return None
    line = f"PDF：新生成 {batch.pdfs_made} 份"
    if batch.pdfs_kept:
        line += f"，保留已有 {batch.pdfs_kept} 份（对应的报告未变，PDF 仍是最新的）"
    return line


@dataclass
class Problem:
    """One cause, and everyone it concerns: the dialog shows a cause once, not once per person."""

    level: str  # 错误 | 警告
    text: str
    hint: str = ""
    people: list[tuple[int, str]] = field(default_factory=list)

    def line(self, limit: int = 3) -> str:
        if len(self.people) == 1:
            row, name = self.people[0]
            return f"{self.level}：{name}（第{row}行）：{self.text}{self.hint}"
        if not self.people:
            return f"{self.level}：{self.text}{self.hint}"
        names = "、".join(name for _, name in self.people[:limit]) + ("等" if len(self.people) > limit else "")
        return f"{self.level}：{self.text}（{len(self.people)} 人：{names}）{self.hint}"


def _cause(message: str, shell: str) -> tuple[Any, str, str]:
    """A grouping key, the cause and the hint of one message: a missing value is one cause whoever
    needs it, whichever snippet needs it."""
    if isinstance(message, Hinted):
        hint = WORDINGS[message.kind][shell].format(**message.args)
        if message.kind == "set_value":
            return ("set_value", message.args.get("name")), message.cause.split("：", 1)[0], hint
        if message.kind == "overwrite_edited":  # one cause, whoever edited their report
            return ("overwrite_edited",), "报告在生成后被手工修改过，未覆盖，新版本另存为“…（新版）.docx”", hint
    text = worded(message, shell)
    return ("text", text), text, ""


def grouped_problems(batch: BatchResult, shell: str) -> list[Problem]:
    """The batch's errors, then its warnings, one ``Problem`` per cause in first-seen order."""
    errors: dict[Any, Problem] = {}
    warnings: dict[Any, Problem] = {}
    for report in batch.reports:  # one pass; a person's messages are seen together, so a repeat is the last one
        person = (report.row, report.name)
        for level, found, messages in (("错误", errors, report.errors), ("警告", warnings, report.warnings)):
            for message in messages:
                key, text, hint = _cause(message, shell)
                problem = found.setdefault(key, Problem(level, text, hint))
                if not problem.people or problem.people[-1] != person:
                    problem.people.append(person)
    for warning in batch.warnings:
        warnings.setdefault(("batch", warning), Problem("警告", worded(warning, shell)))
    return [*errors.values(), *warnings.values()]


def problem_lines(batch: BatchResult, people_name: str, shell: str) -> list[str]:
    """Every message, one per person and line, as the CLI prints them but with the people file's
    name only (the full list the dialog writes beside the reports)."""
    lines = [f"警告：{worded(warning, shell)}" for warning in batch.warnings]
    for report in batch.reports:
        for level, messages in (("警告", report.warnings), ("错误", report.errors)):
            lines += [f"{level}：{people_name}:第{report.row}行: {report.name}：{worded(message, shell)}"
                      for message in messages]
    return lines
