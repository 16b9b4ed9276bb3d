"""The bundled starter library, cut down to the themes a new keeper picks (``assembler init --themes``).

The starter is the repository's own ``snippets/`` with ``examples/rules.yaml``: one rules file for a
township's whole leadership team. A keeper rarely needs all of it, so ``init`` copies only the
snippets tagged with the themes she chose, plus the parts every report needs whatever its themes
(opening, problems, plans, closing: written per role), and writes a rules file holding just those
entries with their ``when`` conditions unchanged. Themes are the snippets' ``tags``; nothing else has
to be kept in step when a snippet is added.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..load.rules import load_rules
from ..load.snippets import load_library

#: The five themes the tool exists for, offered first; the duty areas follow in rules order.
CORE_THEMES = ("理论学习", "基层党建", "驻村帮扶", "网格化治理", "廉洁自律")
#: Section ids whose snippets every report needs, whatever the themes (besides opening and closing).
FIXED_SECTIONS = ("problems", "plans")
#: What a keeper may type for "everything".
ALL_WORDS = ("全部", "all", "*")

_REPO = Path(__file__).resolve().parents[3]


@dataclass
class Theme:
    name: str
    snippet_ids: list[str] = field(default_factory=list)


def starter_rules() -> Path:
    """The starter's rules file: present in a source checkout (``bash scripts/setup.sh`` installs from one)."""
    rules = _REPO / "examples" / "rules.yaml"
    if not rules.is_file() or not (_REPO / "snippets").is_dir():
        raise InputError(
            "找不到自带的片段库（仓库中的 examples/rules.yaml 和 snippets/）；--themes 需要从源代码仓库安装的 "
            "assembler（bash scripts/setup.sh），或去掉 --themes 只建最小示例",
            file=rules,
        )
    return rules


def _fixed_ids(raw: dict[str, Any]) -> set[str]:
    ids = {_entry_id(item) for item in (raw.get("opening") or []) + (raw.get("closing") or [])}
    for section in raw.get("sections") or []:
        if section.get("id") in FIXED_SECTIONS:
            ids |= {_entry_id(item) for item in (section.get("intro") or []) + (section.get("snippets") or [])}
    return ids


def _entry_id(item: Any) -> str:
    return str(item["id"] if isinstance(item, dict) else item).strip()


def _raw_rules(rules_path: Path) -> dict[str, Any]:
    data = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InputError("规则文件必须是 YAML 映射", file=rules_path, line=1)
    return data


def list_themes(rules_path: Path | None = None) -> list[Theme]:
    """The starter's themes with the snippets each brings (fixed parts left out), core themes first."""
    rules_path = rules_path or starter_rules()
    rules = load_rules(rules_path)
    library = load_library(rules.library)
    fixed = _fixed_ids(_raw_rules(rules_path))
    found: dict[str, Theme] = {name: Theme(name) for name in CORE_THEMES}
    for entry in rules.entries():
        if entry.id in fixed or entry.id not in library:
            continue
        for tag in library[entry.id].tags:
            found.setdefault(tag, Theme(tag)).snippet_ids.append(entry.id)
    return [theme for theme in found.values() if theme.snippet_ids]


def parse_choice(text: str, themes: list[Theme]) -> list[str]:
    """Theme names from what a keeper typed: names or list numbers, separated by 、，, or spaces."""
    words = [word for word in re.split(r"[、，,;；\s]+", text.strip()) if word]
    if any(word.lower() in ALL_WORDS for word in words):
        return [theme.name for theme in themes]
    names = [theme.name for theme in themes]
    chosen: list[str] = []
    for word in words:
        if word.isdigit() and 1 <= int(word) <= len(names):
            name = names[int(word) - 1]
        elif word in names:
            name = word
        else:
            raise InputError(f"没有“{word}”这个主题；可选：{'、'.join(names)}（也可写编号，或“全部”）")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InputError(f"没有选择任何主题；可选：{'、'.join(names)}（也可写编号，或“全部”）")
    return chosen


def _keep(items: list[Any] | None, keep: set[str]) -> list[Any]:
    return [item for item in (items or []) if _entry_id(item) in keep]


def write_starter(target: Path, chosen: list[str], rules_path: Path | None = None) -> list[Path]:
    """Write ``rules.yaml`` and ``snippets/`` for the chosen themes into ``target``; returns the files."""
    rules_path = rules_path or starter_rules()
    rules = load_rules(rules_path)
    library = load_library(rules.library)
    raw = _raw_rules(rules_path)
    by_name = {theme.name: theme for theme in list_themes(rules_path)}
    keep = _fixed_ids(raw)
    for name in chosen:
        keep |= set(by_name[name].snippet_ids)
    raw["opening"] = _keep(raw.get("opening"), keep)
    raw["closing"] = _keep(raw.get("closing"), keep)
    sections = []
    for section in raw.get("sections") or []:
        section = dict(section)
        if "intro" in section:
            section["intro"] = _keep(section["intro"], keep)
        section["snippets"] = _keep(section.get("snippets"), keep)
        if section.get("intro") or section["snippets"]:
            sections.append(section)
    raw["sections"] = sections
    raw["library"] = "snippets"
    header = (
        "# 规则文件：由 assembler init --themes 从自带片段库生成，主题：" + "、".join(chosen) + "。\n"
        "# 开头、存在问题、下一步打算、结尾按岗位写好，总是包含。谁用哪些片段由人员表的“职务”和“分管工作”决定\n"
        "# （见各片段的 when）；写法说明见 assembler 仓库的 docs/library-guide.md。修改后运行 assembler lint 检查。\n"
    )
    written: list[Path] = []
    target.mkdir(parents=True, exist_ok=True)
    rules_out = target / "rules.yaml"
    rules_out.write_text(header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=200),
                         encoding="utf-8")
    written.append(rules_out)
    kept_ids = [entry.id for entry in rules.entries() if entry.id in keep]
    for snippet_id in kept_ids:
        source = library[snippet_id].path
        destination = target / "snippets" / source.relative_to(rules.library)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        written.append(destination)
    return written
