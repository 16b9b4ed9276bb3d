"""Stage four: each report measured — its length against ``max_chars``, its provenance stamped, and the
batch compared for near copies.

The reports a build writes are stamped and measured in the worker that rendered them, before their
one write (``stamp_and_read``); only reports a build left as they were are read back (``read_reports``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, PersonError
from ..library.report_checks import report_warnings
from ..library.similarity import SIMILARITY_THRESHOLD, SimilarPair, report_text
from ..load.rules import Rules
from ..ooxml.properties import Stamper
from ..style import StyleSettings
from ..style.report import check_report
from .body_checks import short_body_warning
from .results import MANIFEST_PAIRS, BatchResult, ReportResult, TextChecks

if TYPE_CHECKING:
    from ..library.nearcopies import NearCopies, Sketch


#: Similar pairs spelled out among the batch warnings; manifest.json keeps up to ``MANIFEST_PAIRS``.
WARNED_PAIRS = 20


def near_copies(threshold: float) -> NearCopies:
    from ..library.nearcopies import NearCopies

    return NearCopies(threshold)


def note_measure(result: ReportResult, measured: Measured, rules: Rules, near: NearCopies | None) -> None:
    measure, problem = measured
    if problem:
        result.warnings.append(problem)
    if measure is None:
        return
    result.warnings.extend(measure.warnings)
    (result.errors if measure.style_errors else result.warnings).extend(measure.style)
    if measure.warnings or measure.style:
        result.text_checks = TextChecks(measure.warnings, measure.style, measure.style_errors)
    result.chars = measure.chars
    result.warnings.extend(length_warnings(measure.chars, rules.max_chars, rules.min_body_chars))
    if near is not None and measure.sketch is not None and result.file is not None:
        from .incremental import encode_sketch

        near.add(result.file.name, measure.sketch)
        result.sketch = encode_sketch(measure.sketch.size, measure.sketch.values)


def measured_before(recorded: Any, near: NearCopies | None) -> bool:
    """Whether the manifest holds what the batch needs of an untouched report (no need to read it)."""
    if recorded is None or recorded.chars is None:
        return False
    return near is None or sketch_of(recorded.sketch) is not None


def sketch_of(raw: bytes | None) -> Sketch | None:
    """A sketch as ``incremental.decode_sketch`` gives it back from the manifest (size, then values)."""
    from ..library.nearcopies import K, Sketch

    if raw is None or len(raw) != 4 + 4 * K:
        return None
    return Sketch(int.from_bytes(raw[:4], "little"), raw[4:])


def rules_threshold(rules: Rules) -> float:
    """The rules' ``similarity_threshold``, else the default."""
    return rules.similarity_threshold if rules.similarity_threshold is not None else SIMILARITY_THRESHOLD


#: Skipped reports read in one process below this many; above, in worker processes (fork).
PARALLEL_READ_FROM = 40
_STAMPER = Stamper()


@dataclass(frozen=True)
class ReportMeasure:
    """What a batch keeps of a report's text: its length, its sketch for the near-copy check, and
    the warnings about its text (``library.report_checks``: placeholders, a missing signature)."""

    chars: int
    sketch: Sketch | None
    warnings: tuple[str, ...] = ()
    style: tuple[str, ...] = ()  # house style findings (``style.report``), as messages
    style_errors: bool = False  # the rules say ``style: strict``


#: A report's measure (``None`` when unreadable) and a warning (``None`` when all went well).
Measured = tuple[ReportMeasure | None, str | None]


def measure_report(data: bytes, *, file: str | None = None, sketches: bool = True,
                   checks: bool = False, style: StyleSettings | None = None) -> ReportMeasure:
    text = report_text(data, file=file, paragraphs=style is not None)
    warnings = tuple(report_warnings(text.body.split("\n"), signed=text.signed)) if checks else ()
    found = tuple(check_report(text.paragraphs, style)) if style is not None else ()
    strict = bool(found) and style is not None and style.severity == "error"
    if not sketches:
        return ReportMeasure(text.chars, None, warnings, found, strict)
    from ..library.nearcopies import sketch

    return ReportMeasure(text.chars, sketch(text.body), warnings, found, strict)


