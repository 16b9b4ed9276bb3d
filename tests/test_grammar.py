"""grammar.py (load) and its Jinja implementation (template): how loaders check templates without Jinja."""

from __future__ import annotations

import pytest

from assembler.load.grammar import TemplateSyntaxProblem, grammar
from assembler.template.grammar import JINJA


def test_the_package_installs_the_jinja_grammar_for_the_loaders():
    assert grammar() is JINJA


def test_the_grammar_checks_and_analyses_templates():
    JINJA.check_template("共{{ n }}次。{% if x %}有{% endif %}")
    with pytest.raises(TemplateSyntaxProblem) as caught:
        JINJA.check_template("第一行\n共{{ n 次。")
    assert caught.value.line == 2 and caught.value.message
    assert JINJA.expression_problem("grid_cells > 0") is None
    assert JINJA.expression_problem("x >")
    assert JINJA.template_variables("{% set a = 1 %}{{ a }}{{ b.c }}") == {"b"}
    assert JINJA.expression_variables("a > b and c") == {"a", "b", "c"}
    assert JINJA.fill("{{ year }}年度", {"year": 2022}) == "2022年度"

