"""Where a report came from: the library's Git state, snippet hashes, and ``assembler explain``.

A finished report is a plain .docx that travels by e-mail and gets edited; what
stays with it are its custom document properties (File → Properties → Custom in
Word and Writer). The build stamps three there:

``assembler.snippets``        JSON list of ``{"id", "hash"}`` for the snippets the report used
``assembler.library_commit``  the library's ``git rev-parse HEAD`` (empty when not a Git repository)
``assembler.library_dirty``   ``true`` / ``false`` (empty when unknown): uncommitted changes at build time
``assembler.library``         the library folder, relative to the library's root (``library.location``)
``assembler.rules``           the rules file, relative to the same root
``assembler.library_remote``  the library's Git remote, without credentials (when there is one)

``explain`` turns each paragraph back into the snippet it came from by matching it
against every snippet paragraph turned into a regular expression (literal text,
``{{ … }}`` as a wildcard).

Writing and reading the properties themselves is ``ooxml.properties``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..load.rules import Rules
from ..load.snippets import Library
from ..numbering import NUMBER_PREFIX
from ..ooxml.names import STYLE_SIGNATURE, STYLE_SUBTITLE, STYLE_TITLE
from ..ooxml.properties import read_custom_properties

PROP_SNIPPETS = "assembler.snippets"
PROP_COMMIT = "assembler.library_commit"
PROP_DIRTY = "assembler.library_dirty"
PROP_LIBRARY = "assembler.library"
PROP_RULES = "assembler.rules"
PROP_REMOTE = "assembler.library_remote"


# ------------------------------------------------------------------ library state


@dataclass(frozen=True)
class LibraryState:
    """The library's Git commit and whether it had uncommitted changes; ``None`` when unknown."""

    commit: str | None
    dirty: bool | None


def git_output(root: Path, *args: str) -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def library_state(root: Path) -> LibraryState:
    """``git rev-parse HEAD`` and ``git status --porcelain -- .`` in ``root``;
    no Git or not a repository → None."""
    root = Path(root)
    if not root.is_dir():
        return LibraryState(None, None)
    head = git_output(root, "rev-parse", "HEAD")
    if head is None:
        return LibraryState(None, None)
    status = git_output(root, "status", "--porcelain", "--", ".")
    return LibraryState(head.strip() or None, None if status is None else bool(status.strip()))


