"""One person's report before a batch: as text with its length (``preview``), or as page images."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..library.report_checks import report_warnings
from ..library.similarity import SKIPPED_STYLES, count_chars
from ..ooxml.text import docx_paragraphs
from ..output import atomic_write
from ..style.report import check_report
from .measure import length_warning, length_warnings
from .plan import PersonPlan
from .project import Project


@dataclass
class Preview:
    text: str
    chars: int  # as ``similarity.count_chars`` counts, body only
    warning: str | None  # beyond the rules' max_chars
    #: the report's text (``library.report_checks``) and a body under the rules' ``min_body_chars``
    warnings: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)  # house style findings (``style.report``)


def preview(project: Project, plan: PersonPlan) -> Preview:
    """One person's report as plain text, with its length against the rules' ``max_chars``."""
    if not plan.ok:
        raise InputError("；".join(plan.errors), file=None, row=plan.row)
    data = project.prepared(plan.selection).render(plan.context)
    paragraphs = docx_paragraphs(data)
    body = [p for p in paragraphs if p.style not in SKIPPED_STYLES]
    chars = sum(count_chars(p.text) for p in body)
    signed = any(p.style == "Signature" and p.text.strip() for p in paragraphs)
    warnings = [*report_warnings([p.full for p in body], signed=signed),
                *length_warnings(chars, None, project.rules.min_body_chars)]  # max_chars: ``warning``
    style = check_report([(p.style, p.number, p.text) for p in paragraphs], project.style)
    return Preview("\n".join(p.full for p in paragraphs), chars, length_warning(chars, project.rules.max_chars),
                   warnings, style)


def render_person(project: Project, plan: PersonPlan) -> bytes:
    return project.prepared(plan.selection).render(plan.context)


def preview_pages(project: Project, plan: PersonPlan, outdir: Path, *, dpi: int = 100) -> list[Path]:
    """Page images of one person's report, so staff can look before printing."""
    import tempfile

    from ..office import convert_to_pdf, pdf_to_png

    with tempfile.TemporaryDirectory(prefix="assembler-preview-") as tmp:
        docx_path = Path(tmp) / f"{plan.output_stem or 'preview'}.docx"
        atomic_write(docx_path, render_person(project, plan))
        [converted] = convert_to_pdf([docx_path], jobs=1)
        if converted.pdf is None:
            raise InputError(f"转换 PDF 失败：{converted.error}")
        outdir.mkdir(parents=True, exist_ok=True)
        return pdf_to_png(converted.pdf, outdir, dpi=dpi)
