"""Build the LibreOffice extension (``assembler.oxt``).

The extension is a thin Writer dialog over this very library, so the .oxt carries
the ``assembler`` package and its pure-Python dependencies, copied from the
environment that runs this command (the versions the library is tested with).
They go into ``python/pythonpath/`` beside the component, because LibreOffice's
Python loader adds exactly that folder to ``sys.path``.

lxml is left out on purpose: it is compiled, and must match the Python that
LibreOffice runs (on Debian the system ``python3-lxml``). Other compiled parts
(``.so``/``.pyd``) are skipped too; markupsafe, PyYAML, charset-normalizer and ijson
then use their pure-Python code.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import InputError
from .output import atomic_write

#: The file name is part of ``vnd.sun.star.script:`` URLs and of the installed path: keep it stable.
OXT_NAME = "assembler.oxt"
#: Where the component lives inside the .oxt; its ``pythonpath/`` sits beside it.
COMPONENT_DIR = "python"
PYTHONPATH = f"{COMPONENT_DIR}/pythonpath"
#: Import names bundled into ``pythonpath/`` (lxml deliberately absent: see the module docstring).
BUNDLED_MODULES = (
    "assembler",
    "docxtpl",
    "docx",
    "jinja2",
    "markupsafe",
    "click",
    "yaml",
    "openpyxl",
    "et_xmlfile",
    "charset_normalizer",
    "ijson",
    "typing_extensions",
)
#: Compiled code and build leftovers never go into the .oxt.
SKIPPED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".pyc", ".pyo", ".c", ".h")
SKIPPED_DIRS = ("__pycache__",)
#: dist-info files that only describe the original installation.
SKIPPED_METADATA = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
VERSION_PLACEHOLDER = "@VERSION@"
#: Fixed timestamp so that two builds from the same sources are byte-identical.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


@dataclass
class OxtContents:
    """What went into the .oxt, for the command's summary and for tests."""

    path: Path
    modules: list[str] = field(default_factory=list)
    files: int = 0
    size: int = 0


def default_source_dir() -> Path:
    """``extension/`` of the checkout this package runs from (an editable install)."""
    return Path(__file__).resolve().parents[2] / "extension"


def module_root(name: str) -> Path:
    """The package directory, or the single ``.py`` file, of an importable top-level module."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise InputError(f"找不到 Python 包 {name}；请先在当前环境中安装 assembler 的依赖（pip install -e .）")
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if spec.origin is None or not spec.origin.endswith(".py"):
        raise InputError(f"Python 包 {name} 不是纯 Python 模块，无法打包进插件")
    return Path(spec.origin)


def _wanted(path: Path) -> bool:
    return not any(part in SKIPPED_DIRS for part in path.parts) and not path.name.endswith(SKIPPED_SUFFIXES)


def _tree(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order, without caches and compiled code."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and _wanted(path.relative_to(root)):
            yield path


def _metadata_dir(module: str) -> Path | None:
    """The dist-info of the distribution that provides ``module``: it carries the licence texts."""
    if module == "assembler":
        return None
    names = importlib.metadata.packages_distributions().get(module, [])
    for name in names:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        path = getattr(dist, "_path", None)
        if path is not None and Path(path).is_dir():
            return Path(path)
    return None


def bundle_entries(modules: Iterable[str] = BUNDLED_MODULES) -> Iterator[tuple[str, Path]]:
    """(path inside the .oxt, source file) for every bundled module and its metadata."""
    for module in modules:
        root = module_root(module)
        if root.is_file():
            yield f"{PYTHONPATH}/{root.name}", root
        else:
            for path in _tree(root):
                yield f"{PYTHONPATH}/{module}/{path.relative_to(root).as_posix()}", path
        meta = _metadata_dir(module)
        if meta is not None:
            for path in _tree(meta):
                if path.name not in SKIPPED_METADATA:
                    yield f"{PYTHONPATH}/{meta.name}/{path.relative_to(meta).as_posix()}", path


def wheel_entries(wheel: Path) -> Iterator[tuple[str, bytes]]:
    """(path inside the .oxt, bytes) of a wheel unpacked into ``pythonpath/``.

    For a build aimed at another LibreOffice Python (Windows: a ``cp3XX-win_amd64`` lxml
    wheel matching LibreOffice's own Python); compiled files are kept, that is the point.
    """
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile):
        raise InputError("不是有效的 wheel 文件（应为 pip download 得到的 .whl）", file=wheel) from None
    with archive:
        for name in archive.namelist():
            top = name.split("/", 1)[0]
            if name.endswith("/") or top.endswith(".data") or name.endswith(".dist-info/RECORD"):
                continue
            yield f"{PYTHONPATH}/{name}", archive.read(name)


def _zip_write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def build_oxt(output: Path, source: Path | None = None, modules: Iterable[str] = BUNDLED_MODULES,
              wheels: Iterable[Path] = ()) -> OxtContents:
    """Zip ``source`` (the extension's own files), the bundled packages and extra wheels into ``output``."""
    source = Path(source) if source is not None else default_source_dir()
    if not (source / "description.xml").is_file() or not (source / "META-INF" / "manifest.xml").is_file():
        raise InputError(
            "找不到插件源文件（应有 description.xml 和 META-INF/manifest.xml）；"
            "请在仓库中以可编辑方式安装（pip install -e .）后运行，或用 --source 指定 extension 目录",
            file=source,
        )
    modules = list(modules)
    contents = OxtContents(path=Path(output), modules=modules)
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in _tree(source):
            name = path.relative_to(source).as_posix()
            data = path.read_bytes()
            if name == "description.xml":
                data = data.replace(VERSION_PLACEHOLDER.encode(), __version__.encode())
            _zip_write(archive, name, data)
            contents.files += 1
        for name, path in bundle_entries(modules):
            if name in seen:  # two modules of one distribution share its metadata
                continue
            seen.add(name)
            _zip_write(archive, name, path.read_bytes())
            contents.files += 1
        for wheel in wheels:
            for name, data in wheel_entries(Path(wheel)):
                if name not in seen:
                    seen.add(name)
                    _zip_write(archive, name, data)
                    contents.files += 1
            contents.modules.append(Path(wheel).name)
    data = buffer.getvalue()
    contents.size = len(data)
    atomic_write(Path(output), data)
    return contents
