"""Extra command groups, one module each, registered on the main ``assembler`` group.

Each module here exposes ``COMMANDS`` (a list of click commands) and stays as thin
as ``cli.py``: parse, call the library, print in Chinese.
"""

from __future__ import annotations

import importlib

import click

COMMAND_MODULES = ("pdf", "library", "oxt")  # ``progress`` is a helper, not a command module


def register(group: click.Group) -> None:
    for name in COMMAND_MODULES:
        qualified = f"{__name__}.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:
                continue
            raise
        for command in module.COMMANDS:
            group.add_command(command)
