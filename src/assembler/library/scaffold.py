"""``assembler init``: a new library repository that builds and lints out of the box.

The skeleton (``assembler/skeleton/``) holds a sample rules file and a few
original snippets; ``init`` copies it, then writes what is derived from it with
the same code a user would run: the checklist (``selection.render_checklist``)
and the empty people workbook (``workbook.needed_variables`` +
``write_people_workbook``). Dotfiles are stored without their dot in the package
(``gitignore`` → ``.gitignore``) so that packaging keeps them.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError

#: Skeleton names that are written under another name.
RENAMED = {"gitignore": ".gitignore", "pre-commit-config.yaml": ".pre-commit-config.yaml"}
PEOPLE_WORKBOOK = "people.xlsx"
CHECKLIST = "checklist.md"


@dataclass
class InitResult:
    root: Path
    files: list[Path]
    git: bool


def _skeleton_files() -> list[tuple[str, bytes]]:
    root = resources.files("assembler") / "skeleton"
    found: list[tuple[str, bytes]] = []

    def walk(node, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name.startswith(("__", ".")) or child.name.endswith(".pyc"):
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                found.append((f"{prefix}{child.name}", child.read_bytes()))

    walk(root, "")
    return found


def init_library(target: Path, *, git: bool = True, themes: list[str] | None = None) -> InitResult:
    """Create a library in ``target`` (which must not exist or be empty).

    With ``themes`` the rules and snippets come from the bundled starter library, cut down to those
    themes (``starter.write_starter``); the skeleton then only gives the README and the dotfiles.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError("已存在同名文件，请换一个文件夹名", file=target)
    if target.is_dir() and any(target.iterdir()):
        raise InputError("文件夹不是空的；assembler init 只在新的或空的文件夹中创建片段库，以免覆盖已有文件",
                         file=target)
    written: list[Path] = []
    if themes is not None:
        from .starter import write_starter

        written += write_starter(target, themes)
    for relative, data in _skeleton_files():
        if themes is not None and (relative == "rules.yaml" or relative.startswith("snippets/")):
            continue
        parts = relative.split("/")
        parts[-1] = RENAMED.get(parts[-1], parts[-1]) if len(parts) == 1 else parts[-1]
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    from ..load.selection import render_checklist
    from .workbook import Selected, needed_variables, write_people_workbook

    project = Selected.load(target / "rules.yaml")
    checklist = target / CHECKLIST
    checklist.write_text(render_checklist(project.rules, project.library), encoding="utf-8")
    workbook = target / PEOPLE_WORKBOOK
    write_people_workbook(workbook, needed_variables(project))
    written += [checklist, workbook]
    made_git = False
    if git and shutil.which("git"):
        try:
            done = subprocess.run(["git", "init", "-q", str(target)], capture_output=True, timeout=30,
                                  check=False)
            made_git = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            made_git = False
    return InitResult(root=target, files=written, git=made_git)
