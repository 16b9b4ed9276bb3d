"""A batch's reports converted to PDF through LibreOffice (``office``), beside the .docx files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .results import BatchResult, manifest_data, write_records
from .run import Progress

if TYPE_CHECKING:
    from .project import Project


def check_office() -> None:
    """Fail before anything is written when PDF output is asked for but LibreOffice is missing."""
    from ..office import require_office

    require_office()


#: Sources → per source (the PDF, or None and why): the office pool by default, the running office in Writer.
PdfConverter = Callable[[list[Path]], list[tuple[Path | None, str | None]]]


def add_pdfs(batch: BatchResult, *, jobs: int | None = None, timeout: float = 60.0,
             progress: Progress | None = None, project: Project | None = None, people: Path | None = None,
             convert: PdfConverter | None = None) -> None:
    """Convert the batch's reports to PDF beside them; a failed conversion fails that person.

    A PDF follows its .docx: converted when the report was written by this batch, or when its
    PDF is missing or older than the .docx; an up-to-date PDF is left as it is.
    """
    chosen: list[tuple[int, Path]] = []
    for index, report in enumerate(batch.reports):
        if report.status not in ("written", "skipped") or not report.file:
            continue
        if report.status == "skipped" and _pdf_current(report.file):
            report.pdf = report.file.with_suffix(".pdf")
            batch.reports[index] = report
            batch.pdfs_kept += 1
            continue
        chosen.append((index, report.file))
    if not chosen:
        write_records(batch, manifest_data(batch, project=project, people=people))
        return
    if convert is None:
        from ..office import convert_to_pdf

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
    write_records(batch, manifest_data(batch, project=project, people=people))


def _pdf_current(docx: Path) -> bool:
    """Whether the PDF beside an untouched report is there and not older than it."""
    try:
        return docx.with_suffix(".pdf").stat().st_mtime_ns >= docx.stat().st_mtime_ns
    except OSError:
        return False
