"""Near copies in a batch of any size, in bounded memory: MinHash sketches, LSH bands, exact rescoring.

``similarity.compare`` holds every report's shingle set at once (~0.4 MB a report) and scores
every pair: fine for hundreds of reports, not for a 10,000-person batch. Here each report is
reduced, in the worker that wrote it, to a ``Sketch``: its number of distinct shingles (exact)
and ``K`` one-permutation MinHash minima (512 bytes). The parent keeps only those, in flat
arrays (~0.53 KB a report, plus its file name). ``NearCopies.find`` then:

1. **Bands (LSH).** The ``K`` minima are cut into ``K // r`` bands of ``r`` rows; two reports
   whose minima agree on a whole band are *candidates*. A pair of Jaccard ``s`` agrees on one
   bin with probability ``s``, on a band with ``s**r``, so it is missed with probability
   ``(1 - s**r) ** (K // r)``, largest at ``s = threshold``. ``rows_per_band`` takes the
   largest ``r`` (fewest unrelated candidates) for which that is below ``LSH_MISS`` (1e-6):
   threshold 0.8 -> 4 rows x 32 bands (miss 5e-8), 0.9 -> 6 x 21, 0.5 -> 2 x 64, 0.3 -> 1 x 128.
   Below about 0.1 no ``r`` will do and every pair is a candidate; so it is, too, whenever the
   bands would enumerate more pairs than there are (small batches, batches of near copies): one
   run of all reports, sorted by sketch. Buckets are runs of equal band keys after a sort, one
   band at a time (O(n) temporary memory). A pair is taken in the first band where it agrees.
2. **Estimate.** A candidate's Jaccard is estimated by the share of matching bins among the
   bins not empty in both. It must reach ``estimate_cutoffs(threshold)[m]`` matches of ``m``:
   the largest count that a pair exactly at the threshold falls below with probability at most
   ``ESTIMATE_MISS`` (1e-7) under the binomial law (five standard deviations or so below the
   threshold: 77 of 128 bins at 0.8; the bins are drawn without replacement, so the true law is
   narrower). A pair whose size ratio is below the threshold cannot reach it (Jaccard <=
   small/large) and is dropped too. The pairs of a run are first compared on one-byte
   fingerprints of their bins, vectorised (``_Search._run``), so that the many unrelated pairs
   of colleagues' reports cost little. The best candidates by estimate are kept in a heap.
3. **Exact rescoring.** Texts come again through ``text_of`` (a cache bounded in characters).
   A safe filter first: shingles hashed into a bitmap per report bound a pair's common shingles
   from above, so pairs that cannot reach the threshold are dropped without a document. The rest
   are scored by ``similarity``'s own ``make_doc`` / ``index_docs`` / ``similar_pair``, in blocks of at
   most ``BLOCK`` documents indexed together, so their scores, passages and containment are those
   ``compare`` gives.

Together a pair at or above the threshold is lost with probability below 1.1e-6. Everything is
capped (fingerprint comparisons, estimates, heap, reports read, documents made): in a batch of
near copies, where the pairs are millions, ``find`` stops at the caps in seconds and says so
(``approximate``), with a lower bound for the count.

Size: one file for one index (sketches, bands, caps, exact rescoring); the exact scoring itself is
``similarity``'s.
"""

from __future__ import annotations

import heapq
import math
import zlib
from array import array
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from itertools import groupby, repeat
from operator import and_, eq, mul, rshift

from .similarity import SHINGLE, Doc, SimilarPair, index_docs, make_doc, normalise, similar_pair

