"""Hints a message ends with, worded by the shell that shows it.

The library knows *why* something failed and what would fix it; only the shell knows what the
user can touch: the CLI has flags (``--force``, ``--set x=…``), the Writer dialog has controls
(全部重新生成, 共用值文件). A ``Hinted`` message is a ``str`` worded for the CLI (so the
manifest, the CLI's output and everything that stores plain text stay as they were) that also
carries its cause and the kind of hint, so the dialog can say the same thing in its own words.
"""

from __future__ import annotations

from typing import Any

#: kind → shell → wording (``{name}`` is filled from the hint's arguments).
WORDINGS: dict[str, dict[str, str]] = {
    "overwrite_edited": {
        "cli": "；确认不需要保留手工修改时，可加 --overwrite-edited 覆盖",
        "dialog": "；确认不需要保留手工修改时，可先把原文件移出输出文件夹再生成",
    },
    "set_value": {
        "cli": "；请在人员表中填写这一列，或用 --set {name}=… 统一给出",
        "dialog": "；请在人员表中填写这一列，或在“共用值文件”中统一给出",
    },
}


class Hinted(str):
    """A message worded for the CLI that knows its cause and hint (see the module docstring)."""

    cause: str
    kind: str
    args: dict[str, str]

    def __new__(cls, cause: str, kind: str, **args: str) -> Hinted:
        self = super().__new__(cls, cause + WORDINGS[kind]["cli"].format(**args))
        self.cause, self.kind, self.args = cause, kind, dict(args)
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # spooled and sent to workers: keep the parts
        return (_rebuild, (self.cause, self.kind, self.args))

    def worded(self, shell: str) -> str:
        return self.cause + WORDINGS[self.kind][shell].format(**self.args)


def _rebuild(cause: str, kind: str, args: dict[str, str]) -> Hinted:
    return Hinted(cause, kind, **args)


def worded(message: str, shell: str) -> str:
    """``message`` as ``shell`` ("cli" or "dialog") words it; plain messages are the same everywhere."""
    return message.worded(shell) if isinstance(message, Hinted) else message
