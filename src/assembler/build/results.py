"""Stage five: what a batch leaves — one result per person (kept on disk), the batch's outcome, manifest.json."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import EXIT_OK, EXIT_PARTIAL, PersonError
from ..library.similarity import SimilarPair
from ..spool import SpooledList
from .batch import RenderJob

if TYPE_CHECKING:
    from ..library.provenance import BatchProvenance
    from .project import Project


def write_records(batch: BatchResult, data: dict[str, Any]) -> None:
    """manifest.json and 汇总.xlsx beside it, each written whole (``summary_sheet``), and the index a
    rerun reads (``manifest_index``); ``data`` is ``manifest_data(batch, …)``, whose reports are read
    once for all three."""
    from ..output import write_manifest
    from .manifest_index import IndexWriter
    from .summary_sheet import SummaryRows, write_summary

    entries: _ManifestReports = data["reports"]
    rows = SummaryRows()  # the sheet's rows made as the manifest reads each report: one pass for both
    index = IndexWriter()  # and what the next rerun reads of them
    try:
        entries.tap = rows.add
        batch.manifest = write_manifest(batch.outdir, {**data, "reports": index.tap(entries)})
        index.save(batch.outdir, batch.manifest, {key: value for key, value in data.items() if key != "reports"})
        batch.summary = write_summary(batch.outdir, rows)
    finally:
        rows.close()
        index.close()


#: Similar pairs manifest.json keeps (the batch warnings spell out fewer: ``measure.WARNED_PAIRS``).
MANIFEST_PAIRS = 1000


@dataclass(frozen=True, slots=True)
class TextChecks:
    """What the checks of a report's text found when it was written: the report checks' warnings
    (placeholders, a missing signature), the house style findings, and whether those are errors."""

    warnings: tuple[str, ...] = ()
    style: tuple[str, ...] = ()
    style_errors: bool = False

    @classmethod
    def from_manifest(cls, value: Any) -> TextChecks | None:
        """From an entry's ``text_checks`` (``None`` for anything else)."""
        if not isinstance(value, dict):
            return None
        warnings, style = value.get("warnings"), value.get("style")
        if not (isinstance(warnings, list) and isinstance(style, list)
                and all(isinstance(item, str) for item in [*warnings, *style])):
            return None
        return cls(tuple(warnings), tuple(style), value.get("style_errors") is True)


