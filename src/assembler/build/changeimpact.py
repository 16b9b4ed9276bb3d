"""Change impact: which reports a change to the library makes different, and how (``assembler diff``).

The keeper of a snippet library reviews a change in Git; what they cannot see there is
which cadres' reports it reaches (a snippet behind a ``when``, a checklist tick) and
what those reports then say. ``diff_library`` reads the library at a Git revision
(``git archive`` into a temporary folder: the rules, snippets, checklist and base
template as committed), the other side at another revision or the working tree, plans
the same people file on both sides, and for each person compares the report texts
rendered in memory, paragraph by paragraph, headings with their numbers as a reader
sees them. Nothing is written beside the temporary checkout, which goes at the end.

People whose fingerprint (``fingerprint``) is the same on both sides are not rendered:
their report cannot differ. Memory stays flat: both sides' plans wait on disk
(``spool.Spool``) and are walked in step, one person at a time.
"""

from __future__ import annotations

import difflib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..spool import Spool
from .fingerprint import BatchFingerprint
from .plan import give_variants

#: Paragraph styles shown as the place of a change (their text carries the number: 一、 （一）).
HEADING_STYLES = ("Heading1", "Heading2", "Heading3", "Heading4")


@dataclass
class PersonDiff:
    row: int
    name: str
    lines: list[str]  # "  heading", "- old", "+ new"
    problem: str | None = None  # one side could not be built for this person


@dataclass
class DiffResult:
    changed: list[PersonDiff] = field(default_factory=list)
    unchanged: int = 0
    old_label: str = ""
    new_label: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.changed else 0


def _git(root: Path, *args: str, binary: bool = False) -> Any:
    if shutil.which("git") is None:
        raise InputError("找不到 git 命令；assembler diff 需要 Git（Debian/Ubuntu：sudo apt-get install git）")
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"无法运行 git（{exc}）", file=root) from None
    if done.returncode != 0:
        return None
    return done.stdout if binary else done.stdout.decode("utf-8", "replace").strip()


