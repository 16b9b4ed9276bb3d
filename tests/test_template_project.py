"""build/template_project.py: an assembled template carries what ``render`` needs to treat it like ``build`` (item 5)."""

from __future__ import annotations

import csv
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from assembler.build.template_project import read_project
from assembler.cli import main
from assembler.ooxml.text import docx_text


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def people_csv(mini: Path, path: Path, *, english: bool = False) -> Path:
    """The mini people as a CSV with the labels (or the variable names) as headers."""
    rows = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    headers = list(dict.fromkeys(key for row in rows for key in row))
    names = {"姓名": "name", "年度": "year", "单位": "unit", "职务": "post", "分管工作": "duties",
             "报告日期": "report_date", "任职时间": "start_date", "集中学习次数": "study_times",
             "心得篇数": "essays", "发展党员数": "members", "走访农户数": "households", "网格数": "grid_cells",
             "网格村": "villages", "项目投资（万元）": "investment", "选稿": "选稿"}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([names[h] if english else h for h in headers])
        for row in rows:
            writer.writerow(["" if row.get(h) is None else str(row.get(h)) for h in headers])
    return path


def assembled(mini: Path, tmp_path: Path) -> Path:
    template = tmp_path / "tpl.docx"
    result = run("template", mini / "rules.yaml", "--checklist", mini / "checklist.md", "-o", template)
    assert result.exit_code == 0, result.output
    return template


def test_render_of_an_assembled_template_gives_the_build_reports(mini, tmp_path):
    template = assembled(mini, tmp_path)
    people = people_csv(mini, tmp_path / "people.csv")  # Chinese labels, 选稿 for 丙三
    result = run("build", mini / "rules.yaml", "--people", people, "--checklist", mini / "checklist.md",
                 "-o", tmp_path / "built")
    assert result.exit_code == 0, result.output
    result = run("render", template, "--people", people, "-o", tmp_path / "rendered")
    assert result.exit_code == 0, result.output
    built = sorted(p.name for p in (tmp_path / "built").glob("*.docx"))
    assert sorted(p.name for p in (tmp_path / "rendered").glob("*.docx")) == built
    for name in built:
        assert docx_text((tmp_path / "rendered" / name).read_bytes()) == \
            docx_text((tmp_path / "built" / name).read_bytes())
    bing = docx_text((tmp_path / "rendered" / "2022年度述职述廉报告-丙三.docx").read_bytes())
    assert "集中学习" not in bing  # 丙三's 选稿 -theory.study was applied
    with zipfile.ZipFile(tmp_path / "rendered" / built[0]) as archive:
        assert not [n for n in archive.namelist() if n.startswith("customXml/")]  # the project stays in the template


def test_english_headers_are_typed(mini, tmp_path):
    template = assembled(mini, tmp_path)
    people = people_csv(mini, tmp_path / "people.csv", english=True)
    result = run("render", template, "--people", people, "-o", tmp_path / "rendered")
    assert result.exit_code == 0, result.output
    jia = docx_text((tmp_path / "rendered" / "2022年度述职述廉报告-甲一.docx").read_bytes())
    assert "网格数量居全镇前列" in jia  # grid_cells > 30 compared as a number


def test_the_template_keeps_the_declarations_and_the_checklist(mini, tmp_path):
    checklist = mini / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x] duties.grid", "- [ ] duties.grid"),
                         encoding="utf-8")
    template = assembled(mini, tmp_path)
    project = read_project(template.read_bytes())
    assert project is not None
    assert "duties.grid" not in project.ticked and "duties.party" in project.ticked
    assert "grid_cells" in project.snippets["duties/grid.md"]
    assert "library: snippets" in project.rules_text and str(mini) not in project.rules_text


def test_plain_docxtpl_templates_render_as_before(tmp_path):
    from docx import Document

    document = Document()
    document.add_paragraph("{{ name }}：{{ amount }}")
    template = tmp_path / "plain.docx"
    document.save(str(template))
    assert read_project(template.read_bytes()) is None
    people = tmp_path / "people.csv"
    people.write_text("name,amount\n张三,5\n", encoding="utf-8")
    result = run("render", template, "--people", people, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert docx_text((tmp_path / "out" / "2.docx").read_bytes()).strip() == "张三：5"


@pytest.mark.office
def test_writer_keeps_the_project_when_it_saves_the_template(mini, tmp_path):
    """The part survives a save in LibreOffice Writer (real soffice, its own profile)."""
    from assembler.office.process import find_soffice

    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    template = assembled(mini, tmp_path)
    out = tmp_path / "saved"
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(template)],
                   check=True, capture_output=True, timeout=180)
    saved = read_project((out / "tpl.docx").read_bytes())
    original = read_project(template.read_bytes())
    assert saved is not None and original is not None
    assert saved.ticked == original.ticked and saved.snippets == original.snippets
    assert saved.rules_text == original.rules_text