def snippet_hash(snippet: object) -> str:
    """First 12 hex digits of the SHA-256 of the snippet file's text (line endings normalised).

    Accepts a ``Snippet`` (its ``path``) or a path. A file that can no longer be read
    hashes its parsed body instead, so the call never fails after a build.
    """
    path = Path(getattr(snippet, "path", snippet))  # type: ignore[arg-type]
    try:
        text = path.read_bytes().decode("utf-8-sig")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError):
        text = str(getattr(snippet, "body", ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass
class BatchProvenance:
    """What every report of one build records, worked out once for the batch.

    Asking Git and hashing the snippet files happens here, once; per report only
    the list of its snippets is put together (``snippets`` for manifest.json, beside
    ``ReportResult.library``; ``properties`` for the .docx), so provenance adds no Git
    call or file read to the per-person loop.
    """

    state: LibraryState
    library: str  # relative names and the remote: see ``library.location``
    rules: str | None
    hashes: dict[str, str]
    remote: str | None = None
    #: One item per (snippet, body), shared by every report that lists it: a batch keeps
    #: each report's provenance until its manifest is written.
    _items: dict[tuple[str, int | None], dict[str, object]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_library(cls, library: Library, ids: Iterable[str], *, rules: Path | None = None) -> BatchProvenance:
        wanted = dict.fromkeys(ids)
        hashes = {snippet_id: snippet_hash(library[snippet_id]) for snippet_id in wanted if snippet_id in library}
        from .location import locate

        where = locate(Path(library.root), rules)
        return cls(library_state(library.root), where.library, where.rules, hashes, where.remote)

    def snippets(self, ids: Iterable[str], variants: Mapping[str, int] | None = None) -> list[dict[str, object]]:
        """``[{"id", "hash"}]`` (and ``"variant"`` where the snippet has several bodies), in report order."""
        out: list[dict[str, object]] = []
        for snippet_id in ids:
            body = variants.get(snippet_id) if variants else None
            item = self._items.get((snippet_id, body))
            if item is None:
                item = {"id": snippet_id, "hash": self.hashes.get(snippet_id, "")}
                if body is not None:
                    item["variant"] = body
                self._items[(snippet_id, body)] = item
            out.append(item)
        return out

    def properties(self, ids: Iterable[str], variants: Mapping[str, int] | None = None) -> dict[str, str]:
        """The custom document properties of the report (see the module docstring)."""
        props = {
            PROP_SNIPPETS: json.dumps(self.snippets(ids, variants), ensure_ascii=False, separators=(",", ":")),
            PROP_COMMIT: self.state.commit or "",
            PROP_DIRTY: "" if self.state.dirty is None else ("true" if self.state.dirty else "false"),
            PROP_LIBRARY: self.library,
        }
        if self.rules is not None:
            props[PROP_RULES] = self.rules
        if self.remote:
            props[PROP_REMOTE] = self.remote
        return props


# ------------------------------------------------------------------ explain


@dataclass(frozen=True)
class Recorded:
    """What a report says about its own making (empty fields when it was not stamped)."""

    snippets: tuple[tuple[str, str], ...] = ()
    commit: str | None = None
    dirty: bool | None = None
    library: Path | None = None
    rules: Path | None = None

    @property
    def stamped(self) -> bool:
        return bool(self.snippets)


def recorded_provenance(docx: bytes) -> Recorded:
    props = read_custom_properties(docx)
    snippets: list[tuple[str, str]] = []
    if props.get(PROP_SNIPPETS):
        try:
            for item in json.loads(props[PROP_SNIPPETS]):
                snippets.append((str(item["id"]), str(item.get("hash", ""))))
        except (ValueError, TypeError, KeyError):
            snippets = []
    dirty_text = props.get(PROP_DIRTY, "")
    return Recorded(
        snippets=tuple(snippets),
        commit=props.get(PROP_COMMIT) or None,
        dirty=None if dirty_text not in ("true", "false") else dirty_text == "true",
        library=Path(props[PROP_LIBRARY]) if props.get(PROP_LIBRARY) else None,
        rules=Path(props[PROP_RULES]) if props.get(PROP_RULES) else None,
    )



_TOKEN = re.compile(r"(\{\{.*?\}\}|\{%-?\s*(\w+).*?%\}|\{#.*?#\})", re.DOTALL)


def pattern_source(template: str) -> tuple[str, int]:
    """A regular expression for what ``template`` renders to, and how many literal characters it pins.

    Literal text stays literal, ``{{ … }}`` becomes ``.+?``; inline ``{% if %}…{% endif %}``
    become optional groups (``elif``/``else`` alternatives), ``{% for %}`` a repeated group.
    """
    out: list[str] = []
    literal = 0
    depth: list[str] = []
    position = 0
    balanced = True
    for match in _TOKEN.finditer(template):
        text = template[position:match.start()]
        out.append(re.escape(text))
        literal += len(text.strip())
        position = match.end()
        token = match.group(1)
        if token.startswith("{{"):
            out.append(".+?")
        elif token.startswith("{%"):
            keyword = match.group(2) or ""
            if keyword in ("if", "for"):
                depth.append(keyword)
                out.append("(?:")
            elif keyword in ("elif", "else"):
                out.append("|" if depth else "")
                balanced = balanced and bool(depth)
            elif keyword in ("endif", "endfor"):
                if not depth:
                    balanced = False
                    continue
                opened = depth.pop()
                out.append(")?" if opened == "if" else ")*")
    tail = template[position:]
    out.append(re.escape(tail))
    literal += len(tail.strip())
    if not balanced or depth:
        flat = _TOKEN.sub("\0", template)
        return ".*?".join(re.escape(part) for part in flat.split("\0")), literal
    return "".join(out), literal


@dataclass
class _Candidate:
    kind: str  # heading | body | section | title | subtitle | signature
    snippet_id: str | None
    where: str
    regex: re.Pattern[str]
    weight: int


@dataclass
class ExplainedParagraph:
    index: int
    text: str
    kind: str | None
    snippet_id: str | None
    where: str | None


@dataclass
class Explanation:
    report: str
    recorded: Recorded
    paragraphs: list[ExplainedParagraph]
    changed: dict[str, str] = field(default_factory=dict)  # id → current hash, where it differs
    last_commits: dict[str, str] = field(default_factory=dict)  # id → commit that last changed it
    missing: list[str] = field(default_factory=list)  # recorded ids no longer in the library


def _candidates(rules: Rules | None, library: Library, chosen: set[str] | None) -> list[_Candidate]:
    out: list[_Candidate] = []

    def add(kind: str, snippet_id: str | None, where: str, template: str, lead: str | None = None) -> None:
        if not template.strip():
            return
        source, weight = pattern_source(template.strip())
        if lead is not None:
            lead_source, lead_weight = pattern_source(lead.strip())
            source, weight = lead_source + "[。：！]?" + source, weight + lead_weight
        try:
            out.append(_Candidate(kind, snippet_id, where, re.compile(source, re.DOTALL), weight))
        except re.error:
            return

    if rules is not None:
        add("title", None, f"{rules.path}: title", rules.title)
        if rules.subtitle:
            add("subtitle", None, f"{rules.path}: subtitle", rules.subtitle)
        for line in rules.signature:
            add("signature", None, f"{rules.path}: signature", line)
        for section in rules.sections:
            add("section", section.id, f"{rules.path}:{section.line}: 栏目 {section.id}", section.heading)
    for snippet in library.snippets.values():
        if chosen is not None and snippet.id not in chosen:
            continue
        where = _shown(snippet.path)
        if snippet.heading:
            add("heading", snippet.id, f"{where}:{snippet.lines.get('heading', 1)}", snippet.heading)
        for body in (snippet.paragraphs, *snippet.variants):
            first = True
            for para in body:
                if para.tag is not None:
                    continue
                add("body", snippet.id, f"{where}:{para.line}", para.text)
                if snippet.heading and first:
                    add("body", snippet.id, f"{where}:{para.line}", para.text, lead=snippet.heading)
                first = False
    return out


def _shown(path: Path) -> str:
    """A path as a reader in the current folder would type it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(Path(path).resolve())


_STYLE_OF = {"title": STYLE_TITLE, "subtitle": STYLE_SUBTITLE, "signature": STYLE_SIGNATURE}


def explain_report(docx: bytes, *, rules_path: Path | None = None, library_path: Path | None = None,
                   name: str = "report.docx") -> Explanation:
    """Which snippet (or rules line) each paragraph of ``docx`` came from."""
    from ..load.rules import load_rules
    from ..load.snippets import load_library
    from ..ooxml.text import docx_paragraphs

    recorded = recorded_provenance(docx)
    rules = None
    from .location import find_recorded

    recorded_rules, recorded_library = find_recorded(
        str(recorded.rules) if recorded.rules else None, str(recorded.library) if recorded.library else None,
        Path(name))
    if rules_path is None and library_path is None and recorded_rules and recorded_rules.is_file():
        rules_path = recorded_rules
    if rules_path is not None:
        rules = load_rules(Path(rules_path))
        library_root = rules.library
    elif library_path is not None:
        library_root = Path(library_path)
    elif recorded_library is not None:
        library_root = recorded_library
    else:
        raise InputError("报告中没有记录片段库的位置；请用 --rules 给出生成它的规则文件", file=name)
    library = load_library(library_root)
    chosen = {snippet_id for snippet_id, _ in recorded.snippets} or None
    candidates = _candidates(rules, library, chosen)
    paragraphs: list[ExplainedParagraph] = []
    for index, para in enumerate(docx_paragraphs(docx), start=1):
        text = para.text.strip()
        if not text:
            continue
        best: _Candidate | None = None
        for candidate in candidates:
            headings = candidate.kind in ("heading", "section")
            for variant in (text, NUMBER_PREFIX.sub("", text)) if headings else (text,):
                # a line with no literal text (``{{ name }}``) only counts where its style puts it
                allowed = candidate.weight > 0 or _STYLE_OF.get(candidate.kind) == para.style
                if allowed and candidate.regex.fullmatch(variant) and (
                        best is None or candidate.weight > best.weight):
                    best = candidate
        paragraphs.append(ExplainedParagraph(index=index, text=para.full, kind=best.kind if best else None,
                                             snippet_id=best.snippet_id if best else None,
                                             where=best.where if best else None))
    explanation = Explanation(report=name, recorded=recorded, paragraphs=paragraphs)
    for snippet_id, old_hash in recorded.snippets:
        if snippet_id not in library:
            explanation.missing.append(snippet_id)
            continue
        now = snippet_hash(library[snippet_id])
        if old_hash and now != old_hash:
            explanation.changed[snippet_id] = now
    if recorded.commit:
        used = {p.snippet_id for p in paragraphs if p.snippet_id and p.kind in ("heading", "body")}
        for snippet_id in sorted(used):
            path = library[snippet_id].path
            found = git_output(path.parent, "log", "-1", "--format=%H", recorded.commit, "--", path.name)
            if found and found.strip():
                explanation.last_commits[snippet_id] = found.strip()
    return explanation


_KIND_LABEL = {"title": "标题", "subtitle": "副标题", "signature": "落款", "section": "一级标题",
               "heading": "二级标题", "body": "正文"}


def format_explanation(explanation: Explanation, *, width: int = 24) -> list[str]:
    """The lines ``assembler explain`` prints."""
    rec = explanation.recorded
    lines: list[str] = []
    if rec.stamped:
        state = "未知" if rec.dirty is None else ("有未提交的修改" if rec.dirty else "无未提交的修改")
        lines.append(f"{explanation.report}：用了 {len(rec.snippets)} 个片段；"
                     f"片段库提交 {(rec.commit or '未知')[:12]}"
                     f"（生成时{state}）")
    else:
        lines.append(f"{explanation.report}：报告中没有来源记录，按片段库的全部片段匹配")
    for para in explanation.paragraphs:
        shown = para.text if len(para.text) <= width else para.text[:width] + "…"
        if para.kind is None:
            lines.append(f"第{para.index}段 {shown}  ← 未找到来源（手工改写或新增）")
            continue
        label = _KIND_LABEL.get(para.kind, para.kind)
        if para.kind in ("heading", "body"):
            extra = []
            if para.snippet_id in explanation.last_commits:
                extra.append(f"提交 {explanation.last_commits[para.snippet_id][:12]}")
            elif rec.commit:
                extra.append(f"提交 {rec.commit[:12]}")
            if para.snippet_id in explanation.changed:
                extra.append("片段此后已修改")
            suffix = f"（{'，'.join(extra)}）" if extra else ""
            lines.append(f"第{para.index}段 {shown}  ← {label} {para.snippet_id}：{para.where}{suffix}")
        else:
            lines.append(f"第{para.index}段 {shown}  ← {label}：{para.where}")
    if explanation.missing:
        lines.append(f"警告：这些片段已不在片段库中：{'、'.join(explanation.missing)}")
    if explanation.changed:
        lines.append(f"警告：这些片段在生成后修改过：{'、'.join(sorted(explanation.changed))}")
    return lines
