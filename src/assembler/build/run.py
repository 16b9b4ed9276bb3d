"""Stage three: the batch run — one two-pass loop behind ``build`` (assembled reports) and
``render_plain`` (any docxtpl template).

Two passes keep memory flat however long the people file: the first reads and checks every row
(nothing is written if the file itself is bad), keeping on disk what the second needs (``Spool``);
the second streams the rows through the renderer, and each result is stored on disk once every
job before it has come back (``Results``). What differs between the two kinds of batch — what a
row becomes, which template renders it, what is done with a written report — is a ``BatchKind``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import TemplateError

from ..errors import InputError
from ..hints import Hinted
from ..library.provenance import BatchProvenance
from ..load.people import PersonRow, open_people, plain_values
from ..output import NameAllocator, remove_stale_temps, safe_filename
from ..spool import Spool, SpooledList
from ..template.environment import render_text
from .batch import After, RenderJob, render_jobs
from .body_checks import require_ticks
from .fingerprint import BatchFingerprint, file_digest
from .incremental import PROTECTED, Decision, ReportIndex, decide, drop_journal, journal
from .measure import (
    Measured,
    ReportMeasure,
    StampAndMeasure,
    StrictAfter,
    compare_batch,
    compare_changed,
    measured_before,
    near_copies,
    note_measure,
    read_reports,
    rules_threshold,
    same_comparison,
    sketch_of,
    strict_failure,
)
from .plan import People, PersonPlan, give_variants, person_name, plan_row, stream_people, type_common, variant_dealer
from .plancache import PlanCache, PlanCacheWriter, PlanRef, PlanSummary, planned, project_key, row_key
from .project import Project
from .render import PreparedTemplate
from .results import BatchResult, JobQueue, ReportResult, Results, TextChecks, manifest_data, write_records
from .variants import VariantDealer, Variants

if TYPE_CHECKING:
    from ..library.nearcopies import NearCopies

Progress = Callable[[int, int], None]


class BatchKind(Protocol):
    """What one kind of batch does at each step of ``run_batch``."""

    def first(self, row: PersonRow, position: int) -> tuple[Any, bool] | None:
        """A row read in the first pass: what to spool for it and whether it will be rendered
        (``None``: the row is left out of the batch)."""

    def between(self) -> int | None:
        """After the first pass, before anything is written; may walk the spool and say how many
        reports the batch renders after all (``None``: as the first pass counted)."""

    def second(self, position: int, item: Any) -> tuple[ReportResult, RenderJob | None]:
        """A spooled item in the second pass: its result, and its render job if it is to be written."""

    def written(self, result: ReportResult, value: Any) -> None:
        """A report was written; ``value`` is what the ``after`` hook returned for it."""

    def final(self, position: int, result: ReportResult) -> None:
        """A result is final (every job before it has come back) and about to be stored."""


def run_batch(kind: BatchKind, rows: Iterable[PersonRow], outdir: Path,
              templates: Callable[[Any], PreparedTemplate], *, jobs: int | None = None,
              after: After | None = None, progress: Progress | None = None,
              dry_run: bool = False) -> SpooledList[ReportResult]:
    """The two passes; returns the results in people order (on disk). ``dry_run``: the results as
    they would be (status "written" for the reports that would be), nothing rendered or written."""
    with Spool() as spool:
        to_render = 0
        for row in rows:
            kept = kind.first(row, len(spool))
            if kept is None:
                continue
            item, renders = kept
            spool.append(item)
            to_render += renders
        counted = kind.between()
        to_render = to_render if counted is None else counted
        if dry_run:
            planned = Results()
            for position, item in enumerate(spool):
                result, job = kind.second(position, item)
                if job is not None:
                    result.status = "written"  # would be
                planned.open(position, result)
            planned.settle(len(spool))
            return planned.stored
        outdir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(outdir)
        results = Results(kind.final)

        def queue() -> Iterator[RenderJob]:
            for position, item in enumerate(spool):
                result, job = kind.second(position, item)
                results.open(position, result)
                if job is not None:
                    yield job

        outcomes = render_jobs(templates, JobQueue(queue(), to_render), workers=jobs, after=after)
        for done, outcome in enumerate(outcomes, start=1):
            result = results.settle(outcome.job.tag)
            if outcome.error:
                result.errors.append(outcome.error)
                result.library = None
                result.fingerprint = None
            else:
                result.status = "written"
                kind.written(result, outcome.value)
            if progress:
                progress(done, to_render)
        results.settle(len(spool))
    return results.stored


# ---------------------------------------------------------------- assembled reports


class _Assembled:
    """A build: rows planned (or their last plans reused, ``_PlanReuse``) and spooled as (dealer
    index, plan, file name); between the passes variants are dealt over the whole file and each
    report's fingerprint decides what happens to its file (``incremental.decide``); reports written
    are stamped and measured, untouched ones measured from the manifest (or read when it lacks that)."""

    def __init__(self, project: Project, people: People, common: Mapping[str, Any], outdir: Path, *,
                 only: Callable[[PlanSummary], bool] | None, force: bool, overwrite_edited: bool,
                 variant: int | None, jobs: int | None, near: NearCopies | None, index: ReportIndex,
                 reuse: _PlanReuse, strict: bool = False) -> None:
        self.project, self.people, self.common, self.outdir = project, people, common, outdir
        self.only, self.force, self.overwrite_edited, self.jobs, self.near = only, force, overwrite_edited, jobs, near
        self.index, self.reuse, self.strict = index, reuse, strict
        self.dealer: VariantDealer = variant_dealer(project, variant)
        self.names = NameAllocator()
        self.decisions: list[Decision | None] = []  # by spool position; None: no report (failed)
        self.kept: list[str] = []
        self.skipped_measures: dict[int, Measured] = {}
        self.provenance: BatchProvenance | None = None
        self.snippet_lists: dict[tuple[str, ...], list[str]] = {}
        #: per spooled person, what their fingerprint needs (read back once, between the passes)
        self.prints = Spool()

    def first(self, row: PersonRow, position: int) -> tuple[Any, bool] | None:
        # every person is entered into the dealer (variants are dealt over the whole file, as in
        # a preview, whoever ``only`` keeps)
        plan, where = self.reuse.plan(self.project, self.people, row, self.common)
        if self.strict and plan.ok and plan.warnings:
            plan.errors.append(strict_failure(plan.warnings))
        index = self.dealer.add(plan.name, plan.row, plan.included)
        if self.only is not None and not self.only(plan):
            return None
        target = self.names.allocate(plan.output_stem, ".docx") if plan.ok and plan.output_stem else None
        if target is None:
            self.prints.append(None)
        else:  # what ``between`` needs of the plan: a small record to read back, not the typed values
            self.prints.append((index, plan.included, plan.fingerprint_values, target))
            plan.fingerprint_values = None  # needed no more
        # the plan's summary, and where the whole plan is: read and unpickled only if rendered
        return (index, plan, where), target is not None

    def between(self) -> int:
        self.dealer.deal()
        prints = BatchFingerprint.for_project(self.project)
        with self.prints:
            for record in self.prints:
                if record is None:
                    self.decisions.append(None)
                    continue
                holder, included, values, target = record
                fingerprint = prints.person(included, dict(self.dealer.chosen(holder)), {}, target, values=values)
                self.decisions.append(decide(self.outdir, self.index, target, fingerprint, force=self.force,
                                             overwrite_edited=self.overwrite_edited, taken=self.names.used))
        del self.names
        self.kept = kept_reports(self.outdir, self.index, self.decisions)
        # reports left as they were and not measured in the manifest: measured now (over every core),
        # entered in batch order (``final``)
        left = {position: decision.target for position, decision in enumerate(self.decisions)
                if decision is not None and not decision.render and not measured_before(decision.recorded, self.near)}
        measures = read_reports([self.outdir / name for name in left.values()], jobs=self.jobs,
                                sketches=self.near is not None)
        self.skipped_measures = dict(zip(left, measures, strict=True))
        self.provenance = BatchProvenance.for_library(self.project.library, self.project.rules.entry_ids(),
                                                      rules=self.project.rules.path)
        return sum(1 for decision in self.decisions if decision is not None and decision.render)

    def second(self, position: int, item: Any) -> tuple[ReportResult, RenderJob | None]:
        holder, plan, where = item  # plan: its summary (``plancache.PlanSummary``)
        chosen = self.dealer.chosen(holder)
        variants = dict(chosen)
        included = tuple(plan.included)
        result = ReportResult(row=plan.row, name=plan.name, status="failed",
                              snippets=self.snippet_lists.setdefault(included, list(included)),
                              warnings=plan.warnings, errors=plan.errors, variants=Variants(chosen))
        decided = self.decisions[position]
        if decided is None:
            return result, None
        assert self.provenance is not None  # set between the passes
        result.library = (self.provenance.state.commit, self.provenance.state.dirty)
        if not noted_decision(result, decided, self.outdir):
            recorded = decided.recorded
            if recorded is not None:
                result.chars = recorded.chars
                if recorded.commit is not None or recorded.dirty is not None:
                    result.library = (recorded.commit, recorded.dirty)
            return result, None
        whole: PersonPlan = pickle.loads(self.reuse.pickled(where))  # our own, pickled in the first pass
        give_variants(whole, chosen)
        return result, RenderJob(key=whole.selection, context=whole.context, target=self.outdir / decided.target,
                                 tag=position,
                                 extra=(self.provenance.properties(included, variants), decided.fingerprint,
                                        decided.target))

    def written(self, result: ReportResult, value: Any) -> None:
        measured, result.sha256 = value
        result.stat = file_stat(result.file)
        note_measure(result, measured, self.project.rules, self.near)

    def final(self, position: int, result: ReportResult) -> None:  # skipped reports enter ``near`` in order
        if position in self.skipped_measures:
            note_measure(result, self.skipped_measures.pop(position), self.project.rules, self.near)
        elif result.status == "skipped" and result.chars is not None:  # as the manifest recorded it
            decided = self.decisions[position]
            recorded = decided.recorded if decided is not None else None
            raw = recorded.sketch if recorded is not None else None
            checks = recorded.checks if recorded is not None and recorded.checks is not None else TextChecks()
            note_measure(result, (ReportMeasure(result.chars, sketch_of(raw), checks.warnings, checks.style,
                                                checks.style_errors), None),
                         self.project.rules, self.near)


def file_stat(path: Path | None) -> tuple[int, int] | None:
    """(size, mtime_ns) of a report just written, for the manifest (``incremental._digest_of``)."""
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


class _Finish:
    """``render_jobs``' ``after`` hook for a build: stamp and measure (``measure``: ``stamp_and_read``,
    ``stamp_and_count`` or ``StrictAfter``), then journal the report's digest before it is renamed into
    place (``incremental.journal``)."""

    def __init__(self, outdir: Path, measure: After) -> None:
        self.outdir = outdir
        self.measure = measure

    def __call__(self, data: bytes, extra: tuple[Mapping[str, str], str, str]) -> tuple[bytes, Any]:
        props, fingerprint, name = extra
        data, measured = self.measure(data, props)
        digest = file_digest(data)
        journal(self.outdir, name, fingerprint, digest)
        return data, (measured, digest)


class _PlanReuse:
    """The plans of the last build into this folder, by row (``plancache``), and this build's for the
    next (kept only when ``keep``: not on a dry run)."""

    def __init__(self, project: Project, common: Mapping[str, Any], people: People, outdir: Path, *,
                 keep: bool) -> None:
        self.key = project_key(project, common, people.table.headers, Path(people.table.path).resolve())
        self.cache = PlanCache(outdir, self.key)
        self.writer = PlanCacheWriter(self.key, self.cache)
        self.keep = keep

    def plan(self, project: Project, people: People, row: PersonRow, common: Mapping[str, Any]
             ) -> tuple[PlanSummary, PlanRef]:
        """The row's plan: its summary, and where the whole plan is (``pickled``: for a report rendered).
        Noted for the next build's cache before any change to the summary (taken as planned)."""
        key = row_key(self.key, row)
        found = self.cache.summary(key)
        if found is not None:
            self.writer.reused(key)
            return found, key
        summary, pickled = planned(plan_row(project, people, row, common))
        return summary, self.writer.add(key, summary, pickled)

    def pickled(self, where: PlanRef) -> bytes:
        """The whole plan, pickled, that ``plan`` said where to find."""
        return self.cache.plan_bytes(where) if isinstance(where, bytes) else self.writer.plan_bytes(*where)

    def save(self, outdir: Path) -> None:
        if self.keep:
            self.writer.save(outdir)

    def close(self) -> None:
        self.writer.close()
        self.cache.close()


