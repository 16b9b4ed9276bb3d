"""``assembler lint``: every problem in a snippet library and its rules, each with its file and line.

The loaders own the grammar: lint reads every file through them in collecting mode
(``read_snippet``, ``read_rules`` with a ``Problems``), so it reports every mistake a build
would stop at, at the same line and in the same words. Then come the checks only lint makes,
across files and on style: variables used but not declared (or declared and unused),
conditions that read unknown names, rules naming missing snippets and snippets no rule uses,
duplicate ids, leftover masks such as ``**`` or ``XX``, punctuation, and variants that read
different values from the main body.

What each file is checked for on its own (in worker processes for a large library) is in
``lint_files``; this module checks across files and runs the whole.

Errors are what would make ``assembler build`` fail or produce a wrong report;
warnings are what a careful editor would want to look at. Every problem is a
``Problem`` with a file and a 1-based line, printed as ``错误：file:line: …``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError

from ..errors import AssemblerError, InputError
from ..load.problems import ERROR, WARNING, Problem, Problems
from ..load.rules import RESERVED_NAMES, RulesReading
from ..load.snippets import iter_snippet_files
from ..load.yamlio import read_text
from ..template.environment import check_expression, expression_variables
from .lint_files import (
    JINJA_BLOCK,
    PROVIDED,
    SnippetInfo,
    check_rules_file,
    check_snippet_files,
    make_style_run,
    names_read,
)
from .snippet_style import FixedLine

__all__ = ["ERROR", "WARNING", "LintResult", "Problem", "fix_style", "lint", "resolve_target"]


@dataclass
class LintResult:
    problems: list[Problem]
    rules: Path | None
    library: Path | None
    snippets: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary(self) -> str:
        checked = f"检查了 {self.snippets} 个片段" + (f"和规则文件 {self.rules}" if self.rules else "")
        if not self.problems:
            return f"{checked}，没有发现问题。"
        return f"{checked}：{len(self.errors)} 个错误，{len(self.warnings)} 个警告。"


# ------------------------------------------------------------------ across files


def _line_of_name(info: SnippetInfo, name: str) -> int:
    """The body line where ``name`` is first read inside a tag (for pointing at it)."""
    snippet = info.reading
    pattern = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)")
    for offset, line in enumerate(snippet.body.split("\n")):
        for block in JINJA_BLOCK.finditer(line):
            if pattern.search(block.group(0)):
                return snippet.body_line + offset
    if snippet.heading and pattern.search(snippet.heading):
        return snippet.heading_line
    return snippet.body_line


def _check_declarations(infos: list[SnippetInfo], rules: RulesReading | None, col: Problems) -> None:
    declared_by: dict[str, list[str]] = {}
    types: dict[str, tuple[str, str]] = {}
    labels: dict[str, tuple[str, str]] = {}

    def record(name: str, type_: str | None, label: str | None, who: str, file: Path, line: int) -> None:
        declared_by.setdefault(name, []).append(who)
        if type_ is not None:
            if name in types and types[name][0] != type_:
                col.error(file, line, f"变量 {name} 在{types[name][1]}中的类型是 {types[name][0]}，"
                                      f"在这里却是 {type_}；"
                                      "同名变量必须声明为同一类型")
            types.setdefault(name, (type_, who))
        if label:
            if label in labels and labels[label][0] != name:
                col.error(file, line, f"标签“{label}”同时用于变量 {labels[label][0]}"
                                      f"（{labels[label][1]}）和 {name}，"
                                      "人员表的列名会混淆；请改用不同的 label")
            labels.setdefault(label, (name, who))

    if rules is not None:
        for name, line in rules.declared.items():
            spec = rules.variables.get(name)
            record(name, spec.type if spec else None, spec.label if spec else None, "规则文件", rules.path, line)
    for info in infos:
        for name, line in info.reading.declared.items():
            if name in RESERVED_NAMES:
                col.error(info.path, line, f"变量名 {name} 是保留字，请换一个名字")
            spec = info.reading.variables.get(name)
            record(name, spec.type if spec else None, spec.label if spec else None, f"片段 {info.id or info.path.name}",
                   info.path, line)
    when_names: set[str] = set()
    if rules is not None:
        for entry in rules.entries:
            if entry.when and check_expression(entry.when) is None:
                names = expression_variables(entry.when) - PROVIDED
                when_names |= names
                unknown = sorted(name for name in names if name not in declared_by)
                if unknown:
                    col.error(rules.path, entry.line,
                              f"when 条件“{entry.when}”用到未声明的变量 {'、'.join(unknown)}；"
                              "请在规则文件或某个片段的 variables 中声明")
    used_anywhere: set[str] = set(when_names)
    for info in infos:
        used_anywhere |= info.used
    if rules is not None:
        for source, _line in [*((text, line) for _key, text, line in rules.strings), *rules.headings]:
            try:
                used_anywhere |= names_read(source)
            except TemplateSyntaxError:
                pass
    for info in infos:
        for name in sorted(info.used):
            if name in info.reading.declared or (rules is not None and name in rules.declared):
                continue
            line = _line_of_name(info, name)
            others = [who for who in declared_by.get(name, [])]
            if others:
                col.warn(info.path, line, f"变量 {name} 在本片段中没有声明（声明在 {'、'.join(others)}）；"
                                          "建议在本片段的 variables 中也声明，删掉那个片段后才不会出错")
            elif rules is not None:
                col.error(info.path, line, f"变量 {name} 没有声明；请在本片段的 variables 中写上"
                                           f" {name}: {{type: …, label: …}}，或在规则文件的 variables 中声明")
            else:
                col.warn(info.path, line, f"变量 {name} 没有在本片段中声明"
                                          "（未找到规则文件，无法确认是否在规则中声明）")
        _check_variants(info, set(rules.declared) if rules is not None else set(), col)
        for name, line in info.reading.declared.items():
            if info.body_ok and name not in info.used and name not in when_names:
                col.warn(info.path, line, f"变量 {name} 已声明但正文没有用到；"
                                          f"请删除声明，或在正文中使用 {{{{ {name} }}}}")
    if rules is not None:
        for name, line in rules.declared.items():
            if name not in used_anywhere:
                col.warn(rules.path, line,
                         f"变量 {name} 已在规则文件中声明，但标题、落款、条件和片段都没有用到")


def _check_variants(info: SnippetInfo, report_level: set[str], col: Problems) -> None:
    """Every body of a snippet must read the same snippet values (report-level ones are always there)."""
    if not info.body_ok:
        return
    main = info.used_body - report_level
    for number, line, names in info.variant_names:
        names = names - report_level
        if names == main:
            continue
        only_here = sorted(names - main)
        only_main = sorted(main - names)
        detail = "；".join(part for part in (
            f"多了 {'、'.join(only_here)}" if only_here else "",
            f"少了 {'、'.join(only_main)}" if only_main else "",
        ) if part)
        col.error(info.path, line, f"第{number}种正文（variants）使用的变量与主正文不同（{detail}）；"
                                   "各种正文必须用同样的变量，人员表才能通用")


def _check_rules_against_library(rules: RulesReading, infos: list[SnippetInfo], col: Problems) -> None:
    by_id = {info.id: info for info in infos if info.id}
    used = {entry.id for entry in rules.entries}
    for entry in rules.entries:
        if entry.id not in by_id:
            close = _close_ids(entry.id, by_id)
            hint = f"；是不是 {'、'.join(close)}？" if close else "；请检查拼写，或先添加该片段文件"
            col.error(rules.path, entry.line, f"片段“{entry.id}”在片段库 {rules.library} 中不存在{hint}")
    for info in infos:
        if info.id and info.id not in used:
            col.warn(info.path, info.reading.id_line, f"片段“{info.id}”没有被规则文件 {rules.path} 使用")


def _close_ids(wanted: str, known: Mapping[str, Any]) -> list[str]:
    import difflib

    return difflib.get_close_matches(wanted, list(known), n=2, cutoff=0.75)


def _check_checklist(path: Path, rules: RulesReading, col: Problems) -> None:
    from ..load.selection import checklist_problems, parse_checklist_text

    try:
        text = read_text(path)
        found = parse_checklist_text(text, file=path)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return
    for problem in checklist_problems(path, text, found, rules.path, [entry.id for entry in rules.entries]):
        col.from_exc(problem, path)


def _duplicates(infos: list[SnippetInfo], col: Problems) -> None:
    first: dict[str, SnippetInfo] = {}
    for info in infos:
        if not info.id:
            continue
        if info.id in first:
            col.error(info.path, info.reading.id_line,
                      f"片段 id“{info.id}”与 {first[info.id].path} 重复，请改用唯一的 id")
        else:
            first[info.id] = info


# ------------------------------------------------------------------ entry point


def _neighbour_checklist(rules: Path) -> Path | None:
    """``checklist.md`` beside the rules, when it names them: a checklist of another rules file
    in the same folder is not this one's to judge."""
    from ..load.selection import checklist_rules

    path = rules.parent / "checklist.md"
    if not path.is_file():
        return None
    try:
        named = checklist_rules(read_text(path))
    except AssemblerError:
        return None
    return path if named is not None and named == rules.name else None


