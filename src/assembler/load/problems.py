"""Where a loader puts what it finds wrong: collected (lint) or raised at the first error (a build).

The loaders own the grammar of snippets and rules. A build wants the first mistake as an
``InputError`` (strict); ``assembler lint`` and the project check want every mistake of every
file at once. Both read through the same code: a loader reports each mistake to a ``Problems``
and goes on as far as the file allows, and a strict ``Problems`` raises instead of recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import AssemblerError, InputError
from .grammar import TemplateSyntaxProblem, grammar

ERROR = "错误"
WARNING = "警告"


@dataclass(frozen=True)
class Problem:
    """One finding: ``level`` is 错误 or 警告."""

    file: str
    line: int
    level: str
    message: str
    col: int | None = None  # style findings point at their column

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def format(self) -> str:
        col = f":{self.col}" if self.col is not None else ""
        return f"{self.level}：{self.file}:{self.line}{col}: {self.message}"


class Problems:
    """Findings in the order met, each once; ``strict`` raises the first error as an ``InputError``."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, int, str, str]] = set()

    def add(self, level: str, file: str | Path, line: int | None, message: str, col: int | None = None) -> None:
        if self.strict and level == ERROR:
            raise InputError(message, file=file, line=line)
        key = (str(file), line or 1, level, message + f":{col}")
        if key in self._seen:
            return
        self._seen.add(key)
        self.problems.append(Problem(str(file), line or 1, level, message, col))

    def error(self, file: str | Path, line: int | None, message: str) -> None:
        self.add(ERROR, file, line, message)

    def warn(self, file: str | Path, line: int | None, message: str) -> None:
        self.add(WARNING, file, line, message)

    def from_exc(self, exc: AssemblerError, file: str | Path) -> None:
        """An error a helper raised (YAML, a variable's spec): re-raised when strict."""
        if self.strict:
            raise exc
        self.error(exc.file or file, exc.line, exc.message)

    def errors_in(self, file: str | Path) -> int:
        return sum(1 for p in self.problems if p.file == str(file) and p.is_error)


def check_template(source: str, *, file: Path, line: int, problems: Problems, what: str = "") -> bool:
    """Report a template (body, heading, rules string) that does not parse, at the line of the
    mistake; ``what`` names the part (``heading 的``). False when it does not parse."""
    if "{" not in source:
        return True
    try:
        grammar().check_template(source)
    except TemplateSyntaxProblem as exc:
        problems.error(file, line + exc.line - 1,
                       f"{what}Jinja 语法错误：{exc.message}，请检查 {{{{ }}}} 与 {{% %}} 是否成对")
        return False
    return True
