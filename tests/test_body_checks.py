"""body_checks: nothing ticked refuses the batch, an emptied report fails its person, a short body warns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from assembler.cli import main
from assembler.errors import InputError
from assembler.load.rules import load_rules


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def untick_all(checklist: Path) -> None:
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x]", "- [ ]"), encoding="utf-8")


def test_empty_checklist_refuses_the_batch_before_writing(mini: Path) -> None:
    untick_all(mini / "checklist.md")
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    people[0]["选稿"] = "+theory.study +duties.grid"  # one person adding snippets does not save the batch
    (mini / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    out = mini / "out"
    result = run("build", mini / "rules.yaml", "--people", mini / "people.yaml", "--checklist",
                 mini / "checklist.md", "-o", out)
    assert result.exit_code == 2
    assert "没有勾选任何片段" in result.output and "checklist.md" in result.output
    assert not out.exists()


def test_person_left_without_body_fails_alone(mini: Path) -> None:
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    ids = re.findall(r"- \[x\] (\S+)", (mini / "checklist.md").read_text(encoding="utf-8"))
    people[1]["选稿"] = " ".join(f"-{snippet_id}" for snippet_id in ids)
    (mini / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    out = mini / "out"
    result = run("build", mini / "rules.yaml", "--people", mini / "people.yaml", "--checklist",
                 mini / "checklist.md", "-o", out)
    assert result.exit_code == 1
    assert re.search(r"错误：.*第2行: 乙二：调整后报告没有任何正文片段", result.output)
    assert sorted(path.name for path in out.glob("*.docx")) == ["2022年度述职述廉报告-丙三.docx",
                                                               "2022年度述职述廉报告-甲一.docx"]


def test_min_body_chars_warns_per_person(mini: Path) -> None:
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nmin_body_chars: 100000\n", encoding="utf-8")
    out = mini / "out"
    result = run("build", rules, "--people", mini / "people.yaml", "--checklist", mini / "checklist.md", "-o", out)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("警告：") and "min_body_chars 规定" in line]
    assert len(warnings) == 3
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for report in manifest["reports"]:
        [warning] = [w for w in report["warnings"] if "min_body_chars" in w]
        assert f"报告正文只有 {report['chars']} 字" in warning


def test_min_body_chars_must_be_a_positive_whole_number(mini: Path) -> None:
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nmin_body_chars: 多\n", encoding="utf-8")
    try:
        load_rules(rules)
    except InputError as exc:
        assert "min_body_chars 必须是正整数" in exc.format() and ":" in exc.format()
    else:
        raise AssertionError("min_body_chars: 多 was accepted")


def test_min_body_chars_fails_a_person_under_strict_and_warns_in_a_preview(mini: Path) -> None:
    """The floor is one check wherever a report's length is: ``build --strict`` refuses a short report
    (as it refuses one over ``max_chars``), and ``preview`` warns about it as ``build`` does."""
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nmin_body_chars: 100000\n", encoding="utf-8")
    out = mini / "out"
    result = run("build", rules, "--people", mini / "people.yaml", "--checklist", mini / "checklist.md", "-o", out,
                 "--strict")
    assert result.exit_code == 1, result.output
    assert not list(out.glob("*.docx"))
    assert len(re.findall(r"错误：.*min_body_chars 规定的 100000 字", result.output)) == 3
    shown = run("preview", rules, "--people", mini / "people.yaml", "--checklist", mini / "checklist.md",
                "--person", "甲一")
    assert shown.exit_code == 0
    assert re.search(r"警告：报告正文只有 \d+ 字，少于规则文件 min_body_chars 规定的 100000 字", shown.output)
    strict = run("preview", rules, "--people", mini / "people.yaml", "--checklist", mini / "checklist.md",
                 "--person", "甲一", "--strict")
    assert strict.exit_code == 1 and "按 --strict 视为失败" in strict.output
