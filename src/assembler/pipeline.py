"""The library API that the CLI and the LibreOffice extension both call.

load (rules, library, checklist, people) → plan each person (selection, ``when``,
missing values) → assemble one template per distinct selection → render → write.
Every user mistake surfaces as an ``AssemblerError`` before anything is written;
a problem with one person is recorded for that person and the batch goes on.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from . import __version__
from .assemble import assemble_template
from .batch import RenderJob, render_jobs
from .environment import expression_variables, render_text, shared_env, template_variables, text_template
from .errors import EXIT_OK, EXIT_PARTIAL, InputError
from .output import NameAllocator, atomic_write, remove_stale_temps, safe_filename, write_manifest
from .people import (
    HeaderMap,
    PeopleTable,
    match_headers,
    parse_assignments,
    plain_values,
    read_people,
    read_vars_file,
    type_values,
)
from .provenance import BatchProvenance, Stamper
from .render import PreparedTemplate
from .rules import RESERVED_NAMES, Entry, Rules, load_rules
from .selection import Checklist, apply_overrides, read_checklist
from .similarity import (
    SKIPPED_STYLES,
    ReportText,
    SimilarPair,
    compare,
    count_chars,
    no_own_figures,
    report_text,
)
from .snippets import Library, Snippet, load_library
from .text import docx_paragraphs, docx_text
from .values import VarSpec, convert, is_blank

Progress = Callable[[int, int], None]

#: Reports at least this alike (0–1, see ``similarity``) are warned about after a build,
#: unless the rules (``similarity_threshold``) or the caller say otherwise.
SIMILARITY_THRESHOLD = 0.8
#: Similar pairs spelled out among the batch warnings; manifest.json keeps up to ``MANIFEST_PAIRS``.
WARNED_PAIRS = 20
MANIFEST_PAIRS = 1000


# ---------------------------------------------------------------- project


@dataclass
class Project:
    """Everything loaded from the rules side: decided once per batch."""

    rules: Rules
    library: Library
    checklist: Checklist | None
    specs: dict[str, VarSpec]
    declared_by: dict[str, list[str]]
    base_template: bytes
    _templates: dict[frozenset[str], PreparedTemplate] = field(default_factory=dict)

    @property
    def selection(self) -> frozenset[str]:
        """The checklist's ticks, or every snippet of the rules when there is no checklist."""
        if self.checklist is not None:
            return self.checklist.ticked
        return frozenset(self.rules.entry_ids())

    def template_bytes(self, selection: Iterable[str] | None = None) -> bytes:
        chosen = frozenset(self.selection if selection is None else selection)
        return assemble_template(self.rules, self.library, chosen, self.base_template)

    def prepared(self, selection: frozenset[str]) -> PreparedTemplate:
        """One prepared template per distinct selection: overrides are rare, so few are built."""
        if selection not in self._templates:
            self._templates[selection] = PreparedTemplate(self.template_bytes(selection), name="assembled.docx")
        return self._templates[selection]

    def entries(self) -> list[Entry]:
        return list(self.rules.entries())


def default_base_template() -> bytes:
    from .ooxml.base_template import base_template_bytes

    return base_template_bytes()


def _collect_specs(rules: Rules, library: Library) -> tuple[dict[str, VarSpec], dict[str, list[str]]]:
    """All declared variables; one name must mean one thing across the library."""
    specs: dict[str, VarSpec] = dict(rules.variables)
    declared_by: dict[str, list[str]] = {name: ["规则文件"] for name in rules.variables}
    for name in rules.variables:
        if name in RESERVED_NAMES:
            raise InputError(f"变量名 {name} 是保留字，请换一个名字", file=rules.path)
    for entry in rules.entries():
        snippet = library[entry.id]
        for name, spec in snippet.variables.items():
            if name in RESERVED_NAMES:
                raise InputError(f"变量名 {name} 是保留字，请换一个名字", file=snippet.path,
                                 line=snippet.lines.get("variables", 2))
            if name in specs and (specs[name].type != spec.type):
                raise InputError(
                    f"变量 {name} 在 {'、'.join(declared_by[name])} 中的类型是 {specs[name].type}，"
                    f"在这里却是 {spec.type}；同名变量必须声明为同一类型",
                    file=snippet.path,
                    line=snippet.lines.get("variables", 2),
                )
            if name not in specs or (not specs[name].label and spec.label):
                specs[name] = spec
            declared_by.setdefault(name, []).append(snippet.id)
    labels: dict[str, str] = {}
    for name, spec in specs.items():
        if spec.label:
            if spec.label in labels and labels[spec.label] != name:
                raise InputError(
                    f"标签“{spec.label}”同时用于变量 {labels[spec.label]} 和 {name}，人员表的列名会混淆；"
                    "请改用不同的 label",
                    file=rules.path,
                )
            labels[spec.label] = name
    return specs, declared_by


