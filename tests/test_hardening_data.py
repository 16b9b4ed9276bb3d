# ruff: noqa: E501 - tables of payloads read best one per line
"""People's values are data: fuzzed with arbitrary Unicode in every field of the people file.

Hypothesis writes people files (JSON, which can carry any code point including lone
surrogates and control characters; CSV; Excel) with hostile text in every column:
control characters, lone surrogates, bidi marks, very long values, XML-looking text,
Jinja-looking text such as ``{{ 1+1 }}``. Each batch is built in-process
(``pipeline.build``, one process) and every person must end one of two ways:

* a report that python-docx opens, whose text shows the person's text values literally
  (``{{ 1+1 }}`` stays ``{{ 1+1 }}``), minus only the characters XML cannot hold; or
* that person alone fails with a Chinese message (and has no report).

Every generated value is counted; the suite asserts the total it promises
(``MIN_VALUES``) and prints it (see docs/hardening.md).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from assembler import pipeline
from assembler.load.values import clean_text
from assembler.output import safe_filename
from fixtures.hostile.support import CJK, MINI, PERSON, docx_text, limits

COUNTS: Counter[str] = Counter()
#: Values each test must have generated in one run (the sum is the suite's promise).
MIN_VALUES = {"json": 6000, "csv": 3000, "xlsx": 1000, "common": 300}

TOKENS = [
    "{{ 1+1 }}", "{{1+1}}", "{% if true %}是{% endif %}", "{# 注释 #}", "{%p if x %}", "{{r x }}", "{_{", "}_}",
    "{_%", "%_}", "${x}", "<w:p>", "</w:t></w:r></w:p>", "<![CDATA[", "]]>", "&amp;", "&lt;", "&#0;", "&#x1;",
    "\u202e", "\u202d", "\u200f", "\u200e", "\u2066", "\u2069", "\ufeff", "\u200b", "\u00ad", "\x00", "\x07",
    "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ud800", "\udfff", "\ud83d", "\ufffe", "\uffff",
    "\r\n", "\r", "\n", "\t", "  ", "👨‍👩‍👧‍👦", "é", "e\u0301", "\U0010ffff", "\U0001d11e", "CON", "NUL.txt",
    "../../etc/passwd", "C:\\Windows\\", "..", ".", "张三&李四<测试>", "'", '"', "\\", "%s", "{0}", "%(x)s",
    "=1+1", "@SUM(A1)", "+duties.grid", "-theory.study", "是", "否", "2022年13月40日", "1e309", "NaN",
]
ALL_CHARS = st.characters(exclude_categories=())  # every code point, lone surrogates included
TEXT = st.lists(st.one_of(st.text(ALL_CHARS, min_size=1, max_size=12), st.sampled_from(TOKENS)), min_size=1,
               max_size=6).map("".join)
LONG = st.builds(lambda unit, n: (unit or "长") * n, st.text(ALL_CHARS, min_size=1, max_size=3),
                 st.integers(1000, 20000))
JSON_VALUE = st.one_of(
    TEXT, TEXT, TEXT, LONG,
    st.integers(-10**30, 10**30), st.floats(), st.booleans(), st.none(),
    st.lists(TEXT, max_size=3), st.dictionaries(st.text(max_size=3), TEXT, max_size=2),
)
#: Columns of the mini library's people file whose value is printed as text.
TEXT_FIELDS = {"姓名": "name", "单位": "unit", "职务": "post"}


@pytest.fixture(scope="module", autouse=True)
def fuzz_total(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """After the module: the number of generated values, on the terminal (even without -s) and in a file."""
    yield
    kinds = [kind for kind in MIN_VALUES if COUNTS[kind]]
    if not kinds:
        return
    total = sum(COUNTS[kind] for kind in kinds)
    line = (f"hardening: {total} fuzzed people values ("
            + ", ".join(f"{kind} {COUNTS[kind]}" for kind in kinds)
            + f"); people {COUNTS['people written']} written, {COUNTS['people failed']} failed with a message")
    (tmp_path_factory.getbasetemp() / "hardening-fuzz-count.txt").write_text(line + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


@pytest.fixture(scope="module")
def project() -> pipeline.Project:
    return pipeline.load_project(MINI / "rules.yaml", MINI / "checklist.md")


def _visible(text: str) -> str:
    """What a reader compares: no whitespace (tabs and line breaks become w:tab and w:br), NFC."""
    return re.sub(r"\s", "", unicodedata.normalize("NFC", text))


def _expected_text(raw: Any) -> str | None:
    """The text a text column shows in the report, or None when it is not plain text."""
    if not isinstance(raw, str):
        return None
    return clean_text(raw.strip())[0]


def _check_batch(project: pipeline.Project, people: Path, rows: list[dict[str, Any]], out: Path) -> None:
    with limits(seconds=120):
        batch = pipeline.build(project, people, out, jobs=1, force=True)
    assert len(batch.reports) == len(rows)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["reports"]] == [r.status for r in batch.reports]
    for report, row in zip(batch.reports, rows, strict=True):
        COUNTS[f"people {report.status}"] += 1
        if report.status == "failed":
            assert report.errors, report
            assert all(CJK.search(error) for error in report.errors), report.errors
            assert report.file is None or not report.file.exists()
            continue
        assert report.status == "written", report
        assert report.file is not None and report.file.parent == out
        assert report.file.name == safe_filename(report.file.stem) + ".docx"
        text = _visible(docx_text(report.file))
        for column in TEXT_FIELDS:
            expected = _expected_text(row.get(column))
            if expected:
                assert _visible(expected) in text, (column, row.get(column), text[:300])


def _run_counted(kind: str, fuzz: Any, project: pipeline.Project, tmp_path_factory: Any) -> None:
    """Run a Hypothesis test and check how many values it generated (printed for docs/hardening.md)."""
    before = COUNTS[kind]
    fuzz(project, tmp_path_factory)
    made = COUNTS[kind] - before
    print(f"fuzzed {kind} values: {made}; people so far: {COUNTS['people written']} written, "
          f"{COUNTS['people failed']} failed")
    assert made >= MIN_VALUES[kind], f"only {made} {kind} values were generated"


#: Columns printed as text: a person is either fuzzed in these only (so that many reports are
#: written and their text can be checked) or in every column, each one time in two.
OFTEN = {"姓名", "单位", "职务", "分管工作", "网格村"}


def _row(draw: st.DrawFn, value: st.SearchStrategy[Any], kind: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    texts_only = draw(st.booleans())
    for column in [*PERSON, "选稿"]:
        fuzz = column in OFTEN if texts_only else draw(st.booleans())
        if fuzz:
            row[column] = draw(value)
            COUNTS[kind] += 1
        else:
            row[column] = PERSON.get(column, "")
    return row


@st.composite
def json_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [_row(draw, JSON_VALUE, "json") for _ in range(draw(st.integers(1, 4)))]


@settings(max_examples=500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rows=json_rows())
@example(rows=[{**PERSON, "选稿": "", "姓名": "\ud800\udc00"}])  # found by the fuzzer: an escaped surrogate pair
def _fuzz_json(project, tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("json")
    people = folder / "people.json"
    text = json.dumps(rows, ensure_ascii=True)
    people.write_text(text, encoding="utf-8")
    # The oracle is the file as any JSON reader sees it: escaped surrogate pairs join into one character.
    _check_batch(project, people, json.loads(text), folder / "out")


def test_fuzzed_json_people(project, tmp_path_factory):
    _run_counted("json", _fuzz_json, project, tmp_path_factory)


CSV_TEXT = st.lists(st.one_of(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
                              st.sampled_from([t for t in TOKENS if not re.search("[\ud800-\udfff]", t)])),
                    min_size=1, max_size=6).map("".join)


@st.composite
def csv_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [_row(draw, CSV_TEXT, "csv") for _ in range(draw(st.integers(1, 4)))]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    import csv

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow(["" if v is None else v for v in row.values()])
    return buffer.getvalue().encode("utf-8")


def _as_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a table cell holds after a round trip through text (CSV): strings."""
    return [{k: ("" if v is None else str(v)) for k, v in row.items()} for row in rows]


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rows=csv_rows())
def _fuzz_csv(project, tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("csv")
    people = folder / "people.csv"
    people.write_bytes(_csv(rows))
    try:
        _check_batch(project, people, _as_table(rows), folder / "out")
    except Exception as exc:  # a whole-file refusal is allowed only as an InputError with a message
        from assembler.errors import InputError

        if not isinstance(exc, InputError):
            raise
        assert CJK.search(exc.message) and str(people) in exc.format()


def test_fuzzed_csv_people(project, tmp_path_factory):
    _run_counted("csv", _fuzz_csv, project, tmp_path_factory)


XLSX_TEXT = CSV_TEXT.map(lambda s: re.sub("[\ufffe\uffff]", "", ILLEGAL_CHARACTERS_RE.sub("", s)))  # Excel can't hold them


@st.composite
def xlsx_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [_row(draw, st.one_of(XLSX_TEXT, st.integers(-10**12, 10**12), st.floats(allow_nan=False,
                                                                                       allow_infinity=False)),
                 "xlsx") for _ in range(draw(st.integers(1, 4)))]


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rows=xlsx_rows())
def _fuzz_xlsx(project, tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("xlsx")
    people = folder / "people.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append([v[:32767] if isinstance(v, str) else v for v in row.values()])
    book.save(people)
    table = [{k: (v[:32767] if isinstance(v, str) else v) for k, v in row.items()} for row in rows]
    _check_batch(project, people, table, folder / "out")


def test_fuzzed_xlsx_people(project, tmp_path_factory):
    _run_counted("xlsx", _fuzz_xlsx, project, tmp_path_factory)


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.lists(TEXT, min_size=3, max_size=3))
def _fuzz_common(project, tmp_path_factory, values):
    """``--set``: the same hostile text for everybody (unit, post and name from the command line)."""
    COUNTS["common"] += len(values)
    folder = tmp_path_factory.mktemp("common")
    people = folder / "people.json"
    person = {k: v for k, v in PERSON.items() if k not in TEXT_FIELDS}
    people.write_text(json.dumps([person], ensure_ascii=True), encoding="utf-8")
    common = dict(zip(TEXT_FIELDS.values(), values, strict=True))
    with limits(seconds=60):
        batch = pipeline.build(project, people, folder / "out", jobs=1, force=True, common=common)
    [report] = batch.reports
    if report.status == "failed":
        assert report.errors and all(CJK.search(e) for e in report.errors)
        return
    text = _visible(docx_text(report.file))
    for value in values:
        expected = clean_text(value.strip())[0]
        if expected:
            assert _visible(expected) in text


def test_fuzzed_common_values_for_every_person(project, tmp_path_factory):
    _run_counted("common", _fuzz_common, project, tmp_path_factory)


def test_the_promised_total_is_at_least_ten_thousand():
    assert sum(MIN_VALUES.values()) >= 10_000


@pytest.mark.parametrize("value", ["{{ 1+1 }}", "{% for i in range(9) %}x{% endfor %}", "{_{ x }_}",
                                   "</w:t></w:r><w:r><w:t>", "\u202e\u202dRTL", "张\x00三\ud800"])
def test_value_shows_literally(project, tmp_path, value):
    people = tmp_path / "people.json"
    people.write_text(json.dumps([dict(PERSON, 单位=value)], ensure_ascii=True), encoding="utf-8")
    batch = pipeline.build(project, people, tmp_path / "out", jobs=1)
    [report] = batch.reports
    assert report.status == "written", report.errors
    text = docx_text(report.file)
    assert clean_text(value)[0] + "副镇长  甲一" in text
