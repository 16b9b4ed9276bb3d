"""User-facing errors.

Every mistake a user can make (a bad file, a missing value) is raised deep in the
pipeline as an ``AssemblerError`` that already carries its Chinese message, the file
and line or row it is about, and the exit code; the CLI and the extension only show it.
Programming errors stay ordinary exceptions, so they keep their tracebacks.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_BAD_INPUT = 2


class AssemblerError(Exception):
    """A user's mistake: shown as ``错误：<file>:<where>: <message>``."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.row = row

    @property
    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(str(self.line))
        elif self.row is not None:
            parts.append(f"第{self.row}行")
        return ":".join(parts)

    def format(self) -> str:
        where = self.location
        return f"错误：{where}: {self.message}" if where else f"错误：{self.message}"

    def __str__(self) -> str:
        return self.format()


class InputError(AssemblerError):
    """A file or value the user gave is wrong; nothing is written."""


class PersonError(AssemblerError):
    """One person's report cannot be made; the rest of the batch goes on."""

    exit_code = EXIT_PARTIAL


class OfficeError(AssemblerError):
    """LibreOffice is missing or failed for a document."""