def load_project(rules_path: Path, checklist_path: Path | None = None) -> Project:
    rules = load_rules(Path(rules_path))
    library = load_library(rules.library)
    for entry in rules.entries():
        if entry.id not in library:
            raise InputError(
                f"片段“{entry.id}”在片段库 {rules.library} 中不存在；请检查拼写，或先添加该片段文件",
                file=rules.path,
                line=entry.line,
            )
    specs, declared_by = _collect_specs(rules, library)
    checklist = read_checklist(Path(checklist_path), rules) if checklist_path else None
    if rules.base_template is not None:
        base = rules.base_template.read_bytes()
    else:
        base = default_base_template()
    return Project(rules=rules, library=library, checklist=checklist, specs=specs,
                   declared_by=declared_by, base_template=base)


# ---------------------------------------------------------------- people


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
    return f"缺少{shown}的值：{needed_by}需要它；请在人员表中填写这一列，或用 --set {name}=… 统一给出"


def plan_person(project: Project, row: int, values: Mapping[str, Any], overrides: Iterable[str],
                common: Mapping[str, Any], *, warnings: Iterable[str] = (), errors: Iterable[str] = ()) -> PersonPlan:
    """Decide what one person's report contains, and what it still lacks."""
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
            lacking = [name for name in sorted(expression_variables(entry.when)) if name not in context]
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
        for name in sorted(_body_variables(snippet)):
            if name not in context:
                missing.setdefault(name, f"片段 {entry.id}")
        plan.included.append(entry.id)
    for name, needed_by in missing.items():
        plan.errors.append(_missing_message(project, name, needed_by))
    if not plan.errors:
        try:
            plan.output_stem = safe_filename(render_text(project.rules.output_name, context))
        except TemplateError as exc:
            plan.errors.append(f"无法生成文件名（output_name）：{exc}")
    return plan


def _body_variables(snippet: Snippet) -> set[str]:
    return set(_source_variables(snippet.body))


@lru_cache(maxsize=4096)
def _source_variables(source: str) -> frozenset[str]:
    """Parsed once per snippet body, not once per person and snippet."""
    return frozenset(template_variables(source))


@dataclass
class People:
    """A people file read and matched against the project's variables."""

    table: PeopleTable
    header_map: HeaderMap
    warnings: list[str]


def load_people(project: Project, path: Path, sheet: str | None = None) -> People:
    table = read_people(Path(path), sheet)
    hmap = match_headers(table.headers, project.specs, file=path)
    warnings = []
    if hmap.unknown:
        warnings.append(f"人员表 {path} 中这些列没有对应的变量，已忽略：{'、'.join(hmap.unknown)}")
    return People(table=table, header_map=hmap, warnings=warnings)


def plan_people(project: Project, people: People, common: Mapping[str, Any],
                variant: int | None = None) -> list[PersonPlan]:
    """Plan every row of the people file; variants are spread over the whole batch."""
    plans = []
    for row in people.table.rows:
        typed = type_values(row, people.header_map, project.specs, file=people.table.path)
        plan = plan_person(project, row.row, typed.values, typed.overrides, common,
                           warnings=typed.warnings, errors=typed.errors)
        if plan.ok:
            figures: set[str] = set()
            for snippet_id in plan.included:
                figures |= _body_variables(project.library[snippet_id])
            warning = no_own_figures(plan.context, project.specs, figures, own=typed.values)
            if warning:
                plan.warnings.append(warning)
        plans.append(plan)
    assign_variants(project, plans, variant)
    return plans


