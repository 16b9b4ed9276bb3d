"""Stage one: the rules side loaded and checked once per batch (rules, library, checklist, variables).

Every mistake in these files surfaces here as an ``InputError``, before any person is read.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..load.rules import Entry, Rules, load_rules
from ..load.selection import Checklist, read_checklist
from ..load.snippets import Library, load_library
from ..load.values import VarSpec
from ..load.variables import collect_specs
from ..ooxml.core_properties import build_time
from ..style import StyleSettings
from ..style.report import project_style
from .assemble import assemble_template
from .render import PreparedTemplate


@dataclass
class Project:
    """Everything loaded from the rules side: decided once per batch."""

    rules: Rules
    library: Library
    checklist: Checklist | None
    specs: dict[str, VarSpec]
    declared_by: dict[str, list[str]]
    base_template: bytes
    style: StyleSettings = field(default_factory=StyleSettings)  # house style checks on each report
    _templates: dict[frozenset[str], PreparedTemplate] = field(default_factory=dict)
    created: _dt.datetime = field(default_factory=build_time)  # every report's created/modified

    @property
    def selection(self) -> frozenset[str]:
        """The checklist's ticks, or every snippet of the rules when there is no checklist."""
        if self.checklist is not None:
            return self.checklist.ticked
        return frozenset(self.rules.entry_ids())

    def template_bytes(self, selection: Iterable[str] | None = None) -> bytes:
        chosen = frozenset(self.selection if selection is None else selection)
        return assemble_template(self.rules, self.library, chosen, self.base_template, created=self.created)

    def prepared(self, selection: frozenset[str]) -> PreparedTemplate:
        """One prepared template per distinct selection: overrides are rare, so few are built."""
        if selection not in self._templates:
            self._templates[selection] = PreparedTemplate(self.template_bytes(selection), name="assembled.docx")
        return self._templates[selection]

    def entries(self) -> list[Entry]:
        return list(self.rules.entries())


def default_base_template() -> bytes:
    from ..ooxml.base_template import base_template_bytes

    return base_template_bytes()


def load_project(rules_path: Path, checklist_path: Path | None = None) -> Project:
    """The rules, their library and the checklist, once every configuration error has been
    listed at once (``config_check``: lint's collector) if there is any."""
    from .config_check import check_project

    check_project(Path(rules_path), Path(checklist_path) if checklist_path else None)
    rules = load_rules(Path(rules_path))
    library = load_library(rules.library)
    for entry in rules.entries():
        if entry.id not in library:
            raise InputError(
                f"片段“{entry.id}”在片段库 {rules.library} 中不存在；请检查拼写，或先添加该片段文件",
                file=rules.path,
                line=entry.line,
            )
    specs, declared_by = collect_specs(rules, library)
    checklist = read_checklist(Path(checklist_path), rules) if checklist_path else None
    if rules.base_template is not None:
        base = rules.base_template.read_bytes()
    else:
        base = default_base_template()
    return Project(rules=rules, library=library, checklist=checklist, specs=specs,
                   declared_by=declared_by, base_template=base, style=project_style(rules.style, rules.path))
