"""Dealing snippet variants over a batch, so colleagues get different wordings.

Each person's choice depends only on their name and the snippet (stable from run
to run); within a batch the holders of a snippet are dealt its bodies in turn, in
the order of ``sha256(snippet id, NUL, name)`` (then row), so that wherever the
library offers variants, neighbours in that order differ. ``--variant N`` pins
everyone to body N.

A batch sees its people one at a time (``VariantDealer.add``) and keeps per
person and snippet only a 64-bit slice of that hash in a flat array; ties of the
slice (the same name twice, or a 2⁻⁶⁴ accident) fall back to the row.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Collection, ItemsView, Iterator, Mapping, Sequence

#: Per person: (snippet id, body) pairs in rules order; equal pairs are one shared object.
Dealt = tuple[tuple[str, int], ...]


class VariantDealer:
    """Deal the bodies of every snippet that has variants over the people added."""

    def __init__(self, counts: Sequence[tuple[str, int]], pin: int | None = None) -> None:
        """``counts``: (snippet id, number of bodies) in rules order, for snippets with more than one."""
        self.counts = [(snippet_id, count) for snippet_id, count in counts if count > 1]
        self.pin = pin
        self.rows = array("q")
        self._keys = {snippet_id: array("Q") for snippet_id, _ in self.counts}
        self._holders = {snippet_id: array("q") for snippet_id, _ in self.counts}
        self._choices: dict[str, array[int]] = {}
        self._pairs: dict[tuple[str, int], tuple[str, int]] = {}

    def add(self, name: str, row: int, included: Collection[str]) -> int:
        """Enter one person (in batch order); returns their index."""
        index = len(self.rows)
        self.rows.append(row)
        for snippet_id, _ in self.counts:
            if snippet_id in included:
                digest = hashlib.sha256(f"{snippet_id}\0{name}".encode()).digest()
                self._keys[snippet_id].append(int.from_bytes(digest[:8], "big"))
                self._holders[snippet_id].append(index)
        return index

    def deal(self) -> None:
        """Decide every choice; the hash slices are dropped."""
        people = len(self.rows)
        for snippet_id, count in self.counts:
            keys, holders = self._keys.pop(snippet_id), self._holders.pop(snippet_id)
            order = sorted(range(len(holders)), key=lambda i: (keys[i], self.rows[holders[i]]))
            choices = array("B", bytes(people))
            for turn, i in enumerate(order):
                choices[holders[i]] = min(max(self.pin, 1), count) if self.pin else turn % count + 1
            self._choices[snippet_id] = choices

    def chosen(self, index: int) -> Dealt:
        """The bodies dealt to person ``index`` (after ``deal``)."""
        out = []
        for snippet_id, _ in self.counts:
            body = self._choices[snippet_id][index]
            if body:
                pair = (snippet_id, body)
                out.append(self._pairs.setdefault(pair, pair))
        return tuple(out)


class Variants(Mapping[str, int]):
    """A person's bodies (snippet id → 1, 2, …), read-only over pairs the batch shares."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Dealt) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> int:
        for snippet_id, body in self._pairs:
            if snippet_id == key:
                return body
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (snippet_id for snippet_id, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self) -> ItemsView[str, int]:
        """The pairs as they are kept (``Mapping``'s own would ask ``__getitem__``, a scan, once per key)."""
        return dict(self._pairs).items()

    def __repr__(self) -> str:
        return f"Variants({dict(self._pairs)!r})"