@dataclass(slots=True)
class ReportResult:
    """One person's outcome; a batch keeps one per person, so it is kept small (slots, and
    ``snippets`` and ``variants`` shared between people who have the same). Its provenance is kept as
    the library's state alone (``library``): the snippets' part follows from ``snippets`` and
    ``variants`` (``BatchProvenance.snippets``), so ten thousand results do not each carry a copy."""

    row: int
    name: str
    status: str  # written | skipped | failed
    file: Path | None = None
    pdf: Path | None = None
    snippets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    variants: Mapping[str, int] = field(default_factory=dict)
    #: build only: (library commit, dirty) the report was built from; None: no provenance (failed, any
    #: docxtpl template). With the batch's ``BatchProvenance`` this is the manifest's ``provenance``.
    library: tuple[str | None, bool | None] | None = None
    chars: int | None = None  # Chinese characters in the body (build only), see similarity.count_chars
    change: str | None = None  # build only: created | updated | unchanged | protected | kept (see incremental)
    fingerprint: str | None = None  # build only: the inputs that shaped the report (see fingerprint)
    sha256: str | None = None  # build only: the bytes of the file as written
    edited: Path | None = None  # protected: the file edited by hand, left alone beside ``file``
    sketch: str | None = None  # build only: the near-copy sketch (see incremental.encode_sketch)
    stat: tuple[int, int] | None = None  # build only: (size, mtime_ns) of the file as written (see incremental)
    #: build only: what the checks of the report's text found when it was written (``TextChecks``), kept
    #: in the manifest so that a rerun that leaves the report says it again
    text_checks: TextChecks | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its fields, paths as text: a batch stores each result on disk and reads it back,
        and rebuilding a path from its pickled parts, or a slotted dataclass from its state, cost more
        than the rest of the result together."""
        return _restored, (self.row, self.name, self.status, _text(self.file), _text(self.pdf), self.snippets,
                           self.warnings, self.errors, self.variants, self.library, self.chars, self.change,
                           self.fingerprint, self.sha256, _text(self.edited), self.sketch, self.stat,
                           self.text_checks)

    def to_json(self, outdir: Path, provenance: BatchProvenance | None = None) -> dict[str, Any]:
        """The report's entry in manifest.json (``provenance``: the batch's, for its ``provenance``)."""
        variants = dict(self.variants.items())
        data = {
            "row": self.row,
            "name": self.name,
            "status": self.status,
            "file": self.file.name if self.file else None,
            "pdf": self.pdf.name if self.pdf else None,
            "snippets": self.snippets,
            "variants": variants,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        if self.chars is not None:
            data["chars"] = self.chars
        if self.library is not None and provenance is not None:
            data["provenance"] = {"library_commit": self.library[0], "library_dirty": self.library[1],
                                  "snippets": provenance.snippets(self.snippets, variants)}
        if self.change is not None:
            data["change"] = self.change
        if self.fingerprint is not None:
            data["fingerprint"] = self.fingerprint
            data["sha256"] = self.sha256
            if self.stat is not None:
                data["size"], data["mtime_ns"] = self.stat
        if self.edited is not None:
            data["edited"] = self.edited.name
        if self.sketch is not None:
            data["sketch"] = self.sketch
        if self.text_checks is not None:
            data["text_checks"] = {"warnings": list(self.text_checks.warnings), "style": list(self.text_checks.style),
                                   "style_errors": self.text_checks.style_errors}
        return data

    def messages(self, people: Path | str | None) -> list[str]:
        """The person's warnings, then errors, as the CLI shows them: 警告：<人员表>:第N行: 姓名：…"""
        where = PersonError("", file=people, row=self.row).location
        return ([f"警告：{where}: {self.name}：{warning}" for warning in self.warnings]
                + [f"错误：{where}: {self.name}：{error}" for error in self.errors])


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _restored(row: int, name: str, status: str, file: str | None, pdf: str | None, *rest: Any) -> ReportResult:
    result = ReportResult(row, name, status, None if file is None else Path(file), None if pdf is None else Path(pdf),
                          *rest)
    if result.edited is not None:
        result.edited = Path(result.edited)
    return result


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
    strict_style: bool = False  # ``style: strict``: style findings are errors (exit code 1)
    summary: Path | None = None  # 汇总.xlsx (``summary_sheet``)
    dry_run: bool = False
    #: The library's provenance of a build: with each result's ``library``, its entry's ``provenance``.
    provenance: BatchProvenance | None = None
    #: Report files in the folder that this run's people do not have (see ``incremental.KEPT``):
    #: left alone, and still described by manifest.json.
    kept: list[str] = field(default_factory=list)

    def changes(self) -> dict[str, int]:
        """Reports per change (created, updated, unchanged, protected, kept): a build's summary."""
        from .incremental import KEPT

        counts = dict(self._tally()[1])
        counts[KEPT] = len(self.kept)
        return counts

    def counts(self) -> dict[str, int]:
        """Reports per status (written, skipped, failed), without holding them all."""
        return dict(self._tally()[0])

    def _tally(self) -> tuple[dict[str, int], dict[str, int]]:
        """Statuses and changes: as a batch's results were counted when stored (``ResultList``), else
        (results in a plain list) in one pass."""
        return self.reports.counted if isinstance(self.reports, ResultList) else _tally(self.reports)

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
        if self.counts()["failed"] or self.style_errors:
            return EXIT_PARTIAL
        return EXIT_OK

    @property
    def style_errors(self) -> bool:
        """``style: strict`` and some report broke a house style rule (written all the same)."""
        return self.strict_style and any(report.errors for report in self.reports
                                         if report.status in ("written", "skipped"))  # skipped: found when written


