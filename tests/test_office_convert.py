"""PDF and page images through a real LibreOffice: content, atomic output, bad inputs.

The office tests need soffice and ``import uno`` (the system Python or a venv made from it with
--system-site-packages); the first two tests run anywhere.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assembler.errors import OfficeError

REPO = Path(__file__).resolve().parents[1]


def make_docx(path: Path, marker: str, paragraphs: int = 12) -> Path:
    """A small Chinese report whose every page carries ``marker`` (so text from another file is caught)."""
    import docx

    document = docx.Document()
    document.add_heading(f"2022年度述职述廉报告（{marker}）", level=1)
    for number in range(paragraphs):
        document.add_paragraph(f"{marker}：第{number + 1}段，坚持以习近平新时代中国特色社会主义思想为指导，"
                               "认真履行岗位职责，扎实推进各项工作。" * 3)
    document.save(str(path))
    return path


def pdf_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(pdf)) as opened:
        return "".join((page.extract_text() or "") for page in opened.pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


def leftovers(pids, sessions) -> list[int]:
    """Processes alive among ``pids`` or in ``sessions``, killed here so that a failing test leaks none."""
    from assembler.office.process import pid_alive, session_members

    alive = {pid for pid in pids if pid_alive(pid)}
    for session in sessions:
        alive.update(session_members(session))
    for session in sessions:
        with contextlib.suppress(OSError):
            os.killpg(session, signal.SIGKILL)
    return sorted(alive)


@pytest.fixture(autouse=True)
def no_stray_offices(monkeypatch):
    """Every pool a test makes (also inside convert_to_pdf) must leave no process behind."""
    from assembler.office import OfficePool

    pools: list[OfficePool] = []
    real_init = OfficePool.__init__

    def init(self, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        pools.append(self)

    monkeypatch.setattr(OfficePool, "__init__", init)
    yield pools
    left = [pid for pool in pools for pid in leftovers(pool.started_pids, pool.sessions)]
    assert left == [], f"LibreOffice processes left running: {left}"


# ------------------------------------------------------------------ without LibreOffice


def test_package_imports_without_uno_and_explains_what_to_install(tmp_path):
    """In a Python without ``uno`` the package imports, and asking for PDFs names the install command."""
    code = (
        "import sys; sys.modules['uno'] = None\n"  # makes `import uno` fail like in a pyenv Python
        "import assembler.office as office\n"
        "assert 'uno' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "print(office.office_available())\n"
        "try:\n"
        "    office.require_office()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc.exit_code, exc.message)\n"
        "try:\n"
        f"    office.convert_to_pdf([{str(tmp_path / 'a.docx')!r}])\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "False"
    assert lines[1].startswith("OfficeError 2 ")
    assert "sudo apt-get install libreoffice-writer-nogui python3-uno" in lines[1]
    assert lines[2] == "OfficeError"


def test_missing_soffice_is_an_office_error(monkeypatch):
    from assembler.office import process

    monkeypatch.setenv("ASSEMBLER_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(OfficeError) as caught:
        process.require_office()
    assert caught.value.exit_code == 2
    assert "未找到 LibreOffice" in caught.value.message
    assert process.INSTALL_HINT in caught.value.message


def test_offices_get_the_font_environment_and_their_own_tmpdir(tmp_path, monkeypatch):
    """soffice runs with what fonts.office_env() gives (fontconfig mapping) and TMPDIR in its folder."""
    import types

    from assembler.office import process

    fake = types.ModuleType("assembler.office.fonts")
    fake.office_env = lambda base=None: {**(base or {}), "FONTCONFIG_FILE": "/fonts.conf"}
    monkeypatch.setitem(sys.modules, "assembler.office.fonts", fake)
    env = process.office_environment(tmp_path)
    assert env["FONTCONFIG_FILE"] == "/fonts.conf"
    assert env["TMPDIR"] == str(tmp_path)
    assert env["PATH"] == os.environ["PATH"]


# ------------------------------------------------------------------ with LibreOffice


@pytest.mark.office
def test_pdfs_beside_inputs_hold_their_own_chinese_text(tmp_path):
    from assembler.office import convert_to_pdf

    markers = ["张三同志", "李四同志", "王五同志"]
    inputs = [make_docx(tmp_path / f"报告-{marker}.docx", marker) for marker in markers]
    seen: list[tuple[int, int]] = []
    results = convert_to_pdf(inputs, jobs=2, timeout=60,
                             progress=lambda done, total: seen.append((done, total)))

    assert [result.source for result in results] == inputs
    assert seen[-1] == (3, 3) and [done for done, _ in seen] == sorted(done for done, _ in seen)
    for result, marker in zip(results, markers, strict=True):
        assert result.error is None
        assert result.pdf == result.source.with_suffix(".pdf")
        assert result.pdf.read_bytes().startswith(b"%PDF-")
        text = squeeze(pdf_text(result.pdf))
        assert f"2022年度述职述廉报告（{marker}）" in text
        assert f"{marker}：第12段" in text
        assert not any(other in text for other in markers if other != marker)
    # nothing but the inputs and their PDFs: no temporary or half-written files
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [path.name for path in inputs] + [path.with_suffix(".pdf").name for path in inputs])


@pytest.mark.office
def test_outdir_and_an_existing_pdf_is_replaced(tmp_path):
    from assembler.office import convert_to_pdf

    source = make_docx(tmp_path / "a.docx", "赵六同志")
    outdir = tmp_path / "pdf" / "sub"
    outdir.mkdir(parents=True)
    (outdir / "a.pdf").write_bytes(b"old")
    [result] = convert_to_pdf([source], jobs=1, outdir=outdir)
    assert result.pdf == outdir / "a.pdf"
    assert "赵六同志" in squeeze(pdf_text(result.pdf))
    assert not (tmp_path / "a.pdf").exists()
    assert [path.name for path in outdir.iterdir()] == ["a.pdf"]


@pytest.mark.office
def test_corrupt_documents_fail_alone(tmp_path):
    from assembler.office import convert_to_pdf

    good = [make_docx(tmp_path / f"good{n}.docx", f"好文档{n}号") for n in range(3)]
    random_bytes = tmp_path / "random.docx"
    random_bytes.write_bytes(os.urandom(20_000))
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good[0].read_bytes()[:3000])
    missing = tmp_path / "missing.docx"
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    old_format = tmp_path / "random.doc"  # no zip to check: LibreOffice itself must refuse it
    old_format.write_bytes(os.urandom(20_000))
    inputs = [good[0], random_bytes, good[1], truncated, missing, empty, old_format, good[2]]

    results = convert_to_pdf(inputs, jobs=2, timeout=60)

    by_name = {result.source.name: result for result in results}
    for n, path in enumerate(good):
        assert by_name[path.name].error is None
        assert f"好文档{n}号" in squeeze(pdf_text(by_name[path.name].pdf))
    for bad in ("random.docx", "truncated.docx", "missing.docx", "empty.docx", "random.doc"):
        assert by_name[bad].pdf is None
        assert by_name[bad].error
    assert not (tmp_path / "random.pdf").exists() and not (tmp_path / "truncated.pdf").exists()
    assert not (tmp_path / "empty.pdf").exists()
    assert "损坏" in by_name["random.docx"].error
    assert "损坏" in by_name["truncated.docx"].error
    assert "纯文本" in by_name["random.doc"].error  # refused after LibreOffice opened it as text
    assert "为空" in by_name["empty.docx"].error
    assert by_name["missing.docx"].error == "文件不存在"
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.office
def test_two_inputs_for_one_pdf_do_not_race(tmp_path):
    from assembler.office import convert_to_pdf

    docx_file = make_docx(tmp_path / "same.docx", "同名文件")
    other = tmp_path / "same.odt"
    other.write_bytes(b"PK\x03\x04" + bytes(100))  # never opened: it would write the same same.pdf
    first, second = convert_to_pdf([docx_file, other], jobs=2)
    assert first.pdf == tmp_path / "same.pdf"
    assert second.pdf is None and "同一个 PDF" in (second.error or "")


@pytest.mark.office
def test_pdf_to_png_pages_in_order(tmp_path):
    from assembler.office import convert_to_pdf, pdf_to_png

    source = make_docx(tmp_path / "long.docx", "多页报告", paragraphs=60)
    [result] = convert_to_pdf([source], jobs=1)
    assert result.pdf is not None
    import pdfplumber

    with pdfplumber.open(str(result.pdf)) as opened:
        pages = len(opened.pages)
        size = (round(opened.pages[0].width * 50 / 72), round(opened.pages[0].height * 50 / 72))
    assert pages >= 2

    images = pdf_to_png(result.pdf, tmp_path / "png", dpi=50)

    assert len(images) == pages
    assert [image.name for image in images] == sorted(image.name for image in images)
    assert images[0].name.startswith("long-") and images[0].suffix == ".png"
    for image in images:
        header = image.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert abs(width - size[0]) <= 1 and abs(height - size[1]) <= 1  # the page at 50 dpi
    assert sorted(path.name for path in (tmp_path / "png").iterdir()) == [image.name for image in images]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_pdf_to_png_reports_a_bad_pdf(tmp_path):
    from assembler.office import pdf_to_png

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(OfficeError) as caught:
        pdf_to_png(bad, tmp_path / "png")
    assert "无法把 PDF 转成图片" in caught.value.message
    assert not list((tmp_path / "png").iterdir())


# ------------------------------------------------------------------ the commands, with a terminal


def cli_env(tmpdir: Path) -> dict[str, str]:
    """The environment for ``assembler`` in a subprocess: this checkout's package, a private TMPDIR."""
    return {**os.environ, "TMPDIR": str(tmpdir),
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}


