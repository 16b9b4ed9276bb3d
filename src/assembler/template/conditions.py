"""A ``when`` condition in words a clerk reads: the variables' labels instead of their names.

``'精神文明' in duties`` → ``分管工作包含“精神文明”``; ``grid_cells > 0`` → ``网格数大于 0``. The
dialog's tooltips show this; anything the wording does not know is shown as written, so a
condition is never hidden or misread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_COMPARE = {"gt": "大于", "gteq": "不少于", "lt": "小于", "lteq": "不超过", "eq": "等于", "ne": "不等于"}


class _Unknown(Exception):
    """A construct the wording does not cover."""


def describe_condition(expression: str, labels: Mapping[str, str]) -> str:
    """``expression`` in words, each variable named by its label (or its name when it has none)."""
    from jinja2 import nodes

    from .environment import shared_env

    try:
        template = shared_env().parse("{{ (" + expression + ") }}")
        output = template.body[0]
        if not isinstance(output, nodes.Output) or len(output.nodes) != 1:
            raise _Unknown
        return _words(output.nodes[0], lambda name: labels.get(name) or name)
    except Exception:  # noqa: BLE001 - anything unusual is shown as written
        return expression


def _words(node: Any, label: Callable[[str], str]) -> str:
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return label(node.name)
    if isinstance(node, nodes.Const):
        return f"“{node.value}”" if isinstance(node.value, str) else str(node.value)
    if isinstance(node, nodes.Not):
        inner = node.node
        if isinstance(inner, nodes.Name):
            return f"没有{label(inner.name)}"
        return f"并非（{_words(inner, label)}）"
    if isinstance(node, nodes.And):
        return f"{_words(node.left, label)}，并且{_words(node.right, label)}"
    if isinstance(node, nodes.Or):
        return f"{_words(node.left, label)}，或者{_words(node.right, label)}"
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        left, op = node.expr, node.ops[0]
        right = op.expr
        if op.op in ("in", "notin"):
            verb = "包含" if op.op == "in" else "不包含"
            return f"{_words(right, label)}{verb}{_words(left, label)}"
        if op.op in _COMPARE:
            return f"{_words(left, label)}{_COMPARE[op.op]} {_words(right, label)}".replace("  ", " ")
    raise _Unknown
