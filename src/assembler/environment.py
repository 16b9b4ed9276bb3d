"""The one Jinja environment every render goes through.

Snippets are written by many hands and people files come from spreadsheets, so
library text is treated as untrusted template code: a sandbox (no attribute
walks to ``__class__`` and friends), ``StrictUndefined`` (a missing value is an
error, never a silent blank) and autoescaping (a value such as ``张三&李四<测试>``
is escaped once, here, and lands literally in the XML). The sandbox also bounds
the obvious resource tricks: huge ``range`` calls and huge string/list repeats.
"""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: The largest string or list a single ``*`` may build inside a template.
MAX_REPEAT_LENGTH = 100_000
#: Exponents above this are refused (``9**9**9`` would hang the process).
MAX_POWER_EXPONENT = 100


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed, strict, autoescaping; bounds ``*`` and ``**`` on top of Jinja's own checks."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                    if len(seq) * max(count, 0) > MAX_REPEAT_LENGTH:
                        raise SecurityError("重复生成的文本过长，已拒绝")
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_POWER_EXPONENT:
                raise SecurityError("乘方的指数过大，已拒绝")
            return operator.pow(left, right)
        return super().call_binop(context, operator_name, left, right)


def make_env() -> ReportEnvironment:
    """A fresh environment; docxtpl sets ``autoescape`` on the one it is given, so don't share it."""
    env = ReportEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=False)
    return env


@lru_cache(maxsize=1)
def shared_env() -> ReportEnvironment:
    """One environment for expressions (``when``) and names, where autoescape does not matter."""
    return make_env()


def expression_variables(expression: str) -> set[str]:
    """The variable names an expression reads (for checking what a ``when`` needs)."""
    from jinja2 import meta

    ast = shared_env().parse("{{ (" + expression + ") }}")
    return set(meta.find_undeclared_variables(ast))


def template_variables(source: str) -> set[str]:
    """The variable names a template body reads, minus those it sets itself."""
    from jinja2 import meta

    ast = shared_env().parse(source)
    return set(meta.find_undeclared_variables(ast))


def check_expression(expression: str) -> str | None:
    """``None`` if the expression parses, else Jinja's reason (for error messages)."""
    from jinja2 import TemplateSyntaxError

    try:
        ast = shared_env().parse("{{ (" + expression + ") }}")
    except TemplateSyntaxError as exc:
        return exc.message or "语法错误"
    output = ast.body[0] if ast.body else None
    if not isinstance(output, nodes.Output) or len(output.nodes) != 1:
        return "不是单个表达式"
    return None
