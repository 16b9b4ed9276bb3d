"""Reading the people file (Excel, CSV, YAML, JSON) and typing each person's values.

``read_people`` gives the raw table: the headers and one ``PersonRow`` per person,
numbered the way the user sees it (the spreadsheet row, or the item of a YAML/JSON
list). ``open_people`` gives the same rows one at a time as they are read, so a
batch of ten thousand people never holds the whole sheet (Excel and CSV).
``match_headers`` ties headers to declared variables (by name or label), and
``type_values`` types one person's cells: a bad value becomes an error *for that
person*, never an exception, so the rest of the batch goes on.

Size: one file on purpose — it is where a people-file format is added (``open_people`` chooses the
reader by suffix; each reader turns its format into the same ``PeopleStream``), and the readers share
the grid→table code and the messages that tell a clerk how to re-save the file.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InputError
from ..spool import Spool
from .values import CnDate, Num, TextList, VarSpec, clean_text, convert, is_blank, show_value

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv")
DATA_SUFFIXES = (".yaml", ".yml", ".json")
SUPPORTED_SUFFIXES = SPREADSHEET_SUFFIXES + CSV_SUFFIXES + DATA_SUFFIXES

OVERRIDE_HEADERS = ("选稿", "snippets")

EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!"})

_RESAVE_CSV = "在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或改用 .xlsx"
_EMPTY_TABLE = "人员表是空的：请在第一行填写列名（如 姓名、单位），从第二行起每行填写一个人"
_RESAVE_XLSX = "请确认它是 .xlsx 格式（可用 Excel 另存为 .xlsx）"
_OTHER_FORMATS = {
    ".xls": "旧版 Excel 的 .xls 格式",
    ".et": "WPS 表格的 .et 格式",
    ".ett": "WPS 表格模板",
    ".ods": "OpenDocument 表格（.ods）",
    ".numbers": "Numbers 表格",
    ".xltx": "Excel 模板（.xltx）",
    ".xlsb": "Excel 二进制工作簿（.xlsb）",
}


@dataclass
class PersonRow:
    """One person: ``row`` as the user sees it; ``values`` maps the (stripped) header to the raw cell.

    ``kind`` is ``"table"`` for Excel/CSV cells and ``"data"`` for YAML/JSON items.
    """

    row: int
    values: dict[str, Any]
    kind: str = "table"


@dataclass
class PeopleTable:
    path: Path
    headers: list[str]
    rows: list[PersonRow]


@dataclass
class PeopleStream:
    """A people file whose header row has been read and checked; ``rows`` reads the rest
    once, lazily. Problems with the file further down raise ``InputError`` while iterating,
    so a caller that must not write anything for a bad file reads it through first."""

    path: Path
    headers: list[str]
    rows: Iterator[PersonRow]


# ---------------------------------------------------------------- reading


def read_people(path: Path, sheet: str | None = None) -> PeopleTable:
    """Read a people file; every problem with the file itself is an ``InputError``."""
    stream = open_people(path, sheet)
    return PeopleTable(path=stream.path, headers=stream.headers, rows=list(stream.rows))


def open_people(path: Path, sheet: str | None = None) -> PeopleStream:
    """The people file as a stream of rows (see ``PeopleStream``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError("人员表文件不存在，请检查路径和文件名", file=path)
    if path.is_dir():
        raise InputError("这是一个文件夹，请给出人员表文件的路径（.xlsx、.csv、.yaml 或 .json）", file=path)
    if suffix not in SUPPORTED_SUFFIXES:
        supported = "、".join(SUPPORTED_SUFFIXES)
        what = _OTHER_FORMATS.get(suffix)
        if what:
            raise InputError(
                f"不支持{what}；请在 Excel 或 WPS 中“另存为” .xlsx 格式后再试（支持：{supported}）", file=path
            )
        shown = f"“{suffix}”" if suffix else "（没有扩展名）"
        raise InputError(f"不支持的人员表格式{shown}；支持的格式：{supported}，请另存为其中一种", file=path)
    if suffix in SPREADSHEET_SUFFIXES:
        return _read_xlsx(path, sheet)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    return _stream_data(path, suffix)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"无法读取文件（{exc.strerror or exc}），请确认文件没有被其他程序占用", file=path
        ) from None


# ---- grid → table (shared by Excel and CSV)


