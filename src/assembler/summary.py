"""The words for what a batch really did, shared by the CLI and the dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pipeline import BatchResult


def pdf_line(batch: BatchResult) -> str | None:
    """PDFs made now and PDFs of skipped reports left as they were; None when none was asked for."""
    if not batch.pdfs_made and not batch.pdfs_kept:
        return None
    line = f"PDF：新生成 {batch.pdfs_made} 份"
    if batch.pdfs_kept:
        line += f"，保留已有 {batch.pdfs_kept} 份（对应的报告已跳过，未重新生成）"
    return line