def _stamp_and_measure(data: bytes, props: Mapping[str, str], *, sketches: bool,
                       style: StyleSettings | None = None) -> tuple[bytes, Measured]:
    try:
        data = _STAMPER.stamp(data, props)
        problem = None
    except InputError as exc:
        problem = f"报告已生成，但未能写入来源信息（{exc.message}）"
    try:
        return data, (measure_report(data, sketches=sketches, checks=True, style=style), problem)
    except InputError:
        return data, (None, problem)


@dataclass(frozen=True)
class StampAndMeasure:
    """``stamp_and_read``/``stamp_and_count`` that also checks the report's house style
    (picklable: a spawned pool sends it to its workers)."""

    sketches: bool
    style: StyleSettings | None

    def __call__(self, data: bytes, props: Mapping[str, str]) -> tuple[bytes, Measured]:
        return _stamp_and_measure(data, props, sketches=self.sketches, style=self.style)


def stamp_and_read(data: bytes, props: Mapping[str, str]) -> tuple[bytes, Measured]:
    """``render_jobs``' ``after`` hook: where the report was rendered, before its one write,
    stamp its provenance and measure its text (no second read, write and fsync per report;
    only the small measure travels back, never the text)."""
    return _stamp_and_measure(data, props, sketches=True)


def stamp_and_count(data: bytes, props: Mapping[str, str]) -> tuple[bytes, Measured]:
    """``stamp_and_read`` without the sketch, for a build that does not compare its reports."""
    return _stamp_and_measure(data, props, sketches=False)


@dataclass(frozen=True)
class StrictAfter:
    """``stamp_and_read`` for ``build --strict``: a report with a warning (placeholders, no signature,
    over ``max_chars``, under ``min_body_chars``) is that person's failure and is not written. A class, so a spawned pool can
    pickle it."""

    sketches: bool
    max_chars: int | None
    style: StyleSettings | None = None  # house style findings count as warnings too
    min_body_chars: int | None = None

    def __call__(self, data: bytes, props: Mapping[str, str]) -> tuple[bytes, Measured]:
        data, measured = _stamp_and_measure(data, props, sketches=self.sketches, style=self.style)
        measure, problem = measured
        warnings = [*(measure.warnings if measure is not None else ()), *(measure.style if measure is not None else ()),
                    *([problem] if problem else [])]
        if measure is not None:
            warnings.extend(length_warnings(measure.chars, self.max_chars, self.min_body_chars))
        if warnings:
            raise PersonError(strict_failure(warnings))
        return data, measured


def strict_failure(warnings: Iterable[str]) -> str:
    return "有警告，按 --strict 不写出这份报告：" + "；".join(warnings)


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


def over_limit(chars: int, limit: int | None) -> bool:
    """Whether a report of ``chars`` characters is longer than the rules' ``max_chars`` (a positive
    integer, see ``load.rules``) allow."""
    return limit is not None and chars > limit


def length_warnings(chars: int, max_chars: int | None, min_body_chars: int | None) -> list[str]:
    """A body's length against the rules, over ``max_chars`` and under ``min_body_chars``: the one check
    of both, for a batch (``note_measure``), ``--strict`` (``StrictAfter``) and a preview."""
    return [warning for warning in (length_warning(chars, max_chars), short_body_warning(chars, min_body_chars))
            if warning]


def length_warning(chars: int, limit: int | None) -> str | None:
    if limit is None or not over_limit(chars, limit):
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
    _warn_pairs(batch, threshold)


def same_comparison(batch: BatchResult, threshold: float, index: Any, names: Collection[str] | None = None) -> bool:
    """A rerun that rendered nothing, over the same reports: the last build's comparison still holds.

    Takes its pairs from the old manifest (``index.head``: so an unchanged rerun does not score
    pairs again) when they were found at the same threshold among exactly these reports; else ``False``.
    ``names``: the batch's report files that did not fail, when the caller knows them (else read from the reports).
    """
    pairs = _old_pairs(index, threshold)
    if pairs is None:
        return False
    if names is None:
        names = {report.file.name for report in batch.reports if report.file is not None and report.status != "failed"}
    if set(names) != index.compared:
        return False
    head = index.head
    batch.similar, batch.similar_total = pairs, head["similar_pairs"]
    batch.similar_approximate = bool(head.get("similar_pairs_at_least"))
    batch.similarity_threshold = threshold
    _warn_pairs(batch, threshold)
    return True


