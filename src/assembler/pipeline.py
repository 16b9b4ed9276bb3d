"""The library API that the CLI and the LibreOffice extension both call.

load (rules, library, checklist, people) → plan each person (selection, ``when``,
missing values) → assemble one template per distinct selection → render → write.
Every user mistake surfaces as an ``AssemblerError`` before anything is written;
a problem with one person is recorded for that person and the batch goes on.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import TemplateError

from . import __version__
from .assemble import assemble_template
from .batch import RenderJob, render_jobs
from .body_checks import empty_body_error, require_ticks, short_body_warning
from .environment import expression_variables, render_text, shared_env, template_variables, text_template
from .errors import EXIT_OK, EXIT_PARTIAL, InputError
from .hints import Hinted
from .output import NameAllocator, atomic_write, remove_stale_temps, safe_filename, write_manifest
from .people import (
    HeaderMap,
    PeopleStream,
    PeopleTable,
    PersonRow,
    match_headers,
    open_people,
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
from .similarity import SKIPPED_STYLES, SimilarPair, count_chars, no_own_figures, report_text
from .snippets import Library, Snippet, load_library
from .spool import Spool, SpooledList
from .text import docx_paragraphs, docx_text
from .values import VarSpec, convert, is_blank
from .variants import Dealt, VariantDealer, Variants

if TYPE_CHECKING:
    from .nearcopies import NearCopies, Sketch

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
    return Hinted(f"缺少{shown}的值：{needed_by}需要它", "set_value", name=name)


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
    empty = empty_body_error(plan)
    if empty:
        plan.errors.append(empty)
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
                       warnings=typed.warnings, errors=typed.errors)
    if plan.ok:
        figures: set[str] = set()
        for snippet_id in plan.included:
            figures |= _body_variables(project.library[snippet_id])
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
        _give_variants(plan, dealer.chosen(index))


def _give_variants(plan: PersonPlan, chosen: Dealt) -> None:
    """The bodies dealt to a person, where the plan's readers and the template look for them."""
    plan.variants = dict(chosen)
    plan.context["variants"] = dict(chosen)


# ---------------------------------------------------------------- batches