def _column(index: int) -> str:
    """0-based column index → ``第3列（C）``."""
    from openpyxl.utils import get_column_letter

    return f"第{index + 1}列（{get_column_letter(index + 1)}）"


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return str(CnDate.from_date(value))
    text, _ = clean_text(str(value))
    return text.strip()


def _row_blank(cells: Sequence[Any]) -> bool:
    return all(is_blank(cell) for cell in cells)


Grid = Iterable[tuple[int, list[Any]]]


def _table_from_grid(path: Path, grid: Grid, *, kind: str, merges: _Merges | None = None) -> PeopleStream:
    """Header row = the first non-empty row; people = every later non-empty row.

    The grid is read up to the header row here (so a bad header fails at once) and
    the rest as the stream's rows are taken.
    """
    rows_in = iter(grid)
    header_row, header_cells = next(((number, cells) for number, cells in rows_in if not _row_blank(cells)),
                                    (0, []))
    if not header_row:
        raise InputError(_EMPTY_TABLE, file=path)
    if merges is not None:
        merges.check_header(header_row)
    headers = [_header_text(cell) for cell in header_cells]
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        if header in seen:
            raise InputError(
                f"列名“{header}”重复出现：{_column(seen[header])}和{_column(index)}；"
                "请删除重复的列，或把其中一列改成不同的名字",
                file=path, row=header_row,
            )
        seen[header] = index
    return PeopleStream(path=path, headers=list(seen),
                        rows=_grid_rows(path, rows_in, headers, seen, header_row, kind, merges))


def _grid_rows(path: Path, rows_in: Iterator[tuple[int, list[Any]]], headers: list[str], seen: dict[str, int],
               header_row: int, kind: str, merges: _Merges | None) -> Iterator[PersonRow]:
    found = False
    # every column named, each once: a row no longer than the header row is its cells zipped with
    # the names (the check below, cell by cell, is for a row with cells that have no name)
    named = all(headers) and len(seen) == len(headers)
    for number, cells in rows_in:
        if merges is not None:
            merges.apply(number, cells)
        if _row_blank(cells):
            continue
        if named and len(cells) <= len(headers):
            values = dict(zip(headers, cells, strict=False))
            if len(cells) < len(headers):
                values.update(dict.fromkeys(headers[len(cells):]))
            found = True
            yield PersonRow(row=number, values=values, kind="table")
            continue
        values = {}
        for index, cell in enumerate(cells):
            header = headers[index] if index < len(headers) else ""
            if header:
                values[header] = cell
            elif not is_blank(cell):
                if index < len(headers):
                    raise InputError(
                        f"{_column(index)}有数据（“{show_value(cell)}”）但没有列名；"
                        f"请在第{header_row}行给这一列填写列名，或删除这一列的数据",
                        file=path, row=number,
                    )
                extra = "请"
                if kind == "csv":
                    extra = "请检查这一行是否多写了逗号（值里的逗号要用引号括起来），或"
                raise InputError(
                    f"这一行的值比列名多：{_column(index)}的“{show_value(cell)}”没有列名；"
                    f"{extra}在第{header_row}行为这一列补上列名",
                    file=path, row=number,
                )
        for header in seen:
            values.setdefault(header, None)
        found = True
        yield PersonRow(row=number, values=values, kind="table")
    if not found:
        raise InputError(
            f"人员表只有列名，没有人员：请从第{header_row + 1}行起每行填写一个人",
            file=path, row=header_row,
        )


# ---- Excel


def _excel_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


#: A people workbook inflating beyond this is refused before openpyxl sees it: a few
#: megabytes zipped can hold gigabytes of XML (a zip bomb), which openpyxl would parse
#: for minutes and hold in memory. Ten thousand people take a few tens of megabytes.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024


