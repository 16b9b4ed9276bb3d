"""template/conditions: a ``when`` in words with the variables' labels (the dialog's tooltips)."""

from __future__ import annotations

import pytest

from assembler.template.conditions import describe_condition

LABELS = {"duties": "分管工作", "grid_cells": "网格数", "post": "职务"}


@pytest.mark.parametrize(("expression", "words"), [
    ("'精神文明' in duties", "分管工作包含“精神文明”"),
    ("grid_cells > 0", "网格数大于 0"),
    ("'挂职' not in post", "职务不包含“挂职”"),
    ("grid_cells >= 3 and '宣传' in duties", "网格数不少于 3，并且分管工作包含“宣传”"),
    ("grid_cells == 0 or not post", "网格数等于 0，或者没有职务"),
    ("unlabelled < 2", "unlabelled小于 2"),
])
def test_conditions_read_as_words(expression: str, words: str) -> None:
    assert describe_condition(expression, LABELS) == words


@pytest.mark.parametrize("expression", ["duties|length > 2", "range(3)", "grid_cells > (", "a if b else c"])
def test_unknown_forms_are_shown_as_written(expression: str) -> None:
    assert describe_condition(expression, LABELS) == expression
