"""build/summary.py: the words for what a batch did, a cause once with everyone it concerns."""

from __future__ import annotations

from pathlib import Path

from assembler.build.results import BatchResult, ReportResult
from assembler.build.summary import grouped_problems
from assembler.hints import Hinted


def test_reports_edited_by_hand_are_one_cause_naming_the_people():
    reports = [ReportResult(row=row, name=name, status="written", warnings=[
        Hinted(f"{name}.docx 在生成后被修改过（手工编辑），未覆盖；新版本在 {name}（新版）.docx", "overwrite_edited")])
        for row, name in ((2, "甲一"), (3, "乙二"), (4, "丙三"), (5, "丁四"))]
    reports.append(ReportResult(row=6, name="戊五", status="failed", errors=["缺少“年度”的值"]))
    batch = BatchResult(outdir=Path("out"), reports=reports, warnings=[])
    lines = [problem.line() for problem in grouped_problems(batch, "dialog")]
    assert lines == [
        "错误：戊五（第6行）：缺少“年度”的值",
        "警告：报告在生成后被手工修改过，未覆盖，新版本另存为“…（新版）.docx”（4 人：甲一、乙二、丙三等）"
        "；确认不需要保留手工修改时，可先把原文件移出输出文件夹再生成",
    ]
    [cli] = [problem for problem in grouped_problems(batch, "cli") if problem.level == "警告"]
    assert cli.hint == "；确认不需要保留手工修改时，可加 --overwrite-edited 覆盖" and len(cli.people) == 4
