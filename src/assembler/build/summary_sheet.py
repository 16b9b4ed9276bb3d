"""``汇总.xlsx``: a batch's result as a sheet beside manifest.json, for staff who read Excel, not JSON.

One row per person, in people-file order: row, name, file, result (已生成 / 已跳过 / 失败),
body length, warnings, errors and the snippets used. Written like every other output: whole
or not at all (``output.atomic_write``), rows streamed into the sheet's zip entry (a batch of
ten thousand is never held as a sheet), and the same bytes for the same batch under
``SOURCE_DATE_EPOCH`` (the workbook's dates and every zip entry's time are that moment).

openpyxl made the package (styles, the header row, widths, the frozen pane: ``SKELETON``); the people's rows
are written here as the cells openpyxl's write-only mode writes (numbers, inline strings), since
its per-cell machinery was a sixth of an unchanged rerun of ten thousand people. Unlike openpyxl, a
text starting with ``=`` is written as text, never as a formula.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from ..ooxml.core_properties import CORE_PART, build_time, with_dates
from ..output import atomic_write

SUMMARY_NAME = "汇总.xlsx"
STATUS = {"written": "已生成", "skipped": "已跳过", "failed": "失败"}
HEADERS = ("行号", "姓名", "文件", "结果", "正文字数", "警告", "错误", "所用片段")
WIDTHS = (6, 10, 36, 8, 10, 60, 60, 60)
SHEET_PART = "xl/worksheets/sheet1.xml"
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


class SummaryRows:
    """The sheet's rows gathered while the reports are read for something else (manifest.json), on
    disk, so a batch of ten thousand is read back once for both files, and never held."""

    def __init__(self) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile(prefix="assembler-summary-")
        self._next = 2

    def add(self, report: _Report) -> None:
        self._file.write(_row_xml(self._next, row_values(report)).encode("utf-8"))
        self._next += 1

    def chunks(self) -> Iterator[bytes]:
        self._file.seek(0)
        return iter(lambda: self._file.read(1 << 20), b"")

    def close(self) -> None:
        self._file.close()


#: The workbook without the people's rows, as ``openpyxl_skeleton`` makes it (committed, so that a
#: build does not import openpyxl for a header row; tests/test_summary_sheet.py keeps the two equal:
#: ``scripts/build_summary_skeleton.py`` writes it again).
SKELETON = Path(__file__).resolve().parents[1] / "data" / "summary-skeleton.xlsx"


@functools.cache
def _skeleton() -> bytes:
    return SKELETON.read_bytes()


def summary_bytes(reports: Iterable[_Report], *, moment: _dt.datetime | None = None,
                  rows: Iterable[bytes] | None = None) -> bytes:
    """The workbook's bytes (see the module docstring); ``rows``: the people's rows made already
    (``SummaryRows.chunks``), instead of from ``reports``."""
    aware = (moment or build_time()).astimezone(_dt.UTC)
    return _fixed_times(_skeleton(), aware, _row_chunks(reports) if rows is None else rows)


def openpyxl_skeleton() -> bytes:
    """The workbook with its header row only, made by openpyxl: styles, the header in bold, widths,
    the frozen pane (its dates are set again by ``_fixed_times``)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    book.properties.created = book.properties.modified = _dt.datetime(2000, 1, 1)  # openpyxl: naive UTC
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
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_times(buffer.getvalue(), _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC))


def row_values(report: _Report) -> list[str | int | None]:
    """A person's cells, as the sheet's columns (``HEADERS``) have them."""
    from ..load.values import clean_text

    return [
        report.row,
        _cell(clean_text(report.name)[0]),
        report.file.name if report.file is not None and report.status != "failed" else None,
        STATUS.get(report.status, report.status),
        report.chars,
        _cell(clean_text("\n".join(report.warnings))[0]) or None,
        _cell(clean_text("\n".join(report.errors))[0]) or None,
        _cell("、".join(report.snippets)) or None,
    ]


#: What an XML 1.0 text cannot hold (clean_text has taken them out of the people's own texts already).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_MARKUP = re.compile("[&<>\r]")


def _escaped(text: str) -> str:
    """``&``, ``<``, ``>`` and a carriage return as openpyxl escapes them (most cells have none:
    one search, not a ``translate`` over every character)."""
    if _MARKUP.search(text) is None:
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


_COLUMNS = "ABCDEFGH"


def _row_xml(number: int, values: Iterable[str | int | None]) -> str:
    """One ``<row>`` as openpyxl's write-only mode writes it (an empty cell left out)."""
    cells = []
    for letter, value in zip(_COLUMNS, values, strict=False):
        if value is None or value == "":
            continue
        if isinstance(value, int):
            cells.append(f'<c r="{letter}{number}" t="n"><v>{int(value)}</v></c>')
            continue
        text = _NOT_XML.sub("", value) if _NOT_XML.search(value) else value
        space = ' xml:space="preserve"' if text != text.strip() else ""
        cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t{space}>{_escaped(text)}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _row_chunks(reports: Iterable[_Report], size: int = 200) -> Iterator[bytes]:
    """The people's rows (from row 2), ``size`` at a time."""
    chunk: list[str] = []
    for number, report in enumerate(reports, start=2):
        chunk.append(_row_xml(number, row_values(report)))
        if len(chunk) == size:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("utf-8")


def _fixed_times(data: bytes, moment: _dt.datetime, rows: Iterable[bytes] = ()) -> bytes:
    """The same zip with every entry dated ``moment`` (openpyxl dates them with the clock), and
    ``rows`` streamed into the sheet after its header row."""
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
            if info.filename == SHEET_PART:
                head, end, tail = payload.partition(b"</sheetData>")
                if not end:
                    raise ValueError("openpyxl wrote the sheet without <sheetData>")
                with target.open(entry, "w") as stream:
                    stream.write(head)
                    for chunk in rows:
                        stream.write(chunk)
                    stream.write(end + tail)
                continue
            target.writestr(entry, payload)
    return out.getvalue()


def write_summary(folder: Path, rows: SummaryRows) -> Path:
    """``汇总.xlsx`` in ``folder``, written atomically, of the rows gathered as the manifest was written."""
    path = Path(folder) / SUMMARY_NAME
    atomic_write(path, summary_bytes((), rows=rows.chunks()))
    return path
