"""The work sent to an office over UNO (load hidden, export PDF, close), and PDF pages as PNG.

Nothing here starts, watches or kills a process (that is ``process.py``); a function here gets a
connected ``Desktop`` and either finishes or raises.  ``DocumentError`` means "this document is the
problem" (corrupt, not a text document, cannot be written); any other exception is left for the
pool to judge, since a hung or crashed office shows up as a broken UNO bridge.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from ..errors import OfficeError
from ..output import target_mode

PDF_FILTER = "writer_pdf_Export"
TEXT_DOCUMENT = "com.sun.star.text.TextDocument"

# LibreOffice opens any unreadable file as plain text rather than failing; a .docx that only a text
# filter accepts is random bytes or a renamed file, and its "PDF" would be garbage.
_PLAIN_TEXT_FILTERS = re.compile(r"^Text( |$)")


class DocumentError(Exception):
    """This document cannot be converted; the office is fine and the batch goes on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LoadRefused(DocumentError):
    """The office answered a load with nothing: a corrupt document, or an office that came up
    unable to open anything yet (the pool tells them apart by whether it has converted before)."""


ZIP_FORMATS = (".docx", ".docm", ".dotx", ".dotm", ".odt", ".ott")


def precheck(source: Path) -> str | None:
    """Why ``source`` cannot be a document, found without an office; None when it may be one.

    LibreOffice opens an empty file as a new blank document and random bytes as plain text, so both
    would "convert"; .docx and .odt are zip packages, which shows in their first two bytes.
    """
    try:
        with open(source, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        return f"无法读取文件：{exc.strerror or exc}"
    if not head:
        return "文件为空（0 字节），不是 Word 文档"
    if source.suffix.lower() in ZIP_FORMATS and not head.startswith(b"PK"):
        return "文件已损坏或不是 Word 文档（不是有效的 .docx/.odt 文件）"
    return None


UNO_LOCK = threading.RLock()
"""pyuno is not safe when threads look names up at the same moment: seen here as a spurious
``AttributeError: createInstanceWithContext`` about once in 25 parallel office starts, and the
``from com.sun.star… import`` hook fails the same way.  Name lookups (cheap) go under this lock;
the calls themselves (the slow part: loading, exporting) run in parallel."""


def uno_method(obj: Any, name: str) -> Any:
    """``getattr`` on a UNO object, under ``UNO_LOCK``."""
    with UNO_LOCK:
        return getattr(obj, name)


def _props(**values: Any) -> tuple[Any, ...]:
    """PropertyValues made with ``uno.createUnoStruct`` rather than uno's import hook."""
    import uno

    with UNO_LOCK:
        return tuple(uno.createUnoStruct("com.sun.star.beans.PropertyValue", Name=name, Value=value)
                     for name, value in values.items())


def _filter_name(document: Any) -> str:
    for arg in uno_method(document, "getArgs")():
        if arg.Name == "FilterName":
            return str(arg.Value)
    return ""


def convert_document(desktop: Any, source: Path, target: Path) -> None:
    """Load ``source`` hidden and read-only, write it as PDF to ``target``, and close it.

    Macros never run and links are not updated (``MacroExecutionMode``/``UpdateDocMode`` 0): the
    reports come from many hands.
    """
    import uno

    with UNO_LOCK:
        IOException = uno.getClass("com.sun.star.io.IOException")  # noqa: N806
    url = uno.systemPathToFileUrl(str(source.resolve()))
    load = uno_method(desktop, "loadComponentFromURL")
    options = _props(Hidden=True, ReadOnly=True, MacroExecutionMode=0, UpdateDocMode=0)
    document = load(url, "_blank", 0, options)
    if document is None:
        raise LoadRefused("LibreOffice 无法打开此文件（文件可能已损坏，或不是 Word/ODT 文档）")
    try:
        if not uno_method(document, "supportsService")(TEXT_DOCUMENT):
            raise DocumentError("此文件不是文字处理文档，无法按报告转换为 PDF")
        if _PLAIN_TEXT_FILTERS.match(_filter_name(document)):
            raise DocumentError("文件已损坏或不是 Word 文档（LibreOffice 只能把它当作纯文本打开）")
        try:
            store = uno_method(document, "storeToURL")
            pdf_url = uno.systemPathToFileUrl(str(target.resolve()))
            store(pdf_url, _props(FilterName=PDF_FILTER, Overwrite=True))
        except IOException as exc:  # a bridge broken by a dying office raises RuntimeException instead
            raise DocumentError(f"无法写入 PDF（{target.parent}）：{exc.Message or exc}") from exc
    finally:
        _close(document)


def part_path(target: Path) -> Path:
    """The hidden name a PDF is written under before ``place`` renames it into ``target``."""
    return target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.pdf.part")


def place(part: Path, target: Path) -> None:
    """Rename a finished PDF into place with the mode an editor would give it (a replaced PDF keeps
    its own mode, a new one follows the umask), whoever's umask the office ran with."""
    os.chmod(part, target_mode(target))
    os.replace(part, target)


def convert_one(desktop: Any, source: Path, target: Path) -> None:
    """``convert_document`` to a hidden part file, then ``place``: an interrupted conversion never
    leaves half a PDF under the real name. The dialog's running office converts through this."""
    part = part_path(target)
    try:
        convert_document(desktop, source, part)
        try:
            place(part, target)
        except OSError as exc:
            raise DocumentError(f"无法写入 PDF（{target.name}）：{exc.strerror or exc}") from exc
    finally:
        try:
            part.unlink()
        except OSError:
            pass


def _close(document: Any) -> None:
    """close(True) hands ownership over even if someone vetoes; dispose() if close is refused."""
    try:
        uno_method(document, "close")(True)
    except Exception:
        try:
            uno_method(document, "dispose")()
        except Exception:
            pass  # the office is gone: the pool will see it


# ------------------------------------------------------------------ page images


def pdf_to_png(pdf: Path, outdir: Path, dpi: int = 100) -> list[Path]:
    """Pages of ``pdf`` as ``<stem>-<n>.png`` in ``outdir`` (poppler's pdftoppm), in page order.

    Rendered into a hidden folder first and then moved, so a failed run leaves no partial pages.
    """
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise OfficeError("未找到 pdftoppm，无法生成页面图片。请先安装：sudo apt-get install poppler-utils")
    pdf = Path(pdf)
    if not pdf.is_file():
        raise OfficeError("PDF 文件不存在", file=pdf)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=outdir, prefix=".pages-") as tmp:
        try:
            done = subprocess.run([exe, "-r", str(int(dpi)), "-png", str(pdf), str(Path(tmp) / "page")],
                                  capture_output=True, timeout=300, check=False)
        except subprocess.TimeoutExpired as exc:
            raise OfficeError("生成页面图片超时", file=pdf) from exc
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", errors="replace").strip()
            raise OfficeError(f"无法把 PDF 转成图片：{detail or done.returncode}", file=pdf)
        numbered = sorted((int(page.stem.rsplit("-", 1)[1]), page) for page in Path(tmp).glob("page-*.png"))
        if not numbered:
            raise OfficeError("PDF 没有可生成图片的页面", file=pdf)
        width = len(str(numbered[-1][0]))
        pages: list[Path] = []
        for number, page in numbered:
            target = outdir / f"{pdf.stem}-{number:0{width}d}.png"
            os.replace(page, target)
            pages.append(target)
    return pages