def run_with_terminal(args: list[str], env: dict[str, str], timeout: float = 240) -> tuple[int, str, str]:
    """Run ``assembler ARGS`` with stderr on a pseudo-terminal (so progress bars draw); exit, stdout, stderr."""
    import pty
    import threading

    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.Popen([sys.executable, "-c", "from assembler.cli import run; run()", *args],
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env, cwd=REPO)
    os.close(slave)
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, out.decode("utf-8", errors="replace"), b"".join(chunks).decode("utf-8", errors="replace")


def office_pids_under(folder: Path) -> set[int]:
    """soffice/oosplash processes whose profile lies under ``folder`` (how a subprocess's offices are found)."""
    found: set[int] = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in text and "soffice" in text:
            found.add(int(cmdline.parent.name))
    return found


@pytest.mark.office
def test_build_pdf_gives_each_person_a_pdf_and_shows_progress(tmp_path):
    """``assembler build …/sample-v1/examples/rules.yaml … --pdf``: one PDF per person, holding that person's report."""
    import json

    private = tmp_path / "tmp"
    private.mkdir()
    out = tmp_path / "out"
    examples = REPO / "tests" / "fixtures" / "sample-v1" / "examples"
    code, stdout, stderr = run_with_terminal(
        ["build", str(examples / "rules.yaml"), "--people", str(examples / "people.xlsx"),
         "--checklist", str(examples / "checklist.md"), "--vars", str(examples / "vars.yaml"),
         "-o", str(out), "--pdf", "--jobs", "2"], cli_env(private))

    assert code == 0, stdout + stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reports = manifest["reports"]
    assert len(reports) == 7
    docx_files = sorted(out.glob("*.docx"))
    pdf_files = sorted(out.glob("*.pdf"))
    assert [p.stem for p in pdf_files] == [p.stem for p in docx_files] and len(pdf_files) == 7
    for report in reports:
        assert report["status"] == "written" and report["pdf"] == Path(report["file"]).with_suffix(".pdf").name
        text = squeeze(pdf_text(out / report["pdf"]))
        assert report["name"] in text
        others = [other["name"] for other in reports if other["name"] != report["name"]]
        assert not any(f"述职述廉报告-{other}" in text for other in others)
    # nothing left behind but what the next run reads (plancache, manifest_index)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".assembler-index", ".assembler-plans"]
    # the PDF phase draws its own bar, to the end
    assert "转换 PDF" in stderr
    assert re.search(r"转换 PDF.*(7/7|100%)", stderr), stderr
    assert office_pids_under(private) == set()
    assert [p.name for p in private.iterdir() if p.name.startswith("assembler-office-")] == []