@dataclass(slots=True)
class ReportResult:
    """One person's outcome; a batch keeps one per person, so it is kept small (slots, and
    ``snippets``, ``variants`` and ``provenance`` shared between people who have the same)."""

    row: int
    name: str
    status: str  # written | skipped | failed
    file: Path | None = None
    pdf: Path | None = None
    snippets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    variants: Mapping[str, int] = field(default_factory=dict)
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
            "variants": dict(self.variants),
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
    """A batch's outcome. ``reports`` may live on disk (``SpooledList``, from ``build``): an item
    read from it is a copy, stored back by ``reports[i] = report``."""

    outdir: Path
    reports: MutableSequence[ReportResult]
    warnings: list[str]
    manifest: Path | None = None
    similar: list[SimilarPair] | None = None  # None: not compared; else the closest pairs
    similarity_threshold: float | None = None
    similar_total: int = 0  # pairs at or above the threshold (``similar`` lists up to MANIFEST_PAIRS)
    similar_approximate: bool = False  # too many to score all: ``similar_total`` is a lower bound
    max_chars: int | None = None
    pdfs_made: int = 0  # by add_pdfs: converted now
    pdfs_kept: int = 0  # by add_pdfs: skipped reports whose PDF was already there, left as it was

    def counts(self) -> dict[str, int]:
        """Reports per status (written, skipped, failed), without holding them all."""
        counts = dict.fromkeys(("written", "skipped", "failed"), 0)
        for report in self.reports:
            counts[report.status] = counts.get(report.status, 0) + 1
        return counts

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
        return EXIT_PARTIAL if self.counts()["failed"] else EXIT_OK


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

    Two passes keep memory flat however long the people file: the first reads, checks
    and plans every row (nothing is written if the file itself is bad), keeping on disk
    what the second needs (``Spool``) and in memory only what dealing variants needs;
    the second streams the plans through the renderer. Each report is stamped with its
    provenance and measured in its worker (``stamp_and_read``), and the batch is
    compared for near copies (``similarity_threshold``: the rules' ``similarity_threshold``,
    else 0.8) through a bounded index (``nearcopies``).
    """
    require_ticks(project)
    people = stream_people(project, people_path, sheet)
    typed_common = type_common(common or {}, project.specs, source="--set/--vars")
    with Spool() as spool:
        dealer = variant_dealer(project, variant)
        to_render, skipped_paths = _plan_batch(project, people, typed_common, outdir, spool, dealer,
                                               only=only, force=force)
        dealer.deal()
        outdir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(outdir)
        threshold = similarity_threshold if similarity_threshold is not None else rules_threshold(project.rules)
        near = _near_copies(threshold) if check_similarity else None
        # reports left as they were: measured now (over every core), entered in batch order below
        skipped_measures = dict(zip(skipped_paths, read_reports([outdir / name for name in skipped_paths.values()],
                                                                jobs=jobs, sketches=near is not None), strict=True))
        def final(index: int, result: ReportResult) -> None:  # skipped reports enter ``near`` in batch order
            if index in skipped_measures:
                _note_measure(result, skipped_measures.pop(index), project.rules, near)

        results = _Results(final)
        queue = _Jobs(_batch_jobs(project, spool, dealer, outdir, results), to_render)
        outcomes = render_jobs(project.prepared, queue, workers=jobs,
                               after=stamp_and_read if near is not None else stamp_and_count)
        for done, outcome in enumerate(outcomes, start=1):
            result = results.settle(outcome.job.tag)
            if outcome.error:
                result.errors.append(outcome.error)
                result.provenance = None
            else:
                result.status = "written"
                _note_measure(result, outcome.value, project.rules, near)
            if progress:
                progress(done, to_render)
        results.settle(len(spool))
    batch = BatchResult(outdir=outdir, reports=results.stored, warnings=list(people.warnings),
                        max_chars=project.rules.max_chars)
    if near is not None:
        compare_batch(batch, near, threshold)
    batch.manifest = write_manifest(outdir, manifest_data(batch, project=project, people=people_path))
    return batch


def _plan_batch(project: Project, people: People, common: Mapping[str, Any], outdir: Path, spool: Spool,
                dealer: VariantDealer, *, only: Callable[[PersonPlan], bool] | None, force: bool
                ) -> tuple[int, dict[int, str]]:
    """The first pass: every row planned and spooled as (dealer index, plan, file name, skip).

    Every person is entered into ``dealer`` (variants are dealt over the whole file, as in
    a preview, whoever ``only`` keeps). Returns how many reports are to be rendered, and the
    files already there (not overwritten without ``force``) by spool position.
    """
    names = NameAllocator()
    to_render = 0
    skipped: dict[int, str] = {}
    for row in people.table.rows:
        plan = plan_row(project, people, row, common)
        index = dealer.add(plan.name, plan.row, plan.included)
        if only is not None and not only(plan):
            continue
        target = names.allocate(plan.output_stem, ".docx") if plan.ok and plan.output_stem else None
        skip = target is not None and not force and (outdir / target).exists()
        if skip:
            skipped[len(spool)] = target  # type: ignore[assignment]
        elif target is not None:
            to_render += 1
        spool.append((index, plan, target, skip))
    return to_render, skipped


def _batch_jobs(project: Project, spool: Spool, dealer: VariantDealer, outdir: Path,
                results: _Results) -> Iterator[RenderJob]:
    """The second pass: a result per spooled plan (``results[spool position]``), a render job per
    report to write (tagged with that position)."""
    provenance = BatchProvenance.for_library(project.library, project.rules.entry_ids(), rules=project.rules.path)
    snippet_lists: dict[tuple[str, ...], list[str]] = {}
    for position, (holder, plan, target, skip) in enumerate(spool):
        chosen = dealer.chosen(holder)
        _give_variants(plan, chosen)
        included = tuple(plan.included)
        result = ReportResult(row=plan.row, name=plan.name, status="failed",
                              snippets=snippet_lists.setdefault(included, list(included)),
                              warnings=plan.warnings, errors=plan.errors, variants=Variants(chosen))
        results.open(position, result)
        if not plan.ok or target is None:
            continue
        result.file = outdir / target
        if skip:
            result.status = "skipped"
            result.warnings.append(Hinted(f"{target} 已存在，未覆盖", "force"))
            continue
        result.provenance = provenance.entry(included, plan.variants)
        yield RenderJob(key=plan.selection, context=plan.context, target=result.file, tag=position,
                        extra=provenance.properties(included, plan.variants))


class _Results:
    """A batch's results in people order. A result is final once every job up to its own has come
    back (outcomes arrive in job order); then it is stored on disk (``SpooledList``), so only the
    results of the jobs in flight are held in memory."""

    def __init__(self, final: Callable[[int, ReportResult], None] | None = None) -> None:
        self.stored: SpooledList[ReportResult] = SpooledList()
        self._open: dict[int, ReportResult] = {}
        self._final = final

    def open(self, position: int, result: ReportResult) -> None:
        self._open[position] = result

    def settle(self, position: int) -> ReportResult:
        """Store every result before ``position``; returns the one at ``position`` (if opened)."""
        for index in range(len(self.stored), position):
            result = self._open.pop(index)
            if self._final is not None:
                self._final(index, result)
            self.stored.append(result)
        return self._open.get(position)  # type: ignore[return-value]


class _Jobs:
    """The job generator with the count the renderer sizes its chunks by."""

    def __init__(self, jobs: Iterator[RenderJob], count: int) -> None:
        self.jobs = jobs
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[RenderJob]:
        return self.jobs


def _near_copies(threshold: float) -> NearCopies:
    from .nearcopies import NearCopies

    return NearCopies(threshold)


def _note_measure(result: ReportResult, measured: Measured, rules: Rules, near: NearCopies | None) -> None:
    measure, problem = measured
    if problem:
        result.warnings.append(problem)
    if measure is None:
        return
    result.chars = measure.chars
    for warning in (length_warning(measure.chars, rules.max_chars),
                    short_body_warning(measure.chars, rules.min_body_chars)):
        if warning:
            result.warnings.append(warning)
    if near is not None and measure.sketch is not None and result.file is not None:
        near.add(result.file.name, measure.sketch)


def rules_threshold(rules: Rules) -> float:
    """The rules' ``similarity_threshold``, else the default."""
    return rules.similarity_threshold if rules.similarity_threshold is not None else SIMILARITY_THRESHOLD


