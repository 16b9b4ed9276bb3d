"""Stage two: each person planned — values typed, ``when`` decided, what is missing named, variants dealt.

A plan says what one person's report contains (and what it still lacks) before anything is rendered;
``find_person`` and the extension's preview use the same plans as a batch, so they agree with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from ..errors import InputError
from ..hints import Hinted
from ..library.similarity import no_own_figures
from ..load.people import (
    HeaderMap,
    PeopleStream,
    PeopleTable,
    PersonRow,
    match_headers,
    open_people,
    parse_assignments,
    read_people,
    read_vars_file,
    type_values,
)
from ..load.selection import apply_overrides
from ..load.values import VarSpec, convert
from ..output import safe_filename
from ..template.environment import render_text, shared_env
from ..template.needs import body_variables, condition_variables
from .body_checks import empty_body_error
from .project import Project
from .variants import Dealt, VariantDealer


@lru_cache(maxsize=256)
def _compiled_when(expression: str) -> Any:
    return shared_env().compile_expression(expression, undefined_to_none=False)


def type_common(values: Mapping[str, Any], specs: Mapping[str, VarSpec], *, source: str) -> dict[str, Any]:
    """``--set`` / ``--vars`` values, typed like a column of the people file (by name or label)."""
    by_label = {spec.label: name for name, spec in specs.items() if spec.label}
    typed: dict[str, Any] = {}
    for key, value in values.items():
        name = key if key in specs else by_label.get(key, key)
        spec = specs.get(name)
        if spec is None:
            typed[name] = value
            continue
        try:
            typed[name] = convert(value, spec)
        except ValueError as exc:
            raise InputError(f"{key} 的值有误：{exc}", file=source) from None
    return typed


def common_values(assignments: Iterable[str] = (), vars_file: Path | None = None) -> dict[str, Any]:
    """Raw values shared by everyone: ``--vars FILE`` first, ``--set`` on top."""
    merged: dict[str, Any] = {}
    if vars_file is not None:
        merged.update(read_vars_file(Path(vars_file)))
    merged.update(parse_assignments(list(assignments)))
    return merged


@dataclass
class PersonPlan:
    row: int
    name: str
    context: dict[str, Any]
    selection: frozenset[str]
    included: list[str]
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    output_stem: str | None = None
    variants: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def person_name(context: Mapping[str, Any], row: int) -> str:
    for key in ("name", "姓名"):
        value = context.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return f"第{row}行"


def _missing_message(project: Project, name: str, needed_by: str) -> str:
    spec = project.specs.get(name)
    shown = f"“{spec.label}”（{name}）" if spec and spec.label else f"“{name}”"
    return Hinted(f"缺少{shown}的值：{needed_by} 需要它", "set_value", name=name)


def plan_person(project: Project, row: int, values: Mapping[str, Any], overrides: Iterable[str],
                common: Mapping[str, Any], *, warnings: Iterable[str] = (), errors: Iterable[str] = (),
                invalid: Iterable[str] = ()) -> PersonPlan:
    """Decide what one person's report contains, and what it still lacks (``invalid``: names whose
    value was refused while typing; already an error, so not reported missing as well)."""
    context: dict[str, Any] = {
        name: spec.default for name, spec in project.specs.items() if spec.default is not None
    }
    for name, spec in project.specs.items():
        if spec.default is not None:
            try:
                context[name] = convert(spec.default, spec)
            except ValueError:
                pass
    context.update(common)
    context.update(values)
    plan = PersonPlan(row=row, name=person_name(context, row), context=context, selection=frozenset(),
                      included=[], warnings=list(warnings), errors=list(errors))
    selection, unknown = apply_overrides(project.selection, overrides, project.rules.entry_ids())
    for snippet_id in unknown:
        plan.errors.append(f"选稿列中的“{snippet_id}”不是规则中的片段 id，请检查拼写")
    plan.selection = selection
    missing: dict[str, str] = {}
    for name in sorted(project.rules.report_level_variables()):
        if name not in context:
            missing.setdefault(name, "报告标题、署名或文件名")
    for entry in project.entries():
        if entry.id not in selection:
            continue
        if entry.when:
            lacking = [name for name in sorted(condition_variables(entry)) if name not in context]
            for name in lacking:
                missing.setdefault(name, f"片段 {entry.id} 的条件“{entry.when}”")
            if lacking:
                continue
            try:
                keep = bool(_compiled_when(entry.when)(**context))
            except TemplateError as exc:
                plan.errors.append(f"片段 {entry.id} 的条件“{entry.when}”无法计算：{exc}")
                continue
            except (TypeError, ValueError, ArithmeticError) as exc:
                plan.errors.append(f"片段 {entry.id} 的条件“{entry.when}”无法计算（{exc}），请检查相关的值")
                continue
            if not keep:
                continue
        snippet = project.library[entry.id]
        for name in sorted(body_variables(snippet)):
            if name not in context:
                missing.setdefault(name, f"片段 {entry.id}")
        plan.included.append(entry.id)
    refused = set(invalid)
    for name, needed_by in missing.items():
        if name not in refused:
            plan.errors.append(_missing_message(project, name, needed_by))
    empty = empty_body_error(plan)
    if empty:
        plan.errors.append(empty)
    if not plan.errors:
        try:
            plan.output_stem = safe_filename(render_text(project.rules.output_name, context))
        except TemplateError as exc:
            plan.errors.append(f"无法生成文件名（output_name）：{exc}")
    return plan


@dataclass
class People:
    """A people file matched against the project's variables: every row read
    (``load_people``), or rows read one at a time (``stream_people``, for a batch)."""

    table: PeopleTable | PeopleStream
    header_map: HeaderMap
    warnings: list[str]


def _matched(project: Project, table: PeopleTable | PeopleStream, path: Path) -> People:
    hmap = match_headers(table.headers, project.specs, file=path)
    warnings = []
    if hmap.unknown:
        warnings.append(f"人员表 {path} 中这些列没有对应的变量，已忽略：{'、'.join(hmap.unknown)}")
    return People(table=table, header_map=hmap, warnings=warnings)


def load_people(project: Project, path: Path, sheet: str | None = None) -> People:
    return _matched(project, read_people(Path(path), sheet), path)


def stream_people(project: Project, path: Path, sheet: str | None = None) -> People:
    """The header row read and matched now; the rows as they are taken (once)."""
    return _matched(project, open_people(Path(path), sheet), path)


def plan_row(project: Project, people: People, row: PersonRow, common: Mapping[str, Any]) -> PersonPlan:
    """One row of the people file typed and planned (variants are dealt over the batch afterwards)."""
    typed = type_values(row, people.header_map, project.specs, file=people.table.path)
    plan = plan_person(project, row.row, typed.values, typed.overrides, common,
                       warnings=typed.warnings, errors=typed.errors, invalid=typed.invalid)
    if plan.ok:
        figures: set[str] = set()
        for snippet_id in plan.included:
            figures |= body_variables(project.library[snippet_id])
        warning = no_own_figures(plan.context, project.specs, figures, own=typed.values)
        if warning:
            plan.warnings.append(warning)
    return plan


def plan_people(project: Project, people: People, common: Mapping[str, Any],
                variant: int | None = None) -> list[PersonPlan]:
    """Plan every row of the people file; variants are spread over the whole batch."""
    plans = [plan_row(project, people, row, common) for row in people.table.rows]
    assign_variants(project, plans, variant)
    return plans


def variant_dealer(project: Project, pin: int | None = None) -> VariantDealer:
    """A dealer for the project's snippets that have variants (see ``variants``)."""
    counts = [(entry.id, 1 + len(project.library[entry.id].variants)) for entry in project.entries()]
    return VariantDealer(counts, pin)


