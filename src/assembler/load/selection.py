"""Which snippets a report uses: the checklist file and per-person overrides.

The checklist is a Markdown task list because staff can read and tick it in any
editor (and the Writer dialog writes the same file). Only the first word after
the box counts; the rest is a label for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..numbering import section_label
from .grammar import grammar
from .rules import Entry, Rules
from .snippets import Library
from .yamlio import read_text

_ITEM = re.compile(r"^\s*[-*+]\s*\[(?P<box>[ xX✓√]?)\]\s*(?P<id>\S+)?(?P<label>.*)$")
_LOOKS_LIKE_ITEM = re.compile(r"^\s*[-*+]\s*\[")
@dataclass(frozen=True)
class Checklist:
    path: Path | None
    ticked: frozenset[str]
    lines: Mapping[str, int]


def checklist_title(rules: Rules, title: str | None = None) -> str:
    """The checklist's first line; the title's tags are filled from examples where possible, and
    shown as 〔label〕 where a variable has none (not left out: "# 年度…" reads as a typo)."""
    if title:
        return title
    examples: dict[str, object] = {}
    for name in grammar().template_variables(rules.title):
        spec = rules.variables.get(name)
        examples[name] = f"〔{(spec.label if spec else None) or name}〕"
    examples.update({name: spec.example for name, spec in rules.variables.items() if spec.example is not None})
    try:
        rendered = grammar().fill(rules.title, examples)
    except Exception:
        rendered = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", rules.title)
    return rendered.strip()


def checklist_groups(rules: Rules) -> list[tuple[str, list[Entry]]]:
    """The rules' snippets grouped as the checklist and the Writer dialog show them: 开头, 一、…, 结尾."""
    groups: list[tuple[str, list[Entry]]] = []
    if rules.opening:
        groups.append(("开头", list(rules.opening)))
    for number, section in enumerate(rules.sections, start=1):
        groups.append((f"{section_label(number)}{section.heading}", list(section.entries)))
    if rules.closing:
        groups.append(("结尾", list(rules.closing)))
    return groups


def render_checklist(rules: Rules, library: Library, ticked: Iterable[str] | None = None,
                     title: str | None = None) -> str:
    """The checklist text for ``rules``; everything ticked unless ``ticked`` says otherwise."""
    chosen = set(ticked) if ticked is not None else set(rules.entry_ids())

    def item(snippet_id: str) -> str:
        box = "x" if snippet_id in chosen else " "
        label = library[snippet_id].label if snippet_id in library else ""
        return f"- [{box}] {snippet_id} {label}".rstrip()

    out = [f"# {checklist_title(rules, title)} 选稿清单", ""]
    out.append("<!-- 勾选 [x] 表示采用该片段，[ ] 表示不用；每行第一个词是片段 id，其后文字仅供阅读。 -->")
    out.append(f"<!-- {RULES_MARK}{rules.path.name} -->")
    for heading, entries in checklist_groups(rules):
        out += ["", f"## {heading}", *(item(entry.id) for entry in entries)]
    return "\n".join(out) + "\n"


#: The line naming the rules file a checklist belongs to (``assembler lint`` checks a
#: ``checklist.md`` beside a rules file only when it names that file).
RULES_MARK = "规则文件："
_RULES_LINE = re.compile(r"^<!--\s*" + RULES_MARK + r"\s*(?P<name>.+?)\s*-->\s*$", re.MULTILINE)


def checklist_rules(text: str) -> str | None:
    """The rules file name a checklist names, if it does."""
    match = _RULES_LINE.search(text)
    return match.group("name") if match else None


