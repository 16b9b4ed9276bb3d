"""``assembler init --themes``: a new keeper starts from the parts of the bundled library she needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from assembler.cli import main
from assembler.errors import InputError
from assembler.library.lint import lint
from assembler.library.starter import CORE_THEMES, list_themes, parse_choice, write_starter
from assembler.load.snippets import load_library
from assembler.ooxml.text import docx_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(*args, input=None):  # noqa: A002
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def snippet_ids(folder: Path) -> set[str]:
    return set(load_library(folder / "snippets").snippets)


def test_themes_are_the_snippets_tags_core_themes_first():
    themes = list_themes()
    names = [theme.name for theme in themes]
    assert tuple(names[:5]) == CORE_THEMES
    assert {"纪检监察", "人大工作", "安全生产", "信访维稳"} <= set(names[5:])
    by_name = {theme.name: theme.snippet_ids for theme in themes}
    assert "village.monitoring" in by_name["驻村帮扶"] and "grid.mediation" in by_name["信访维稳"]
    # fixed parts (opening, problems, plans, closing) belong to no theme: they always come along
    assert not any(i.split(".")[0] in ("opening", "problems", "plans", "closing") for ids in by_name.values() for i in ids)


def test_parse_choice_takes_names_numbers_and_all():
    themes = list_themes()
    assert parse_choice("驻村帮扶、网格化治理", themes) == ["驻村帮扶", "网格化治理"]
    assert parse_choice("3，4, 3", themes) == ["驻村帮扶", "网格化治理"]
    assert parse_choice("全部", themes) == [theme.name for theme in themes]
    with pytest.raises(InputError) as caught:
        parse_choice("驻村帮扶、扶贫", themes)
    assert "没有“扶贫”这个主题" in caught.value.message and "网格化治理" in caught.value.message
    with pytest.raises(InputError):
        parse_choice(" ，", themes)


def test_written_starter_holds_the_theme_and_the_fixed_parts_only(tmp_path):
    files = write_starter(tmp_path, ["网格化治理"])
    ids = snippet_ids(tmp_path)
    grid = {i for i in load_library(ROOT / "snippets").snippets if i.startswith("grid.")}
    assert grid <= ids
    assert {"opening.npc", "problems.first-secretary", "plans.discipline", "closing.secretary"} <= ids
    assert not any(i.startswith(("village.", "duties.", "partybuild.")) for i in ids)
    assert "theory.congress" not in ids  # 理论学习 was not chosen
    rules = yaml.safe_load((tmp_path / "rules.yaml").read_text(encoding="utf-8"))
    assert [s["id"] for s in rules["sections"]] == ["duties", "problems", "plans"]  # empty sections dropped
    whens = {e["id"]: e.get("when") for e in rules["sections"][0]["snippets"]}
    assert whens["grid.mediation"] == "'信访维稳' in duties"  # conditions kept as written
    assert rules["library"] == "snippets"
    assert len(files) == len(ids) + 1


def test_init_with_themes_lints_clean_and_builds_the_teams_reports(tmp_path):
    lib = tmp_path / "青山镇"
    result = run("init", lib, "--no-git", "--themes", "驻村帮扶、廉洁自律")
    assert result.exit_code == 0, result.output
    assert (lib / ".pre-commit-config.yaml").is_file() and (lib / "README.md").is_file()
    linted = lint(lib / "rules.yaml")
    assert [p.format() for p in linted.problems] == []
    ids = snippet_ids(lib)
    assert {"village.branch", "integrity.station", "integrity.eight-rules", "grid.services"} <= ids
    assert "duties.safety" not in ids
    sheet = load_workbook(lib / "people.xlsx").active
    headers = [cell.value for cell in sheet[1]]
    assert "驻村名称" in headers and "安全检查次数" not in headers
    # the sample's people fill the new library's columns: three of them build from it
    built = run("build", lib / "rules.yaml", "--people", EXAMPLES / "people.xlsx", "--vars", EXAMPLES / "vars.yaml",
                "--checklist", lib / "checklist.md", "-o", tmp_path / "out")
    assert built.exit_code == 0, built.output
    text = docx_text((tmp_path / "out" / "2022年度述职述廉报告-高晓峰.docx").read_bytes())
    assert "石桥村" in text and "严守驻村纪律，清清白白为群众办事" in text


def test_init_themes_without_a_value_lists_them_in_chinese_and_asks(tmp_path):
    result = run("init", tmp_path / "lib", "--no-git", "--themes", input="2\n")
    assert result.exit_code == 0, result.output
    assert "自带片段库的主题" in result.output
    assert " 1. 理论学习（9 个片段）" in result.output
    assert "请选择主题" in result.output
    ids = snippet_ids(tmp_path / "lib")
    assert "partybuild.weak" in ids and "village.infrastructure" not in ids


def test_init_without_themes_keeps_the_small_skeleton_and_names_the_themes(tmp_path):
    result = run("init", tmp_path / "lib", "--no-git")
    assert result.exit_code == 0, result.output
    assert len(snippet_ids(tmp_path / "lib")) <= 6
    assert "自带的乡镇领导班子片段库有这些主题：理论学习、基层党建、驻村帮扶、网格化治理、廉洁自律" in result.output


def test_an_unknown_theme_stops_before_writing(tmp_path):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "lib"), "--no-git", "--themes", "扶贫"])
    assert result.exit_code == 2
    assert "没有“扶贫”这个主题" in result.output
    assert not (tmp_path / "lib").exists()
