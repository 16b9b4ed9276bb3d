"""Library upkeep commands: ``lint``, ``init``, ``import``, ``explain``, ``similar``.

Thin like ``cli.py``: parse, call the library module, print in Chinese. Exit codes:
``lint`` 1 when it found errors (warnings alone: 0); every command 2 for a bad
invocation or unreadable input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import EXIT_OK, InputError
from ..library.similarity import SIMILARITY_THRESHOLD


@click.command("lint", help="检查片段库和规则文件：逐条列出问题（文件:行号），有错误时退出码为 1。"
                            "也检查片段文字是否符合公文规范（GB/T 15834 标点、GB/T 15835 数字、日期、"
                            "GB/T 9704 层次序数、片段库的用语清单 wording.yaml），位置写作 文件:行:列。"
                            "不给参数时检查当前文件夹的 rules.yaml（或当前文件夹中的片段）。")
@click.argument("target", metavar="[规则文件或片段库]", required=False, type=click.Path(path_type=Path))
@click.option("--checklist", type=click.Path(path_type=Path, dir_okay=False),
              help="同时检查这个选稿清单（默认只在规则文件旁的 checklist.md 写明“规则文件：<规则文件名>”时检查它）。")
@click.option("--quiet", "-q", is_flag=True, help="只显示错误，不显示警告。")
@click.option("--fix", is_flag=True, help="先自动修正不会改变意思的文字规范问题（半角标点、省略号、破折号、重复标点、"
                                          "多余空格、日期写法），逐条列出“文件:行号: 旧 → 新”，再检查。用 Git 撤销。")
@click.option("--year", type=click.IntRange(1900, 2999), metavar="年份",
              help="按这一年检查用语清单（wording.yaml）中限定年份的条目（默认今年）。")
def lint_command(target: Path | None, checklist: Path | None, quiet: bool, fix: bool, year: int | None) -> None:
    from ..library.lint import fix_style, lint

    if checklist is not None and not checklist.is_file():
        raise InputError("清单文件不存在", file=checklist)
    if fix:
        changes = fix_style(target, year=year)
        for change in changes:
            click.echo(change.format())
        files = len({change.file for change in changes})
        click.echo(f"已修正 {len(changes)} 处（{files} 个文件）。" if changes else "没有可以自动修正的文字规范问题。")
    result = lint(target, checklist=checklist, year=year)
    for problem in result.problems:
        if quiet and not problem.is_error:
            continue
        click.echo(problem.format())
    click.echo(result.summary())
    sys.exit(result.exit_code)


@click.command("init", help="新建一个片段库：示例规则、几个示例片段、选稿清单、空白人员表、"
                            ".gitignore 和 pre-commit 配置。加 --themes 则从自带的乡镇领导班子片段库中按主题选取。")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--no-git", is_flag=True, help="不运行 git init。")
@click.option("--themes", "themes_text", is_flag=False, flag_value="?", default=None, metavar="主题",
              help="从自带片段库选取的主题，用顿号或逗号分隔（如 驻村帮扶、网格化治理），可写编号或“全部”；"
                   "只写 --themes 不带值时列出主题并逐项询问。开头、存在问题、打算、结尾总是包含。")
def init_command(directory: Path, no_git: bool, themes_text: str | None) -> None:
    from ..library.scaffold import init_library

    chosen = _choose_themes(themes_text) if themes_text is not None else None
    result = init_library(directory, git=not no_git, themes=chosen)
    click.echo(f"已在 {result.root} 新建片段库（{len(result.files)} 个文件"
               f"{'，已初始化 Git 仓库' if result.git else ''}）。下一步：")
    click.echo(f"  cd {result.root}")
    click.echo("  assembler lint                       # 检查")
    click.echo("  # 在 people.xlsx 中每人填一行，然后：")
    click.echo("  assembler build rules.yaml --people people.xlsx --checklist checklist.md -o out")
    if chosen is None:
        _hint_themes()


def _choose_themes(text: str) -> list[str]:
    """The themes asked for; ``?`` lists them and asks (in Chinese) which to take."""
    from ..library.starter import list_themes, parse_choice

    themes = list_themes()
    if text != "?":
        return parse_choice(text, themes)
    click.echo("自带片段库的主题（开头、存在问题、打算、结尾按岗位写好，总是包含）：")
    for number, theme in enumerate(themes, start=1):
        click.echo(f"  {number:>2}. {theme.name}（{len(theme.snippet_ids)} 个片段）")
    answer = click.prompt("请选择主题：写编号或名称，用逗号或顿号分隔；写“全部”取全部", default="全部")
    return parse_choice(answer, themes)


def _hint_themes() -> None:
    """Tell a new keeper the bundled library exists, when it can be found."""
    from ..library.starter import list_themes

    try:
        names = [theme.name for theme in list_themes()]
    except InputError:
        return
    click.echo(f"提示：自带的乡镇领导班子片段库有这些主题：{'、'.join(names)}。"
               "用 assembler init 新文件夹 --themes 驻村帮扶、网格化治理 从中选取（--themes 不带值时逐项询问）。")


@click.command("import", help="把一份已有的报告（.docx）按“一、”“（一）”标题拆成片段，"
                              "并写出能重新生成这份报告的规则文件、清单和人员表。")
@click.argument("report", metavar="REPORT.docx", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--outdir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="写入的新文件夹（须不存在或为空）。")
@click.option("--force", is_flag=True, help="文件夹不为空时也写入（覆盖同名文件）。")
def import_command(report: Path, outdir: Path, force: bool) -> None:
    from ..library.importer import import_report

    try:
        data = report.read_bytes()
    except OSError:
        raise InputError("报告文件不存在或无法读取", file=report) from None
    result = import_report(data, outdir, source=report.name, force=force)
    for warning in result.warnings:
        click.echo(f"警告：{report}: {warning}", err=True)
    click.echo(f"已导入 {report}：{len(result.snippets)} 个片段、{len(result.variables)} 个数字变量"
               f" → {result.root}")
    click.echo(f"  规则 {result.rules}，清单 {result.checklist}，人员表 {result.people}")
    click.echo(f"  检查：assembler lint {result.rules}")
    click.echo(f"  重新生成：assembler build {result.rules} --people {result.people}"
               f" -o {result.root / 'out'}")


@click.command("explain", help="说明报告的每一段来自哪个片段（及片段库的哪次提交）。")
@click.argument("report", metavar="REPORT.docx", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--rules", "rules", type=click.Path(path_type=Path, dir_okay=False),
              help="生成该报告的规则文件（默认用报告中记录的片段库位置）。")
@click.option("--library", "library", type=click.Path(path_type=Path, file_okay=False),
              help="片段库文件夹（没有规则文件时）。")
def explain_command(report: Path, rules: Path | None, library: Path | None) -> None:
    from ..library.provenance import explain_report, format_explanation

    try:
        data = report.read_bytes()
    except OSError:
        raise InputError("报告文件不存在或无法读取", file=report) from None
    explanation = explain_report(data, rules_path=rules, library_path=library, name=str(report))
    for line in format_explanation(explanation):
        click.echo(line)
    sys.exit(EXIT_OK)


def _shorten(text: str, size: int = 60) -> str:
    return text if len(text) <= size else f"{text[:size]}…（共 {len(text)} 字）"


@click.command("similar", help="找出文字高度相似的报告：同一批内两两比较，"
                               "并可与去年的报告（按文件名或姓名配对）比较。"
                               "按相似度从高到低列出，附共同段落。")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--against", type=click.Path(path_type=Path, file_okay=False), metavar="LAST_YEAR_DIR",
              help="去年的报告文件夹：每份报告与同一人的去年报告比较。")
@click.option("--threshold", type=click.FloatRange(0, 1), default=SIMILARITY_THRESHOLD, show_default=True,
              help="相似度（共同的五字片段占比，0～1）不低于此值才列出。")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="最多列出多少对（0 表示全部）。")
def similar_command(directory: Path, against: Path | None, threshold: float, limit: int) -> None:
    from ..library.similarity import compare, read_reports

    texts = read_reports(directory)
    if not texts:
        raise InputError("文件夹中没有 .docx 报告", file=directory)
    old = read_reports(against) if against is not None else None
    pairs = compare(texts, threshold=threshold, against=old)
    shown = pairs[:limit] if limit else pairs
    for number, pair in enumerate(shown, start=1):
        relation = "去年" if pair.last_year else "同批"
        click.echo(f"{number}. 相似度 {pair.score:.2f}（{relation}，包含度 {pair.containment:.2f}）"
                   f"  {pair.a}  ⇄  {pair.b}")
        for passage in pair.shared:
            click.echo(f"     共同段落：{_shorten(passage)}")
    compared = f"{len(texts)} 份报告" + (f"，另与去年 {len(old or {})} 份比较" if against is not None else "")
    more = f"（只列出前 {limit} 对）" if limit and len(pairs) > limit else ""
    click.echo(f"比较了 {compared}：相似度不低于 {threshold:.2f} 的有 {len(pairs)} 对{more}。")
    sys.exit(EXIT_OK)


COMMANDS = [lint_command, init_command, import_command, explain_command, similar_command]