def _check_xlsx_size(path: Path) -> None:
    """Refuse a zip bomb by the sizes the archive declares (Python's zipfile never reads past them)."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise InputError(f"无法读取 Excel 文件（文件不是有效的 .xlsx（zip）文件），{_RESAVE_XLSX}", file=path) from None
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror or exc}），请确认文件没有被其他程序占用", file=path) from None
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(
            f"Excel 文件解压后过大（{total // (1024 * 1024)} MB，上限 {MAX_XLSX_UNCOMPRESSED // (1024 * 1024)} MB），"
            "拒绝读取（疑似压缩炸弹）；请只保留人员表的工作表，在 Excel 中另存为新的 .xlsx 后再试",
            file=path,
        )


def _read_xlsx(path: Path, sheet: str | None) -> PeopleStream:
    from openpyxl import load_workbook

    _check_xlsx_size(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        reason = "文件已损坏或格式不对"
        if isinstance(exc, zipfile.BadZipFile):
            reason = "文件不是有效的 .xlsx（zip）文件"
        raise InputError(f"无法读取 Excel 文件（{reason}），{_RESAVE_XLSX}", file=path) from None
    try:
        names = list(book.sheetnames)
        if sheet is None:
            if not book.worksheets:
                raise InputError("这个 Excel 文件中没有工作表，请在第一个工作表中填写人员", file=path)
            ws = book.worksheets[0]
        else:
            chosen = sheet if sheet in names else next((n for n in names if n.strip() == sheet.strip()), None)
            if chosen is None:
                raise InputError(
                    f"找不到工作表“{sheet}”；这个文件中的工作表有：{'、'.join(names)}，"
                    "请用 --sheet 指定其中一个",
                    file=path,
                )
            ws = book[chosen]
            if not hasattr(ws, "iter_rows"):
                raise InputError(f"“{chosen}”是图表，不是工作表；请指定填写人员的工作表", file=path)
        ws.reset_dimensions()
        merged = _merged_ranges(path, getattr(ws, "_worksheet_path", None))
    except InputError:
        book.close()
        raise
    except Exception:
        book.close()
        raise InputError(f"无法读取 Excel 文件（文件已损坏），{_RESAVE_XLSX}", file=path) from None
    return _table_from_grid(path, _sheet_rows(path, book, ws), kind="xlsx",
                            merges=_Merges(path, merged) if merged else None)


def _sheet_rows(path: Path, book: Any, ws: Any) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows as they are parsed; the workbook closes when they run out (or the reader stops)."""
    try:
        rows = enumerate(ws.iter_rows(values_only=True), start=1)
        while True:
            try:
                number, cells = next(rows)
            except StopIteration:
                return
            except Exception:
                raise InputError(f"无法读取 Excel 文件（文件已损坏），{_RESAVE_XLSX}", file=path) from None
            yield number, [_excel_value(value) for value in cells]
    finally:
        book.close()


_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"')


def _merged_ranges(path: Path, sheet_path: str | None) -> list[tuple[str, int, int, int, int]]:
    """Merged ranges of the sheet, read from its XML (read-only openpyxl cannot see them).

    Each range is (ref, min_col, min_row, max_col, max_row), 1-based.
    """
    from openpyxl.utils.cell import range_boundaries

    if not sheet_path:
        return []
    with zipfile.ZipFile(path) as archive:
        name = sheet_path.lstrip("/")
        if name not in archive.namelist():
            return []
        data = archive.read(name)
    if b"mergeCell" not in data:
        return []
    out = []
    for match in _MERGE.finditer(data):
        ref = match.group(1).decode("ascii").upper()
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        out.append((ref, min_col, min_row, max_col, max_row))
    return out


class _Merges:
    """Merged cells, applied row by row: an error in the header row; a vertical merge in the
    data is filled down.

    A cell merged over several people (单位 for a whole office) means the same value
    for each of them; a merge across columns has no such reading and is refused.
    """

    def __init__(self, path: Path, merged: list[tuple[str, int, int, int, int]]) -> None:
        self.path = path
        self.pending = sorted(merged, key=lambda item: (item[2], item[1]))
        self.active: list[tuple[int, int, Any]] = []  # (column, last row, value)

    def check_header(self, header_row: int) -> None:
        kept = []
        for ref, min_col, min_row, max_col, max_row in self.pending:
            if max_row < header_row:
                continue
            if min_row <= header_row:
                raise InputError(
                    f"第{header_row}行有合并单元格（{ref}），请取消合并：每一列都要有自己的列名；"
                    "如果上面是表格标题，请删除标题行，让列名位于第一行",
                    file=self.path, row=header_row,
                )
            kept.append((ref, min_col, min_row, max_col, max_row))
        self.pending = kept

    def apply(self, number: int, cells: list[Any]) -> None:
        self.active = [merge for merge in self.active if merge[1] >= number]
        for column, _, value in self.active:
            while len(cells) < column:
                cells.append(None)
            if is_blank(cells[column - 1]):
                cells[column - 1] = value
        while self.pending and self.pending[0][2] <= number:
            ref, min_col, min_row, max_col, max_row = self.pending.pop(0)
            value = cells[min_col - 1] if min_row == number and len(cells) >= min_col else None
            if is_blank(value):
                continue
            if max_col > min_col:
                raise InputError(
                    f"第{min_row}行有跨列的合并单元格（{ref}），请取消合并，把值分别填入每一列",
                    file=self.path, row=min_row,
                )
            self.active.append((min_col, max_row, value))


