"""JSON through orjson where it is installed (the command line), through the standard library where it
is not: the Writer extension runs in LibreOffice's own Python, and the .oxt carries no compiled
package (see ``oxt``). Both give the same bytes for what is written with them here."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # LibreOffice's Python: the standard library does the same, slower
    orjson = None  # type: ignore[assignment]

#: What ``dumps`` and ``loads`` raise for a value or text they refuse.
Refused: tuple[type[Exception], ...] = (TypeError, ValueError) if orjson is None else \
    (TypeError, ValueError, orjson.JSONEncodeError, orjson.JSONDecodeError)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (``json.dumps(separators=(",", ":"), ensure_ascii=False)``); a lone surrogate
    is refused (``Refused``)."""
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def loads(data: bytes) -> Any:
    return orjson.loads(data) if orjson is not None else json.loads(data)


def dumps_indented(value: Any) -> bytes | None:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` in UTF-8 for the values orjson writes so (see
    ``output._entry_bytes``); ``None`` when orjson is missing or refuses the value."""
    if orjson is None:
        return None
    try:
        return orjson.dumps(value, default=str, option=_INDENTED)
    except orjson.JSONEncodeError:
        return None


#: json.dumps(indent=2)'s layout; dataclasses and dates go to ``default=str`` as json's would (orjson
#: would spell them out itself)
_INDENTED = 0 if orjson is None else \
    orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