def resolve_target(target: Path | None) -> tuple[Path | None, Path | None]:
    """(rules file, library folder) for ``assembler lint [TARGET]``."""
    if target is None:
        target = Path("rules.yaml") if Path("rules.yaml").is_file() else Path(".")
    if target.is_file():
        if target.suffix.lower() == ".md":
            return None, None
        return target, None
    if target.is_dir():
        for name in ("rules.yaml", "rules.yml"):
            if (target / name).is_file():
                return target / name, None
        for name in ("rules.yaml", "rules.yml"):
            parent_rules = target.parent / name
            if parent_rules.is_file() and target.resolve() == (target.parent / "snippets").resolve():
                return parent_rules, target
        return None, target
    raise InputError("文件或文件夹不存在；请给出规则文件（rules.yaml）或片段库文件夹", file=target)


def _snippet_files(target: Path | None, library: Path | None) -> list[Path]:
    """The snippet files ``lint`` and ``--fix`` read: ``target`` when it is one, else the library's."""
    if target is not None and target.is_file() and target.suffix.lower() == ".md":
        return [target]
    return list(iter_snippet_files(library)) if library is not None and library.is_dir() else []


def lint(target: Path | None = None, *, checklist: Path | None = None, jobs: int | None = None,
         neighbour_checklist: bool = True, year: int | None = None, style: bool = True) -> LintResult:
    """Check a rules file and its library (or a library folder, or one snippet file).

    ``checklist``: check this checklist too; without it, a ``checklist.md`` beside the rules
    is checked only when it names this rules file (``selection.checklist_rules``), and not
    at all with ``neighbour_checklist=False``.

    ``jobs``: worker processes for large libraries (default: one per CPU; pass 1 when
    embedding lint in a process that must not fork, such as an office extension).
    ``year``: the year wording entries with a year range are checked for (default: this
    year); ``style``: whether to run the house style checks at all.
    """
    rules_path, library = resolve_target(target)
    col = Problems()
    rules_info: RulesReading | None = None
    if rules_path is not None:
        rules_info = check_rules_file(rules_path, col)
        library = rules_info.library
    files = _snippet_files(target, library)
    if not files and library is not None and library.is_dir():
        col.error(library, 1, "片段库中没有任何 .md 片段文件")
    elif not files:
        where = rules_path or library or Path(".")
        col.error(where, rules_info.rules.lines.get("library", 1) if rules_info and rules_info.rules else 1,
                  f"片段库文件夹 {library} 不存在，请检查规则文件中的 library 路径")
    style_run = make_style_run(rules_path, library, rules_info, col, year) if style else None
    if style_run is not None and rules_info is not None:
        style_run.check_rules(rules_info, col)
    infos = check_snippet_files(list(files), col, jobs=jobs, style=style_run)
    _duplicates(infos, col)
    _check_declarations(infos, rules_info, col)
    if rules_info is not None and library is not None and library.is_dir():
        _check_rules_against_library(rules_info, infos, col)
    if rules_info is not None:
        checklist_path = checklist
        if checklist_path is None and neighbour_checklist:
            checklist_path = _neighbour_checklist(rules_info.path)
        if checklist_path is not None and checklist_path.is_file():
            _check_checklist(checklist_path, rules_info, col)
    problems = sorted(col.problems, key=lambda p: (p.file != str(rules_path), p.file, p.line))
    return LintResult(problems=problems, rules=rules_path, library=library, snippets=len(infos))


def fix_style(target: Path | None = None, *, year: int | None = None) -> list[FixedLine]:
    """``assembler lint --fix``: write the house style fixes that cannot change meaning into the
    snippet files (``snippet_style.fix_file``); the changes made, for printing. Git is the undo."""
    from .snippet_style import fix_file

    rules_path, library = resolve_target(target)
    col = Problems()
    rules_info = check_rules_file(rules_path, col) if rules_path is not None else None
    if rules_info is not None:
        library = rules_info.library
    files = _snippet_files(target, library)
    run = make_style_run(rules_path, library, rules_info, col, year)
    if run is None:
        return []
    changes: list[FixedLine] = []
    for path in files:
        changes += fix_file(path, run.settings, run.year)
    return changes
