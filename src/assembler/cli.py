"""The ``assembler`` command: thin click commands over ``pipeline``.

Commands parse options, call the library API and print in Chinese. User errors
arrive as ``AssemblerError`` and leave as a one-line message and an exit code
(0 all written, 1 some people failed, 2 bad input); no traceback for a user's
mistake.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import __version__, pipeline
from .build.summary import pdf_line
from .commands.progress import progress_bar
from .errors import EXIT_BAD_INPUT, EXIT_PARTIAL, AssemblerError
from .output import atomic_write

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class UserError(click.ClickException):
    """An ``AssemblerError`` on its way out through click."""

    def __init__(self, error: AssemblerError) -> None:
        super().__init__(error.format())
        self.exit_code = error.exit_code  # type: ignore[misc]
        self.error = error

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssemblerError as exc:
            raise UserError(exc) from None


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def report_batch(batch: pipeline.BatchResult, people: Path | None) -> None:
    for warning in batch.warnings:
        echo_err(f"警告：{warning}")
    # the reports are read one at a time (a build keeps them on disk), twice
    limit = f"（上限 {batch.max_chars} 字）" if batch.max_chars else ""
    heading = f"各报告正文字数{limit}："
    for report in batch.reports:
        if report.chars is None or report.file is None:
            continue
        if heading:
            click.echo(heading)
            heading = ""
        over = "  超出上限" if pipeline.over_limit(report.chars, batch.max_chars) else ""
        click.echo(f"  {report.file.name}：{report.chars} 字{over}")
    for report in batch.reports:
        for message in report.messages(people):
            echo_err(message)
    counts = batch.counts()
    if batch.dry_run or any(report.change for report in batch.reports[:1]) or batch.kept:
        report_changes(batch)
        return
    click.echo(
        f"已生成 {counts['written']} 份，跳过 {counts['skipped']} 份，失败 {counts['failed']} 份；"
        f"输出目录 {batch.outdir}，清单 {batch.manifest}" + (f"，汇总表 {batch.summary}" if batch.summary else "")
    )
    pdfs = pdf_line(batch)
    if pdfs:
        click.echo(pdfs)


def report_changes(batch: pipeline.BatchResult) -> None:
    """A build's summary by group: 新建, 已更新, 未变, 手工修改过, 不在本次人员中, 失败."""
    from .build.incremental import CHANGE_LABELS, PROTECTED

    changes = batch.changes()
    counts = batch.counts()
    verb = "将" if batch.dry_run else ""
    parts = [f"{CHANGE_LABELS[change]} {count} 份" for change, count in changes.items() if count]
    parts.append(f"失败 {counts['failed']} 份")
    prefix = "试运行（未写入任何文件）：" if batch.dry_run else ""
    click.echo(f"{prefix}{verb}{'，'.join(parts)}；输出目录 {batch.outdir}"
               + ("" if batch.dry_run else f"，清单 {batch.manifest}")
               + (f"，汇总表 {batch.summary}" if batch.summary and not batch.dry_run else ""))
    if batch.dry_run:
        for report in batch.reports:
            if report.change and report.file and report.status != "failed":
                click.echo(f"  {CHANGE_LABELS[report.change]}：{report.file.name}")
    protected = ([report for report in batch.reports if report.change == PROTECTED and report.status != "failed"]
                 if changes[PROTECTED] else [])  # read back only when the counts say there are some
    if protected:
        click.echo(f"以下 {len(protected)} 人的报告在生成后被手工修改过，未覆盖，新版本另存：")
        for report in protected:
            edited = report.edited.name if report.edited else ""
            click.echo(f"  {report.name}：{edited} → {report.file.name if report.file else ''}")


rules_argument = click.argument("rules", type=click.Path(path_type=Path, dir_okay=False))
checklist_option = click.option("--checklist", "checklist", type=click.Path(path_type=Path, dir_okay=False),
                                help="选稿清单文件（Markdown 勾选列表）；不给则采用规则中的全部片段。")
people_option = click.option("--people", "people", required=True, type=click.Path(path_type=Path, dir_okay=False),
                             help="人员表：.xlsx、.csv、.yaml 或 .json。")
sheet_option = click.option("--sheet", help="Excel 工作表名称（默认第一个工作表）。")
set_option = click.option("--set", "assignments", multiple=True, metavar="变量=值",
                          help="所有人共用的值，可重复，如 --set year=2022。")
vars_option = click.option("--vars", "vars_file", type=click.Path(path_type=Path, dir_okay=False),
                           help="所有人共用的值（YAML/JSON 文件）。")
build_force_option = click.option("--force", is_flag=True,
                                  help="全部重新生成，不论输入是否变化（手工修改过的报告仍不覆盖）。")
overwrite_edited_option = click.option("--overwrite-edited", is_flag=True,
                                       help="连手工修改过的报告也覆盖（手工修改会丢失）。")
dry_run_option = click.option("--dry-run", is_flag=True, help="只列出将新建、更新、保留和保护的报告，不写任何文件。")
jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
                           help="并行进程数（默认等于 CPU 核数）。")
