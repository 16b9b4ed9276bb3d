"""What variables a selection needs, and the empty people workbook for staff to fill."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..load.rules import Entry, Rules, load_rules
from ..load.snippets import Library, load_library
from ..load.values import VarSpec
from ..load.variables import collect_specs
from ..output import atomic_write
from ..template.needs import selection_needs

TYPE_HINTS = {
    "text": "文本",
    "int": "整数，如 12",
    "number": "数字，如 12.5",
    "date": "日期，如 2022-03-01 或 2022年3月1日",
    "list": "列表，用顿号分隔，如 党建、驻村帮扶",
    "bool": "是/否",
}


class Selection(Protocol):
    """What ``needed_variables`` reads: a loaded project (``build.project.Project``) or ``Selected``."""

    @property
    def rules(self) -> Rules: ...
    @property
    def library(self) -> Library: ...
    @property
    def specs(self) -> Mapping[str, VarSpec]: ...
    @property
    def selection(self) -> frozenset[str]: ...
    def entries(self) -> list[Entry]: ...


@dataclass
class Selected:
    """Every snippet of a rules file with its declared variables: a new library's starting selection."""

    rules: Rules
    library: Library
    specs: Mapping[str, VarSpec]

    @classmethod
    def load(cls, rules_path: Path) -> Selected:
        rules = load_rules(rules_path)
        library = load_library(rules.library)
        specs, _ = collect_specs(rules, library)
        return cls(rules, library, specs)

    @property
    def selection(self) -> frozenset[str]:
        return frozenset(self.rules.entry_ids())

    def entries(self) -> list[Entry]:
        return list(self.rules.entries())


@dataclass
class NeededVariable:
    name: str
    spec: VarSpec
    used_by: list[str] = field(default_factory=list)


def needed_variables(project: Selection) -> list[NeededVariable]:
    """Variables the selected snippets, their conditions and the rules' own lines read, in order."""
    found: dict[str, NeededVariable] = {}

    def need(name: str, by: str) -> None:
        spec = project.specs.get(name) or VarSpec(name=name)
        item = found.setdefault(name, NeededVariable(name=name, spec=spec))
        if by not in item.used_by:
            item.used_by.append(by)

    for name, by in selection_needs(project.rules, project.library, project.selection):
        need(name, by)
    return list(found.values())


def write_people_workbook(path: Path, needed: list[NeededVariable]) -> None:
    import io

    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "人员"
    headers = [item.spec.label or item.name for item in needed] + ["选稿"]
    sheet.append(headers)
    for column, item in enumerate(needed, start=1):
        cell = sheet.cell(row=1, column=column)
        hint = TYPE_HINTS.get(item.spec.type, item.spec.type)
        example = f"；示例：{item.spec.example}" if item.spec.example is not None else ""
        cell.comment = Comment(f"变量 {item.name}：{hint}{example}；用于 {'、'.join(item.used_by)}", "assembler")
    last = sheet.cell(row=1, column=len(headers))
    last.comment = Comment("可选：按人调整片段，如 +duties.grid -theory.practice", "assembler")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(10, len(str(cell.value)) * 2 + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write(path, buffer.getvalue())