def build(
    project: Project,
    people_path: Path,
    outdir: Path,
    *,
    sheet: str | None = None,
    common: Mapping[str, Any] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    only: Callable[[PlanSummary], bool] | None = None,
    variant: int | None = None,
    jobs: int | None = None,
    similarity_threshold: float | None = None,
    check_similarity: bool = True,
    overwrite_edited: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    check_style: bool = True,
) -> BatchResult:
    """Build every person's report into ``outdir``, incrementally.

    A rerun renders only the reports whose fingerprint changed (``incremental``): the others
    are left as they are, byte for byte, mtime included. ``force`` renders every report again;
    a report edited by hand is still never overwritten (its new version goes beside it) unless
    ``overwrite_edited``. ``dry_run``: decide, write nothing (the result says what would happen).
    Each report is stamped with its provenance and measured in its worker (``stamp_and_read``),
    and the batch is compared for near copies (``similarity_threshold``: the rules'
    ``similarity_threshold``, else 0.8) through a bounded index (``nearcopies``). ``strict``: a
    report with a warning (house style findings included) is that person's failure, and is not
    written. ``check_style``: the house style checks (``style``, as the rules' ``style`` says) on
    each report, in the same worker step. ``only``: keeps the people it returns true for; it is
    given each row's plan summary (``plancache.PlanSummary``: row, name, snippets …), not the plan.
    """
    require_ticks(project)
    people = stream_people(project, people_path, sheet)
    typed_common = type_common(common or {}, project.specs, source="--set/--vars")
    threshold = similarity_threshold if similarity_threshold is not None else rules_threshold(project.rules)
    near = near_copies(threshold) if check_similarity else None
    outdir = Path(outdir)
    index = ReportIndex.load(outdir)
    reuse = _PlanReuse(project, typed_common, people, outdir, keep=not dry_run)
    style = project.style if check_style and project.style.enabled else None
    measure: After
    if strict:
        measure = StrictAfter(near is not None, project.rules.max_chars, style, project.rules.min_body_chars)
    else:
        measure = StampAndMeasure(sketches=near is not None, style=style)
    kind = _Assembled(project, people, typed_common, outdir, only=only, force=force,
                      overwrite_edited=overwrite_edited, variant=variant, jobs=jobs, near=near, index=index,
                      reuse=reuse, strict=strict)
    try:
        stored = run_batch(kind, people.table.rows, outdir, project.prepared, jobs=jobs, progress=progress,
                           after=_Finish(outdir, measure), dry_run=dry_run)
        batch = BatchResult(outdir=outdir, reports=stored, warnings=list(people.warnings),
                            max_chars=project.rules.max_chars, kept=kind.kept, dry_run=dry_run,
                            provenance=kind.provenance,
                            strict_style=style is not None and style.severity == "error")
        if dry_run:
            return batch
        if near is not None and not kind.kept:
            rendered = [decision.target for decision in kind.decisions if decision is not None and decision.render]
            left = [decision.target for decision in kind.decisions if decision is not None and not decision.render]
            if not (same_comparison(batch, threshold, index, left) if not rendered else
                    compare_changed(batch, near, threshold, index, left=left, rendered=rendered)):
                compare_batch(batch, near, threshold)
        elif near is not None:
            compare_batch(batch, near, threshold)
        write_records(batch, manifest_data(batch, project=project, people=people_path))
        drop_journal(outdir)  # the manifest now holds what it said
        reuse.save(outdir)
    finally:
        kind.prints.close()  # read between the passes; here if the first pass was refused
        reuse.close()
    return batch


