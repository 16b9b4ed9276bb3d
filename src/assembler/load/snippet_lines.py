"""Where things are in a snippet file's front matter, by line: for messages that point at a line.

The YAML loader keeps the lines of top-level keys only; lint (pointing at a variable's
declaration) and explain (pointing at a variant) need the lines of the names under
``variables:`` and of the items under ``variants:``, which this line scan finds once the
file has been accepted.
"""

from __future__ import annotations

import re

_TOP_KEY = re.compile(r"^([^\s#:\-][^:]*?)\s*:")
_NESTED_KEY = re.compile(r"^\s+([^\s#:-][^:]*?)\s*:")
_LIST_ITEM = re.compile(r"^\s*-(\s|$)")


def front_lines(text: str) -> tuple[dict[str, int], dict[str, int], list[int]]:
    """Lines of top-level keys, of the names under ``variables:`` and of the items under ``variants:``.

    A line scan, used only to point at lines when the core parser (which does not
    keep these) has accepted the file.
    """
    top: dict[str, int] = {}
    names: dict[str, int] = {}
    items: list[int] = []
    current = None
    lines = text.split("\n")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        match = _TOP_KEY.match(line)
        if match:
            current = match.group(1).strip().strip("'\"")
            top.setdefault(current, number)
            continue
        if current == "variables":
            nested = _NESTED_KEY.match(line)
            if nested and (len(line) - len(line.lstrip())) <= 4:
                names.setdefault(nested.group(1).strip().strip("'\""), number)
        elif current == "variants" and _LIST_ITEM.match(line) and not line.startswith(("    ", "\t")):
            items.append(number)
    return top, names, items


def variant_start(text_lines: list[str], item_line: int) -> int:
    """The line where a variant's text starts: the item line, or the next one for ``- |`` blocks."""
    raw = text_lines[item_line - 1].rstrip() if 0 < item_line <= len(text_lines) else ""
    return item_line + 1 if re.search(r"-\s*[|>][+-]?\d*$", raw) else item_line
