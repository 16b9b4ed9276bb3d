"""``汇总.xlsx``: a batch's result as a sheet beside manifest.json, for staff who read Excel, not JSON.

One row per person, in people-file order: row, name, file, result (已生成 / 已跳过 / 失败),
body length, warnings, errors and the snippets used. Written like every other output: whole
or not at all (``output.atomic_write``), rows streamed (openpyxl's write-only mode: a batch
of ten thousand is never held as a sheet), and the same bytes for the same batch under
``SOURCE_DATE_EPOCH`` (the workbook's dates and every zip entry's time are that moment).
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from ..ooxml.core_properties import CORE_PART, build_time, with_dates
from ..output import atomic_write

SUMMARY_NAME = "汇总.xlsx"
STATUS = {"written": "已生成", "skipped": "已跳过", "failed": "失败"}
HEADERS = ("行号", "姓名", "文件", "结果", "正文字数", "警告", "错误", "所用片段")
WIDTHS = (6, 10, 36, 8, 10, 60, 60, 60)
#: Excel keeps at most this many characters in a cell.
CELL_LIMIT = 32767


class _Report(Protocol):
    row: int
    name: str
    status: str
    file: Path | None
    chars: int | None
    warnings: list[str]
    errors: list[str]
    snippets: list[str]


def _cell(text: str) -> str:
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - 1] + "…"


def summary_bytes(reports: Iterable[_Report], *, moment: _dt.datetime | None = None) -> bytes:
    """The workbook's bytes (see the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from ..load.values import clean_text

    aware = (moment or build_time()).astimezone(_dt.UTC)
    book = Workbook(write_only=True)
    book.properties.created = book.properties.modified = aware.replace(tzinfo=None)  # openpyxl: naive UTC
    book.properties.creator = "assembler"
    sheet = book.create_sheet("汇总")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for report in reports:
        sheet.append([
            report.row,
            _cell(clean_text(report.name)[0]),
            report.file.name if report.file is not None and report.status != "failed" else None,
            STATUS.get(report.status, report.status),
            report.chars,
            _cell(clean_text("\n".join(report.warnings))[0]) or None,
            _cell(clean_text("\n".join(report.errors))[0]) or None,
            _cell("、".join(report.snippets)) or None,
        ])
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_times(buffer.getvalue(), aware)


def _fixed_times(data: bytes, moment: _dt.datetime) -> bytes:
    """The same zip with every entry dated ``moment`` (openpyxl dates them with the clock)."""
    stamp = max(moment, _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)).astimezone(_dt.UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            payload = source.read(info.filename)
            if info.filename == CORE_PART:  # openpyxl sets modified to the clock when saving
                payload = with_dates(payload, moment)
            target.writestr(entry, payload)
    return out.getvalue()


def write_summary(folder: Path, reports: Iterable[_Report]) -> Path:
    """``汇总.xlsx`` in ``folder``, written atomically."""
    path = Path(folder) / SUMMARY_NAME
    atomic_write(path, summary_bytes(reports))
    return path