def parse_checklist_text(text: str, *, file: Path | str) -> dict[str, tuple[bool, int]]:
    """id → (ticked, line). Malformed task lines are errors; other lines are ignored."""
    found: dict[str, tuple[bool, int]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not _LOOKS_LIKE_ITEM.match(line):
            continue
        match = _ITEM.match(line)
        if not match or not match.group("id"):
            raise InputError("清单行格式不对，应为“- [x] 片段id 说明”或“- [ ] 片段id 说明”", file=file, line=number)
        snippet_id = match.group("id")
        if snippet_id in found:
            raise InputError(f"片段“{snippet_id}”在清单中出现了两次（另一处在第{found[snippet_id][1]}行）",
                             file=file, line=number)
        found[snippet_id] = (match.group("box") != " " and match.group("box") != "", number)
    return found


def checklist_problems(path: Path, text: str, found: Mapping[str, tuple[bool, int]], rules_path: Path,
                       entry_ids: Iterable[str]) -> list[InputError]:
    """A checklist against its rules: ids the rules do not have, and rules' ids it lacks (each an
    error with its line). One rule for ``read_checklist`` (the first) and ``assembler lint`` (all)."""
    known = list(entry_ids)
    refresh = f"请运行 assembler checklist {rules_path} --merge {path} -o {path} 刷新清单（保留已有勾选）"
    problems = [InputError(f"清单中的片段“{snippet_id}”不在规则文件 {rules_path} 中；{refresh}", file=path, line=line)
                for snippet_id, (_, line) in found.items() if snippet_id not in set(known)]
    missing = [snippet_id for snippet_id in known if snippet_id not in found]
    if missing:
        problems.append(InputError(f"规则中的片段 {'、'.join(missing)} 不在清单中；{refresh}", file=path,
                                   line=len(text.split("\n"))))
    return problems


def read_checklist(path: Path, rules: Rules) -> Checklist:
    """Read and check a checklist against the rules: unknown and missing ids are errors."""
    text = read_text(path)
    found = parse_checklist_text(text, file=path)
    problems = checklist_problems(path, text, found, rules.path, rules.entry_ids())
    if problems:
        raise problems[0]
    ticked = frozenset(snippet_id for snippet_id, (is_ticked, _) in found.items() if is_ticked)
    return Checklist(path=path, ticked=ticked, lines={k: v[1] for k, v in found.items()})


def merge_checklist(rules: Rules, library: Library, old_path: Path, title: str | None = None) -> str:
    """A fresh checklist that keeps the old file's ticks (see ``merge_checklist_changes``)."""
    return merge_checklist_changes(rules, library, old_path, title).text


@dataclass
class MergedChecklist:
    """A refreshed checklist and what changed: (id, ticked) added, removed (as it was) and kept."""

    text: str
    added: list[tuple[str, bool]]
    removed: list[tuple[str, bool]]
    kept: list[tuple[str, bool]]
    ticked_by_rules: bool = False

    def describe(self) -> list[str]:
        """One line per change, in Chinese, as ``checklist --merge`` prints them."""
        def box(ticked: bool) -> str:
            return "已勾选" if ticked else "未勾选"

        why = "，按规则的 new_snippets" if self.ticked_by_rules else ""
        return ([f"新增：{i}（{box(t)}{why}）" for i, t in self.added]
                + [f"删除：{i}（原为{box(t)}，规则中已没有这个片段）" for i, t in self.removed]
                + [f"保留：{i}（{box(t)}）" for i, t in self.kept])


def merge_checklist_changes(rules: Rules, library: Library, old_path: Path,
                            title: str | None = None) -> MergedChecklist:
    """A fresh checklist that keeps the old file's ticks; snippets new to it start unticked unless
    the rules say ``new_snippets: ticked``; ids the rules no longer have are dropped (and listed)."""
    old = parse_checklist_text(read_text(old_path), file=old_path)
    new_ticked = rules.new_snippets == "ticked"
    known = rules.entry_ids()
    added = [(snippet_id, new_ticked) for snippet_id in known if snippet_id not in old]
    kept = [(snippet_id, old[snippet_id][0]) for snippet_id in known if snippet_id in old]
    removed = [(snippet_id, ticked) for snippet_id, (ticked, _) in old.items() if snippet_id not in set(known)]
    ticked = {snippet_id for snippet_id, is_ticked in added + kept if is_ticked}
    return MergedChecklist(render_checklist(rules, library, ticked, title), added, removed, kept, new_ticked)


def parse_overrides(tokens: Iterable[str]) -> tuple[set[str], set[str]]:
    """``+id`` / ``-id`` tokens → (added, removed)."""
    added: set[str] = set()
    removed: set[str] = set()
    for token in tokens:
        if token.startswith("+"):
            added.add(token[1:])
            removed.discard(token[1:])
        elif token.startswith("-"):
            removed.add(token[1:])
            added.discard(token[1:])
    return added, removed


def apply_overrides(base: Iterable[str], tokens: Iterable[str], known: Iterable[str]) -> tuple[frozenset[str], list[str]]:
    """The person's selection, and the tokens that name snippets the rules do not have."""
    known_set = set(known)
    added, removed = parse_overrides(tokens)
    unknown = sorted((added | removed) - known_set)
    return frozenset((set(base) | (added & known_set)) - removed), unknown
