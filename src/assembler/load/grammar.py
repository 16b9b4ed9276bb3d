"""The template grammar the loaders check against, as an interface: loaders know no Jinja.

A loader checks what it reads as it reads it — a ``when`` expression, a rules template string, a
snippet body — so a mistake is reported with its file and line before anything else happens, and
it lists the variables these read. How a template is parsed is the template layer's business
(``template.grammar``): the package installs it here when it is imported (``assembler/__init__.py``),
so the loaders depend on this interface only and import-linter can hold them to it.
"""

from __future__ import annotations

from typing import Protocol


class TemplateSyntaxProblem(ValueError):
    """A template that does not parse: the grammar's message, and the line within the source."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Grammar(Protocol):
    def check_template(self, source: str) -> None:
        """Raise ``TemplateSyntaxProblem`` if ``source`` (a body or a template string) does not parse."""

    def expression_problem(self, expression: str) -> str | None:
        """``None`` if ``expression`` is one expression that parses, else why not."""

    def template_variables(self, source: str) -> set[str]:
        """The variable names a template reads, minus those it sets itself."""

    def expression_variables(self, expression: str) -> set[str]:
        """The variable names an expression reads."""

    def fill(self, source: str, values: dict[str, object]) -> str:
        """``source`` filled with ``values`` (examples, for a label people read); raise on any problem."""


_installed: list[Grammar] = []


def install(grammar: Grammar) -> None:
    _installed[:] = [grammar]


def grammar() -> Grammar:
    if not _installed:  # only when someone imports a loader without the package's __init__ (never in practice)
        raise RuntimeError("no template grammar installed: import assembler first")
    return _installed[0]
