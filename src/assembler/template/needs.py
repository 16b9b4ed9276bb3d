"""Which variables a selection of snippets needs: the one place that asks the templates.

Planning a person (what is missing), the blank people workbook (which columns) and the
figures check all need "what does this snippet, this condition, this rules line read";
they ask here, and each source is parsed once per process however many people ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from ..load.rules import Entry, Rules
from ..load.snippets import Library, Snippet
from .environment import expression_variables, template_variables


@lru_cache(maxsize=4096)
def source_variables(source: str) -> frozenset[str]:
    """The names a template source reads (parsed once per distinct source)."""
    return frozenset(template_variables(source))


def body_variables(snippet: Snippet) -> frozenset[str]:
    """The names a snippet's body reads."""
    return source_variables(snippet.body)


def condition_variables(entry: Entry) -> frozenset[str]:
    """The names an entry's ``when`` reads (none without a condition)."""
    return frozenset(expression_variables(entry.when)) if entry.when else frozenset()


def selection_needs(rules: Rules, library: Library, selection: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(name, who reads it) for everything a report of ``selection`` may read, in the order a person
    fills them in: the rules' lines, then each selected entry's condition and body (declared names
    first, in declaration order)."""
    chosen = set(selection)
    for source in rules.report_level_sources():
        for name in sorted(source_variables(source)):
            yield name, "规则"
    for entry in rules.entries():
        if entry.id not in chosen:
            continue
        for name in sorted(condition_variables(entry)):
            yield name, f"{entry.id}（条件）"
        snippet = library[entry.id]
        declared = list(snippet.variables)
        for name in declared + sorted(body_variables(snippet) - set(declared)):
            yield name, entry.id
