"""spool.py: records on disk between the passes of a batch, read back as they were written."""

from __future__ import annotations

import pytest

from assembler.spool import Spool, SpooledList


def test_spool_gives_back_what_was_appended_in_order():
    with Spool() as spool:
        items = [(n, f"人员{n}", {"年度": 2024 + n % 3}) for n in range(500)]
        for item in items:
            spool.append(item)
        assert len(spool) == 500
        assert list(spool) == items
        assert list(spool) == items  # a second pass reads the same file again


def test_spooled_list_reads_copies_and_stores_changes_back():
    results = SpooledList([{"name": "张三", "status": "written"}, {"name": "李四", "status": "written"}])
    copy = results[1]
    copy["status"] = "failed"
    assert results[1]["status"] == "written"  # a read is a copy: unchanged until stored
    results[1] = copy
    assert [r["status"] for r in results] == ["written", "failed"]
    assert results[-1]["name"] == "李四"
    assert [r["name"] for r in results[0:2]] == ["张三", "李四"]
    results.append({"name": "王五", "status": "skipped"})
    assert len(results) == 3 and results[2]["status"] == "skipped"


def test_spooled_list_iteration_survives_writes_in_between():
    results = SpooledList(range(10))
    seen = []
    for position, value in enumerate(results):
        seen.append(value)
        results[position] = value * 10  # stored back while iterating, as add_pdfs does
    assert seen == list(range(10))
    assert list(results) == [n * 10 for n in range(10)]


def test_spooled_list_refuses_what_it_cannot_do():
    results = SpooledList([1, 2, 3])
    with pytest.raises(TypeError):
        del results[0]
    with pytest.raises(TypeError):
        results.insert(0, 9)
    with pytest.raises(TypeError):
        results[0:1] = [9]
    with pytest.raises(IndexError):
        results[3]
    assert list(results) == [1, 2, 3]


def test_results_are_counted_as_stored_and_read_back_only_after_a_change(monkeypatch):
    """``ResultList`` counts statuses and changes as results are stored, so a build of ten thousand
    says what it did without unpickling them all again; once a result is stored back (a PDF added),
    the counts are taken from the stored results."""
    from pathlib import Path

    from assembler.build.results import BatchResult, ReportResult, ResultList

    made = [ReportResult(row=n + 2, name=f"人员{n}", status=status, change=change)
            for n, (status, change) in enumerate([("written", "created"), ("skipped", "unchanged"),
                                                  ("failed", "updated"), ("written", "updated"),
                                                  ("skipped", "unchanged"), ("failed", None)])]
    stored = ResultList()
    for result in made:
        stored.append(result)
    batch = BatchResult(outdir=Path("."), reports=stored, warnings=[])
    plain = BatchResult(outdir=Path("."), reports=list(made), warnings=[])
    reads: list[int] = []
    real = ResultList._read
    monkeypatch.setattr(ResultList, "_read", lambda self, offset: reads.append(offset) or real(self, offset))
    assert batch.counts() == plain.counts() == {"written": 2, "skipped": 2, "failed": 2}
    assert batch.changes() == plain.changes() == {"created": 1, "updated": 1, "unchanged": 2, "protected": 0,
                                                  "kept": 0}
    assert reads == []
    changed = stored[1]
    changed.status = "written"
    stored[1] = changed
    reads.clear()
    assert batch.counts() == {"written": 3, "skipped": 1, "failed": 2} and len(reads) == 6
