"""The items of a YAML or JSON list read one at a time, so a people file of any length streams.

``json.loads`` and ``yaml.load`` build the whole document before the first person can be
looked at: a 10,000-person file held as Python objects is tens of megabytes. Here:

* **JSON** goes through ``ijson`` (a streaming parser with a C backend, yajl2, and a
  pure-Python fallback that the Writer extension uses): ``ijson.parse``
  gives the parser's events from the bytes read in small buffers, and each list item is
  built from them here, one at a time (so that a key given twice is refused, as ``json``
  with our hook refuses it, and nesting is capped). ``ijson`` gives no line numbers, so on a syntax error the file is parsed once
  more by ``json`` (the error path only) for the message and line the user needs.
* **YAML** goes through the same PyYAML loader as every other YAML file here
  (``yamlio``: line numbers kept, anchors and aliases refused), driven event by event:
  after the top-level ``SequenceStartEvent`` each item is composed into a node and
  constructed on its own (``compose_node`` + ``construct_document``), then dropped.
  PyYAML's reader pulls the text from the file in 64 KB pieces and forgets what it
  has passed. The alternative, splitting the text at top-level ``- `` lines and loading
  each piece, would misread flow lists, comments and block scalars; the event API is
  the parser's own notion of an item.

Each item comes with its 1-based index and, for YAML, its line.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InputError


class NotAList(Exception):
    """The document is not a list: ``kind`` is "mapping", "null" or a scalar shown."""

    def __init__(self, kind: str, value: Any = None, line: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.value = value
        self.line = line


class Unstreamable(Exception):
    """A JSON file ``json`` reads but the streaming parser does not: read it whole instead."""


class DuplicateKey(Exception):
    def __init__(self, key: str, index: int) -> None:
        super().__init__(key)
        self.key = key
        self.index = index


class _Recoded(io.RawIOBase):
    """A text file in another encoding (GB18030 …) read as UTF-8 bytes, piece by piece, for ``ijson``."""

    def __init__(self, handle: IO[bytes], encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._handle = handle
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            piece = self._handle.read(1 << 16)
            self._done = not piece
            self._pending = self._decoder.decode(piece, final=self._done).encode("utf-8")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _open_utf8(path: Path, encoding: str) -> IO[bytes]:
    handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    if encoding in ("utf-8", "utf-8-sig", "ascii"):
        if handle.read(3) != b"\xef\xbb\xbf":
            handle.seek(0)
        return handle
    return io.BufferedReader(_Recoded(handle, encoding))


def json_items(path: Path, encoding: str) -> Iterator[tuple[int, None, Any]]:
    """(index, None, item) for each item of the JSON list in ``path``."""
    import ijson

    try:
        if _surrogate_escape(path, encoding):
            raise Unstreamable()
        with _open_utf8(path, encoding) as handle:
            events = ijson.parse(handle, use_float=True)
            first = next(events, None)
            if first is None:
                raise NotAList("null")
            _prefix, event, value = first
            if event != "start_array":
                if event == "start_map":
                    raise NotAList("mapping")
                raise NotAList("null" if event == "null" else "scalar", value)
            yield from _built(events, path)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        # yajl refuses a few things ``json`` reads (an integer beyond 64 bits, a lone low
        # surrogate): those files are read whole, as before streaming (``Unstreamable``)
        raise _json_syntax_error(path, encoding, exc) or Unstreamable() from None
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror or exc}），请确认文件没有被其他程序占用", file=path) from None


_SURROGATE = re.compile(rb"\\[uU][dD][89a-fA-F]")


def _surrogate_escape(path: Path, encoding: str) -> bool:
    """Whether the JSON text escapes a UTF-16 surrogate (``\\ud800``): yajl turns a lone one into "?"
    where ``json`` keeps it (and the value's cleaning then drops it), so such a file is read whole."""
    tail = b""
    with _open_utf8(path, encoding) as handle:
        while piece := handle.read(1 << 20):
            if _SURROGATE.search(tail + piece):
                return True
            tail = piece[-5:]
    return False


def _built(events: Iterator[tuple[str, str, Any]], path: Path) -> Iterator[tuple[int, None, Any]]:
    """The items of the top-level list, built from the parser's events one item at a time
    (nesting capped at ``MAX_DEPTH``, a key twice in one object refused)."""
    from .yamlio import MAX_DEPTH

    stack: list[list[Any]] = []  # [container, pending key]
    index = 0
    for _prefix, event, value in events:
        if event in ("start_map", "start_array"):
            if len(stack) >= MAX_DEPTH:
                raise InputError(f"JSON 嵌套超过 {MAX_DEPTH} 层，请简化文件内容", file=path, row=index + 1)
            stack.append([{} if event == "start_map" else [], None])
            continue
        if event == "map_key":
            if value in stack[-1][0]:
                raise DuplicateKey(value, index + 1)
            stack[-1][1] = value
            continue
        if event in ("end_map", "end_array"):
            if not stack:
                return  # the end of the top-level list
            value = stack.pop()[0]
        if not stack:
            index += 1
            yield index, None, value
        elif isinstance(stack[-1][0], dict):
            stack[-1][0][stack[-1][1]] = value
        else:
            stack[-1][0].append(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _json_syntax_error(path: Path, encoding: str, exc: Exception) -> InputError | None:
    """The message ``json`` gives for the same file, with its line (read whole: this is the error path);
    ``None`` when ``json`` reads the file after all."""
    try:
        text = path.read_bytes().decode(encoding)
        json.loads(text)
    except json.JSONDecodeError as error:
        return InputError(f"JSON 格式错误（{error.msg}），请检查括号、逗号和引号", file=path, line=error.lineno)
    except (OSError, UnicodeDecodeError, RecursionError, ValueError):
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return InputError(f"JSON 格式错误（{reason}），请检查括号、逗号和引号", file=path)
    return None


def yaml_items(path: Path, encoding: str) -> Iterator[tuple[int, int, Any]]:
    """(index, line, item) for each item of the YAML list in ``path``."""
    import yaml

    from .yamlio import make_loader, yaml_errors

    try:
        handle = open(path, encoding=encoding, newline=None)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror or exc}），请确认文件没有被其他程序占用", file=path) from None
    with handle, yaml_errors(path, lambda: path.read_text(encoding=encoding)):
        loader = make_loader(handle)
        try:
            loader.get_event()  # stream start
            if loader.check_event(yaml.StreamEndEvent):
                raise NotAList("null")
            loader.get_event()  # document start
            if not loader.check_event(yaml.SequenceStartEvent):
                node = loader.compose_node(None, None)  # type: ignore[arg-type]
                value = loader.construct_document(node)
                kind = "null" if value is None else "mapping" if isinstance(value, dict) else "scalar"
                raise NotAList(kind, value, node.start_mark.line + 1)
            loader.compose_node_start()
            index = 0
            while not loader.check_event(yaml.SequenceEndEvent):
                node = loader.compose_node(None, None)  # type: ignore[arg-type]
                index += 1
                yield index, node.start_mark.line + 1, _plain(loader.construct_document(node))
            loader.get_event()  # sequence end
            loader.get_event()  # document end
            if not loader.check_event(yaml.StreamEndEvent):
                event = loader.peek_event()
                raise InputError("人员表中有多个 YAML 文档（---）；请只保留一个列表", file=path,
                                 line=event.start_mark.line + 1)
        finally:
            loader.dispose()