#: Skipped reports read in one process below this many; above, in worker processes (fork).
PARALLEL_READ_FROM = 40
_STAMPER = Stamper()


@dataclass(frozen=True)
class ReportMeasure:
    """What a batch keeps of a report's text: its length, and its sketch for the near-copy check."""

    chars: int
    sketch: Sketch | None


#: A report's measure (``None`` when unreadable) and a warning (``None`` when all went well).
Measured = tuple[ReportMeasure | None, str | None]


def measure_report(data: bytes, *, file: str | None = None, sketches: bool = True) -> ReportMeasure:
    text = report_text(data, file=file)
    if not sketches:
        return ReportMeasure(text.chars, None)
    from .nearcopies import sketch

    return ReportMeasure(text.chars, sketch(text.body))


def _stamp_and_measure(data: bytes, props: Mapping[str, str], *, sketches: bool) -> tuple[bytes, Measured]:
    try:
        data = _STAMPER.stamp(data, props)
        problem = None
    except InputError as exc:
        problem = f"报告已生成，但未能写入来源信息（{exc.message}）"
    try:
        return data, (measure_report(data, sketches=sketches), problem)
    except InputError:
        return data, (None, problem)


def stamp_and_read(data: bytes, props: Mapping[str, str]) -> tuple[bytes, Measured]:
    """``render_jobs``' ``after`` hook: where the report was rendered, before its one write,
    stamp its provenance and measure its text (no second read, write and fsync per report;
    only the small measure travels back, never the text)."""
    return _stamp_and_measure(data, props, sketches=True)


def stamp_and_count(data: bytes, props: Mapping[str, str]) -> tuple[bytes, Measured]:
    """``stamp_and_read`` without the sketch, for a build that does not compare its reports."""
    return _stamp_and_measure(data, props, sketches=False)


