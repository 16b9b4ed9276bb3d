"""build/plancache.py: the keys a rerun finds the last build's plans under."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from assembler.build.fingerprint import canonical
from assembler.build.plancache import row_key
from assembler.load.people import PersonRow


def canonical_key(project: bytes, row: PersonRow) -> bytes:
    """The key as the cache's format defines it: the row's number, kind and canonical cells."""
    cells = json.dumps([row.row, row.kind, canonical(row.values)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(project + cells.encode("utf-8", "surrogatepass")).digest()


def test_a_row_of_plain_strings_gets_the_key_the_format_defines():
    """Rows of strings only (a CSV's) take a shorter path; the key must be the same bytes, or a
    cache written by one path would be missed by the other."""
    rows = [
        PersonRow(2, {"姓名": "张三", "年度": "2024", "备注": "", "z": "\ud800", "a": "x\ny"}),
        PersonRow(3, {"姓名": "李四", "年度": 2024, "日期": dt.date(2024, 3, 1), "空": None}),
        PersonRow(4, {"b": "1", "a": "2"}, kind="data"),
        PersonRow(5, {}),
    ]
    for row in rows:
        assert row_key(b"project", row) == canonical_key(b"project", row)
    assert row_key(b"project", rows[0]) != row_key(b"other", rows[0])
    assert row_key(b"project", PersonRow(2, {"a": "1"})) != row_key(b"project", PersonRow(2, {"a": 1}))
