"""YAML reading that remembers line numbers and refuses alias bombs.

Users edit the rules file and snippet front matter by hand, so every error must
point at a line. PyYAML's nodes know their lines; this loader keeps them on the
mappings and lists it builds. Anchors and aliases are refused outright: they are
never needed in these files and are the door to "billion laughs" expansions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError


class LineDict(dict[str, Any]):
    """A mapping that knows the (1-based) line of each key."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LineList(list[Any]):
    """A list that knows the (1-based) line of each item."""

    line: int = 0
    lines: list[int]

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


#: Mappings and lists nested deeper than this are refused (no rules file needs 10; deeper
#: nesting would overflow Python's stack in the parser).
MAX_DEPTH = 100


class _Loader(yaml.SafeLoader):
    offset = 0
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(event.start_mark.line + 1 + self.offset)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _AliasRefused(event.start_mark.line + 1 + self.offset)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(event.start_mark.line + 1 + self.offset)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        result = LineDict()
        result.line = node.start_mark.line + 1 + self.offset
        result.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise _DuplicateKey(key, key_node.start_mark.line + 1 + self.offset)
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = key_node.start_mark.line + 1 + self.offset
        return result

    def construct_sequence(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1 + self.offset
        result.lines = [child.start_mark.line + 1 + self.offset for child in node.value]
        return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


class _AliasRefused(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key = key
        self.line = line


def load_yaml(text: str, *, file: str | Path, line_offset: int = 0) -> Any:
    """Parse YAML text; errors name ``file`` and the line (shifted by ``line_offset``)."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
        loader.offset = line_offset
        return loader.get_single_data()
    except _AliasRefused as exc:
        raise InputError("不支持 YAML 锚点和别名（& 与 *），请把内容直接写出", file=file,
                         line=exc.line) from None
    except _DuplicateKey as exc:
        raise InputError(f"键“{exc.key}”重复出现，请删除或合并其中一个", file=file, line=exc.line) from None
    except _TooDeep as exc:
        raise InputError(f"嵌套超过 {MAX_DEPTH} 层，请简化文件内容", file=file, line=exc.line) from None
    except RecursionError:
        raise InputError("嵌套层数过多，请简化文件内容", file=file, line=1 + line_offset) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 + line_offset
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        raise InputError(
            f"文件中有不允许的控制字符（{shown}），请删除后另存为 UTF-8 文本", file=file, line=line
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        problem = exc.problem or "格式错误"
        raise InputError(
            f"YAML 格式错误（{problem}），请检查缩进、冒号和引号", file=file, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML 格式错误：{exc}", file=file, line=1 + line_offset) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path: Path) -> str:
    """Read a UTF-8 text file the user wrote, with a clear message when it is not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("文件不存在，请检查路径", file=path) from None
    except IsADirectoryError:
        raise InputError("这是一个文件夹，请给出文件路径", file=path) from None
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror}）", file=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("文件不是 UTF-8 编码，请用编辑器另存为 UTF-8", file=path, line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml_file(path: Path) -> Any:
    return load_yaml(read_text(path), file=path)