def read_reports(paths: list[Path], *, jobs: int | None = None, sketches: bool = True) -> list[Measured]:
    """The measures of reports a build left as they were (skipped), for the length and the comparison.

    Reports written by the build are measured in the worker before their one write
    (``stamp_and_read``); only these are read back, over every core when there are many.
    """
    import functools
    import multiprocessing
    import os

    read = functools.partial(_read_report, sketches=sketches)
    workers = (os.cpu_count() or 1) if jobs is None else jobs
    if workers > 1 and len(paths) >= PARALLEL_READ_FROM and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor

        try:
            with ProcessPoolExecutor(min(workers, 8), mp_context=multiprocessing.get_context("fork")) as pool:
                return list(pool.map(read, paths, chunksize=max(1, len(paths) // (workers * 4))))
        except (OSError, RuntimeError):
            pass
    return [read(path) for path in paths]


def _read_report(path: Path, *, sketches: bool = True) -> Measured:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"无法读取已生成的 {path.name}（{exc.strerror or exc}）"
    try:
        return measure_report(data, file=str(path), sketches=sketches), None
    except InputError:
        return None, None


def _body_of(path: Path) -> str | None:
    """A report's body text read back, for the few pairs the near-copy check scores exactly."""
    try:
        return report_text(path.read_bytes(), file=str(path)).body
    except (OSError, InputError):
        return None


def length_warning(chars: int, limit: int | None) -> str | None:
    if limit is None or chars <= limit:
        return None
    return (f"报告正文 {chars} 字，超过规则文件 max_chars 规定的 {limit} 字（多 {chars - limit} 字）；"
            "请在选稿清单中去掉一些片段，或精简片段文字")


def compare_batch(batch: BatchResult, near: NearCopies, threshold: float) -> None:
    """Warn about the pairs of the batch's reports at least ``threshold`` alike (highest first)."""
    found = near.find(lambda name: _body_of(batch.outdir / name), limit=MANIFEST_PAIRS)
    pairs = found.pairs
    batch.similar = pairs
    batch.similar_total = max(found.total, len(pairs))
    batch.similar_approximate = found.approximate
    batch.similarity_threshold = threshold
    for pair in pairs[:WARNED_PAIRS]:
        shared = f"；共同段落如“{_shorten(pair.shared[0])}”" if pair.shared else ""
        batch.warnings.append(
            f"{pair.a} 与 {pair.b} 的正文相似度为 {pair.score:.2f}（不低于 {threshold:.2f}）{shared}。"
            "请换用不同的片段或备选正文（variants），并写入本人的实际工作和数字"
        )
    more = batch.similar_total - min(len(pairs), WARNED_PAIRS)
    if more > 0:
        at_least = "至少" if found.approximate else ""
        batch.warnings.append(f"另有{at_least} {more} 对报告的相似度不低于 {threshold:.2f}，"
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
        "summary": batch.counts(),
        "reports": (report.to_json(batch.outdir) for report in batch.reports),  # written one by one
    }
    if project is not None:
        data["rules"] = str(project.rules.path)
        data["checklist"] = str(project.checklist.path) if project.checklist else None
    if batch.max_chars is not None:
        data["max_chars"] = batch.max_chars
    if batch.similar is not None:
        data["similarity_threshold"] = batch.similarity_threshold
        data["similar_pairs"] = batch.similar_total
        if batch.similar_approximate:
            data["similar_pairs_at_least"] = True
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
    table = open_people(Path(people_path), sheet)
    if name_pattern:
        try:
            text_template(name_pattern)  # refused here, before any file, not per person
        except TemplateError as exc:
            raise InputError(f"--name 的写法有误：{exc}") from None
    with Spool() as spool:
        names = NameAllocator()
        to_render = 0
        for row in table.rows:  # first pass: the whole file read and checked before anything is written
            context = dict(common or {})
            context.update(plain_values(row))
            result = ReportResult(row=row.row, name=person_name(context, row.row), status="failed")
            try:
                stem = render_text(name_pattern, context) if name_pattern else str(row.row)
            except TemplateError as exc:
                result.errors.append(f"无法按 --name 生成文件名：{exc}")
                spool.append((result, None))
                continue
            result.file = outdir / names.allocate(safe_filename(stem), ".docx")
            if result.file.exists() and not force:
                result.status = "skipped"
                result.warnings.append(Hinted(f"{result.file.name} 已存在，未覆盖", "force"))
                spool.append((result, None))
                continue
            spool.append((result, context))
            to_render += 1
        del names
        outdir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(outdir)
        results = _Results()

        def queue() -> Iterator[RenderJob]:
            for position, (result, context) in enumerate(spool):
                results.open(position, result)
                if context is not None:
                    yield RenderJob(key=None, context=context, target=result.file, tag=position)  # type: ignore[arg-type]

        outcomes = render_jobs(lambda _key: prepared, _Jobs(queue(), to_render), workers=jobs)
        for done, outcome in enumerate(outcomes, start=1):
            result = results.settle(outcome.job.tag)
            if outcome.error:
                result.errors.append(outcome.error)
            else:
                result.status = "written"
            if progress:
                progress(done, to_render)
        results.settle(len(spool))
    batch = BatchResult(outdir=outdir, reports=results.stored, warnings=[])
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
    """Convert the batch's written reports to PDF beside them; a failed conversion fails that person.

    A skipped report (already there, not overwritten) keeps its PDF too when it has one: what was
    not rewritten is not regenerated. Only a skipped report without a PDF gets one.
    """
    chosen: list[tuple[int, Path]] = []
    for index, report in enumerate(batch.reports):
        if report.file is None or report.status not in ("written", "skipped"):
            continue
        existing_pdf = report.file.with_suffix(".pdf")
        if report.status == "skipped" and existing_pdf.exists():
            report.pdf = existing_pdf
            batch.reports[index] = report
            batch.pdfs_kept += 1
        else:
            chosen.append((index, report.file))
    if not chosen:
        if batch.pdfs_kept:
            batch.manifest = write_manifest(batch.outdir, manifest_data(batch, project=project, people=people))
        return
    if convert is None:
        from .office import convert_to_pdf

        def convert(sources: list[Path]) -> list[tuple[Path | None, str | None]]:
            return [(result.pdf, result.error)
                    for result in convert_to_pdf(sources, jobs=jobs, timeout=timeout, progress=progress)]

    results = convert([source for _, source in chosen])
    for (index, _), (pdf, error) in zip(chosen, results, strict=True):
        report = batch.reports[index]
        if pdf is not None:
            report.pdf = pdf
            batch.pdfs_made += 1
        else:
            report.status = "failed"
            report.errors.append(f"转换 PDF 失败：{error}")
        batch.reports[index] = report
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
