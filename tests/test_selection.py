from pathlib import Path

import pytest

from assembler.errors import InputError
from assembler.load.rules import load_rules
from assembler.load.selection import (
    merge_checklist,
    merge_checklist_changes,
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
    assert "- [ ] duties.grid" in merged  # new snippets start unticked (issue 13, item 6)
    assert "gone.snippet" not in merged


def test_merge_reports_every_change(tmp_path, rules, library):
    old = tmp_path / "old.md"
    old.write_text("- [ ] theory.study x\n- [x] theory.essay y\n- [x] gone.snippet z\n", encoding="utf-8")
    merged = merge_checklist_changes(rules, library, old)
    assert merged.removed == [("gone.snippet", True)]
    assert merged.kept == [("theory.study", False), ("theory.essay", True)]
    assert [snippet_id for snippet_id, _ in merged.added] == [
        i for i in rules.entry_ids() if i not in ("theory.study", "theory.essay")]
    assert not any(ticked for _, ticked in merged.added)
    lines = merged.describe()
    assert "删除：gone.snippet（原为已勾选，规则中已没有这个片段）" in lines
    assert "新增：duties.grid（未勾选）" in lines and "保留：theory.essay（已勾选）" in lines


def test_rules_can_tick_new_snippets(tmp_path, mini):
    path = mini / "rules.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "new_snippets: ticked\n", encoding="utf-8")
    rules = load_rules(path)
    old = tmp_path / "old.md"
    old.write_text("- [ ] theory.study x\n", encoding="utf-8")
    merged = merge_checklist_changes(rules, load_library(rules.library), old)
    assert all(ticked for _, ticked in merged.added) and "- [x] duties.grid" in merged.text
    assert "新增：duties.grid（已勾选，按规则的 new_snippets）" in merged.describe()


def test_checklist_header_when_the_year_has_no_example(mini):
    """Issue 13, item 8: the header read "# 年度…" when year had no example."""
    path = mini / "rules.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{type: int, label: 年度, example: 2022}",
                                                             "{type: int, label: 年度}"), encoding="utf-8")
    rules = load_rules(path)
    text = render_checklist(rules, load_library(rules.library))
    assert text.startswith("# 〔年度〕年度述职述廉报告 选稿清单\n")