strict_option = click.option("--strict", is_flag=True,
                             help="把报告的警告（残留的占位符 **/XX、缺少落款、数字都不是本人的、超过字数上限或不足字数下限）"
                                  "当作失败：这样的报告不写出，退出码为 1。")
variant_option = click.option("--variant", type=click.IntRange(min=1), metavar="N",
                              help="有多种备选正文的片段，统一用第 N 种（默认按人错开）。")


@click.group(cls=Group, context_settings=CONTEXT_SETTINGS,
             help="述职述廉报告组装工具：从片段库和规则生成每人一份的 Word 报告。")
@click.version_option(__version__, "-V", "--version", message="assembler %(version)s")
def main() -> None:
    """Entry point (see ``run``)."""


@main.command(help="生成选稿清单（Markdown 勾选列表）。")
@rules_argument
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="写入文件；不给则打印。")
@click.option("--merge", "merge", type=click.Path(path_type=Path, dir_okay=False),
              help="刷新旧清单：保留原有勾选，逐项列出新增、删除和保留的片段；"
                   "新片段默认不勾选（规则中写 new_snippets: ticked 则勾选）。")
def checklist(rules: Path, output: Path | None, merge: Path | None) -> None:
    from .load.selection import merge_checklist_changes, render_checklist

    project = pipeline.load_project(rules)
    if merge is not None:
        merged = merge_checklist_changes(project.rules, project.library, merge)
        text = merged.text
        for line in merged.describe():  # on stderr: stdout may be the checklist itself
            echo_err(line)
    else:
        text = render_checklist(project.rules, project.library)
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write(output, text.encode("utf-8"))
        click.echo(f"已写入选稿清单 {output}")


@main.command(help="列出所选片段需要的变量；--xlsx 生成空白人员表。")
@rules_argument
@checklist_option
@click.option("--xlsx", type=click.Path(path_type=Path, dir_okay=False), help="写出带中文表头的空白人员表。")
def variables(rules: Path, checklist: Path | None, xlsx: Path | None) -> None:
    from .commands.display import table
    from .library.workbook import needed_variables, write_people_workbook

    project = pipeline.load_project(rules, checklist)
    needed = needed_variables(project)
    rows = [["变量", "列名（label）", "类型", "用于"]]
    rows += [[item.name, item.spec.label or "", item.spec.type, "、".join(item.used_by)] for item in needed]
    for line in table(rows):
        click.echo(line)
    if xlsx is not None:
        write_people_workbook(xlsx, needed)
        click.echo(f"已写入空白人员表 {xlsx}（{len(needed)} 列变量，另有“选稿”列）")


@main.command(help="组装 docxtpl 模板（.docx，可在 Writer/Word 中查看标签）。")
@rules_argument
@checklist_option
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False))
def template(rules: Path, checklist: Path | None, output: Path) -> None:
    from .build.template_project import with_project

    project = pipeline.load_project(rules, checklist)
    atomic_write(output, with_project(project.template_bytes(), project))
    click.echo(f"已写入模板 {output}（{len(project.selection)} 个片段；内含规则、变量和清单，"
               "可用 assembler render 按人员表生成）")


@main.command(help="用任意 docxtpl 模板为每人生成一份文档；assembler template 组装的模板内含规则，"
                   "按 build 的方式处理（中文列名、变量类型、选稿列）。"
                   "和 build 一样，重复运行时只重新生成模板、本人的值或文件名有变化的文档；手工修改过的文档不会被覆盖，"
                   "新版本另存为“…（新版）.docx”。")
@click.argument("template_path", metavar="TEMPLATE.docx", type=click.Path(path_type=Path, dir_okay=False))
@people_option
@click.option("-o", "--outdir", required=True, type=click.Path(path_type=Path, file_okay=False))
@sheet_option
@set_option
@vars_option
@click.option("--name", "name_pattern", metavar="PATTERN", help="文件名模式（Jinja），如 \"{{ 姓名 }}-报告\"；默认行号。")
@build_force_option
@overwrite_edited_option
@jobs_option
@strict_option
def render(template_path: Path, people: Path, outdir: Path, sheet: str | None, assignments: tuple[str, ...],
           vars_file: Path | None, name_pattern: str | None, force: bool, overwrite_edited: bool, jobs: int | None,
           strict: bool) -> None:
    common = pipeline.common_values(assignments, vars_file)
    with progress_bar("生成中") as progress:
        batch = pipeline.render_plain(template_path, people, outdir, sheet=sheet, common=common,
                                      name_pattern=name_pattern, force=force, overwrite_edited=overwrite_edited,
                                      progress=progress, jobs=jobs, strict=strict)
    report_batch(batch, people)
    sys.exit(batch.exit_code)