#: MinHash bins (values) per sketch; a power of two: the bin is the low bits of a shingle's hash.
K = 128
_BIN_BITS = K.bit_length() - 1
#: The value of a bin that no shingle fell into (real values have 32 - _BIN_BITS bits).
EMPTY = 0xFFFFFFFF
#: A pair at the threshold is missed by the bands with at most this probability ...
LSH_MISS = 1e-6
#: ... and dropped by the estimate with at most this one.
ESTIMATE_MISS = 1e-7
#: Caps on the work of ``find``, for a batch of near copies (a typical one stays well below):
#: fingerprint comparisons (~0.3 µs each), pairs past them (size check, first band, estimate;
#: ~1.5 µs), documents made and indexed for exact scores (~2.5 ms, plus reading the text).
PAIR_BUDGET = 12_000_000
ESTIMATE_BUDGET = 2_000_000
DOC_BUDGET = 3_000
#: Candidates kept (best estimates): this many times ``limit``, at least HEAP_MIN.
HEAP_PER_LIMIT = 4
HEAP_MIN = 10_000
#: Bands give way to one run of all pairs when they would enumerate more than this many times all pairs.
ALL_PAIRS_RATIO = 1.0
#: Reports read again for exact scores, at most (the best estimates first).
READ_BUDGET = 2_000
#: The safe pre-filter before exact scores: at most this many bits in a report's shingle bitmap
#: (32 KB), fewer when the bitmaps of all reports read would exceed BITMAP_MEMORY bytes.
BITMAP_BITS = 18
BITMAP_MEMORY = 16_000_000
#: Documents indexed together when rescoring: each holds its shingle set (~0.4 MB) meanwhile.
BLOCK = 64
#: Texts kept for rescoring (characters), so that a report in several pairs is read once.
TEXT_CACHE_CHARS = 4_000_000

_TYPE = "I" if array("I").itemsize == 4 else "L"
if array(_TYPE).itemsize != 4:
    raise ImportError("nearcopies needs a 4-byte unsigned array type")
_BYTES = 4 * K
#: The byte of a value that is its fingerprint (the low byte: well mixed).
_LOW = 0 if array(_TYPE, [1]).tobytes()[0] == 1 else 3
#: multiply-shift: ``crc32`` is linear over GF(2); an odd 64-bit multiplier and the high half mix it.
_MULTIPLIER = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
_NO_VALUES = array(_TYPE, [EMPTY]) * K


@dataclass(frozen=True)
class Sketch:
    """What the batch keeps of a report: built in the worker, small and picklable."""

    size: int  # distinct shingles of normalise(body), as similarity.make_doc counts them
    values: bytes  # K one-permutation MinHash minima, array('I') bytes; EMPTY for empty bins


@dataclass
class NearCopyResult:
    """The pairs found (exact scores, highest first), how many there are, and whether that is a bound."""

    pairs: list[SimilarPair]
    total: int
    approximate: bool


_EMPTY_SKETCH = Sketch(0, _NO_VALUES.tobytes())


def sketch(body: str) -> Sketch:
    """The report's shingle count and MinHash minima, ~1.5 ms for 5,000 characters.

    The shingles are those of ``similarity`` (character 5-grams of ``normalise(body)``), taken
    as UTF-32 slices so that all hashing runs in C: ``crc32`` then multiply-shift gives a 32-bit
    hash whose low ``_BIN_BITS`` bits pick the bin and the rest is the value. One sort puts the
    hashes in order of value, so the first hash seen in each bin is its minimum.
    """
    grams = _shingles(normalise(body))
    if not grams:
        return _EMPTY_SKETCH
    hashes = sorted(_hashes(grams, 32))
    values = array(_TYPE, _NO_VALUES)
    left = K
    mask = K - 1
    for h in hashes:
        if values[h & mask] == EMPTY:
            values[h & mask] = h >> _BIN_BITS
            left -= 1
            if not left:
                break
    return Sketch(len(grams), values.tobytes())


def _shingles(norm: str) -> set[bytes]:
    """The distinct shingles of a normalised text as UTF-32 slices: one per shingle of ``make_doc``."""
    if not norm:
        return set()
    data = norm.encode("utf-32-le", "surrogatepass")
    width = 4 * SHINGLE
    return {data[i:i + width] for i in range(0, 4 * max(1, len(norm) - SHINGLE + 1), 4)}


