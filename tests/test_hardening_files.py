"""Bad input files: each gets ``错误：<file>…`` and exit 2, never a traceback, a hang or a memory blow-up.

Every case runs the real command (``assembler build`` or ``assembler render``) in-process
through click's test runner under a time and memory cap (``limits``), and checks the
exit code, that the message starts with ``错误：`` and names the file, and that no report
was written.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from fixtures.hostile.support import (
    PERSON,
    assert_clean_exit,
    assert_input_error,
    build_cli,
    copy_mini,
    docx_text,
    limits,
    run_cli,
    write_people,
)

SECONDS = 30
HEADERS = list(PERSON)


def _check(result, file: Path, out: Path) -> str:
    message = assert_input_error(result, file)
    assert not out.exists() or not list(out.glob("*.docx")), "nothing may be written for bad input"
    return message


def _build(lib: Path, people: Path, out: Path, *extra: str):
    with limits(seconds=SECONDS, memory=2 * 1024**3):
        return build_cli(lib, people, out, *extra)


@pytest.fixture()
def lib(tmp_path) -> Path:
    return copy_mini(tmp_path)


# ---------------------------------------------------------------- YAML bombs and tricks


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


YAML_ATTACKS: dict[str, str] = {
    "billion-laughs": billion_laughs(),
    "merge-key": "base: &b {title: x}\nother:\n  <<: *b\n",
    "deep-flow-nesting": "x: " + "[" * 20000 + "]" * 20000 + "\n",
    "deep-block-nesting": "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "v\n",
    "python-object": "title: !!python/object/apply:os.system ['touch MARKER']\n",
    "python-name": "title: !!python/name:os.system\n",
    "binary-garbage": "\x00\x01\x02title: [\n",
    "tab-indent": "title: x\nsections:\n\t- id: a\n",
    "not-utf8": None,  # written as GBK bytes below
    "huge-scalar": "title: \"" + "长" * 2_000_000 + "\"\n",
}


def _write_yaml_attack(path: Path, name: str) -> None:
    text = YAML_ATTACKS[name]
    if text is None:
        path.write_bytes("title: 年度报告\n单位: 青山镇\n".encode("gbk"))
    else:
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("attack", list(YAML_ATTACKS))
def test_yaml_attack_in_rules(lib, tmp_path, attack):
    rules = lib / "rules.yaml"
    _write_yaml_attack(rules, attack)
    people = write_people(tmp_path / "people.yaml", [PERSON])
    result = _build(lib, people, tmp_path / "out")
    if attack == "huge-scalar":
        # A valid but silly rules file: refused for what it lacks, with the file named.
        _check(result, rules, tmp_path / "out")
        return
    _check(result, rules, tmp_path / "out")
    assert not (Path.cwd() / "MARKER").exists()


@pytest.mark.parametrize("attack", [a for a in YAML_ATTACKS if a != "huge-scalar"])
def test_yaml_attack_in_snippet_front_matter(lib, tmp_path, attack):
    snippet = lib / "snippets" / "closing" / "submit.md"
    _write_yaml_attack(tmp_path / "front.yaml", attack)
    front = (tmp_path / "front.yaml").read_bytes()
    snippet.write_bytes(b"---\nid: closing.submit\n" + front + "\n---\n特此报告\n".encode())
    people = write_people(tmp_path / "people.yaml", [PERSON])
    _check(_build(lib, people, tmp_path / "out"), snippet, tmp_path / "out")


@pytest.mark.parametrize("attack", [a for a in YAML_ATTACKS if a != "huge-scalar"])
def test_yaml_attack_in_people_file(lib, tmp_path, attack):
    people = tmp_path / "people.yaml"
    _write_yaml_attack(people, attack)
    _check(_build(lib, people, tmp_path / "out"), people, tmp_path / "out")


@pytest.mark.parametrize("attack", ["billion-laughs", "merge-key", "deep-flow-nesting", "python-object"])
def test_yaml_attack_in_vars_file(lib, tmp_path, attack):
    people = write_people(tmp_path / "people.yaml", [PERSON])
    vars_file = tmp_path / "vars.yaml"
    _write_yaml_attack(vars_file, attack)
    _check(_build(lib, people, tmp_path / "out", "--vars", str(vars_file)), vars_file, tmp_path / "out")


def test_json_bombs_in_people_file(lib, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    _check(_build(lib, deep, tmp_path / "out"), deep, tmp_path / "out")
    duplicate = tmp_path / "dup.json"
    duplicate.write_text('[{"姓名": "甲", "姓名": "乙"}]', encoding="utf-8")
    _check(_build(lib, duplicate, tmp_path / "out"), duplicate, tmp_path / "out")
    not_list = tmp_path / "obj.json"
    not_list.write_text('{"姓名": "甲"}', encoding="utf-8")
    _check(_build(lib, not_list, tmp_path / "out"), not_list, tmp_path / "out")


# ---------------------------------------------------------------- spreadsheets


def _workbook(rows: list[list[object]], merges: tuple[str, ...] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Deflated:
    """A zip entry given as raw deflate data with its true size and CRC."""

    data: bytes
    size: int
    crc: int


BOMB_SIZE = 1024**3  # 1 GiB of spaces: ~5 MB deflated; far above any limit, quick to build
_SPACES: dict[int, tuple[bytes, int]] = {}


def _spaces(size: int) -> tuple[bytes, int]:
    """Raw deflate of ``size`` spaces (made once per session) and the CRC of the spaces."""
    if size not in _SPACES:
        compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        chunk = b" " * (1 << 20)
        pieces, crc, left = [], 0, size
        while left > 0:
            piece = chunk[: min(left, len(chunk))]
            pieces.append(compressor.compress(piece))
            crc = zlib.crc32(piece, crc)
            left -= len(piece)
        pieces.append(compressor.flush(zlib.Z_SYNC_FLUSH))
        _SPACES[size] = (b"".join(pieces), crc)
    return _SPACES[size]


def bomb(head: bytes, tail: bytes, size: int = BOMB_SIZE) -> Deflated:
    """``head`` + ``size`` spaces + ``tail`` as one honest deflate stream (sizes and CRC are true)."""
    body, _ = _spaces(size)
    first = zlib.compressobj(1, zlib.DEFLATED, -15)
    last = zlib.compressobj(1, zlib.DEFLATED, -15)
    data = first.compress(head) + first.flush(zlib.Z_SYNC_FLUSH) + body + last.compress(tail) + last.flush()
    crc = zlib.crc32(head)
    chunk = b" " * (1 << 20)
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(b" " * (size & ((1 << 20) - 1)), crc)
    return Deflated(data, len(head) + size + len(tail), zlib.crc32(tail, crc))


def _zip(entries: dict[str, bytes | Deflated]) -> bytes:
    """A plain zip; ``Deflated`` entries are written as given (no zip64: every entry is < 4 GB)."""
    out, directory = io.BytesIO(), []
    for name, payload in entries.items():
        if isinstance(payload, bytes):
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = compressor.compress(payload) + compressor.flush()
            payload = Deflated(data, len(payload), zlib.crc32(payload))
        encoded = name.encode("utf-8")
        offset = out.tell()
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x5021,
                              payload.crc, len(payload.data), payload.size, len(encoded), 0))
        out.write(encoded)
        out.write(payload.data)
        directory.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 8, 0, 0x5021,
                                     payload.crc, len(payload.data), payload.size, len(encoded),
                                     0, 0, 0, 0, 0o600 << 16, offset) + encoded)
    central = b"".join(directory)
    start = out.tell()
    out.write(central)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(directory), len(directory), len(central),
                          start, 0))
    return out.getvalue()


def _root_split(xml: bytes) -> int:
    """Index just after the root element's start tag."""
    match = re.search(rb"<[A-Za-z_][^>]*>", xml)
    assert match is not None
    return match.end()