def compare_changed(batch: BatchResult, near: NearCopies, threshold: float, index: Any, *,
                    left: Collection[str], rendered: Collection[str]) -> bool:
    """A rerun that rendered a few reports (``rendered``) and left the rest (``left``): only the pairs
    with a report rendered are searched; the pairs between reports left are the last build's.

    Only when the last build compared at the same threshold and compared every report left; else
    ``False`` (compare all). The pairs between two reports left are those a full comparison finds
    again: their texts, and so their exact scores, are the same (the search for them is the same,
    too, pair by pair). When the last comparison was a lower bound (a cap reached) or listed fewer
    pairs than it counted (``MANIFEST_PAIRS``), so is this one (``similar_approximate``): the count
    is then of the pairs known, and pairs it left unlisted may be missing from the list. Its search
    then has the share of the caps that a full search spends on the pairs searched
    (``nearcopies.budget_share``), so that its time follows the number of reports rendered.
    """
    from ..library.nearcopies import budget_share

    pairs = _old_pairs(index, threshold)
    if pairs is None or not set(left) <= index.compared:
        return False
    capped = bool(index.head.get("similar_pairs_at_least"))
    partial = capped or index.head["similar_pairs"] != len(pairs)
    kept = set(left)
    old = [pair for pair in pairs if pair.a in kept and pair.b in kept]
    # a full search that stopped at its caps spent on these pairs only their share of the caps: so
    # may this one (else it is as long as the full search however few were rendered); one that
    # did not stop finds every pair, and so does this one, with the whole caps
    budget = budget_share(len(rendered), len(near)) if capped else 1.0
    found = near.find(lambda name: _body_of(batch.outdir / name), limit=MANIFEST_PAIRS, involving=rendered,
                      budget=budget)
    both = sorted([*old, *found.pairs], key=lambda pair: (-pair.score, pair.a, pair.b))
    batch.similar = both[:MANIFEST_PAIRS]
    batch.similar_total = max(len(old) + found.total, len(batch.similar))
    batch.similar_approximate = found.approximate or partial
    batch.similarity_threshold = threshold
    _warn_pairs(batch, threshold)
    return True


def _old_pairs(index: Any, threshold: float) -> list[SimilarPair] | None:
    """The near-copy pairs of the last build into the folder (``index.head``), if it compared at ``threshold``."""
    head = index.head
    if head.get("similarity_threshold") != threshold:
        return None
    similar, total = head.get("similar"), head.get("similar_pairs")
    if not isinstance(similar, list) or not isinstance(total, int):
        return None
    try:
        return [SimilarPair(a=item["a"], b=item["b"], score=item["score"], shared=list(item["shared"]),
                            containment=item["containment"]) for item in similar]
    except (KeyError, TypeError):
        return None


def _warn_pairs(batch: BatchResult, threshold: float) -> None:
    pairs = batch.similar or []
    for pair in pairs[:WARNED_PAIRS]:
        shared = f"；共同段落如“{_shorten(pair.shared[0])}”" if pair.shared else ""
        batch.warnings.append(
            f"{pair.a} 与 {pair.b} 的正文相似度为 {pair.score:.2f}（不低于 {threshold:.2f}）{shared}。"
            "请换用不同的片段或备选正文（variants），并写入本人的实际工作和数字"
        )
    more = batch.similar_total - min(len(pairs), WARNED_PAIRS)
    if more > 0:
        at_least = "至少" if batch.similar_approximate else ""
        batch.warnings.append(f"另有{at_least} {more} 对报告的相似度不低于 {threshold:.2f}，"
                              f"见 manifest.json 中的 similar，或运行 assembler similar {batch.outdir}")


def _shorten(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"

