from pathlib import Path

import pytest

from assembler.errors import InputError
from assembler.load.rules import load_rules

MINI = Path(__file__).parent / "fixtures" / "mini"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mini_rules_structure():
    rules = load_rules(MINI / "rules.yaml")
    assert [s.id for s in rules.sections] == ["theory", "duties", "integrity"]
    duties = rules.sections[1]
    assert [e.id for e in duties.intro] == ["duties.intro"]
    assert [(e.id, e.when) for e in duties.snippets][1:] == [
        ("duties.village", "'驻村帮扶' in duties"),
        ("duties.grid", "grid_cells > 0"),
    ]
    assert rules.entry_ids()[0] == "opening.hello" and rules.entry_ids()[-1] == "closing.submit"
    assert rules.variables["duties"].type == "list"
    assert rules.library == MINI / "snippets"
    assert rules.report_level_variables() == {"year", "unit", "post", "name", "report_date"}


def test_bad_when_names_line(tmp_path):
    path = write(tmp_path, "title: t\nsections:\n  - id: a\n    heading: 甲\n    snippets:\n      - {id: a.b, when: 'x >'}\n")
    with pytest.raises(InputError) as info:
        load_rules(path)
    assert info.value.line == 6
    assert "when" in info.value.message


def test_unknown_key_is_refused(tmp_path):
    path = write(tmp_path, "title: t\nsectons: []\n")
    with pytest.raises(InputError) as info:
        load_rules(path)
    assert info.value.line == 2 and "sectons" in info.value.message


def test_duplicate_entry_is_refused(tmp_path):
    path = write(tmp_path, "title: t\nopening: [a.b]\nclosing: [a.b]\n")
    with pytest.raises(InputError) as info:
        load_rules(path)
    assert info.value.line == 3 and "两次" in info.value.message


def test_missing_title(tmp_path):
    with pytest.raises(InputError) as info:
        load_rules(write(tmp_path, "sections: []\n"))
    assert "title" in info.value.message


def test_section_needs_heading(tmp_path):
    with pytest.raises(InputError) as info:
        load_rules(write(tmp_path, "title: t\nsections:\n  - id: a\n    snippets: [a.b]\n"))
    assert "heading" in info.value.message and info.value.line == 3


def test_similarity_threshold_is_read_and_checked(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("title: 报告\nsimilarity_threshold: 0.7\nsections: []\n", encoding="utf-8")
    assert load_rules(rules).similarity_threshold == 0.7
    rules.write_text("title: 报告\nsections: []\nsimilarity_threshold: 1.5\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules(rules)
    assert caught.value.line == 3 and "0～1" in caught.value.message
