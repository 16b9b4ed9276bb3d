"""``assembler pdf``: convert existing .docx/.odt files through the LibreOffice pool."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import click

from ..errors import EXIT_OK, EXIT_PARTIAL, InputError
from .progress import progress_bar

CONVERTIBLE = (".docx", ".odt", ".doc")
PDF_LABEL = "转换 PDF"


def collect(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given, and the convertible files inside folders (not recursing into outputs)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir()
                            if p.suffix.lower() in CONVERTIBLE and not p.name.startswith((".", "~$")) and p.is_file())
        elif path.is_file():
            if path.suffix.lower() not in CONVERTIBLE:
                raise InputError("只能转换 .docx、.odt 或 .doc 文件；请去掉此文件或先另存为 .docx", file=path)
            found.append(path)
        else:
            raise InputError("文件或文件夹不存在，请检查路径", file=path)
    if not found:
        raise InputError("没有找到要转换的 .docx/.odt/.doc 文件，请给出文件或包含这些文件的文件夹")
    return found


def pdf_progress(label: str = PDF_LABEL) -> AbstractContextManager[Callable[[int, int], None] | None]:
    """The batch's progress bar, shared with ``build``."""
    return progress_bar(label)


@click.command("pdf", help="把 .docx/.odt 文件（或文件夹中的全部）通过 LibreOffice 转成 PDF，放在原文件旁边。")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="同时运行的 LibreOffice 进程数（默认等于 CPU 核数）。")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="单个文档的最长秒数；超时则重启 LibreOffice 重试一次，仍超时则该文档失败。")
def pdf_command(paths: tuple[Path, ...], jobs: int | None, timeout: float) -> None:
    from ..office import convert_to_pdf, require_office

    require_office()
    files = collect(paths)
    with pdf_progress() as progress:
        results = convert_to_pdf(files, jobs=jobs, timeout=timeout, progress=progress)
    failed = 0
    for result in results:
        if result.pdf is None:
            failed += 1
            click.echo(f"错误：{result.source}: {result.error}", err=True)
    click.echo(f"已转换 {len(results) - failed} 个，失败 {failed} 个。")
    sys.exit(EXIT_PARTIAL if failed else EXIT_OK)


COMMANDS = [pdf_command]
