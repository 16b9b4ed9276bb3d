"""One person's report before a batch: as text with its length (``preview``), or as page images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..library.similarity import SKIPPED_STYLES, count_chars
from ..ooxml.text import docx_paragraphs
from ..output import atomic_write
from .measure import length_warning
from .plan import PersonPlan
from .project import Project


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
