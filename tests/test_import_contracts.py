"""The layer rules (pyproject.toml's import-linter contracts) and "no module takes another's private names"."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "assembler"


def _lint_imports() -> str:
    found = Path(sys.executable).with_name("lint-imports")
    if found.exists():
        return str(found)
    other = shutil.which("lint-imports")
    if other is None:
        pytest.fail("lint-imports is missing: install the test extras (pip install -e '.[test]')")
    return other


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module an ``import`` names, from the module that contains it."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reach_ins(root: Path) -> list[str]:
    """``from other import _name``, and ``other._name`` on an imported module of the package, anywhere
    under ``root`` (a package folder): each as ``file:line: module takes other._name``."""
    package = root.name
    modules = {_module_name(path, root) for path in root.rglob("*.py")}
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported: dict[str, str] = {}  # local name → a module of the package
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _resolve(module, is_package, node.level, node.module)
                if source.split(".")[0] != package or source == module:
                    continue
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {module} takes {source}.{alias.name}")
                    elif f"{source}.{alias.name}" in modules:
                        imported[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.asname:
                        imported[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
                    and _private(node.attr) and imported[node.value.id] != module):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {module} takes "
                             f"{imported[node.value.id]}.{node.attr}")
    return found


def test_the_import_contracts_hold():
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_loader_that_imports_jinja_breaks_the_contracts(tmp_path):
    """The contracts can fail: a copy of the package whose loader imports the template layer."""
    copy = tmp_path / "src" / "assembler"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "skeleton"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    values = copy / "load" / "values.py"
    values.write_text(values.read_text(encoding="utf-8") + "\nfrom ..ooxml import package as _package  # noqa\n",
                      encoding="utf-8")
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False, env={"PYTHONPATH": str(tmp_path / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0
    assert "assembler.load.values -> assembler.ooxml" in done.stdout


def test_no_module_takes_another_modules_private_names():
    assert private_reach_ins(PACKAGE) == []


def test_the_private_name_check_finds_both_kinds_of_reach_in(tmp_path):
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (root / "sub" / "a.py").write_text("_hidden = 1\n__all__ = []\n", encoding="utf-8")
    (root / "b.py").write_text("from .sub.a import _hidden, __all__\nfrom .sub import a\nprint(a._hidden)\n",
                               encoding="utf-8")
    (root / "c.py").write_text("import pkg.sub.a as a\nx = a._hidden\n_own = 2\nprint(_own)\n", encoding="utf-8")
    assert private_reach_ins(root) == [
        "pkg/b.py:1: pkg.b takes pkg.sub.a._hidden",
        "pkg/b.py:3: pkg.b takes pkg.sub.a._hidden",
        "pkg/c.py:2: pkg.c takes pkg.sub.a._hidden",
    ]
