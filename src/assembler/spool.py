"""Records kept on disk while a batch runs, so its memory does not grow with the batch.

A batch reads and checks the whole people file before it writes anything (a bad
file must leave nothing half-done), yet must not hold ten thousand people's
values in memory while it renders, nor ten thousand results after. ``Spool``
keeps the planned people between the two passes; ``SpooledList`` keeps the
results, one pickled record each with only its file offset in memory. Both live
in unnamed temporary files, which vanish when closed, or with the process.

At the bottom of the layers because a loader needs it too: a YAML/JSON people file is read
through once for its headers and its rows wait in a ``Spool`` (``load.people``).
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator, MutableSequence
from types import TracebackType
from typing import IO, Any, Generic, TypeVar, overload

T = TypeVar("T")


def _temporary() -> IO[bytes]:
    return tempfile.TemporaryFile(prefix="assembler-")


class Spool:
    """Append objects, then read them back once, in order."""

    def __init__(self) -> None:
        self._file = _temporary()
        self._count = 0

    def append(self, item: Any) -> None:
        pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)  # our own file, written just before

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class SpooledList(MutableSequence[T], Generic[T]):
    """A list whose items live on disk: reading an item gives a fresh copy, so a change
    to it counts only once stored back (``items[i] = item``). Insertion is at the end only."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._file = _temporary()
        self._offsets = array("q")
        for item in items:
            self.append(item)

    def _write(self, item: T) -> int:
        self._file.seek(0, 2)
        offset = self._file.tell()
        pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        return offset

    def _read(self, offset: int) -> T:
        self._file.seek(offset)
        return pickle.load(self._file)  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._read(offset) for offset in self._offsets[index]]
        return self._read(self._offsets[index])

    def __iter__(self) -> Iterator[T]:
        for position in range(len(self._offsets)):  # each read seeks: safe to interleave with writes
            yield self._read(self._offsets[position])

    @overload
    def __setitem__(self, index: int, item: T) -> None: ...
    @overload
    def __setitem__(self, index: slice, item: Iterable[T]) -> None: ...
    def __setitem__(self, index: int | slice, item: Any) -> None:
        if isinstance(index, slice):
            raise TypeError("SpooledList: slice assignment is not supported")
        self._offsets[index] = self._write(item)  # the old copy stays in the file, unreferenced

    def __delitem__(self, index: int | slice) -> None:
        raise TypeError("SpooledList: items cannot be deleted")

    def insert(self, index: int, item: T) -> None:
        if index < len(self._offsets):
            raise TypeError("SpooledList: items are added at the end only")
        self._offsets.append(self._write(item))

    def close(self) -> None:
        self._file.close()

    def __repr__(self) -> str:
        return f"SpooledList({len(self)} items)"