def _count(statuses: dict[str, int], changes: dict[str, int], report: ReportResult) -> None:
    statuses[report.status] = statuses.get(report.status, 0) + 1
    if report.change is not None and report.status != "failed":
        changes[report.change] += 1


def _tally(reports: Iterable[ReportResult]) -> tuple[dict[str, int], dict[str, int]]:
    from .incremental import CHANGES

    statuses = dict.fromkeys(("written", "skipped", "failed"), 0)
    changes = dict.fromkeys(CHANGES, 0)
    for report in reports:
        _count(statuses, changes, report)
    return statuses, changes


class ResultList(SpooledList[ReportResult]):
    """A batch's results on disk, counted by status and change as they are stored: a batch of ten
    thousand need not be read back (every result unpickled) to say how many were written. A result
    stored back (``reports[i] = …``, a PDF added) has the counts taken again, once, when next asked."""

    def __init__(self) -> None:
        super().__init__()
        self._counts: tuple[dict[str, int], dict[str, int]] | None = _tally(())

    @property
    def counted(self) -> tuple[dict[str, int], dict[str, int]]:
        if self._counts is None:
            self._counts = _tally(self)
        return self._counts

    def insert(self, index: int, item: ReportResult) -> None:
        super().insert(index, item)
        if self._counts is not None:
            _count(*self._counts, item)

    def __setitem__(self, index: Any, item: Any) -> None:
        super().__setitem__(index, item)
        self._counts = None


class Results:
    """A batch's results in people order. A result is final once every job up to its own has come
    back (outcomes arrive in job order); then it is stored on disk (``SpooledList``), so only the
    results of the jobs in flight are held in memory."""

    def __init__(self, final: Callable[[int, ReportResult], None] | None = None) -> None:
        self.stored: SpooledList[ReportResult] = ResultList()
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


class JobQueue:
    """The job generator with the count the renderer sizes its chunks by."""

    def __init__(self, jobs: Iterator[RenderJob], count: int) -> None:
        self.jobs = jobs
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[RenderJob]:
        return self.jobs


def manifest_data(batch: BatchResult, *, project: Project | None = None, people: Path | None = None,
                  template: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tool": "assembler",
        "version": __version__,
        "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "people": str(people) if people else None,
        "warnings": batch.warnings,
        "summary": batch.counts(),
    }
    data["changes"] = batch.changes()
    if project is not None:
        data["rules"] = str(project.rules.path)
        data["checklist"] = str(project.checklist.path) if project.checklist else None
    if batch.max_chars is not None:
        data["max_chars"] = batch.max_chars
    if batch.similar is not None:  # before the reports: a rerun reads it without reading them
        data["similarity_threshold"] = batch.similarity_threshold
        data["similar_pairs"] = batch.similar_total
        if batch.similar_approximate:
            data["similar_pairs_at_least"] = True
        data["similar"] = [{"a": pair.a, "b": pair.b, "score": pair.score, "containment": pair.containment,
                            "shared": pair.shared} for pair in batch.similar[:MANIFEST_PAIRS]]
    if template is not None:
        data["template"] = str(template)
    data["reports"] = _ManifestReports(batch)  # written one by one
    return data


class _ManifestReports:
    """This run's reports, then those of the folder it left alone (read again from the old manifest).
    ``tap`` sees each of this run's reports as it is read (``write_records``: 汇总.xlsx's rows)."""

    def __init__(self, batch: BatchResult) -> None:
        self.batch = batch
        self.tap: Callable[[ReportResult], None] | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        batch, tap = self.batch, self.tap
        for report in batch.reports:
            if tap is not None:
                tap(report)
            yield report.to_json(batch.outdir, batch.provenance)
        if batch.kept:
            from .incremental import carried_entries

            yield from carried_entries(batch.outdir, batch.kept)