@pytest.mark.office
def test_assembler_pdf_takes_files_and_folders_and_counts_progress(tmp_path):
    private = tmp_path / "tmp"
    private.mkdir()
    folder = tmp_path / "folder"
    folder.mkdir()
    in_folder = [make_docx(folder / f"文件夹中{n}.docx", f"文件夹中{n}号") for n in range(3)]
    (folder / "notes.txt").write_text("not a report", encoding="utf-8")
    (folder / "~$lock.docx").write_bytes(b"owner file of an open Word document")
    single = [make_docx(tmp_path / f"单独{n}.docx", f"单独{n}号") for n in range(2)]

    code, stdout, stderr = run_with_terminal(["pdf", str(single[0]), str(folder), str(single[1]), "-j", "2"],
                                             cli_env(private))

    assert code == 0, stdout + stderr
    assert "已转换 5 个，失败 0 个。" in stdout
    for path in in_folder + single:
        assert f"{path.stem.removeprefix('文件夹中').removeprefix('单独')}号" in squeeze(
            pdf_text(path.with_suffix(".pdf")))
        assert path.stem in squeeze(pdf_text(path.with_suffix(".pdf")))
    assert not (folder / "notes.pdf").exists() and not (folder / "~$lock.pdf").exists()
    assert "转换 PDF" in stderr and "5/5" in stderr, stderr
    assert re.search(r"[0-4]/5", stderr), stderr  # counted on the way, not only at the end
    assert office_pids_under(private) == set()


@pytest.mark.office  # the command checks for LibreOffice before its arguments
def test_assembler_pdf_input_errors_name_the_path(tmp_path):
    from click.testing import CliRunner

    from assembler.cli import main

    text = tmp_path / "a.txt"
    text.write_text("x", encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    runner = CliRunner()
    for args, where in (([str(text)], str(text)), ([str(tmp_path / "nope.docx")], "nope.docx"),
                        ([str(empty)], "没有找到要转换的")):
        result = runner.invoke(main, ["pdf", *args])
        assert result.exit_code == 2, result.output
        assert where in result.output and "错误：" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "empty"]
