"""The variables a library declares, gathered from the rules and every snippet of the rules.

One name must mean one thing across the library (one type, one column label), so a clash is an
``InputError`` here, before any person is read.
"""

from __future__ import annotations

from ..errors import InputError
from .rules import RESERVED_NAMES, Rules
from .snippets import Library
from .values import VarSpec


def collect_specs(rules: Rules, library: Library) -> tuple[dict[str, VarSpec], dict[str, list[str]]]:
    """All declared variables; one name must mean one thing across the library."""
    specs: dict[str, VarSpec] = dict(rules.variables)
    declared_by: dict[str, list[str]] = {name: ["规则文件"] for name in rules.variables}
    for entry in rules.entries():
        snippet = library[entry.id]
        for name, spec in snippet.variables.items():
            if name in RESERVED_NAMES:
                raise InputError(f"变量名 {name} 是保留字，请换一个名字", file=snippet.path,
                                 line=snippet.lines.get("variables", 2))
            if name in specs and (specs[name].type != spec.type):
                raise InputError(
                    f"变量 {name} 在 {'、'.join(declared_by[name])} 中的类型是 {specs[name].type}，"
                    f"在这里却是 {spec.type}；同名变量必须声明为同一类型",
                    file=snippet.path,
                    line=snippet.lines.get("variables", 2),
                )
            if name not in specs or (not specs[name].label and spec.label):
                specs[name] = spec
            declared_by.setdefault(name, []).append(snippet.id)
    labels: dict[str, str] = {}
    for name, spec in specs.items():
        if spec.label:
            if spec.label in labels and labels[spec.label] != name:
                raise InputError(
                    f"标签“{spec.label}”同时用于变量 {labels[spec.label]} 和 {name}，人员表的列名会混淆；"
                    "请改用不同的 label",
                    file=rules.path,
                )
            labels[spec.label] = name
    return specs, declared_by
