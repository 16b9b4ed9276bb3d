"""Word compatibility without Word: every kind of file the tool writes validates against OOXML.

The validator is openxml-audit (pure Python, the Open XML SDK's schemas and semantic
constraints; the test extra must install it). Its strict Word profile is used, and its
verdict must be "no findings" for:

* the built-in GB/T 9704 base template;
* assembled docxtpl templates (all snippets; a checklist with some unticked; run-in
  subheadings; snippets with ``when`` conditions and variants);
* rendered reports: with every subsection, with subsections and a whole section removed by
  ``when``, with an override, with hostile values (control characters, bidi marks, XML- and
  Jinja-looking text, very long text), rendered in one process and by the worker pool;
* the blank people workbook (``assembler variables --xlsx``).

The validator must also be able to fail: a report with a stray element is rejected.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml
from openxml_audit import FileFormat, OpenXmlValidator

from assembler import pipeline
from assembler.ooxml.base_template import base_template_bytes
from fixtures.hostile.support import MINI, PERSON, build_cli, copy_mini, run_cli, write_people

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "sample-v1" / "examples"


def findings(path: Path) -> list[str]:
    validator = OpenXmlValidator(file_format=FileFormat.OFFICE_2019, max_errors=0, strict=True)
    result = validator.validate(str(path))
    return [f"{e.error_type.name} {e.part_uri} {e.path}: {e.description}" for e in result.errors]


def assert_valid(path: Path) -> None:
    problems = findings(path)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_validator_can_fail(tmp_path):
    """A report with a stray element must be rejected, or the other tests prove nothing."""
    lib = copy_mini(tmp_path)
    out = tmp_path / "out"
    assert build_cli(lib, MINI / "people.yaml", out).exit_code == 0
    good = out / "2022年度述职述廉报告-甲一.docx"
    with zipfile.ZipFile(good) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"<w:body>", b"<w:body><w:p><w:bogus/></w:p>", 1)
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, payload in parts.items():
            archive.writestr(name, payload)
    assert any("bogus" in problem for problem in findings(bad))


def test_base_template_validates(tmp_path):
    path = tmp_path / "gbt9704.docx"
    path.write_bytes(base_template_bytes())
    assert_valid(path)


def _rules_variant(lib: Path, **changes: object) -> None:
    rules = yaml.safe_load((lib / "rules.yaml").read_text(encoding="utf-8"))
    rules.update(changes)
    (lib / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("variant", ["all", "checklist-unticked", "run-in", "variants"])
def test_assembled_templates_validate(tmp_path, variant):
    lib = copy_mini(tmp_path)
    args = ["template", lib / "rules.yaml", "-o", tmp_path / "assembled.docx"]
    if variant == "checklist-unticked":
        checklist = lib / "checklist.md"
        text = checklist.read_text(encoding="utf-8")
        for snippet_id in ("theory.essay", "integrity.pledge"):
            text = text.replace(f"- [x] {snippet_id}", f"- [ ] {snippet_id}")
        checklist.write_text(text, encoding="utf-8")
        args += ["--checklist", checklist]
    elif variant == "run-in":
        _rules_variant(lib, subheading="run-in")
    elif variant == "variants":
        snippet = lib / "snippets" / "duties" / "party.md"
        variants = "variants:\n  - 另一种写法：发展党员{{ members }}名。\n  - 第三种写法：新发展党员{{ members }}名。\nvariables:"
        text = snippet.read_text(encoding="utf-8").replace("variables:", variants)
        snippet.write_text(text, encoding="utf-8")
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert_valid(tmp_path / "assembled.docx")


HOSTILE = dict(PERSON, 姓名="甲\x01一\u202e\u202d", 单位="<w:p>{{ 1+1 }}{_{&amp;]]>", 职务="\ud800长" * 2000,
               网格村="东村\x0b、\ufeff西村、{% raw %}")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_reports_validate(tmp_path, jobs):
    lib = copy_mini(tmp_path)
    people = write_people(tmp_path / "people.json", [
        *yaml.safe_load((MINI / "people.yaml").read_text(encoding="utf-8")),  # all / some / override
        HOSTILE,
    ])
    out = tmp_path / "out"
    result = build_cli(lib, people, out, "--jobs", jobs)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reports = [out / r["file"] for r in manifest["reports"]]
    assert len(reports) == 4
    # 甲一 has every subsection, 乙二 loses two subsections and a whole section, 丙三 an override.
    assert set(manifest["reports"][0]["snippets"]) > set(manifest["reports"][1]["snippets"])
    for report in reports:
        assert_valid(report)


def test_run_in_reports_validate(tmp_path):
    lib = copy_mini(tmp_path)
    _rules_variant(lib, subheading="run-in")
    out = tmp_path / "out"
    assert build_cli(lib, MINI / "people.yaml", out).exit_code == 0
    for report in sorted(out.glob("*.docx")):
        assert_valid(report)


def test_sample_library_reports_validate(tmp_path):
    """The first bundled sample (tests/fixtures/sample-v1/: examples/ and its snippets/)."""
    args = ["build", EXAMPLES / "rules.yaml", "--people", EXAMPLES / "people.xlsx", "-o", tmp_path / "out",
            "--checklist", EXAMPLES / "checklist.md", "--vars", EXAMPLES / "vars.yaml"]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    reports = sorted((tmp_path / "out").glob("*.docx"))
    assert reports
    for report in reports:
        assert_valid(report)


#: openxml-audit's findings on openpyxl's workbooks that docs/hardening.md shows to be wrong:
#: CT_Font is ``xsd:choice maxOccurs="unbounded"`` in ECMA-376 (any order; the SDK assumes
#: Excel's order), and inline strings are valid SpreadsheetML that Excel reads (and turns
#: into shared strings when it saves).
WORKBOOK_FALSE_POSITIVES = (
    "SCHEMA /xl/styles.xml /styleSheet[1]/fonts[1]/font[1]: Unexpected element 'color' found",
    "inline-string cell(s)",
)


def test_people_workbook_validates(tmp_path):
    path = tmp_path / "人员表.xlsx"
    result = run_cli("variables", MINI / "rules.yaml", "--checklist", MINI / "checklist.md", "--xlsx", path)
    assert result.exit_code == 0, result.output
    problems = findings(path)
    unexplained = [p for p in problems if not any(known in p for known in WORKBOOK_FALSE_POSITIVES)]
    assert not unexplained, "\n".join(unexplained)


def test_plain_render_output_validates(tmp_path):
    project = pipeline.load_project(MINI / "rules.yaml", MINI / "checklist.md")
    template = tmp_path / "assembled.docx"
    template.write_bytes(project.template_bytes())
    people = write_people(tmp_path / "people.yaml", [
        {"year": 2022, "name": "甲一", "unit": "青山镇", "post": "副镇长", "duties": ["党建"],
         "report_date": "2022年12月5日", "start_date": "2021年3月1日", "study_times": 1, "essays": 1,
         "members": 1, "households": 1, "grid_cells": 0, "villages": "东村", "investment": 1,
         "variants": {}}])
    result = run_cli("render", template, "--people", people, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert_valid(tmp_path / "out" / "1.docx")
