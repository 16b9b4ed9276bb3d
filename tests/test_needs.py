"""needs.py: which variables a selection needs, in the order a person fills them in."""

from __future__ import annotations

from pathlib import Path

from assembler.load.rules import load_rules
from assembler.load.snippets import load_library
from assembler.template.needs import body_variables, condition_variables, selection_needs

MINI = Path(__file__).parent / "fixtures" / "mini"


def test_rules_lines_come_first_then_each_entry_condition_and_body():
    rules = load_rules(MINI / "rules.yaml")
    library = load_library(rules.library)
    needs = list(selection_needs(rules, library, rules.entry_ids()))
    first_entry = next(index for index, (_, by) in enumerate(needs) if by != "规则")
    assert {by for _, by in needs[:first_entry]} == {"规则"}
    assert {name for name, _ in needs[:first_entry]} == {"year", "unit", "post", "name", "report_date"}
    for entry in rules.entries():
        read = {name for name, by in needs if by == entry.id}
        assert read == set(library[entry.id].variables) | body_variables(library[entry.id])
        assert {name for name, by in needs if by == f"{entry.id}（条件）"} == condition_variables(entry)
    assert not [by for _, by in selection_needs(rules, library, []) if by != "规则"]
