"""The loaders' template grammar (``load.grammar.Grammar``) spoken by the one sandboxed Jinja environment."""

from __future__ import annotations

from jinja2 import TemplateSyntaxError

from ..load.grammar import TemplateSyntaxProblem
from .environment import check_expression, expression_variables, shared_env, template_variables


class JinjaGrammar:
    def check_template(self, source: str) -> None:
        try:
            shared_env().parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateSyntaxProblem(f"{exc.message}", exc.lineno or 1) from None

    def expression_problem(self, expression: str) -> str | None:
        return check_expression(expression)

    def template_variables(self, source: str) -> set[str]:
        return template_variables(source)

    def expression_variables(self, expression: str) -> set[str]:
        return expression_variables(expression)

    def fill(self, source: str, values: dict[str, object]) -> str:
        return shared_env().from_string(source).render(values)


JINJA = JinjaGrammar()