# ---- CSV


def decode_text(data: bytes, *, file: str | Path) -> str:
    """Bytes of a text file the user saved, decoded as ``detect_encoding`` finds."""
    return data.decode(detect_encoding(data, file=file))


class _Source:
    """A text file's bytes: in memory, or read from disk piece by piece (a CSV of ten
    thousand people is megabytes, and is never held whole)."""

    PIECE = 1 << 20

    def __init__(self, *, data: bytes | None = None, path: Path | None = None) -> None:
        self.data = data
        self.path = path

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        try:
            return open(self.path, "rb")  # noqa: SIM115 - the caller closes it
        except OSError as exc:
            raise InputError(f"无法读取文件（{exc.strerror or exc}），请确认文件没有被其他程序占用",
                             file=self.path) from None

    def pieces(self) -> Iterator[bytes]:
        with self.open() as handle:
            try:
                while piece := handle.read(self.PIECE):
                    yield piece
            except OSError as exc:
                raise InputError(f"无法读取文件（{exc.strerror or exc}），请确认文件没有被其他程序占用",
                                 file=self.path) from None

    def head(self, size: int = 4096) -> bytes:
        with self.open() as handle:
            return handle.read(size)

    def all(self) -> bytes:
        return self.data if self.data is not None else b"".join(self.pieces())

    def blank(self) -> bool:
        return all(not piece.strip(b" \t\r\n\xef\xbb\xbf") for piece in self.pieces())


def detect_encoding(data: bytes, *, file: str | Path) -> str:
    """The codec of a text file the user saved: UTF-8 (with or without BOM), UTF-16, GB18030, others.

    Excel in China saves CSV as GBK (“ANSI”), which GB18030 covers; charset-normalizer
    is asked only when neither UTF-8 nor GB18030 fits. The codec names returned drop a
    BOM when decoding.
    """
    return _detect(_Source(data=data), file=file)


def _detect(source: _Source, *, file: str | Path) -> str:
    """``detect_encoding``; candidates are tried piece by piece, so a large file is never held
    decoded (or, from disk, read whole) only to be checked."""
    head = source.head()
    if head.startswith(b"\xef\xbb\xbf") and _decodes(source, "utf-8-sig"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) and _decodes(source, "utf-32"):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not head.startswith(b"\xff\xfe\x00\x00") \
            and _decodes(source, "utf-16"):
        return "utf-16"
    tried = ["UTF-8", "GB18030（含 GBK、GB2312）"]
    if b"\x00" in head:
        # UTF-16 without a BOM: ASCII characters leave a zero byte beside them. A stray NUL
        # in a UTF-8 file is not that (UTF-16 text is almost never valid UTF-8 with few zeros).
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if max(odd, even) * 5 < len(head) // 2 and _decodes(source, "utf-8"):
            return "utf-8"
        encoding = "utf-16-le" if odd >= even else "utf-16-be"
        if _decodes(source, encoding):
            return encoding
        tried.insert(0, "UTF-16")
    else:
        if _decodes(source, "utf-8"):
            if _gbk_in_disguise(source) and _decodes(source, "gb18030"):
                return "gb18030"
            return "utf-8"
        if _decodes(source, "gb18030"):
            return "gb18030"
        guess = _guess_encoding(source.all())
        if guess is not None:
            return guess
        tried.append("Big5、Shift_JIS、EUC-KR 等")
    raise InputError(
        f"无法识别文件的编码（已尝试 {'、'.join(tried)}）；请{_RESAVE_CSV}",
        file=file,
    )


#: How much of a file the UTF-8-or-GBK question looks at (a CSV's header and first rows).
_SNIFF = 64 * 1024


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") and not char.isascii()


