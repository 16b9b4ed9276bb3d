"""``assembler oxt``: build the LibreOffice Writer extension (assembler.oxt)."""

from __future__ import annotations

from pathlib import Path

import click

from ..oxt import OXT_NAME, build_oxt


@click.command("oxt", help="打包 LibreOffice Writer 插件（.oxt），内含本工具及其纯 Python 依赖；"
                          "用 unopkg add 或“工具 → 扩展管理器”安装。")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=Path(OXT_NAME),
              show_default=True, help="写出的插件文件。文件名请保持为 assembler.oxt。")
@click.option("--source", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="插件源文件目录（默认为仓库中的 extension/）。")
@click.option("--wheel", "wheels", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True), help="另外打包的 wheel 文件（可重复），"
              "如为 Windows 版 LibreOffice 自带的 Python 准备的 lxml wheel。")
def oxt_command(output: Path, source: Path | None, wheels: tuple[Path, ...]) -> None:
    contents = build_oxt(output, source, wheels=wheels)
    click.echo(f"已写入插件 {output}（{contents.files} 个文件，{contents.size // 1024} KB，"
               f"内含 {'、'.join(contents.modules)}）")
    if output.name != OXT_NAME:
        click.echo(f"提示：文件名是插件安装路径的一部分，建议保持为 {OXT_NAME}。", err=True)
    click.echo(f"安装：unopkg add {output}（以普通用户运行，并先关闭 LibreOffice），"
               "或在 Writer 中“工具 → 扩展管理器 → 添加”。还需要 lxml：sudo apt-get install python3-lxml")


COMMANDS = [oxt_command]