def _hashes(grams: set[bytes], shift: int) -> Iterator[int]:
    """The shingles' 64-bit multiply-shift hashes of their ``crc32``, shifted right by ``shift``, all in C."""
    return map(rshift, map(and_, map(mul, map(zlib.crc32, grams), repeat(_MULTIPLIER)), repeat(_MASK64)), repeat(shift))


def rows_per_band(threshold: float) -> int:
    """Rows per band: the largest ``r`` with ``(1 - t**r) ** (K // r) < LSH_MISS``; 0 when none (all pairs)."""
    for rows in range(K, 0, -1):
        if (1.0 - threshold ** rows) ** (K // rows) < LSH_MISS:
            return rows
    return 0


def estimate_cutoffs(threshold: float) -> list[int]:
    """For ``m`` bins not empty in both (0..K): the fewest matching bins a pair needs to be rescored.

    The largest ``c`` with ``P(Binomial(m, threshold) < c) <= ESTIMATE_MISS``: a pair exactly at
    the threshold (and so any pair above it) falls short with at most that probability.
    """
    cuts = [0]
    for m in range(1, K + 1):
        below = 0.0
        cut = 0
        while cut < m:
            below += math.comb(m, cut) * threshold ** cut * (1.0 - threshold) ** (m - cut)
            if below > ESTIMATE_MISS:
                break
            cut += 1
        cuts.append(cut)
    return cuts


def _window_pairs(length: int, window: int) -> int:
    """Pairs compared in a run of ``length`` members when each meets the next ``window`` ones."""
    if length - 1 <= window:
        return length * (length - 1) // 2
    return window * (length - window) + window * (window - 1) // 2


class NearCopies:
    """The sketches of one batch (flat arrays) and the search for its near copies.

    ``add`` keeps ~0.5 KB per report and no Python object but the key; everything ``find``
    builds is temporary and bounded (O(n) per band, caps on the rest).
    """

    def __init__(self, threshold: float) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, not {threshold!r}")
        self.threshold = threshold
        self._keys: list[str] = []
        self._values = array(_TYPE)
        self._sizes = array(_TYPE)
        self.reads = 0  # calls of text_of by the last find, for the curious (tests, bench)

    def add(self, key: str, sketch: Sketch) -> None:
        """Keep a report's sketch; ``key`` (unique) names it in the pairs found."""
        if len(sketch.values) != _BYTES:
            raise ValueError(f"a sketch has {_BYTES} bytes of values, not {len(sketch.values)}")
        self._keys.append(key)
        self._values.frombytes(sketch.values)
        self._sizes.append(sketch.size)

    def __len__(self) -> int:
        return len(self._keys)

    # ------------------------------------------------------------------ find

    def find(self, text_of: Callable[[str], str | None], *, limit: int = 1000,
             involving: Collection[str] | None = None, budget: float = 1.0) -> NearCopyResult:
        """The pairs at least ``threshold`` alike, exactly scored, highest first, at most ``limit`` of them.

        ``text_of(key)`` gives a report's body again (``None``: unreadable, its pairs are dropped
        and not counted); it is asked only for reports in candidate pairs, each once where the
        cache allows. ``total`` counts every pair found; when a cap was reached (``approximate``)
        it adds the pairs left unscored whose estimate reaches the threshold: a lower bound.

        ``involving``: only the pairs with at least one of these keys (a rerun that rendered a few
        reports again keeps the other pairs from its last comparison); the search is the same, the
        other candidates are passed over before they cost an estimate or a read.

        ``budget``: the share of the caps this search may spend (each cap at least 1). A rerun whose
        last full search stopped at its caps gives its focused search the share of the caps that
        the full search spent on the same pairs (``budget_share``): it searches as far into them,
        where the whole caps would make it as long as the full search however few were rendered.
        """
        self.reads = 0
        search = _Search(self, budget)
        if involving is not None:
            wanted = set(involving)
            search.focus = bytes(key in wanted for key in self._keys)
        candidates = search.candidates(max(HEAP_PER_LIMIT * limit, HEAP_MIN))
        found, unscored = self._rescore(candidates, text_of, search.caps)
        found.sort(key=lambda p: (-p.score, p.a, p.b))
        total = len(found) + search.estimated + unscored
        approximate = search.approximate or unscored > 0 or search.estimated > 0
        return NearCopyResult(found[:max(limit, 0)], total, approximate)

    def _rescore(self, candidates: list[tuple[float, int, int]], text_of: Callable[[str], str | None],
                 caps: _Caps) -> tuple[list[SimilarPair], int]:
        """Exact pairs among ``candidates`` ``(estimate, i, j)``, and how many left unscored look above the threshold.

        Best estimates first, as many as ``caps.reads`` reports allow (``READ_BUDGET``). Then a safe filter, cheap
        per pair: every report's shingles hashed into a bitmap of ``2**BITMAP_BITS`` bits, the
        common bits plus the shingles lost to collisions inside the smaller report bound the
        common shingles from above, hence the Jaccard index; a pair below the threshold even so
        cannot reach it. The rest are scored by ``similarity`` itself, in blocks (``_blocks``)
        of documents made and indexed together.
        """
        texts = _Texts(self, text_of)
        unscored = 0
        chosen: list[tuple[float, int, int]] = []
        nodes: set[int] = set()
        for candidate in sorted(candidates, reverse=True):
            new = {candidate[1], candidate[2]} - nodes
            if len(nodes) + len(new) > caps.reads:
                unscored += candidate[0] >= self.threshold
                continue
            nodes |= new
            chosen.append(candidate)
        # as many bits as the bitmaps of all chosen reports allow in BITMAP_MEMORY: fewer bits, looser bound
        bits = max(14, min(BITMAP_BITS, (BITMAP_MEMORY * 8 // max(len(nodes), 1)).bit_length() - 1))
        bitmaps: dict[int, tuple[int, int, int] | None] = {}

        def bitmap(node: int) -> tuple[int, int, int] | None:
            if node not in bitmaps:
                text = texts.get(node)
                bitmaps[node] = None if text is None else _bitmap(text, bits)
            return bitmaps[node]

        close: list[tuple[float, int, int]] = []
        for candidate in sorted(chosen, key=lambda c: (c[1], c[2])):
            x, y = bitmap(candidate[1]), bitmap(candidate[2])
            if x is None or y is None:
                continue  # unreadable: the pair is dropped
            (x_bits, x_set, x_size), (y_bits, y_set, y_size) = x, y
            common = (x_bits & y_bits).bit_count() + min(x_size - x_set, y_size - y_set)
            union = x_size + y_size - common
            if union > 0 and common >= self.threshold * union - 1e-9:
                close.append(candidate)
        bitmaps.clear()
        found: list[SimilarPair] = []
        made = 0
        left = sum(1 for estimate, _, _ in close if estimate >= self.threshold)  # by estimate, until scored
        for block_nodes, block_pairs in _blocks(close):
            if made >= caps.docs:
                unscored += left
                break
            left -= sum(1 for estimate, _, _ in block_pairs if estimate >= self.threshold)
            docs: dict[int, Doc] = {}
            for node in block_nodes:
                text = texts.get(node)
                if text is not None:
                    docs[node] = make_doc(self._keys[node], text)
            made += len(docs)
            index_docs(list(docs.values()))
            for _, i, j in block_pairs:
                if i in docs and j in docs:
                    pair = similar_pair(docs[i], docs[j], self.threshold, False)
                    if pair is not None:
                        found.append(pair)
        self.reads = texts.reads
        return found, unscored


def _bitmap(text: str, bits: int) -> tuple[int, int, int]:
    """``(bitmap, bits set, shingles)`` of a text: its shingles hashed into ``2**bits`` bits."""
    grams = _shingles(normalise(text))
    buffer = bytearray(1 << (bits - 3))
    for h in _hashes(grams, 64 - bits):
        buffer[h >> 3] |= 1 << (h & 7)
    bitmap = int.from_bytes(buffer, "little")
    return bitmap, bitmap.bit_count(), len(grams)


class _Texts:
    """``text_of`` behind a cache bounded in characters (least recently used goes first)."""

    def __init__(self, index: NearCopies, text_of: Callable[[str], str | None]) -> None:
        self._keys = index._keys
        self._text_of = text_of
        self._cache: OrderedDict[int, str | None] = OrderedDict()
        self._chars = 0
        self.reads = 0

    def get(self, node: int) -> str | None:
        if node in self._cache:
            self._cache.move_to_end(node)
            return self._cache[node]
        self.reads += 1
        text = self._text_of(self._keys[node])
        self._cache[node] = text
        self._chars += len(text or "")
        while self._chars > TEXT_CACHE_CHARS and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._chars -= len(old or "")
        return text


def _blocks(candidates: list[tuple[float, int, int]]) -> Iterator[tuple[list[int], list[tuple[float, int, int]]]]:
    """``(reports, pairs)`` blocks of at most ``BLOCK`` reports covering every candidate pair.

    Each report of a block is made and indexed once per block, so blocks should hold many pairs
    each: a connected component (best estimates first) small enough is one block; in a larger
    one, a block grows greedily from the report with most pairs left, taking next the report
    with most pairs into the block, and covers every pair left between its reports.
    """
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for _, i, j in candidates:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    components: dict[int, list[tuple[float, int, int]]] = {}
    for candidate in candidates:
        components.setdefault(root(candidate[1]), []).append(candidate)
    for pairs in sorted(components.values(), key=lambda pairs: (-max(pairs)[0], min(pairs, key=lambda p: p[1])[1])):
        nodes = sorted({n for _, i, j in pairs for n in (i, j)})
        if len(nodes) <= BLOCK:
            yield nodes, pairs
            continue
        left: dict[tuple[int, int], tuple[float, int, int]] = {(i, j): (e, i, j) for e, i, j in pairs}
        neighbours: dict[int, set[int]] = {}
        for _, i, j in pairs:
            neighbours.setdefault(i, set()).add(j)
            neighbours.setdefault(j, set()).add(i)
        while left:
            seed = min(neighbours, key=lambda n: (-len(neighbours[n]), n))
            block = {seed}
            gain: Counter[int] = Counter(neighbours[seed])
            while gain and len(block) < BLOCK:
                best = min(gain, key=lambda n: (-gain[n], n))
                del gain[best]
                block.add(best)
                gain.update(n for n in neighbours[best] if n not in block)
            covered = []
            for node in sorted(block):
                for other in sorted(neighbours[node] & block):
                    if node < other:
                        covered.append(left.pop((node, other)))
            for node in block:
                neighbours[node] -= block
                if not neighbours[node]:
                    del neighbours[node]
            yield sorted({n for _, i, j in covered for n in (i, j)}), covered


#: ``find(involving=)``: a run with at most 1/FOCUSED_SHARE of its members involved compares only their
#: pairs, one by one (``_Search._run_focused``); above that, every member is compared in bulk (``_run``).
FOCUSED_SHARE = 8


def budget_share(involved: int, reports: int) -> float:
    """The share of all pairs of ``reports`` that have one of ``involved`` of them: what a full search
    spends of its caps on the pairs that ``find(involving=)`` searches (``find(budget=)``)."""
    if reports <= 0:
        return 1.0
    left = max(reports - involved, 0) / reports
    return 1.0 - left * left


@dataclass(frozen=True)
class _Caps:
    """The caps of one search: the module's, times ``find(budget=)``."""

    pairs: int
    estimates: int
    reads: int
    docs: int

    @classmethod
    def share(cls, budget: float) -> _Caps:
        def part(cap: int) -> int:
            return cap if budget >= 1.0 else max(1, int(cap * budget))

        return cls(part(PAIR_BUDGET), part(ESTIMATE_BUDGET), part(READ_BUDGET), part(DOC_BUDGET))


class _Search:
    """One run of the candidate search over a ``NearCopies`` (bands, estimates, heap)."""

    def __init__(self, index: NearCopies, budget: float = 1.0) -> None:
        self.caps = _Caps.share(budget)
        self.threshold = index.threshold
        self.values = index._values
        self.sizes = index._sizes
        self.active = [i for i, size in enumerate(index._sizes) if size]  # empty texts are like nothing
        self.rows = rows_per_band(self.threshold)
        self.cuts = estimate_cutoffs(self.threshold)
        self.approximate = False
        self.estimated = 0  # pairs passed over (heap full) whose estimate reaches the threshold
        self.packed = b""  # the values as bytes, while candidates() runs
        self.has_empty = b""  # per report: has it empty bins (then both-empty bins are not counted)
        self.focus: bytes | None = None  # per report: pairs must have one of these (``find(involving=)``)

    def candidates(self, capacity: int) -> list[tuple[float, int, int]]:
        """The best ``capacity`` pairs ``(estimate, i, j)`` (i < j) that pass the estimate, by estimate."""
        if len(self.active) < 2:
            return []
        packed = self.packed = self.values.tobytes()
        self.has_empty = bytes(EMPTY in self.values[i * K:(i + 1) * K] for i in range(len(self.sizes)))
        runs = self._runs(packed)
        lengths: Counter[int] = Counter()
        for _, _, run_lengths in runs:
            lengths.update(run_lengths)
        window = self._window(lengths)
        fingerprints = packed[_LOW::4]
        heap: list[tuple[float, int, int]] = []
        budget = [self.caps.estimates]
        for band, members, run_lengths in runs:
            start = 0
            for length in run_lengths:
                run = members[start:start + length].tolist()
                start += length
                if self.focus is not None and not any(self.focus[i] for i in run):
                    continue  # ``find(involving=)``: no pair of this run has one of them
                if length - 1 > window and self.rows:
                    run.sort(key=lambda i: self._rotated(packed, i, band))
                few = self.focus is not None and FOCUSED_SHARE * sum(self.focus[i] for i in run) <= length
                search = self._run_focused if few else self._run
                if not search(run, band, window, fingerprints, heap, capacity, budget):
                    self.approximate = True
                    return [(estimate, -i, -j) for estimate, i, j in heap]
        return [(estimate, -i, -j) for estimate, i, j in heap]

    def _rotated(self, packed: bytes, i: int, band: int) -> bytes:
        """Report ``i``'s values from band ``band`` on (then the ones before): similar sketches sort together."""
        offset = band * self.rows * 4
        return packed[i * _BYTES + offset:(i + 1) * _BYTES] + packed[i * _BYTES:i * _BYTES + offset]

    def _runs(self, packed: bytes) -> list[tuple[int, array[int], array[int]]]:
        """Per band, the reports whose band keys collide, run after run: ``(band, members, run lengths)``.

        When the bands would enumerate more pairs than there are, one run of all reports (sorted
        by sketch, so that alike ones are near each other) replaces them.
        """
        active = self.active
        every = len(active) * (len(active) - 1) // 2
        runs: list[tuple[int, array[int], array[int]]] = []
        if self.rows:
            width = self.rows * 4
            enumerated = 0
            for band in range(K // self.rows):
                offset = band * width
                keys = [packed[i * _BYTES + offset:i * _BYTES + offset + width] for i in active]
                if self.focus is not None:  # ``find(involving=)``: only the runs that hold one of them
                    wanted = {keys[position] for position, i in enumerate(active) if self.focus[i]}
                    order = sorted((position for position, key in enumerate(keys) if key in wanted),
                                   key=keys.__getitem__)
                else:
                    order = sorted(range(len(active)), key=keys.__getitem__)
                members = array(_TYPE)
                run_lengths = array(_TYPE)
                for _, group in groupby(order, keys.__getitem__):
                    run = list(group)
                    if len(run) > 1:
                        members.extend(active[position] for position in run)
                        run_lengths.append(len(run))
                        enumerated += len(run) * (len(run) - 1) // 2
                if enumerated > every * ALL_PAIRS_RATIO:
                    break
                runs.append((band, members, run_lengths))
            else:
                return runs
        every_report = sorted(active, key=lambda i: packed[i * _BYTES:(i + 1) * _BYTES])
        self.rows = 0  # one band: no pair can have collided before
        return [(0, array(_TYPE, every_report), array(_TYPE, [len(every_report)]))]

    def _window(self, lengths: Counter[int]) -> int:
        """How many next members each member of a run meets: all, unless that exceeds ``PAIR_BUDGET``."""
        longest = max(lengths, default=1)

        def cost(window: int) -> int:
            return sum(count * _window_pairs(length, window) for length, count in lengths.items())

        if cost(longest - 1) <= self.caps.pairs:
            return max(longest - 1, 1)
        self.approximate = True
        low, high = 1, longest - 1
        while low < high:
            middle = (low + high + 1) // 2
            if cost(middle) <= self.caps.pairs:
                low = middle
            else:
                high = middle - 1
        return low

    def _run(self, run: list[int], band: int, window: int, fingerprints: bytes, heap: list[tuple[float, int, int]],
             capacity: int, budget: list[int]) -> bool:
        """Compare the members of one run, each with its next ``window``; False when the estimates ran out.

        Vectorised first: the XOR of a member's fingerprint bytes with its partners', as one big
        integer; each partner's zero bytes (``bytes.count`` over its slice) are its matching bins
        or more (different values can share a fingerprint, equal ones always do), so ``count / K``
        bounds the estimate from above. A pair below ``cuts[K]`` cannot pass (with ``e`` bins empty
        in both it would need ``cuts[K - e] + e >= cuts[K]``); one that could not enter the full
        heap is only counted; the rest get their estimate from the values themselves.
        """
        rows, focus = self.rows, self.focus
        first = self.cuts[K]
        earlier = band * rows  # bins of the bands before this one
        block = b"".join([fingerprints[i * K:(i + 1) * K] for i in run])
        length = len(run)
        # ``find(involving=)``: a member not involved meets only the involved ones in its window, in
        # the same order (their fingerprints side by side, so still one comparison per member)
        marked = [position for position, i in enumerate(run) if focus[i]] if focus is not None else []
        marked_block = b"".join([block[position * K:(position + 1) * K] for position in marked])
        for position in range(length - 1):
            count = min(window, length - 1 - position)
            a = run[position]
            partners: list[int] | None = None
            if focus is None or focus[a]:
                others = block[(position + 1) * K:(position + 1 + count) * K]
            else:
                low, high = bisect_right(marked, position), bisect_right(marked, position + count)
                if low == high:
                    continue
                others, partners, count = marked_block[low * K:high * K], marked[low:high], high - low
            own = block[position * K:(position + 1) * K]
            xor = (int.from_bytes(others, "little") ^ int.from_bytes(own * count, "little")).to_bytes(count * K, "little")
            equal = bytes(map(xor.count, repeat(0), range(0, count * K, K), range(K, count * K + 1, K)))
            if max(equal) < first:
                continue
            for offset, matches in enumerate(equal):
                if matches < first:
                    continue
                b = run[position + 1 + offset if partners is None else partners[offset]]
                if not self._consider(a, b, matches, xor, offset * K, earlier, heap, capacity, budget):
                    return False
        return True

    def _run_focused(self, run: list[int], band: int, window: int, fingerprints: bytes,
                     heap: list[tuple[float, int, int]], capacity: int, budget: list[int]) -> bool:
        """``_run`` for a run with few members in ``focus``: the same pairs (a focused member and one
        within ``window`` of it), met in the same order, so the same result; but only those pairs
        are compared, not every member with its next ``window`` (a one-report rerun of ten thousand
        near copies had the whole run compared for one member's pairs)."""
        focus = self.focus
        assert focus is not None
        length = len(run)
        first = self.cuts[K]
        earlier = band * self.rows
        pairs: set[tuple[int, int]] = set()
        for position, member in enumerate(run):
            if focus[member]:
                pairs.update((position, other) for other in range(position + 1, min(length, position + window + 1)))
                pairs.update((other, position) for other in range(max(0, position - window), position))
        for p, q in sorted(pairs):
            a, b = run[p], run[q]
            xor = (int.from_bytes(fingerprints[a * K:(a + 1) * K], "little")
                   ^ int.from_bytes(fingerprints[b * K:(b + 1) * K], "little")).to_bytes(K, "little")
            matches = xor.count(0)
            if matches >= first and not self._consider(a, b, matches, xor, 0, earlier, heap, capacity, budget):
                return False
        return True

    def _consider(self, a: int, b: int, matches: int, xor: bytes, start: int, earlier: int,
                  heap: list[tuple[float, int, int]], capacity: int, budget: list[int]) -> bool:
        """One pair whose fingerprints agree in ``matches`` bins (``xor[start:start + K]``): into the
        heap if its estimate passes; False when the estimates ran out (``ESTIMATE_BUDGET``)."""
        sizes, threshold = self.sizes, self.threshold
        size_a, size_b = sizes[a], sizes[b]
        if (size_a / size_b if size_a < size_b else size_b / size_a) < threshold:
            return True  # as similarity.similar_pair: the Jaccard index is at most small / large
        budget[0] -= 1
        if budget[0] < 0:
            return False
        i, j = (a, b) if a < b else (b, a)
        if earlier and self._met_before(i, j, xor, start, earlier):
            return True
        if len(heap) >= capacity and matches / K <= heap[0][0]:
            self.approximate = True
            self.estimated += matches / K >= threshold
            return True
        estimate = self._estimate(i, j)
        if estimate is None:
            return True
        item = (estimate, -i, -j)
        if len(heap) < capacity:
            heapq.heappush(heap, item)
            return True
        passed = heapq.heappushpop(heap, item)
        self.estimated += passed[0] >= threshold
        self.approximate = True
        return True

    def _met_before(self, i: int, j: int, xor: bytes, start: int, earlier: int) -> bool:
        """Whether the pair agrees on a whole band before this one (where it was taken already).

        Fingerprints find the bands that may agree; the values decide.
        """
        rows = self.rows
        zero = bytes(rows)
        width = 4 * rows
        chunk = xor[start:start + earlier]
        found = chunk.find(zero)
        while found >= 0:
            if found % rows == 0:
                offset = found * 4
                if (self.packed[i * _BYTES + offset:i * _BYTES + offset + width]
                        == self.packed[j * _BYTES + offset:j * _BYTES + offset + width]):
                    return True
            found = chunk.find(zero, found + 1)
        return False

    def _estimate(self, i: int, j: int) -> float | None:
        """The pair's estimated Jaccard (matching bins over bins not empty in both), or None below the cut-off."""
        a = self.values[i * K:(i + 1) * K]
        b = self.values[j * K:(j + 1) * K]
        matches = sum(map(eq, a, b))
        both_empty = 0
        if self.has_empty[i] and self.has_empty[j]:
            both_empty = sum(1 for x, y in zip(a, b, strict=True) if x == y == EMPTY)
        matches -= both_empty
        bins = K - both_empty
        if not bins or matches < self.cuts[bins]:
            return None
        return matches / bins