def _unlikely(char: str) -> bool:
    """What GBK bytes read as UTF-8 give and a people file in UTF-8 hardly holds: C1 controls,
    and the scripts from IPA to Greek Extended (Greek, Cyrillic, Hebrew, Arabic …). Latin
    letters and symbols, general punctuation (– ’ …) and full-width forms are not."""
    return "\u0080" <= char <= "\u009f" or "\u0250" <= char <= "\u1fff"


def _gbk_in_disguise(source: _Source) -> bool:
    """Whether bytes that are valid UTF-8 are really GBK: short GBK text can be valid UTF-8
    (职 is D6 B0, which UTF-8 reads as the Hebrew point U+05B0; 位 reads as λ). A UTF-8
    reading with no CJK character but an unlikely one (``_unlikely``), where GB18030 reads
    CJK, is not UTF-8; a UTF-8 file of José, Zürich or O’Neil – is left alone."""
    head = source.head(_SNIFF)
    if head.isascii():
        return False
    as_utf8 = head.decode("utf-8", "ignore")
    if any(_is_cjk(char) for char in as_utf8) or not any(_unlikely(char) for char in as_utf8):
        return False
    return any(_is_cjk(char) for char in head.decode("gb18030", "ignore"))


def _decodes(source: _Source | bytes, encoding: str) -> bool:
    import codecs

    pieces = source.pieces() if isinstance(source, _Source) else iter((source,))
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        for piece in pieces:
            decoder.decode(piece)
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _guess_encoding(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    candidates = ["big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949"]
    best = from_bytes(data, cp_isolation=candidates).best()
    if best is None or not _decodes(data, best.encoding):
        return None
    return best.encoding


def _delimiter(lines: Iterable[str]) -> str:
    """The delimiter among , TAB ; that the header line uses most (outside quotes)."""
    for line in lines:
        if line.strip().strip(",;\t").strip():
            header = re.sub(r'"[^"]*"', "", line)
            counts = {sep: header.count(sep) for sep in (",", "\t", ";")}
            best = max(counts, key=lambda sep: counts[sep])
            return best if counts[best] else ","
    return ","


def _read_csv(path: Path) -> PeopleStream:
    source = _Source(path=path)
    if source.blank():
        raise InputError(_EMPTY_TABLE, file=path)
    encoding = _detect(source, file=path)
    with io.TextIOWrapper(source.open(), encoding=encoding) as lines:
        first = next((line for line in lines if line.strip()), "")
    with io.TextIOWrapper(source.open(), encoding=encoding) as lines:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(lines)
    if delimiter == "," and "," not in first and "，" in first:
        raise InputError(
            "第一行的列名之间用了中文逗号“，”；CSV 文件要用英文逗号“,”分隔各列，请改正后再试（或改用 .xlsx）",
            file=path, row=1,
        )
    # decoded as it is read; strict: an unclosed quote is an error, not one cell swallowing the rest.
    text = io.TextIOWrapper(source.open(), encoding=encoding, newline="")
    return _table_from_grid(path, _csv_rows(path, text, delimiter), kind="csv")


def _csv_rows(path: Path, text: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    with text:
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"CSV 格式错误（{exc}），请检查引号是否成对；也可{_RESAVE_CSV}",
                                 file=path, row=number + 1) from None
            except (OSError, UnicodeDecodeError):  # changed or lost while being read
                raise InputError(f"读取文件时出错（文件可能正被修改），请关闭其他程序后重试；也可{_RESAVE_CSV}",
                                 file=path, row=number + 1) from None
            number += 1
            yield number, list(record)


# ---- YAML / JSON


def _plain(value: Any) -> Any:
    """Line-remembering YAML containers → plain dict and list."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _no_duplicates(path: Path) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise _DuplicateKey(key)
            out[key] = value
        return out

    return hook


class _DuplicateKey(Exception):
    pass


def load_data(path: Path, data: bytes, suffix: str) -> Any:
    """YAML (anchors and aliases refused) or JSON, with errors that name the file and line."""
    text = decode_text(data, file=path)
    if suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates(path))
        except json.JSONDecodeError as exc:
            raise InputError(f"JSON 格式错误（{exc.msg}），请检查括号、逗号和引号", file=path,
                             line=exc.lineno) from None
        except _DuplicateKey as exc:
            raise InputError(
                f"键“{exc.args[0]}”在同一项中重复出现，请删除或合并其中一个", file=path
            ) from None
        except RecursionError:
            raise InputError("JSON 嵌套层数过多，请简化文件内容", file=path) from None
    from .yamlio import load_yaml

    try:
        return load_yaml(text.replace("\r\n", "\n").replace("\r", "\n"), file=path)
    except RecursionError:
        raise InputError("YAML 嵌套层数过多，请简化文件内容", file=path) from None



def _data_example(suffix: str) -> str:
    return "- {姓名: 张三, 单位: 青山镇}" if suffix != ".json" else '[{"姓名": "张三", "单位": "青山镇"}]'


def _stream_data(path: Path, suffix: str) -> PeopleStream:
    """A YAML/JSON list of people, parsed item by item (``dataitems``) and checked through at once.

    The headers are every key of every item, so the whole file is read here; the rows wait
    on disk (``spool.Spool``) and are read back as they are taken: a file of any length is
    never held in memory, and a bad item far down still stops the batch before it starts.
    """
    from .dataitems import DuplicateKey, NotAList, Unstreamable, json_items, yaml_items

    example = _data_example(suffix)
    source = _Source(path=path)
    if source.blank():
        raise InputError(f"人员表是空的：请写成一个列表，每项是一个人，如 {example}", file=path)
    encoding = _detect(source, file=path)
    items = json_items(path, encoding) if suffix == ".json" else yaml_items(path, encoding)
    headers: dict[str, None] = {}
    spool = Spool()
    try:
        try:
            for index, line, item in items:
                row = _data_row(path, index, line, item, example)
                headers.update(dict.fromkeys(row.values))
                spool.append(row)
        except Unstreamable:
            spool.close()
            spool, headers = Spool(), {}
            for index, line, item in _whole_data(path, suffix, example):
                row = _data_row(path, index, line, item, example)
                headers.update(dict.fromkeys(row.values))
                spool.append(row)
    except NotAList as exc:
        spool.close()
        if exc.kind == "null":
            raise InputError(f"人员表是空的：请写成一个列表，每项是一个人，如 {example}", file=path) from None
        what = "一个映射（键: 值）" if exc.kind == "mapping" else f"“{show_value(exc.value)}”"
        raise InputError(f"人员表应是一个列表，每项是一个人，这里却是{what}；请写成如 {example}",
                         file=path, line=exc.line or 1) from None
    except DuplicateKey as exc:
        spool.close()
        raise InputError(f"键“{exc.key}”在同一项中重复出现，请删除或合并其中一个", file=path,
                         row=exc.index) from None
    except BaseException:
        spool.close()
        raise
    if not len(spool):
        spool.close()
        raise InputError(f"人员表是空列表，没有人员；请每项写一个人，如 {example}", file=path)
    return PeopleStream(path=path, headers=list(headers), rows=_spooled(spool))


def _whole_data(path: Path, suffix: str, example: str) -> Iterator[tuple[int, int | None, Any]]:
    """The items of a file read whole (``load_data``): for the rare file the streaming parser refuses."""
    from .dataitems import NotAList

    loaded = load_data(path, _read_bytes(path), suffix)
    if loaded is None:
        raise NotAList("null")
    if not isinstance(loaded, list):
        raise NotAList("mapping" if isinstance(loaded, dict) else "scalar", loaded, getattr(loaded, "line", None))
    for index, item in enumerate(loaded, start=1):
        yield index, None, item


def _spooled(spool: Spool) -> Iterator[PersonRow]:
    try:
        yield from spool
    finally:
        spool.close()


def _data_row(path: Path, index: int, line: int | None, item: Any, example: str) -> PersonRow:
    if not isinstance(item, dict):
        raise InputError(
            f"第{index}项不是“列名: 值”的映射（而是“{show_value(item)}”）；每项应写一个人，如 {example}",
            file=path, line=line, row=None if line else index,
        )
    values: dict[str, Any] = {}
    for key, value in item.items():
        header = _header_text(key)
        if not header:
            raise InputError(f"第{index}项有一个空的列名，请补上列名或删除这个值", file=path,
                             line=line, row=None if line else index)
        if header in values:
            raise InputError(f"第{index}项中列名“{header}”出现了两次，请删除其中一个", file=path,
                             line=line, row=None if line else index)
        values[header] = _plain(value)
    return PersonRow(row=index, values=values, kind="data")


# ---------------------------------------------------------------- headers → variables


@dataclass
class HeaderMap:
    columns: dict[str, str] = field(default_factory=dict)
    override_column: str | None = None
    unknown: list[str] = field(default_factory=list)


def normalize_header(text: str) -> str:
    """For matching only: NFKC (full-width brackets and letters), no whitespace, case folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def match_headers(headers: list[str], specs: Mapping[str, VarSpec], *, file: str | Path | None) -> HeaderMap:
    """Tie each header to a variable by name or label (exact, then ignoring width, spaces, case)."""
    exact: dict[str, str] = {}
    name: str | None
    for name, spec in specs.items():
        if spec.label:
            exact.setdefault(spec.label, name)
    for name in specs:
        exact[name] = name  # a name wins over another variable's label
    loose: dict[str, set[str]] = {}
    for key, name in exact.items():
        loose.setdefault(normalize_header(key), set()).add(name)
    overrides = {normalize_header(h) for h in OVERRIDE_HEADERS}
    hmap = HeaderMap()
    taken: dict[str, str] = {}
    for header in headers:
        key = header.strip()
        name = exact.get(key)
        if name is None:
            candidates = loose.get(normalize_header(key), set())
            name = next(iter(candidates)) if len(candidates) == 1 else None
        if name is None and normalize_header(key) in overrides:
            if hmap.override_column is not None:
                raise InputError(
                    f"人员表中有两列选稿列（“{hmap.override_column}”和“{header}”），请合并为一列",
                    file=file,
                )
            hmap.override_column = header
            continue
        if name is None:
            hmap.unknown.append(header)
            continue
        if name in taken:
            raise InputError(
                f"列“{taken[name]}”和列“{header}”都对应变量 {specs[name].display}；请删除其中一列",
                file=file,
            )
        taken[name] = header
        hmap.columns[header] = name
    if specs and headers and not hmap.columns and hmap.override_column is None:
        # Not one column is known: mojibake from a file in another encoding, or the wrong file.
        # Going on would fail every person for every value; one message says why.
        shown = "、".join(h for h in headers[:8] if h.strip()) or "（空）"
        wanted = "、".join((spec.label or name) for name, spec in list(specs.items())[:6])
        raise InputError(
            f"人员表的列名（{shown}）没有一个对应规则中的变量（如 {wanted}）；"
            "如果列名是乱码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx；"
            "否则请检查是否选错了文件或工作表，可用 assembler variables --xlsx 生成带正确列名的空白人员表",
            file=file,
        )
    return hmap


# ---------------------------------------------------------------- typing one person


@dataclass
class TypedRow:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)  # variables whose value was refused (already an error)