def assign_variants(project: Project, plans: list[PersonPlan], pin: int | None = None) -> None:
    """Deal variants over plans held in memory: sets ``variants`` and the context's ``variants``."""
    dealer = variant_dealer(project, pin)
    for plan in plans:
        dealer.add(plan.name, plan.row, plan.included)
    dealer.deal()
    for index, plan in enumerate(plans):
        give_variants(plan, dealer.chosen(index))


def give_variants(plan: PersonPlan, chosen: Dealt) -> None:
    """The bodies dealt to a person, where the plan's readers and the template look for them."""
    plan.variants = dict(chosen)
    plan.context["variants"] = dict(chosen)


def find_person(project: Project, people: People, common: Mapping[str, Any], who: str,
                variant: int | None = None) -> PersonPlan:
    """The person a preview is about: by name, or by row number."""
    plans = plan_people(project, people, common, variant)
    matches = [plan for plan in plans if str(plan.row) == who] or [plan for plan in plans if plan.name == who]
    if not matches:
        names = "、".join(plan.name for plan in plans[:20])
        rows = f"，或行号 {plans[0].row}–{plans[-1].row}" if plans else ""
        raise InputError(f"人员表中没有“{who}”；请写姓名{rows}。可选：{names}", file=people.table.path)
    if len(matches) > 1:
        shown = "、".join(f"第{plan.row}行" for plan in matches)
        choices = " 或 ".join(f"--person {plan.row}" for plan in matches)
        raise InputError(f"人员表中有 {len(matches)} 个“{who}”（{shown}）；请用行号指明是哪一位：{choices}",
                         file=people.table.path)
    return matches[0]

