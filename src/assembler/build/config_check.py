"""Every configuration error of a project at once, before a build, template, preview or render.

A build used to stop at the first mistake in the library or the rules, so a library
with four mistakes took four runs. ``assembler lint`` already collects them all (and
never accepts what the loaders refuse), so the project-loading step asks lint's
collector first and refuses the project with the whole list, sorted by file and
line, and a last line pointing to ``assembler lint`` for the warnings too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from ..library.lint import Problem, lint


class ConfigurationError(InputError):
    """Several configuration errors (library, rules, checklist, template), shown one per line; exit 2."""

    def __init__(self, problems: Iterable[Problem], *, hint: str, more: Iterable[InputError] = ()) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        self.more = list(more)  # errors without a line (a command-line option), shown after the others
        self.hint = hint
        first = self.problems[0] if self.problems else None
        super().__init__(first.message if first else hint, file=first.file if first else None,
                         line=first.line if first else None)

    def format(self) -> str:
        return "\n".join([*(problem.format() for problem in self.problems),
                          *(error.format() for error in self.more), self.hint])


def lint_hint(rules: Path, count: int) -> str:
    return (f"共 {count} 处配置错误，什么都没有写；改正后再试。"
            f"运行 assembler lint {rules} 可同时看到警告")


def check_project(rules: Path, checklist: Path | None = None) -> None:
    """Raise ``ConfigurationError`` listing every error lint finds in the rules, their library and
    ``checklist`` (only the one given: a build without a checklist does not read one).

    One process (``jobs=1``): the office extension calls this inside LibreOffice, which must not fork.
    House style is not configuration (``style=False``): the build checks it on each report, dated
    as that report is, and a wrong ``wording.yaml`` is refused when the project loads.
    """
    result = lint(Path(rules), checklist=checklist, neighbour_checklist=False, jobs=1, style=False)
    errors = result.errors
    if errors:
        raise ConfigurationError(errors, hint=lint_hint(Path(rules), len(errors)))


#: The parts docxtpl renders, besides the core properties.
_TEMPLATE_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes)\.xml$")


def check_template(data: bytes, name: str, *, name_pattern: str | None = None) -> None:
    """Raise ``ConfigurationError`` with the Jinja syntax errors of every part of a docxtpl
    template (the first of each part: docxtpl compiles a part as one template) and of the
    ``--name`` pattern, all at once. The line is the paragraph, as docxtpl numbers them."""
    import io

    from docxtpl import DocxTemplate
    from jinja2 import TemplateError, TemplateSyntaxError
    from lxml import etree

    from ..library.lint import ERROR
    from ..ooxml.package import read_parts
    from ..template.environment import make_env

    parts = read_parts(data, file=name)
    env = make_env()
    problems: list[Problem] = []
    more: list[InputError] = []
    patcher = DocxTemplate(io.BytesIO(data))
    for part, payload in parts.items():
        if not _TEMPLATE_PARTS.match(part):
            continue
        # serialised again, as docxtpl hands a part to Jinja (entities in the file resolved)
        source = patcher.patch_xml(etree.tostring(etree.fromstring(payload), encoding="unicode"))
        try:
            env.parse(re.sub(r"<w:p([ >])", r"\n<w:p\1", source))
        except TemplateSyntaxError as exc:
            paragraph = max(1, (exc.lineno or 2) - 1)
            problems.append(Problem(name, paragraph, ERROR, f"{part} 第{paragraph}段：Jinja 语法错误：{exc.message}，"
                                                            "请检查 {{ }} 与 {% %} 是否成对"))
    if name_pattern:
        from ..template.environment import text_template

        try:
            text_template(name_pattern)
        except TemplateError as exc:
            more.append(InputError(f"--name 的写法有误：{exc.message}；如 \"{{{{ 姓名 }}}}-报告\""))
    if problems or more:
        count = len(problems) + len(more)
        raise ConfigurationError(problems, more=more,
                                 hint=f"共 {count} 处模板错误，什么都没有写；请改正模板或 --name 后再试")
