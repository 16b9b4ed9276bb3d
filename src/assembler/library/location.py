"""Where a report's library and rules are, said without any path of the user's machine.

A report travels by e-mail; its custom properties used to hold absolute paths
(``/home/<user>/…/rules.yaml``). They now name the library and the rules relative to the
library's root (its Git work tree, else the folder holding both rules and library), plus
the Git remote (credentials and local paths left out) that, with the commit, says where
they can be found by anyone. ``explain`` resolves the relative names again from the
current folder or the folders above the report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class LibraryLocation:
    library: str  # relative to the root, POSIX separators
    rules: str | None
    remote: str | None  # the Git remote, shareable, or None


def _relative(path: Path, root: Path) -> str | None:
    try:
        return PurePosixPath(*path.resolve().relative_to(root).parts).as_posix() or "."
    except ValueError:
        return None


def locate(library: Path, rules: Path | None = None) -> LibraryLocation:
    from .provenance import git_output

    library = Path(library).resolve()
    top = git_output(library, "rev-parse", "--show-toplevel") if library.is_dir() else None
    root: Path
    if top and top.strip():
        root = Path(top.strip()).resolve()
    elif rules is not None:
        root = Path(os.path.commonpath([library, Path(rules).resolve().parent]))
    else:
        root = library.parent
    remote = None
    if top and top.strip():
        url = git_output(library, "config", "--get", "remote.origin.url")
        remote = public_remote(url.strip()) if url else None
    library_name = _relative(library, root) or library.name
    rules_name = None
    if rules is not None:
        rules_name = _relative(Path(rules), root) or Path(rules).name
    return LibraryLocation(library_name, rules_name, remote)


_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+\.[^:/\s]+):(?P<path>[^/].*)$")


def public_remote(url: str) -> str | None:
    """A remote URL without user name or password; ``None`` for a local path (it says nothing to others)."""
    url = url.strip()
    if not url or url.startswith(("/", "~", ".", "file:")) or re.match(r"^[A-Za-z]:[\\/]", url):
        return None
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        return f"{scp.group('host')}:{scp.group('path')}"
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def find_recorded(rules: str | None, library: str | None, report: Path | None) -> tuple[Path | None, Path | None]:
    """The recorded rules and library (relative names, or absolute ones from an older report) as
    existing paths, both from the same root: the report's folder or one above it, else the current
    folder. The root is the first where the rules are (where the library is, without rules)."""
    bases = list(Path(report).resolve().parents) if report is not None else []
    bases.append(Path.cwd())
    key = rules or library
    if not key:
        return None, None
    for base in bases:
        if (base / key).exists():
            break
    else:
        return None, None

    def at(name: str | None) -> Path | None:
        return base / name if name and (base / name).exists() else None

    return at(rules), at(library)