@main.command(help="按规则和人员表批量生成报告（每人一份 .docx，外加 manifest.json）。"
                   "重复运行时只重新生成输入有变化的报告，其余不动；手工修改过的报告不会被覆盖，新版本另存为“…（新版）.docx”。"
                   "列出每份报告的正文字数（只计汉字，含各级标题，不含标题、副标题和落款），"
                   "超过规则中的 max_chars 时警告；生成后两两比较报告，相似度过高时警告。")
@rules_argument
@people_option
@checklist_option
@click.option("-o", "--outdir", required=True, type=click.Path(path_type=Path, file_okay=False))
@sheet_option
@set_option
@vars_option
@build_force_option
@overwrite_edited_option
@dry_run_option
@variant_option
@jobs_option
@click.option("--pdf", is_flag=True, help="同时通过 LibreOffice 生成 PDF（放在 .docx 旁边）。")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="单个文档转换 PDF 的最长秒数。")
@click.option("--similar-threshold", type=click.FloatRange(0, 1), metavar="0～1",
              help="两份报告正文相似度不低于此值时警告（默认取规则文件的 similarity_threshold，没有则 0.8）。")
@click.option("--no-similar", is_flag=True, help="生成后不比较报告之间的相似度。")
@strict_option
def build(rules: Path, people: Path, checklist: Path | None, outdir: Path, sheet: str | None,
          assignments: tuple[str, ...], vars_file: Path | None, force: bool, overwrite_edited: bool, dry_run: bool,
          variant: int | None, jobs: int | None, pdf: bool, timeout: float, similar_threshold: float | None,
          no_similar: bool, strict: bool) -> None:
    if pdf and not dry_run:
        pipeline.check_office()
    project = pipeline.load_project(rules, checklist)
    common = pipeline.common_values(assignments, vars_file)
    with progress_bar("生成中") as progress:
        batch = pipeline.build(project, people, outdir, sheet=sheet, common=common, force=force, progress=progress,
                               variant=variant, jobs=jobs, similarity_threshold=similar_threshold,
                               check_similarity=not no_similar, overwrite_edited=overwrite_edited, dry_run=dry_run,
                               strict=strict)
    if pdf and not dry_run:
        with progress_bar("转换 PDF") as progress:
            pipeline.add_pdfs(batch, jobs=jobs, timeout=timeout, progress=progress, project=project, people=people)
    report_batch(batch, people)
    sys.exit(batch.exit_code)


@main.command(help="以纯文本预览某人的报告（含标题编号），并给出正文字数"
                   "（只计汉字，含各级标题，不含标题、副标题和落款；超过规则中的 max_chars 时警告）。")
@rules_argument
@people_option
@click.option("--person", required=True, help="姓名或行号。")
@checklist_option
@sheet_option
@set_option
@vars_option
@variant_option
@click.option("--png", "png_dir", type=click.Path(path_type=Path, file_okay=False),
              help="另把报告各页渲染成 PNG 图片放到此目录（需要 LibreOffice）。")
@strict_option
def preview(rules: Path, people: Path, person: str, checklist: Path | None, sheet: str | None,
            assignments: tuple[str, ...], vars_file: Path | None, variant: int | None, png_dir: Path | None,
            strict: bool) -> None:
    if png_dir is not None:
        pipeline.check_office()
    project = pipeline.load_project(rules, checklist)
    loaded = pipeline.load_people(project, people, sheet)
    common = pipeline.type_common(pipeline.common_values(assignments, vars_file), project.specs, source="--set/--vars")
    plan = pipeline.find_person(project, loaded, common, person, variant)
    if not plan.ok:
        for error in plan.errors:
            echo_err(f"错误：{people}:第{plan.row}行: {plan.name}：{error}")
        sys.exit(EXIT_BAD_INPUT)
    shown = pipeline.preview(project, plan)
    click.echo(shown.text)
    limit = f"，上限 {project.rules.max_chars} 字" if project.rules.max_chars else ""
    echo_err(f"正文 {shown.chars} 字（只计汉字，含各级标题，不含标题、副标题和落款{limit}）")
    for warning in [*shown.warnings, *([shown.warning] if shown.warning else [])]:
        echo_err(f"警告：{warning}")
    level = "错误" if project.style.severity == "error" else "警告"
    for finding in shown.style:
        echo_err(f"{level}：{finding}")
    if strict and (shown.warnings or shown.warning or shown.style):
        echo_err("错误：有警告，按 --strict 视为失败")
        sys.exit(EXIT_PARTIAL)
    if png_dir is not None:
        pages = pipeline.preview_pages(project, plan, png_dir)
        echo_err(f"已生成 {len(pages)} 页图片：{png_dir}")


def _register_extra_commands() -> None:
    from .commands import register

    register(main)


_register_extra_commands()


def run() -> None:
    """Console entry point: click's own usage errors also exit 2 with a Chinese prefix."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        echo_err("已中断。")
        sys.exit(130)
    except UserError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f"（用 {exc.ctx.command_path} --help 查看用法）" if exc.ctx else ""
        echo_err(f"错误：命令用法有误：{exc.format_message()}{hint}")
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as exc:
        echo_err(f"错误：{exc.format_message()}")
        sys.exit(exc.exit_code)
