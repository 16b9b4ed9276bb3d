"""library/report_checks.py: per-report warnings for placeholders left in the text and a missing signature (item 2)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from assembler.cli import main
from assembler.library.report_checks import placeholder_paragraphs


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def build(mini: Path, *extra: object):
    out = mini / "out"
    return run("build", mini / "rules.yaml", "--people", mini / "people.yaml", "--checklist", mini / "checklist.md",
               "-o", out, *extra), out


def mask_snippet(mini: Path) -> None:
    submit = mini / "snippets" / "closing" / "submit.md"
    submit.write_text(submit.read_text(encoding="utf-8").replace("特此报告", "全年走访群众**户。特此报告"),
                      encoding="utf-8")


def test_placeholders_in_the_rendered_text_are_quoted():
    found = placeholder_paragraphs(["一、正文", "全年走访群众**户。", "某某同志参加XX会议。", "OXXO 不是", "无事。"])
    assert found == [("**", "全年走访群众**户。"), ("某某", "某某同志参加XX会议。"), ("XX", "某某同志参加XX会议。")]


def test_build_warns_about_a_placeholder_per_report_and_quotes_the_paragraph(mini):
    mask_snippet(mini)
    result, out = build(mini)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "占位符" in line]
    assert len(warned) == 3 and all("全年走访群众**户。特此报告，请予评议。" in line for line in warned)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(any("“**”" in w for w in report["warnings"]) for report in manifest["reports"])


def test_strict_turns_the_warnings_into_failures_and_writes_nothing_for_them(mini):
    mask_snippet(mini)
    result, out = build(mini, "--strict")
    assert result.exit_code == 1, result.output
    assert not list(out.glob("*.docx"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {report["status"] for report in manifest["reports"]} == {"failed"}
    assert all(any("占位符" in e for e in report["errors"]) for report in manifest["reports"])


def test_strict_without_warnings_writes_everything(mini):
    result, out = build(mini, "--strict")
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.docx"))) == 3


def test_rules_without_signature_warn_per_report(mini):
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace('signature: ["{{ name }}", "{{ report_date }}"]\n', ""),
                     encoding="utf-8")
    result, out = build(mini)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "落款" in line]
    assert len(warned) == 3 and all("signature" in line for line in warned)
    result, _ = build(mini, "--strict", "--force")
    assert result.exit_code == 1


def test_preview_warns_too(mini):
    mask_snippet(mini)
    result = run("preview", mini / "rules.yaml", "--people", mini / "people.yaml", "--person", "甲一",
                 "--checklist", mini / "checklist.md")
    assert result.exit_code == 0
    assert "警告：" in result.output and "全年走访群众**户" in result.output.split("警告：", 1)[1]
