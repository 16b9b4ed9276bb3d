from pathlib import Path

import pytest

from assembler.errors import InputError
from assembler.load.rules import load_rules
from assembler.load.selection import (
    apply_overrides,
    merge_checklist,
    parse_checklist_text,
    read_checklist,
    render_checklist,
)
from assembler.load.snippets import load_library

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture()
def rules():
    return load_rules(MINI / "rules.yaml")


@pytest.fixture()
def library(rules):
    return load_library(rules.library)



def test_checklist_round_trip(tmp_path, rules, library):
    text = render_checklist(rules, library, ticked=set(rules.entry_ids()) - {"theory.essay"})
    assert text.startswith("# 2022年度述职述廉报告 选稿清单")
    assert "## 一、强化理论武装" in text and "## 三、落实廉洁自律" in text
    assert "- [ ] theory.essay 注重学用结合" in text
    assert "- [x] duties.grid 深化网格治理" in text
    path = tmp_path / "c.md"
    path.write_text(text, encoding="utf-8")
    checklist = read_checklist(path, rules)
    assert checklist.ticked == frozenset(rules.entry_ids()) - {"theory.essay"}


def test_example_checklist_format():
    found = parse_checklist_text("## 一、甲\n- [x] theory.political-study 自觉加强\n- [ ] theory.practice 全面\n- [X] a.b\n",
                                 file="c.md")
    assert found == {"theory.political-study": (True, 2), "theory.practice": (False, 3), "a.b": (True, 4)}


def test_unknown_id_says_how_to_refresh(tmp_path, rules):
    path = tmp_path / "c.md"
    path.write_text((MINI / "checklist.md").read_text(encoding="utf-8") + "- [x] duties.ghost 幽灵\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_checklist(path, rules)
    assert "duties.ghost" in info.value.message and "--merge" in info.value.message
    assert info.value.line == 21


def test_missing_id_is_an_error(tmp_path, rules):
    path = tmp_path / "c.md"
    text = (MINI / "checklist.md").read_text(encoding="utf-8").replace("- [x] duties.grid 深化网格治理\n", "")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_checklist(path, rules)
    assert "duties.grid" in info.value.message and "assembler checklist" in info.value.message


def test_malformed_line(tmp_path, rules):
    path = tmp_path / "c.md"
    path.write_text("- [x]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_checklist(path, rules)
    assert info.value.line == 1


def test_merge_keeps_ticks(tmp_path, rules, library):
    old = tmp_path / "old.md"
    old.write_text("- [ ] theory.study x\n- [x] theory.essay y\n- [ ] gone.snippet z\n", encoding="utf-8")
    merged = merge_checklist(rules, library, old)
    assert "- [ ] theory.study" in merged and "- [x] theory.essay" in merged
    assert "- [x] duties.grid" in merged  # new snippets start ticked
    assert "gone.snippet" not in merged


def test_overrides():
    selection, unknown = apply_overrides({"a", "b"}, ["-a", "+c", "+zz"], {"a", "b", "c"})
    assert selection == {"b", "c"} and unknown == ["zz"]