def _shown(header: str, name: str) -> str:
    return f"“{header}”（{name}）" if header != name else f"“{name}”"


def _clean_typed(value: Any) -> tuple[Any, list[str]]:
    """Remove characters a .docx cannot hold from the strings of a typed value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, TextList):
        removed: list[str] = []
        items = []
        for item in value:
            text, gone = clean_text(item)
            removed += [code for code in gone if code not in removed]
            if text.strip():
                items.append(text.strip())
        return TextList(items), removed
    return value, []


_OVERRIDE_SPLIT = re.compile(r"[\s、,，;；]+")
_OVERRIDE = re.compile(r"^[+-][A-Za-z0-9_\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]*$")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-"})


def parse_override_cell(raw: Any) -> tuple[list[str], list[str]]:
    """``+duties.grid -theory.practice`` → (tokens, errors)."""
    if is_blank(raw):
        return [], []
    if isinstance(raw, (list, tuple)):
        pieces = [str(item) for item in raw if not is_blank(item)]
    else:
        pieces = [str(raw)]
    words: list[str] = []
    for piece in pieces:
        text = unicodedata.normalize("NFKC", clean_text(piece)[0]).translate(_DASHES)
        words += [word for word in _OVERRIDE_SPLIT.split(text) if word]
    tokens: list[str] = []
    errors: list[str] = []
    pending = ""
    for word in words:
        if word in ("+", "-"):
            pending = word
            continue
        token = pending + word
        pending = ""
        if _OVERRIDE.match(token):
            tokens.append(token)
        else:
            bare = token.lstrip("+-") or "片段id"
            errors.append(
                f"选稿列中的“{token}”写法不对：每项应写成 +{bare}（加入该片段）或 -{bare}（去掉该片段），"
                "多项之间用空格或顿号分隔"
            )
    if pending:
        errors.append(f"选稿列中的“{pending}”后面缺少片段 id，请写成如 {pending}duties.grid")
    return tokens, errors


def type_values(row: PersonRow, hmap: HeaderMap, specs: Mapping[str, VarSpec], *,
                file: str | Path | None) -> TypedRow:
    """One person's typed values; bad values become this person's errors, not exceptions."""
    typed = TypedRow()
    for header, name in hmap.columns.items():
        raw = row.values.get(header)
        if is_blank(raw):
            continue
        spec = specs[name]
        shown = _shown(header, name)
        if isinstance(raw, str) and raw.strip() in EXCEL_ERRORS:
            typed.errors.append(
                f"{shown}的值是 Excel 错误值 {raw.strip()}，请在 Excel 中修正这个单元格的公式，或直接填写数值"
            )
            typed.invalid.add(name)
            continue
        try:
            value = convert(raw, spec)
        except ValueError as exc:
            typed.errors.append(f"{shown}的值{exc}")
            typed.invalid.add(name)
            continue
        value, removed = _clean_typed(value)
        if removed:
            typed.warnings.append(
                f"{shown}的值含有不能写入 Word 的控制字符（{'、'.join(removed)}），已删除"
            )
        if isinstance(value, str) and not value.strip():
            continue
        typed.values[name] = value
    if hmap.override_column is not None:
        typed.overrides, errors = parse_override_cell(row.values.get(hmap.override_column))
        typed.errors += errors
    return typed


def _clean_plain(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)[0]
    if isinstance(value, list):
        return [_clean_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean_plain(item) for key, item in value.items()}
    return value


def plain_values(row: PersonRow) -> dict[str, Any]:
    """Values for a plain docxtpl template (no declared types): headers are the variable names.

    Excel/CSV cells: text stripped, 5.0 → 5, 12.5 → Num (prints 12.5), dates → 2022年3月1日,
    empty → "". YAML/JSON values pass through (lists and mappings included); a JSON ``null`` stays
    ``None``, as docxtpl would see it, so that ``{% if x is none %}`` works the same.
    Characters a .docx cannot hold are removed from every text.
    """
    out: dict[str, Any] = {}
    for header, value in row.values.items():
        if value is None:
            out[header] = "" if row.kind == "table" else None
            continue
        if row.kind == "table":
            if isinstance(value, str):
                value = clean_text(value)[0].strip()
            elif isinstance(value, float) and not isinstance(value, Num):
                value = int(value) if value.is_integer() and abs(value) < 2**53 else Num(value)
            elif isinstance(value, _dt.datetime | _dt.date) and not isinstance(value, CnDate):
                value = CnDate.from_date(value)
            out[header] = value
        else:
            out[header] = _clean_plain(value)
    return out


# ---------------------------------------------------------------- --set and --vars


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``--set name=value`` items → {name: value} (values stay text; typing comes later)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not sep:
            raise InputError(f"--set 的写法应为 名称=值，如 --set year=2022；“{item}”中没有等号")
        name = name.strip()
        if not name:
            raise InputError(f"--set 的写法应为 名称=值，如 --set year=2022；“{item}”的等号前缺少名称")
        out[name] = value.strip()
    return out


def read_vars_file(path: Path) -> dict[str, Any]:
    """``--vars FILE``: a YAML or JSON mapping of values shared by everyone."""
    path = Path(path)
    if not path.exists():
        raise InputError("--vars 指定的文件不存在，请检查路径", file=path)
    if path.is_dir():
        raise InputError("--vars 需要一个文件，这里却是文件夹", file=path)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise InputError(f"--vars 文件必须是 {'、'.join(DATA_SUFFIXES)} 格式，如 year: 2022", file=path)
    data = _read_bytes(path)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return {}
    loaded = load_data(path, data, suffix)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputError("--vars 文件应是“名称: 值”的映射，如 year: 2022", file=path,
                         line=getattr(loaded, "line", None) or 1)
    return {str(key).strip(): _plain(value) for key, value in loaded.items()}