def assign_variants(project: Project, plans: list[PersonPlan], pin: int | None = None) -> None:
    """Give each person one body of every snippet that has variants.

    The choice depends only on the person's name and the snippet (stable from run
    to run); within a batch people are dealt the variants in turn, in that hashed
    order, so colleagues get different texts wherever the library offers them.
    ``pin`` (``--variant N``) gives everyone body N.
    """
    for plan in plans:
        plan.context["variants"] = {}
    for entry in project.entries():
        snippet = project.library[entry.id]
        count = 1 + len(snippet.variants)
        if count == 1:
            continue
        holders = [plan for plan in plans if entry.id in plan.included]
        holders.sort(key=lambda plan: (hashlib.sha256(f"{entry.id}\0{plan.name}".encode()).hexdigest(), plan.row))
        for index, plan in enumerate(holders):
            choice = min(max(pin, 1), count) if pin else index % count + 1
            plan.context["variants"][entry.id] = choice
            plan.variants[entry.id] = choice


# ---------------------------------------------------------------- batches


@dataclass
class ReportResult:
    row: int
    name: str
    status: str  # written | skipped | failed
    file: Path | None = None
    pdf: Path | None = None
    snippets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    variants: dict[str, int] = field(default_factory=dict)
    provenance: dict[str, Any] | None = None  # library commit and snippet hashes (build only)
    chars: int | None = None  # Chinese characters in the body (build only), see similarity.count_chars

    def to_json(self, outdir: Path) -> dict[str, Any]:
        data = {
            "row": self.row,
            "name": self.name,
            "status": self.status,
            "file": self.file.name if self.file else None,
            "pdf": self.pdf.name if self.pdf else None,
            "snippets": self.snippets,
            "variants": self.variants,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        if self.chars is not None:
            data["chars"] = self.chars
        if self.provenance is not None:
            data["provenance"] = self.provenance
        return data


@dataclass
class BatchResult:
    outdir: Path
    reports: list[ReportResult]
    warnings: list[str]
    manifest: Path | None = None
    similar: list[SimilarPair] | None = None  # None: not compared
    similarity_threshold: float | None = None
    max_chars: int | None = None

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.reports if r.status == "failed"]

    @property
    def written(self) -> list[ReportResult]:
        return [r for r in self.reports if r.status == "written"]

    @property
    def skipped(self) -> list[ReportResult]:
        return [r for r in self.reports if r.status == "skipped"]

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.failed else EXIT_OK


def build(
    project: Project,
    people_path: Path,
    outdir: Path,
    *,
    sheet: str | None = None,
    common: Mapping[str, Any] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    only: Callable[[PersonPlan], bool] | None = None,
    variant: int | None = None,
    jobs: int | None = None,
    similarity_threshold: float | None = None,
    check_similarity: bool = True,
) -> BatchResult:
    """Build every person's report into ``outdir``; see the module docstring for the guarantees.

    Each report is stamped with its provenance and measured in its worker
    (``stamp_and_read``), and the batch is compared for near copies
    (``similarity_threshold``: the rules' ``similarity_threshold``, else 0.8).
    """
    people = load_people(project, people_path, sheet)
    typed_common = type_common(common or {}, project.specs, source="--set/--vars")
    plans = [plan for plan in plan_people(project, people, typed_common, variant) if only is None or only(plan)]
    names = NameAllocator()
    targets: dict[int, Path] = {}
    for plan in plans:
        if plan.ok and plan.output_stem:
            targets[id(plan)] = outdir / names.allocate(plan.output_stem, ".docx")
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(outdir)
    results: dict[int, ReportResult] = {}
    queue: list[RenderJob] = []
    provenance = BatchProvenance.for_library(project.library, project.rules.entry_ids(), rules=project.rules.path)
    measured: dict[int, tuple[ReportText | None, str | None]] = {}
    texts: dict[int, ReportText] = {}
    for plan in plans:
        result = ReportResult(row=plan.row, name=plan.name, status="failed", snippets=list(plan.included),
                              warnings=list(plan.warnings), errors=list(plan.errors), variants=dict(plan.variants))
        results[id(plan)] = result
        target = targets.get(id(plan))
        if not plan.ok or target is None:
            continue
        result.file = target
        if target.exists() and not force:
            result.status = "skipped"
            result.warnings.append(f"{target.name} 已存在，未覆盖（加 --force 可覆盖）")
            continue
        result.provenance = provenance.entry(plan.included, plan.variants)
        queue.append(RenderJob(key=plan.selection, context=plan.context, target=target, tag=id(plan),
                               extra=provenance.properties(plan.included, plan.variants)))
    total = len(queue)
    outcomes = render_jobs(project.prepared, queue, workers=jobs, after=stamp_and_read)
    for done, outcome in enumerate(outcomes, start=1):
        result = results[outcome.job.tag]
        if outcome.error:
            result.errors.append(outcome.error)
            result.provenance = None
        else:
            result.status = "written"
            measured[id(result)] = outcome.value
        if progress:
            progress(done, total)
    reports = [results[id(plan)] for plan in plans]
    batch = BatchResult(outdir=outdir, reports=reports, warnings=list(people.warnings),
                        max_chars=project.rules.max_chars)
    # every report of the batch, written now (measured in its worker) or before (skipped, read here),
    # for its length and for the comparison
    finished = [results[id(plan)] for plan in plans
                if results[id(plan)].status in ("written", "skipped") and results[id(plan)].file is not None]
    skipped = [result for result in finished if id(result) not in measured]
    read = read_reports([result.file for result in skipped], jobs=jobs)  # type: ignore[misc]
    measured.update((id(result), done) for result, done in zip(skipped, read, strict=True))
    for result in finished:
        text, problem = measured[id(result)]
        if problem:
            result.warnings.append(problem)
        if text is None:
            continue
        texts[id(result)] = text
        result.chars = text.chars
        warning = length_warning(text.chars, project.rules.max_chars)
        if warning:
            result.warnings.append(warning)
    if check_similarity:
        threshold = similarity_threshold if similarity_threshold is not None else rules_threshold(project.rules)
        compare_batch(batch, {result.file.name: texts[id(result)] for result in finished  # type: ignore[union-attr]
                              if id(result) in texts}, threshold)
    batch.manifest = write_manifest(outdir, manifest_data(batch, project=project, people=people_path))
    return batch


