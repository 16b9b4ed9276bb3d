from pathlib import Path

import pytest

from assembler.errors import InputError
from assembler.load.snippets import join_lines, load_library, parse_snippet, split_paragraphs

MINI = Path(__file__).parent / "fixtures" / "mini"


def snippet_text(front: str, body: str) -> str:
    return f"---\n{front}\n---\n{body}"


def test_paragraphs_split_on_blank_lines_and_join_lines_without_space_between_cjk():
    paras = split_paragraphs("第一行\n接着写。\n\nsecond line\ncontinues here.\n", 5)
    assert [p.text for p in paras] == ["第一行接着写。", "second line continues here."]
    assert [p.line for p in paras] == [5, 8]


def test_join_lines_mixes_latin_and_cjk():
    assert join_lines(["完成 GDP", "增长目标。"]) == "完成 GDP增长目标。"
    assert join_lines(["word", "next"]) == "word next"


def test_tag_only_paragraph_is_marked():
    paras = split_paragraphs("{% if x %}\n\n正文。\n\n{% endif %}", 1)
    assert [p.tag for p in paras] == ["if x", None, "endif"]


def test_library_loads_with_declared_variables():
    library = load_library(MINI / "snippets")
    grid = library["duties.grid"]
    assert grid.heading == "深化网格治理"
    assert grid.variables["grid_cells"].type == "int"
    assert grid.variables["grid_cells"].label == "网格数"
    assert grid.used_variables() == {"villages", "grid_cells"}
    assert library["duties.intro"].heading is None
    assert library["duties.intro"].label.startswith("围绕全镇中心工作")


def test_missing_front_matter_names_file_and_line(tmp_path):
    with pytest.raises(InputError) as info:
        parse_snippet("正文\n", file=tmp_path / "a.md")
    assert info.value.line == 1
    assert "---" in info.value.message


def test_unknown_key_reports_its_line(tmp_path):
    text = snippet_text("id: a.b\nsection: a\nheadline: 错\n", "正文。")
    with pytest.raises(InputError) as info:
        parse_snippet(text, file=tmp_path / "a.md")
    assert info.value.line == 4
    assert "headline" in info.value.message


def test_bad_type_is_refused(tmp_path):
    text = snippet_text("id: a.b\nvariables:\n  n: {type: integer}\n", "共{{ n }}次。")
    with pytest.raises(InputError) as info:
        parse_snippet(text, file=tmp_path / "a.md", default_section="a")
    assert "integer" in info.value.message


def test_jinja_syntax_error_reports_body_line(tmp_path):
    text = snippet_text("id: a.b\nsection: a", "第一段。\n\n共{{ n 次。")
    with pytest.raises(InputError) as info:
        parse_snippet(text, file=tmp_path / "a.md")
    assert info.value.line == 7
    assert "Jinja" in info.value.message


def test_duplicate_ids_are_refused(tmp_path):
    for name in ("a", "b"):
        (tmp_path / "s").mkdir(exist_ok=True)
        (tmp_path / "s" / f"{name}.md").write_text(snippet_text("id: s.same\nsection: s", "正文。"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_library(tmp_path)
    assert "s.same" in info.value.message and "重复" in info.value.message


def test_yaml_alias_is_refused(tmp_path):
    text = snippet_text("id: a.b\nsection: &x a\nheading: *x", "正文。")
    with pytest.raises(InputError) as info:
        parse_snippet(text, file=tmp_path / "a.md")
    assert "别名" in info.value.message
