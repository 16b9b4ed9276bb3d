"""Dates in the body: GB/T 9704-2012 (§7.3.5) and GB/T 15835-2011 write 2022年12月5日.

``2022.12.5``, ``2022-12-05`` and ``2022/12/5`` are forms from spreadsheets and
forms; in a report they are rewritten with 年月日 and no leading zeros. Only a
real calendar date with a four-digit year counts, standing on its own (not part
of a version number, a file name or a longer run of digits and dots).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator

from .findings import Document, Finding

_DATE = re.compile(r"((?:19|20)[0-9]{2})([./\-])([0-9]{1,2})\2([0-9]{1,2})")
_PROBE = re.compile(r"[12][09][0-9]{2}[./\-]")
_GLUED = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_./:\\")


def check(doc: Document) -> Iterator[Finding | None]:
    view = doc.view
    if not _PROBE.search(view):
        return
    for match in _DATE.finditer(view):
        start, end = match.span()
        sep = match.group(2)
        before = view[start - 1] if start else ""
        after = view[end] if end < len(view) else ""
        if before in _GLUED or after in _GLUED or before == sep or after == sep:
            continue
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
        try:
            _dt.date(year, month, day)
        except ValueError:
            continue
        new = f"{year}年{month}月{day}日"
        yield doc.finding("date.format", start, end, new,
                          f"日期写成了“{match.group(0)}”；GB/T 9704-2012 和 GB/T 15835-2011 的写法是“{new}”"
                          "（年份写全，月、日不加 0）", fixable=True)