def rules_threshold(rules: Rules) -> float:
    """The rules' ``similarity_threshold``, else the default."""
    return rules.similarity_threshold if rules.similarity_threshold is not None else SIMILARITY_THRESHOLD


#: Skipped reports read in one process below this many; above, in worker processes (fork).
PARALLEL_READ_FROM = 40
_STAMPER = Stamper()


def stamp_and_read(data: bytes, props: Mapping[str, str]) -> tuple[bytes, tuple[ReportText | None, str | None]]:
    """``render_jobs``' ``after`` hook: where the report was rendered, before its one write,
    stamp its provenance and take its text (no second read, write and fsync per report)."""
    problem = None
    try:
        data = _STAMPER.stamp(data, props)
    except InputError as exc:
        problem = f"报告已生成，但未能写入来源信息（{exc.message}）"
    try:
        return data, (report_text(data), problem)
    except InputError:
        return data, (None, problem)


def read_reports(paths: list[Path], *, jobs: int | None = None) -> list[tuple[ReportText | None, str | None]]:
    """The text of reports a build left as they were (skipped), for the length and the comparison.

    Reports written by the build are measured in the worker before their one write
    (``stamp_and_read``); only these are read back, over every core when there are many.
    Returns, per report, its text (``None`` when unreadable) and a warning (``None`` when all went well).
    """
    import multiprocessing
    import os

    workers = (os.cpu_count() or 1) if jobs is None else jobs
    if workers > 1 and len(paths) >= PARALLEL_READ_FROM and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor

        try:
            with ProcessPoolExecutor(min(workers, 8), mp_context=multiprocessing.get_context("fork")) as pool:
                return list(pool.map(_read_report, paths, chunksize=max(1, len(paths) // (workers * 4))))
        except (OSError, RuntimeError):
            pass
    return [_read_report(path) for path in paths]


def _read_report(path: Path) -> tuple[ReportText | None, str | None]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"无法读取已生成的 {path.name}（{exc.strerror or exc}）"
    try:
        return report_text(data, file=str(path)), None
    except InputError:
        return None, None


def length_warning(chars: int, limit: int | None) -> str | None:
    if limit is None or chars <= limit:
        return None
    return (f"报告正文 {chars} 字，超过规则文件 max_chars 规定的 {limit} 字（多 {chars - limit} 字）；"
            "请在选稿清单中去掉一些片段，或精简片段文字")


def compare_batch(batch: BatchResult, texts: Mapping[str, ReportText], threshold: float) -> None:
    """Warn about every pair of the batch's reports at least ``threshold`` alike (highest first)."""
    pairs = compare({name: text.body for name, text in texts.items()}, threshold=threshold)
    batch.similar = pairs
    batch.similarity_threshold = threshold
    for pair in pairs[:WARNED_PAIRS]:
        shared = f"；共同段落如“{_shorten(pair.shared[0])}”" if pair.shared else ""
        batch.warnings.append(
            f"{pair.a} 与 {pair.b} 的正文相似度为 {pair.score:.2f}（不低于 {threshold:.2f}）{shared}。"
            "请换用不同的片段或备选正文（variants），并写入本人的实际工作和数字"
        )
    if len(pairs) > WARNED_PAIRS:
        batch.warnings.append(f"另有 {len(pairs) - WARNED_PAIRS} 对报告的相似度不低于 {threshold:.2f}，"
                              f"见 manifest.json 中的 similar，或运行 assembler similar {batch.outdir}")


def _shorten(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"


def manifest_data(batch: BatchResult, *, project: Project | None = None, people: Path | None = None,
                  template: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tool": "assembler",
        "version": __version__,
        "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "people": str(people) if people else None,
        "warnings": batch.warnings,
        "summary": {"written": len(batch.written), "skipped": len(batch.skipped), "failed": len(batch.failed)},
        "reports": [report.to_json(batch.outdir) for report in batch.reports],
    }
    if project is not None:
        data["rules"] = str(project.rules.path)
        data["checklist"] = str(project.checklist.path) if project.checklist else None
    if batch.max_chars is not None:
        data["max_chars"] = batch.max_chars
    if batch.similar is not None:
        data["similarity_threshold"] = batch.similarity_threshold
        data["similar_pairs"] = len(batch.similar)
        data["similar"] = [{"a": pair.a, "b": pair.b, "score": pair.score, "containment": pair.containment,
                            "shared": pair.shared} for pair in batch.similar[:MANIFEST_PAIRS]]
    if template is not None:
        data["template"] = str(template)
    return data


def find_person(project: Project, people: People, common: Mapping[str, Any], who: str,
                variant: int | None = None) -> PersonPlan:
    """The person a preview is about: by name, or by row number."""
    plans = plan_people(project, people, common, variant)
    matches = [plan for plan in plans if plan.name == who or str(plan.row) == who]
    if not matches:
        names = "、".join(plan.name for plan in plans[:20])
        rows = f"，或行号 {plans[0].row}–{plans[-1].row}" if plans else ""
        raise InputError(f"人员表中没有“{who}”；请写姓名{rows}。可选：{names}", file=people.table.path)
    return matches[0]


def preview_text(project: Project, plan: PersonPlan) -> str:
    if not plan.ok:
        raise InputError("；".join(plan.errors), file=None, row=plan.row)
    data = project.prepared(plan.selection).render(plan.context)
    return docx_text(data)


@dataclass
class Preview:
    text: str
    chars: int  # as ``similarity.count_chars`` counts, body only
    warning: str | None  # beyond the rules' max_chars


def preview(project: Project, plan: PersonPlan) -> Preview:
    """One person's report as plain text, with its length against the rules' ``max_chars``."""
    if not plan.ok:
        raise InputError("；".join(plan.errors), file=None, row=plan.row)
    data = project.prepared(plan.selection).render(plan.context)
    paragraphs = docx_paragraphs(data)
    chars = sum(count_chars(p.text) for p in paragraphs if p.style not in SKIPPED_STYLES)
    return Preview("\n".join(p.full for p in paragraphs), chars, length_warning(chars, project.rules.max_chars))


def render_person(project: Project, plan: PersonPlan) -> bytes:
    return project.prepared(plan.selection).render(plan.context)


# ---------------------------------------------------------------- plain docxtpl templates


def render_plain(
    template_path: Path,
    people_path: Path,
    outdir: Path,
    *,
    sheet: str | None = None,
    common: Mapping[str, Any] | None = None,
    name_pattern: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> BatchResult:
    """Any docxtpl template, one document per person; values pass through untyped."""
    template_path = Path(template_path)
    try:
        data = template_path.read_bytes()
    except OSError:
        raise InputError("模板文件不存在或无法读取", file=template_path) from None
    from .ooxml.package import read_parts

    read_parts(data, file=str(template_path))
    prepared = PreparedTemplate(data, name=str(template_path))
    table = read_people(Path(people_path), sheet)
    if name_pattern:
        try:
            text_template(name_pattern)  # refused here, before any file, not per person
        except TemplateError as exc:
            raise InputError(f"--name 的写法有误：{exc}") from None
    names = NameAllocator()
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(outdir)
    reports: list[ReportResult] = []
    queue: list[RenderJob] = []
    for row in table.rows:
        context = dict(common or {})
        context.update(plain_values(row))
        result = ReportResult(row=row.row, name=person_name(context, row.row), status="failed")
        reports.append(result)
        try:
            stem = render_text(name_pattern, context) if name_pattern else str(row.row)
        except TemplateError as exc:
            result.errors.append(f"无法按 --name 生成文件名：{exc}")
            continue
        target = outdir / names.allocate(safe_filename(stem), ".docx")
        result.file = target
        if target.exists() and not force:
            result.status = "skipped"
            result.warnings.append(f"{target.name} 已存在，未覆盖（加 --force 可覆盖）")
            continue
        queue.append(RenderJob(key=None, context=context, target=target, tag=len(reports) - 1))
    for done, outcome in enumerate(render_jobs(lambda _key: prepared, queue, workers=jobs), start=1):
        result = reports[outcome.job.tag]
        if outcome.error:
            result.errors.append(outcome.error)
        else:
            result.status = "written"
        if progress:
            progress(done, len(queue))
    batch = BatchResult(outdir=outdir, reports=reports, warnings=[])
    batch.manifest = write_manifest(outdir, manifest_data(batch, people=people_path, template=template_path))
    return batch


def missing_for_blank(values: Mapping[str, Any]) -> list[str]:
    return [key for key, value in values.items() if is_blank(value)]


# ---------------------------------------------------------------- PDF (through LibreOffice)


def check_office() -> None:
    """Fail before anything is written when PDF output is asked for but LibreOffice is missing."""
    from .office import require_office

    require_office()


#: Sources → per source (the PDF, or None and why): the office pool by default, the running office in Writer.
PdfConverter = Callable[[list[Path]], list[tuple[Path | None, str | None]]]


def add_pdfs(batch: BatchResult, *, jobs: int | None = None, timeout: float = 60.0,
             progress: Progress | None = None, project: Project | None = None, people: Path | None = None,
             convert: PdfConverter | None = None) -> None:
    """Convert the batch's written reports to PDF beside them; a failed conversion fails that person."""
    written = [report for report in batch.reports if report.status in ("written", "skipped") and report.file]
    if not written:
        return
    if convert is None:
        from .office import convert_to_pdf

        def convert(sources: list[Path]) -> list[tuple[Path | None, str | None]]:
            return [(result.pdf, result.error)
                    for result in convert_to_pdf(sources, jobs=jobs, timeout=timeout, progress=progress)]

    results = convert([report.file for report in written if report.file])
    for report, (pdf, error) in zip(written, results, strict=True):
        if pdf is not None:
            report.pdf = pdf
        else:
            report.status = "failed"
            report.errors.append(f"转换 PDF 失败：{error}")
    batch.manifest = write_manifest(batch.outdir, manifest_data(batch, project=project, people=people))


def preview_pages(project: Project, plan: PersonPlan, outdir: Path, *, dpi: int = 100) -> list[Path]:
    """Page images of one person's report, so staff can look before printing."""
    import tempfile

    from .office import convert_to_pdf, pdf_to_png

    with tempfile.TemporaryDirectory(prefix="assembler-preview-") as tmp:
        docx_path = Path(tmp) / f"{plan.output_stem or 'preview'}.docx"
        atomic_write(docx_path, render_person(project, plan))
        [converted] = convert_to_pdf([docx_path], jobs=1)
        if converted.pdf is None:
            raise InputError(f"转换 PDF 失败：{converted.error}")
        outdir.mkdir(parents=True, exist_ok=True)
        return pdf_to_png(converted.pdf, outdir, dpi=dpi)
