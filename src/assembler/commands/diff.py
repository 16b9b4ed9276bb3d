"""``assembler diff``: which reports a library change makes different, and how (``changeimpact``).

Exit codes: 0 no report changes, 1 some do (so a pre-commit hook or a review job can
stop on it), 2 bad input. Never writes a report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("diff", help="比较片段库两个 Git 版本生成的报告：逐人列出正文有变化的段落（- 旧，+ 新，带标题编号），"
                            "最后给出未变的份数。不写任何报告。没有变化时退出码为 0，有变化时为 1。")
@click.argument("rules", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--people", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="人员表（两边用同一份）：.xlsx、.csv、.yaml 或 .json。")
@click.option("--checklist", type=click.Path(path_type=Path, dir_okay=False),
              help="选稿清单；在片段库仓库中时，两边各取该版本的清单。")
@click.option("--from", "old", required=True, metavar="版本", help="旧版本：提交号、分支或标签，如 HEAD、HEAD~1。")
@click.option("--to", "new", metavar="版本", help="新版本；不给则为工作区（尚未提交的修改）。")
@click.option("--set", "assignments", multiple=True, metavar="变量=值", help="所有人共用的值，可重复。")
@click.option("--vars", "vars_file", type=click.Path(path_type=Path, dir_okay=False), help="所有人共用的值（YAML/JSON 文件）。")
def diff_command(rules: Path, people: Path, checklist: Path | None, old: str, new: str | None,
                 assignments: tuple[str, ...], vars_file: Path | None) -> None:
    from ..build.changeimpact import diff_library, format_diff
    from ..pipeline import common_values

    result = diff_library(rules, people, old=old, new=new, checklist=checklist,
                          common=common_values(assignments, vars_file))
    for line in format_diff(result):
        click.echo(line)
    sys.exit(result.exit_code)


COMMANDS = [diff_command]