# ---------------------------------------------------------------- plain docxtpl templates


class _Plain:
    """Any docxtpl template: a row's values pass through untyped, spooled as (result, context or None).
    Incremental like a build (``incremental.decide``), on a fingerprint of the template, the values and
    the file name (``fingerprint.plain_fingerprint``)."""

    def __init__(self, common: Mapping[str, Any] | None, name_pattern: str | None, outdir: Path, *,
                 template: bytes, index: ReportIndex, force: bool, overwrite_edited: bool) -> None:
        self.common, self.name_pattern, self.outdir = common, name_pattern, outdir
        self.template_digest = file_digest(template)  # hashed once, not per person
        self.index, self.force, self.overwrite_edited = index, force, overwrite_edited
        self.names = NameAllocator()
        self.prints: list[tuple[str, str] | None] = []  # by spool position: (fingerprint, file name)
        self.decisions: list[Decision | None] = []
        self.kept: list[str] = []

    def first(self, row: PersonRow, position: int) -> tuple[Any, bool] | None:
        from .fingerprint import plain_fingerprint

        context = dict(self.common or {})
        context.update(plain_values(row))
        result = ReportResult(row=row.row, name=person_name(context, row.row), status="failed")
        try:
            stem = render_text(self.name_pattern, context) if self.name_pattern else str(row.row)
        except TemplateError as exc:
            result.errors.append(f"无法按 --name 生成文件名：{exc}")
            self.prints.append(None)
            return (result, None), False
        target = self.names.allocate(safe_filename(stem), ".docx")
        self.prints.append((plain_fingerprint(self.template_digest, context, target), target))
        return (result, context), True

    def between(self) -> int:
        for record in self.prints:
            self.decisions.append(None if record is None else decide(
                self.outdir, self.index, record[1], record[0], force=self.force,
                overwrite_edited=self.overwrite_edited, taken=self.names.used))
        del self.names, self.prints
        self.kept = kept_reports(self.outdir, self.index, self.decisions)
        return sum(1 for decision in self.decisions if decision is not None and decision.render)

    def second(self, position: int, item: Any) -> tuple[ReportResult, RenderJob | None]:
        result, context = item
        decided = self.decisions[position]
        if context is None or decided is None:
            return result, None
        if not noted_decision(result, decided, self.outdir):
            return result, None
        return result, RenderJob(key=None, context=context, target=self.outdir / decided.target, tag=position,
                                 extra=({}, decided.fingerprint, decided.target))

    def written(self, result: ReportResult, value: Any) -> None:
        _, result.sha256 = value
        result.stat = file_stat(result.file)

    def final(self, position: int, result: ReportResult) -> None:
        pass