def xlsx_bomb(part: str) -> bytes:
    """A real workbook whose ``part`` gets a gigabyte of whitespace after its root start tag."""
    good = zipfile.ZipFile(io.BytesIO(_workbook([HEADERS, list(PERSON.values())])))
    entries: dict[str, bytes | Deflated] = {name: good.read(name) for name in good.namelist()}
    if part == "xl/sharedStrings.xml":
        # openpyxl writes inline strings; give the workbook a shared-strings part as Excel does.
        entries[part] = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                         b'spreadsheetml/2006/main"><si><t>x</t></si></sst>')
        entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        entries["xl/_rels/workbook.xml.rels"] = entries["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    original = entries[part]
    assert isinstance(original, bytes)
    split = _root_split(original)
    entries[part] = bomb(original[:split], original[split:])
    return _zip(entries)


def _docx_bytes() -> bytes:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    return buffer.getvalue()


SPREADSHEETS: dict[str, Callable[[], bytes]] = {
    "empty-file": lambda: b"",
    "not-a-zip": lambda: "姓名,单位\n甲一,青山镇\n".encode(),
    "truncated": lambda: _workbook([HEADERS, list(PERSON.values())])[:1500],
    "random-bytes": lambda: bytes(range(256)) * 64,
    "docx-renamed": _docx_bytes,
    "zip-without-workbook": lambda: _zip({"hello.txt": b"hello"}),
    "header-only": lambda: _workbook([HEADERS]),
    "blank-sheet": lambda: _workbook([]),
    "duplicate-headers": lambda: _workbook([["姓名", "单位", "姓名"], ["甲一", "青山镇", "乙二"]]),
    "merged-header": lambda: _workbook([["姓名", "单位", "职务"], ["甲一", "青山镇", "副镇长"]], ("A1:B1",)),
    "merged-across-columns": lambda: _workbook([["姓名", "单位", "职务"], ["甲一", "青山镇", "副镇长"]],
                                               ("B2:C2",)),
    "sheet-zip-bomb": lambda: xlsx_bomb("xl/worksheets/sheet1.xml"),
    "shared-strings-bomb": lambda: xlsx_bomb("xl/sharedStrings.xml"),
    "styles-bomb": lambda: xlsx_bomb("xl/styles.xml"),
}


@pytest.mark.parametrize("case", list(SPREADSHEETS))
def test_bad_xlsx(lib, tmp_path, case):
    people = tmp_path / "people.xlsx"
    people.write_bytes(SPREADSHEETS[case]())
    if not case.endswith("bomb"):
        _check(_build(lib, people, tmp_path / "out"), people, tmp_path / "out")
        return
    # A bomb is refused up front: quickly and without inflating it (a people file is < 1 MB).
    started = time.monotonic()
    with limits(seconds=SECONDS, memory=512 * 1024**2):
        result = build_cli(lib, people, tmp_path / "out")
    assert time.monotonic() - started < 5, "the bomb was inflated instead of refused"
    message = _check(result, people, tmp_path / "out")
    # Refused for its size, not by luck (a MemoryError under this test's cap reads as "已损坏").
    assert "过大" in message, message


def test_vertical_merge_in_data_is_filled_down(lib, tmp_path):
    """Not an error: a 单位 cell merged over two people is that 单位 for both."""
    second = dict(PERSON, 姓名="乙二", 单位=None)
    people = tmp_path / "people.xlsx"
    people.write_bytes(_workbook([HEADERS, list(PERSON.values()), list(second.values())], ("C2:C3",)))
    result = _build(lib, people, tmp_path / "out", "--checklist", str(lib / "checklist.md"))
    assert_clean_exit(result)
    assert result.exit_code == 0, result.output
    assert "青山镇副镇长  乙二" in docx_text(tmp_path / "out" / "2022年度述职述廉报告-乙二.docx")


# ---------------------------------------------------------------- CSV


def _csv_text() -> str:
    return ",".join(HEADERS) + "\n" + ",".join(str(v) for v in PERSON.values()) + "\n"


CSVS: dict[str, Callable[[], bytes]] = {
    "empty-file": lambda: b"",
    "only-newlines": lambda: b"\r\n\n\r\n",
    "header-only": lambda: (",".join(HEADERS) + "\n").encode(),
    "duplicate-headers": lambda: "姓名,单位,姓名\n甲一,青山镇,乙二\n".encode(),
    "shift-jis": lambda: "名前,部署\n山田,総務\n".encode("shift_jis"),
    "euc-kr": lambda: "이름,부서\n김철수,총무\n".encode("euc_kr"),
    "latin-1": lambda: "Nom,Unité\nRenée,Café\n".encode("latin-1"),
    "binary": lambda: bytes(range(1, 256)) * 100,
    "xlsx-renamed": lambda: _workbook([HEADERS, list(PERSON.values())]),
    "unclosed-quote": lambda: ("姓名,单位\n\"甲一,青山镇\n" + "x" * 1000).encode(),
    "extra-columns": lambda: "姓名,单位\n甲一,青山镇,多余\n".encode(),
    "chinese-commas": lambda: "姓名，单位\n甲一，青山镇\n".encode(),
}


@pytest.mark.parametrize("case", list(CSVS))
def test_bad_csv(lib, tmp_path, case):
    people = tmp_path / "people.csv"
    people.write_bytes(CSVS[case]())
    _check(_build(lib, people, tmp_path / "out"), people, tmp_path / "out")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_csv_in_chinese_encodings_is_read(lib, tmp_path, encoding):
    people = tmp_path / "people.csv"
    people.write_bytes(_csv_text().encode(encoding))
    result = _build(lib, people, tmp_path / "out")
    assert_clean_exit(result)
    assert result.exit_code == 0, result.output
    assert "甲一" in docx_text(tmp_path / "out" / "2022年度述职述廉报告-甲一.docx")


def test_csv_with_a_nul_byte_is_utf8_not_utf16(lib, tmp_path):
    """A stray NUL in a UTF-8 file is a control character to drop (with a warning), not a sign of UTF-16."""
    people = tmp_path / "people.csv"
    people.write_bytes(_csv_text().replace("甲一", "甲\x00一").encode())
    result = _build(lib, people, tmp_path / "out")
    assert_clean_exit(result)
    assert result.exit_code == 0, result.output
    assert "U+0000" in result.output and "已删除" in result.output
    assert "青山镇副镇长  甲一" in docx_text(tmp_path / "out" / "2022年度述职述廉报告-甲一.docx")


# ---------------------------------------------------------------- people files of other kinds


@pytest.mark.parametrize(("name", "content"), [
    ("people.yaml", b""),
    ("people.yaml", b"[]\n"),
    ("people.yaml", b"- \xe5\xa7\x93\xe5\x90\x8d: [1\n"),
    ("people.json", b""),
    ("people.json", b"[]"),
    ("people.json", b"[{\"\xe5\xa7\x93\xe5\x90\x8d\": "),
    ("people.json", b"\xff\xfe{\x00"),
    ("people.txt", b"\xe5\xa7\x93\xe5\x90\x8d\n"),
    ("people.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
    ("people", b"\xe5\xa7\x93\xe5\x90\x8d,x\n"),
])
def test_bad_people_file_of_other_kinds(lib, tmp_path, name, content):
    people = tmp_path / name
    people.write_bytes(content)
    _check(_build(lib, people, tmp_path / "out"), people, tmp_path / "out")


def test_people_path_that_is_a_folder_or_missing(lib, tmp_path):
    folder = tmp_path / "people.xlsx"
    folder.mkdir()
    _check(_build(lib, folder, tmp_path / "out"), folder, tmp_path / "out")
    missing = tmp_path / "nobody.xlsx"
    _check(_build(lib, missing, tmp_path / "out"), missing, tmp_path / "out")


# ---------------------------------------------------------------- Word templates


def _docx_with(document: bytes | Deflated | None) -> bytes:
    good = zipfile.ZipFile(io.BytesIO(_docx_bytes()))
    entries: dict[str, bytes | Deflated] = {name: good.read(name) for name in good.namelist()}
    if document is None:
        del entries["word/document.xml"]
    else:
        entries["word/document.xml"] = document
    return _zip(entries)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"""
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY a0 "lollollollollollollollollollol">'
          + b"".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">'.encode() for i in range(1, 10))
          + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
          + b"<w:body><w:p><w:r><w:t>&a9;</w:t></w:r></w:p></w:body></w:document>")

DOCXS: dict[str, Callable[[], bytes]] = {
    "empty-file": lambda: b"",
    "not-a-zip": lambda: b"<w:document/>",
    "truncated": lambda: _docx_bytes()[:3000],
    "xlsx-renamed": lambda: _workbook([HEADERS]),
    "no-document-part": lambda: _docx_with(None),
    "broken-xml": lambda: _docx_with(b"<w:document><w:body><w:p>"),
    "not-xml": lambda: _docx_with(b"\x00\x01\x02 not xml"),
    "xxe": lambda: _docx_with(XXE),
    "billion-laughs": lambda: _docx_with(LAUGHS),
    "zip-bomb": lambda: _docx_with(bomb(b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
                                        b'wordprocessingml/2006/main">', b"</w:document>")),
}


@pytest.mark.parametrize("case", list(DOCXS))
def test_bad_template_for_render(lib, tmp_path, case):
    template = tmp_path / "template.docx"
    template.write_bytes(DOCXS[case]())
    people = write_people(tmp_path / "people.yaml", [PERSON])
    out = tmp_path / "out"
    with limits(seconds=SECONDS, memory=2 * 1024**3):
        result = run_cli("render", template, "--people", people, "-o", out)
    message = _check(result, template, out)
    assert "root:" not in message
    if case == "zip-bomb":
        assert "过大" in message, message


@pytest.mark.parametrize("case", list(DOCXS))
def test_bad_base_template_in_rules(lib, tmp_path, case):
    base = lib / "base.docx"
    base.write_bytes(DOCXS[case]())
    rules = yaml.safe_load((lib / "rules.yaml").read_text(encoding="utf-8"))
    rules["base_template"] = "base.docx"
    (lib / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    people = write_people(tmp_path / "people.yaml", [PERSON])
    message = _check(_build(lib, people, tmp_path / "out"), base, tmp_path / "out")
    assert "root:" not in message


# ---------------------------------------------------------------- other inputs of the build


@pytest.mark.parametrize(("target", "content"), [
    ("checklist.md", b"\xff\xfe\x00garbage"),
    ("checklist.md", b""),
    ("checklist.md", b"- [x]\n"),
    ("snippets/closing/submit.md", b""),
    ("snippets/closing/submit.md", b"\xff\xfe\x00\x01"),
    ("snippets/closing/submit.md", b"---\nid: closing.submit\n"),
    ("snippets/closing/submit.md", "---\nid: closing.submit\n---\n{{ 未闭合\n".encode()),
    ("snippets/closing/submit.md", ("---\nid: closing.submit\n---\n" + "{% if x %}" * 300 + "y"
                                    + "{% endif %}" * 300 + "\n").encode()),
    ("snippets/closing/submit.md", ("---\nid: closing.submit\n---\n{{ " + "(" * 3000 + "1"
                                    + ")" * 3000 + " }}\n").encode()),
    ("rules.yaml", b""),
    ("rules.yaml", b"- just\n- a list\n"),
])
def test_bad_library_files(lib, tmp_path, target, content):
    path = lib / target
    path.write_bytes(content)
    people = write_people(tmp_path / "people.yaml", [PERSON])
    _check(_build(lib, people, tmp_path / "out"), path, tmp_path / "out")


def test_the_issue_checklist_is_covered():
    """Every kind of bad file the hardening issue lists has a case above."""
    assert {"billion-laughs", "merge-key", "deep-flow-nesting"} <= set(YAML_ATTACKS)
    assert {"empty-file", "not-a-zip", "truncated", "docx-renamed", "header-only", "duplicate-headers",
            "merged-header", "merged-across-columns", "sheet-zip-bomb",
            "shared-strings-bomb"} <= set(SPREADSHEETS)
    assert {"empty-file", "header-only", "duplicate-headers", "shift-jis", "euc-kr", "latin-1",
            "xlsx-renamed"} <= set(CSVS)
    assert {"empty-file", "not-a-zip", "truncated", "xlsx-renamed", "zip-bomb", "xxe",
            "billion-laughs"} <= set(DOCXS)
