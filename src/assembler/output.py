"""Writing results safely: names valid everywhere, atomic files, the manifest.

File names come from people's data (``output_name``), so they are cleaned here
and nowhere else; every file is written to a temporary name in the same folder
and renamed into place, so an interrupted run never leaves a half-written
report that a rerun would take for a finished one.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import unicodedata
import uuid
from collections.abc import Iterable
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

from .jsonfast import dumps_indented

TEMP_PREFIX = ".~assembler-"
TEMP_SUFFIX = ".tmp"
MAX_NAME_BYTES = 180
#: Device names Windows reserves, with or without an extension (``CON.docx``); the
#: superscript digits and CONIN$/CONOUT$ count too on current Windows.
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"{port}{digit}" for port in ("COM", "LPT") for digit in "123456789¹²³")}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str, *, fallback: str = "未命名") -> str:
    """A file name (without extension) that is valid on Windows and Linux and stays in its folder."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    name = _BAD_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    name = name.strip(". ")
    while name.startswith(".."):
        name = name[1:]
    if not name or set(name) <= {".", "_", " "}:
        name = fallback
    if name.split(".")[0].rstrip(" ").upper() in _RESERVED:
        name = "_" + name
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name.rstrip(". ") or fallback


class NameAllocator:
    """Gives each person a distinct file name: the second 张三 becomes 张三-2."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def allocate(self, stem: str, suffix: str) -> str:
        candidate = stem
        counter = 2
        while (candidate + suffix).casefold() in self.used:
            mark = f"-{counter}"
            head = stem  # a stem at the length limit gives way to the mark, so the name stays within it
            while head and len((head + mark).encode("utf-8")) > MAX_NAME_BYTES:
                head = head[:-1]
            candidate = head + mark
            counter += 1
        self.used.add((candidate + suffix).casefold())
        return candidate + suffix


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    The temporary name carries this process's id, so that ``remove_stale_temps`` of another
    run in the same folder leaves the files of a process that is still writing alone.
    """
    atomic_write_chunks(path, (data,))


def _writer_alive(path: Path) -> bool:
    """Whether the process that named this temporary file (``.~assembler-<pid>-…``) still runs."""
    match = re.match(re.escape(TEMP_PREFIX) + r"(\d+)-", path.name)
    if not match:
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed writer whose parent has not reaped it yet still answers ``kill(pid, 0)``; it writes nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] in ("Z", "X")


def remove_stale_temps(folder: Path) -> list[Path]:
    """Temporary files left by a killed run; they are never reports, so they go.

    A file whose writer is still running (another ``assembler`` in the same folder) stays.
    """
    removed: list[Path] = []
    if folder.is_dir():
        for path in folder.glob(TEMP_PREFIX + "*" + TEMP_SUFFIX):
            if _writer_alive(path):
                continue
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def write_manifest(folder: Path, data: dict[str, Any]) -> Path:
    """``manifest.json``: UTF-8 even when a message quotes a value with a lone surrogate (shown as U+FFFD).

    ``data["reports"]`` may be any iterable: its items are encoded one at a time, so a
    batch of ten thousand never holds its whole manifest as one string (the file reads
    as ``json.dumps(data, indent=2)`` would give it).
    """
    path = folder / "manifest.json"
    atomic_write_chunks(path, _manifest_chunks(data))
    return path


def _manifest_chunks(data: dict[str, Any]) -> Iterable[bytes]:
    def encode(text: str) -> bytes:
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")

    if "reports" not in data:
        yield encode(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    reports = data["reports"]
    mark = f"\x00reports-{uuid.uuid4().hex}\x00"  # a place holder no value of the manifest can hold
    head, tail = indented_json({**data, "reports": mark}).split(json.dumps(mark))
    yield encode(head)
    first = True
    for report in reports:
        yield (b"[\n    " if first else b",\n    ") + _entry_bytes(report)
        first = False
    yield encode("[]" if first else "\n  ]")
    yield encode(tail)


def _entry_bytes(report: Any) -> bytes:
    """One report's entry in ``reports``, indented under it, in UTF-8.

    Why orjson (``jsonfast``): an entry is a few kilobytes (its provenance lists every snippet), and
    writing ten thousand was most of an unchanged rerun; orjson writes json.dumps(indent=2)'s bytes for
    what an entry holds (strings, ints, lists, maps, null, booleans) about six times as fast as the
    hand-indented encoder. A value orjson refuses (a lone surrogate, an int past 64 bits, a key that
    is not a string), or no orjson (LibreOffice's Python), takes the encoder that matches json.dumps
    everywhere (``indented_json``). Floats, which no entry of ours holds, would be spelled orjson's
    way (``1e16``, not ``1e+16``)."""
    data = dumps_indented(report)
    if data is None:
        return _LONE_SURROGATE.sub("\ufffd", indented_json(report, "\n    ")).encode("utf-8")
    return data.replace(b"\n", b"\n    ")  # a string's newline is written \n: only the layout's are raw


def current_umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc/self/status``);
    elsewhere set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def target_mode(path: Path) -> int:
    """The mode a file written to ``path`` gets, as an editor would give it: a replaced file keeps
    its own mode; a new one gets 0666 less the umask (``mkstemp`` alone would leave it 0600, which
    colleagues in a shared folder cannot open)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def indented_json(value: Any, newline: str = "\n") -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2, default=str)``, byte for byte, with every
    newline written as ``newline`` (deeper levels indented from it).

    Why: with ``indent`` set, ``json`` falls back to its pure-Python encoder, which made writing a
    10,000-report manifest a third of an unchanged rerun. Here the structure is indented by hand and
    every string goes through the C string encoder."""
    return _indented(value, newline)


def _indented(value: Any, newline: str) -> str:  # noqa: C901, PLR0911 - one branch per JSON type, as json's
    if isinstance(value, str):
        return _encode_str(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + "  "
        return ("{" + inner + ("," + inner).join(
            [_encode_str(key if isinstance(key, str) else _key(key)) + ": "
             + (_encode_str(item) if isinstance(item, str) else _indented(item, inner))
             for key, item in value.items()]) + newline + "}")
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = newline + "  "
        return ("[" + inner + ("," + inner).join(
            [_encode_str(item) if isinstance(item, str) else _indented(item, inner) for item in value])
                + newline + "]")
    scalar = _scalar(value)
    return _encode_str(str(value)) if scalar is None else scalar  # ``default=str``


def _scalar(value: Any) -> str | None:
    """A JSON literal or number as ``json`` writes it (also how it turns such a dict key into a string);
    None for anything else."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    return None


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A dict key as ``json`` turns it into a string (else the same ``TypeError``)."""
    if isinstance(key, str):
        return key
    scalar = _scalar(key)
    if scalar is not None:
        return scalar
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """``atomic_write`` for data produced piece by piece."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, target_mode(path))
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def existing(paths: Iterable[Path]) -> list[Path]:
    return [path for path in paths if path.exists()]