def _unmeasured(data: bytes, props: Mapping[str, str]) -> tuple[bytes, Any]:
    """``_Finish``'s measure for a docxtpl template's reports: written as rendered (module level: picklable)."""
    return data, None


def kept_reports(outdir: Path, index: ReportIndex, decisions: Iterable[Decision | None]) -> list[str]:
    """Report files the folder's manifest knows that this run neither writes nor leaves as its own
    (``incremental.KEPT``): described again, not touched."""
    touched = {name for decision in decisions if decision is not None
               for name in (decision.target, decision.edited) if name}
    return [name for name in index.names() if name not in touched and (outdir / name).is_file()]


def noted_decision(result: ReportResult, decided: Decision, outdir: Path) -> bool:
    """The decision on a report entered in its result; whether the report is to be rendered."""
    result.file = outdir / decided.target
    result.change = decided.change
    result.fingerprint = decided.fingerprint
    if decided.change == PROTECTED:
        result.edited = outdir / str(decided.edited)
        result.warnings.append(Hinted(f"{decided.edited} 在生成后被修改过（手工编辑），未覆盖；新版本在 {decided.target}",
                                      "overwrite_edited"))
    if not decided.render:
        result.status = "skipped"
        result.sha256 = decided.sha256
        result.stat = decided.stat
    return decided.render