def repository_of(path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    top = _git(folder, "rev-parse", "--show-toplevel")
    if not top:
        raise InputError("不在 Git 仓库中；assembler diff 比较的是片段库的两个 Git 版本，请先 git init 并提交", file=path)
    return Path(top).resolve()


def export_revision(repo: Path, revision: str, dest: Path) -> None:
    """The tree of ``revision`` written out under ``dest`` (``git archive``)."""
    commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if not commit:
        raise InputError(f"片段库仓库中没有版本“{revision}”；请写提交号、分支或标签，如 HEAD~1、main", file=repo)
    data = _git(repo, "archive", "--format=tar", commit, binary=True)
    if data is None:
        raise InputError(f"无法取出版本“{revision}”（git archive 失败）", file=repo)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            # plain files and folders only, each inside ``dest`` (a library needs no links or devices)
            target = (dest / member.name).resolve()
            if _inside(target, dest.resolve()) is None:
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                source = archive.extractfile(member)
                if source is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(source.read())


def _inside(path: Path, root: Path) -> Path | None:
    try:
        return path.resolve().relative_to(root)
    except ValueError:
        return None


@contextmanager
def project_at(rules: Path, checklist: Path | None, revision: str | None) -> Iterator[Any]:
    """The project as it is at ``revision`` of the library's repository (``None``: the working tree).

    The rules file and the checklist are taken at the revision when they live in the
    repository, as they are otherwise; the library folder always comes from the revision.
    """
    from ..load.rules import load_rules
    from .project import load_project

    if revision is None:
        yield load_project(rules, checklist)
        return
    library = load_rules(rules).library
    repo = repository_of(library if library.is_dir() else Path(rules).resolve().parent)
    with tempfile.TemporaryDirectory(prefix="assembler-diff-") as tmp:
        export_revision(repo, revision, Path(tmp))

        def at_revision(path: Path) -> Path:
            inner = _inside(path, repo)
            return Path(tmp) / inner if inner is not None else path

        rules_there = at_revision(Path(rules))
        if not rules_there.is_file():
            raise InputError(f"版本“{revision}”中没有这个规则文件", file=rules)
        checklist_there = at_revision(Path(checklist)) if checklist is not None else None
        if checklist_there is not None and not checklist_there.is_file():
            raise InputError(f"版本“{revision}”中没有这个选稿清单", file=checklist)
        inner_library = _inside(library, repo)
        if inner_library is None:
            raise InputError("片段库不在规则文件所在的 Git 仓库中", file=library)
        yield load_project(rules_there, checklist_there, library=Path(tmp) / inner_library)


def _plans(project: Any, people_path: Path, common: Mapping[str, Any], spool: Spool,
           variant: int | None) -> Any:
    """Every person planned (as ``build`` plans them), spooled; returns the dealer."""
    from .plan import plan_row, stream_people, type_common, variant_dealer

    people = stream_people(project, people_path)
    typed = type_common(common, project.specs, source="--set/--vars")
    dealer = variant_dealer(project, variant)
    for row in people.table.rows:
        plan = plan_row(project, people, row, typed)
        spool.append((dealer.add(plan.name, plan.row, plan.included), plan))
    dealer.deal()
    return dealer


def report_paragraphs(project: Any, plan: Any) -> list[tuple[str, str]]:
    """(style, text with its number) of each non-empty paragraph of the person's report, rendered in memory."""
    from ..ooxml.text import docx_paragraphs
    from .preview import render_person

    return [(p.style, p.full) for p in docx_paragraphs(render_person(project, plan)) if p.full.strip()]


def paragraph_diff(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[str]:
    """``- old`` / ``+ new`` lines, each change under the headings (with numbers) it falls in."""
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=[text for _, text in old], b=[text for _, text in new], autojunk=False)
    shown: tuple[str, ...] = ()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        place = _headings_before(new, j1) if j1 < len(new) or not old else _headings_before(old, i1)
        if place != shown:
            lines += [f"  {heading}" for heading in place if heading not in shown]
            shown = place
        lines += [f"- {text}" for _, text in old[i1:i2]]
        lines += [f"+ {text}" for _, text in new[j1:j2]]
    return lines


def _headings_before(paragraphs: list[tuple[str, str]], end: int) -> tuple[str, ...]:
    """The innermost heading of each level above paragraph ``end``: (一、…, （二）…)."""
    found: dict[str, str] = {}
    for style, text in paragraphs[:end]:
        if style in HEADING_STYLES:
            level = HEADING_STYLES.index(style)
            found = {key: value for key, value in found.items() if HEADING_STYLES.index(key) < level}
            found[style] = text
    return tuple(found[style] for style in HEADING_STYLES if style in found)


def diff_library(rules: Path, people: Path, *, old: str, new: str | None = None, checklist: Path | None = None,
                 common: Mapping[str, Any] | None = None, variant: int | None = None,
                 progress: Callable[[int], None] | None = None) -> DiffResult:
    """Every person's report at ``old`` against ``new`` (``None``: the working tree); see the module docstring."""
    result = DiffResult(old_label=old, new_label=new or "工作区")
    with project_at(rules, checklist, old) as before, project_at(rules, checklist, new) as after, \
            Spool() as old_spool, Spool() as new_spool:
        old_dealer = _plans(before, people, common or {}, old_spool, variant)
        new_dealer = _plans(after, people, common or {}, new_spool, variant)
        old_prints, new_prints = BatchFingerprint.for_project(before), BatchFingerprint.for_project(after)
        for done, ((old_holder, old_plan), (new_holder, new_plan)) in enumerate(zip(old_spool, new_spool,
                                                                                    strict=True), start=1):
            old_chosen, new_chosen = old_dealer.chosen(old_holder), new_dealer.chosen(new_holder)
            give_variants(old_plan, old_chosen)
            give_variants(new_plan, new_chosen)
            if progress:
                progress(done)
            if old_plan.ok and new_plan.ok and old_prints.person(
                    old_plan.included, old_plan.variants, old_plan.context, old_plan.output_stem or "") == \
                    new_prints.person(new_plan.included, new_plan.variants, new_plan.context, new_plan.output_stem or ""):
                result.unchanged += 1
                continue
            person = _compare(before, old_plan, after, new_plan)
            if person is None:
                result.unchanged += 1
            else:
                result.changed.append(person)
    return result


def _compare(before: Any, old_plan: Any, after: Any, new_plan: Any) -> PersonDiff | None:
    from .render import RenderError

    sides: list[list[tuple[str, str]] | str] = []
    for project, plan in ((before, old_plan), (after, new_plan)):
        if not plan.ok:
            sides.append("；".join(plan.errors))
            continue
        try:
            sides.append(report_paragraphs(project, plan))
        except (RenderError, InputError) as exc:
            sides.append(getattr(exc, "message", str(exc)))
    old_side, new_side = sides
    name = new_plan.name
    if isinstance(old_side, str) or isinstance(new_side, str):
        if isinstance(old_side, str) and isinstance(new_side, str) and old_side == new_side:
            return None
        problem = (f"旧版本无法生成：{old_side}" if isinstance(old_side, str) else "") + \
                  (f"新版本无法生成：{new_side}" if isinstance(new_side, str) else "")
        return PersonDiff(new_plan.row, name, [], problem)
    lines = paragraph_diff(old_side, new_side)
    return PersonDiff(new_plan.row, name, lines) if lines else None


def format_diff(result: DiffResult) -> list[str]:
    """What ``assembler diff`` prints."""
    out: list[str] = []
    for person in result.changed:
        out.append(f"{person.name}（第{person.row}行）：")
        if person.problem:
            out.append(f"  {person.problem}")
        out += person.lines
        out.append("")
    out.append(f"{result.old_label} → {result.new_label}：{len(result.changed)} 份报告有变化，"
               f"{result.unchanged} 份未变。")
    return out
