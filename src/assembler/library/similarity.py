"""How alike reports are: within one batch, and against last year's.

Reports built from one library share text by design; what reviewers look for are
two people handing in (nearly) the same report, or a person handing in last
year's again with the year changed. The measure suits Chinese, which has no
spaces to split words on: texts become sets of character 5-grams ("shingles")
after whitespace is dropped and every number made ``0`` (so changed figures and
years do not hide a copy), and two texts score the Jaccard index of their sets
(shared shingles over all shingles). Swapping names and years leaves a score above
0.9; unrelated reports on the same subject score well under 0.5.

Speed: the score is exact, and cheap per pair: every shingle that occurs in two or
more texts of the run gets a bit, each text becomes one big integer of its bits,
and a pair's shared shingles are ``(a & b).bit_count()``; pairs that cannot reach
the threshold by size alone are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ooxml.names import STYLE_DATE, STYLE_SIGNATURE, STYLE_SUBTITLE, STYLE_TITLE

#: Reports at least this alike (0–1) are warned about after a build and listed by ``assembler similar``,
#: unless the rules (``similarity_threshold``) or the user say otherwise.
SIMILARITY_THRESHOLD = 0.8
#: Characters per shingle.
SHINGLE = 5
#: How many shared passages a pair reports.
SHARED_PASSAGES = 3
#: Body paragraphs only: these styles are the title, subtitle and signature lines.
SKIPPED_STYLES = frozenset({STYLE_TITLE, STYLE_SUBTITLE, STYLE_SIGNATURE, STYLE_DATE})

_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"[0-9０-９]")
_NUMBER = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?")
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*")


@dataclass(frozen=True)
class SimilarPair:
    """Two texts (``b`` from ``against`` when ``last_year``), their score and what they share."""

    a: str
    b: str
    score: float
    shared: list[str]
    containment: float = 0.0
    last_year: bool = False


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass(frozen=True)
class ReportText:
    """A report's body (see ``body_text``) and its length (see ``count_chars``); with
    ``report_text(paragraphs=True)`` also (style, Word number, text) of every paragraph,
    for the house style checks."""

    body: str
    chars: int
    signed: bool = False  # a Signature paragraph has text (see ``library.report_checks``)
    paragraphs: tuple[tuple[str, str, str], ...] = ()


def report_text(docx: bytes, *, file: str | None = None, paragraphs: bool = False) -> ReportText:
    """The body text and length of a report, reading only the three parts they need.

    Run once per report after a batch, so it skips what ``text.docx_paragraphs``
    spends on the rest of the package (a third of its time).
    """
    from ..ooxml.text import TextParagraph, report_paragraphs

    lines: list[str] = []
    texts: list[str] = []
    signature: list[str] = []
    kept: list[tuple[str, str, str]] = []

    def skipped(p: TextParagraph) -> None:
        if p.style == "Signature" and p.text.strip():
            signature.append(p.text)
        if paragraphs:
            kept.append((p.style, "", p.text))

    for p in report_paragraphs(docx, skip=SKIPPED_STYLES, file=file, on_skipped=skipped):
        if paragraphs:
            kept.append((p.style, p.number, p.text))
        texts.append(p.text)
        line = (p.number + p.text).strip()
        if line:
            lines.append(line)
    return ReportText("\n".join(lines), count_chars("".join(texts)), bool(signature), tuple(kept))


def count_chars(text: str) -> int:
    """Chinese characters (汉字) in ``text``: what ``max_chars`` limits.

    Punctuation, digits, Latin letters and spaces do not count, nor do list numbers
    that Word adds (一、（一）), which are not text of the paragraph.
    """
    return len(_HAN.findall(text))


def body_text(docx: bytes, *, file: str | None = None) -> str:
    """The report's body as text: every paragraph (with its visible number) but the title,
    subtitle and signature lines; empty paragraphs dropped."""
    return report_text(docx, file=file).body


def normalise(text: str) -> str:
    """What the comparison sees: no whitespace, every number (figure, year) a single 0."""
    return _NUMBER.sub("0", _SPACE.sub("", text))


@dataclass
class Doc:
    key: str
    grams: set[str]
    sentences: list[str]  # originals, in order; "" between paragraphs
    sentence_keys: list[str]  # normalised, "" between paragraphs
    ids: list[int] = field(default_factory=list)  # sentence ids (-1 between paragraphs)
    id_set: frozenset[int] = frozenset()
    ends: list[int] = field(default_factory=list)  # running character count, for passage lengths
    bits: int = 0
    size: int = 0
    passages: dict[tuple[bytes, int], list[str]] = field(default_factory=dict)


def make_doc(key: str, text: str) -> Doc:
    norm = normalise(text)
    grams = {norm[i:i + SHINGLE] for i in range(max(1, len(norm) - SHINGLE + 1))} if norm else set()
    sentences: list[str] = []
    for line in text.split("\n"):
        found = [m.group(0).strip() for m in _SENTENCE.finditer(line)]
        found = [sentence for sentence in found if sentence]
        if found:
            sentences += found
            sentences.append("")
    return Doc(key, grams, sentences, [normalise(sentence) for sentence in sentences], size=len(grams))


def index_docs(docs: list[Doc]) -> None:
    """Give every shingle that occurs in two or more texts a bit, and each text the int of its bits.

    A shingle found in one text only can never be shared, so it counts in the
    text's size but needs no bit; intersections are then one ``&`` and a
    ``bit_count`` per pair.
    """
    from collections import Counter

    counts: Counter[str] = Counter()
    sentence_ids: dict[str, int] = {"": -1}
    for doc in docs:
        counts.update(doc.grams)
        doc.ids = [sentence_ids.setdefault(key, len(sentence_ids)) for key in doc.sentence_keys]
        doc.id_set = frozenset(doc.ids) - {-1}
        total = 0
        doc.ends = [0]
        for sentence in doc.sentences:
            total += len(sentence)
            doc.ends.append(total)
    ids = {gram: number for number, gram in enumerate(g for g, c in counts.items() if c >= 2)}
    size = (len(ids) + 7) // 8
    for doc in docs:
        buffer = bytearray(size)
        for gram in doc.grams:
            bit = ids.get(gram)
            if bit is not None:
                buffer[bit >> 3] |= 1 << (bit & 7)
        doc.bits = int.from_bytes(buffer, "little")
        doc.grams = set()  # no longer needed


def _score(x: Doc, y: Doc) -> tuple[float, float]:
    """(Jaccard, containment) of the two shingle sets, exactly."""
    if not x.size or not y.size:
        return 0.0, 0.0
    common = (x.bits & y.bits).bit_count()
    return common / (x.size + y.size - common), common / min(x.size, y.size)


_RUN = re.compile(rb"\x01+")


def shared_passages(x: Doc, y: Doc, limit: int = SHARED_PASSAGES) -> list[str]:
    """The longest runs of consecutive sentences of ``x`` (within a paragraph) that ``y`` also has,
    worded as in ``x``."""
    import heapq

    flags = bytes(map(y.id_set.__contains__, x.ids))
    cached = x.passages.get((flags, limit))
    if cached is not None:
        return list(cached)
    ends = x.ends
    runs = [(ends[m.end()] - ends[m.start()], m.start(), m.end()) for m in _RUN.finditer(flags)]
    best = heapq.nlargest(limit, runs, key=lambda run: (run[0], -run[1]))
    found = ["".join(x.sentences[start:stop]) for _, start, stop in best]
    x.passages[(flags, limit)] = found  # texts built from one template share their patterns
    return list(found)


def similar_pair(x: Doc, y: Doc, threshold: float, last_year: bool) -> SimilarPair | None:
    small, large = sorted((x.size, y.size))
    if not large or small / large < threshold:  # Jaccard is at most the size ratio
        return None
    score, containment = _score(x, y)
    if score < threshold:
        return None
    return SimilarPair(x.key, y.key, round(score, 4), shared_passages(x, y), round(containment, 4), last_year)


def _pairing_keys(key: str) -> list[str]:
    """How a report is matched with last year's: its file stem, the stem without digits (years), the
    last part of the stem (usually the name, as in ``2022年度述职述廉报告-张三``)."""
    stem = Path(key).stem
    keys = [stem, _DIGIT.sub("", stem)]
    parts = [part for part in re.split(r"[-_—·\s]+", stem) if part]
    if len(parts) > 1:
        keys.append(parts[-1])
    return keys


def compare(texts: Mapping[str, str], *, threshold: float = SIMILARITY_THRESHOLD, against: Mapping[str, str] | None = None
            ) -> list[SimilarPair]:
    """Pairs scoring at least ``threshold``, highest first.

    Every pair within ``texts``, and each text against the texts of ``against`` that
    belong to the same person (same file stem, same stem without the year, or same last
    part of the stem).
    """
    docs = [make_doc(key, text) for key, text in texts.items()]
    old_docs = [make_doc(key, text) for key, text in (against or {}).items()]
    index_docs(docs + old_docs)
    pairs: list[SimilarPair] = []
    for i, doc in enumerate(docs):
        for other in docs[i + 1:]:
            found = similar_pair(doc, other, threshold, False)
            if found:
                pairs.append(found)
    if old_docs:
        index: dict[str, list[Doc]] = {}
        for old in old_docs:
            for pairing in dict.fromkeys(_pairing_keys(old.key)):
                index.setdefault(pairing, []).append(old)
        for doc in docs:
            matched: dict[str, Doc] = {}
            for pairing in _pairing_keys(doc.key):
                if pairing in index:
                    for old in index[pairing]:
                        matched.setdefault(old.key, old)
                    break
            for old in matched.values():
                found = similar_pair(doc, old, threshold, True)
                if found:
                    pairs.append(found)
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def _read_one(path: Path) -> tuple[str, ReportText | None, str | None]:
    from ..errors import InputError

    try:
        return str(path), report_text(path.read_bytes(), file=str(path)), None
    except InputError as exc:
        return str(path), None, exc.message
    except OSError as exc:
        return str(path), None, f"无法读取（{exc.strerror}）"


#: From this many reports on, reading is spread over worker processes.
PARALLEL_FROM = 40


def read_texts(paths: list[Path], *, jobs: int | None = None) -> list[tuple[str, ReportText | None, str | None]]:
    """``(path, text, error)`` for each report, in order; many files are read in worker processes
    (where ``fork`` is available), since reading is most of the cost of comparing a batch."""
    import multiprocessing
    import os

    workers = min(jobs or os.cpu_count() or 1, 8)
    if workers > 1 and len(paths) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor

        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                return list(pool.map(_read_one, paths, chunksize=max(1, len(paths) // (workers * 4))))
        except (OSError, RuntimeError):
            pass
    return [_read_one(path) for path in paths]


def read_reports(folder: Path, *, jobs: int | None = None) -> dict[str, str]:
    """``{path: body text}`` for the .docx files in ``folder`` (not its sub-folders, not ``~$`` lock files)."""
    from ..errors import InputError

    if not folder.is_dir():
        raise InputError("文件夹不存在", file=folder)
    paths = [p for p in sorted(folder.glob("*.docx")) if not p.name.startswith(("~$", "."))]
    texts: dict[str, str] = {}
    for key, text, error in read_texts(paths, jobs=jobs):
        if error is not None:
            raise InputError(error, file=key)
        texts[key] = text.body if text is not None else ""
    return texts


# ------------------------------------------------------------------ own figures


def _same(value: Any, other: Any) -> bool:
    if value is None or other is None:
        return False
    try:
        return float(str(value)) == float(str(other))
    except ValueError:
        return str(value).strip() == str(other).strip()


def no_own_figures(context: Mapping[str, Any], specs: Mapping[str, Any],
                   names: Iterable[str] | None = None, *, own: Mapping[str, Any] | None = None) -> str | None:
    """A warning when none of the figures in a report is the person's own.

    Two reports that differ only in name are the case reviewers punish; a
    report whose every figure is a default, an example copied from the library,
    or a value given to everybody (``--set``/``--vars``) is on its way there.
    ``specs`` are ``VarSpec`` (name → spec with ``type``, ``default``, ``example``);
    figures are the int/number variables present in ``context`` (only ``names`` when
    given, e.g. the variables of the snippets the person's report uses). ``own``,
    when given, holds the values from the person's own row: a figure counts as the
    person's only if it comes from there. ``None`` when at least one figure is the
    person's own, or when the report has no figures.
    """
    wanted = set(names) if names is not None else None
    figures = []
    for name, spec in specs.items():
        if getattr(spec, "type", None) not in ("int", "number") or name not in context:
            continue
        if wanted is not None and name not in wanted:
            continue
        figures.append((name, spec))
    if not figures:
        return None
    for name, spec in figures:
        if own is not None and name not in own:
            continue
        value = context[name]
        if not (_same(value, getattr(spec, "default", None)) or _same(value, getattr(spec, "example", None))):
            return None
    shown = "、".join(f"{getattr(spec, 'label', None) or name}={context[name]}" for name, spec in figures[:6])
    more = "等" if len(figures) > 6 else ""
    return (f"报告中的 {len(figures)} 个数字都不是本人的数据（全部来自默认值、示例值或所有人共用的值：{shown}{more}）；"
            "请在人员表中填写本人的实际数字")