def render_plain(
    template_path: Path,
    people_path: Path,
    outdir: Path,
    *,
    sheet: str | None = None,
    common: Mapping[str, Any] | None = None,
    name_pattern: str | None = None,
    force: bool = False,
    overwrite_edited: bool = False,
    progress: Progress | None = None,
    jobs: int | None = None,
    strict: bool = False,
) -> BatchResult:
    """Any docxtpl template, one document per person; values pass through untyped. A template
    from ``assembler template`` carries its project and is rendered as ``build`` would
    (``template_project``); ``strict`` applies to those. Either way a rerun is incremental, as a
    build's: ``force`` renders every report again, and a report edited by hand is overwritten only
    with ``overwrite_edited``."""
    template_path = Path(template_path)
    try:
        data = template_path.read_bytes()
    except OSError:
        raise InputError("模板文件不存在或无法读取", file=template_path) from None
    from .config_check import check_template
    from .template_project import read_project, render_assembled

    embedded = read_project(data, file=str(template_path))
    if embedded is not None:
        return render_assembled(template_path, data, embedded, Path(people_path), outdir,
                                name_pattern=name_pattern, sheet=sheet, common=common, force=force,
                                overwrite_edited=overwrite_edited, progress=progress, jobs=jobs, strict=strict)
    check_template(data, str(template_path), name_pattern=name_pattern)  # every error at once, before any file
    prepared = PreparedTemplate(data, name=str(template_path))
    table = open_people(Path(people_path), sheet)
    outdir = Path(outdir)
    kind = _Plain(common, name_pattern, outdir, template=data, index=ReportIndex.load(outdir), force=force,
                  overwrite_edited=overwrite_edited)
    stored = run_batch(kind, table.rows, outdir, lambda _key: prepared, jobs=jobs, progress=progress,
                       after=_Finish(outdir, _unmeasured))
    batch = BatchResult(outdir=outdir, reports=stored, warnings=[], kept=kind.kept)
    write_records(batch, manifest_data(batch, people=people_path, template=template_path))
    drop_journal(outdir)  # the manifest now holds what it said
    return batch
