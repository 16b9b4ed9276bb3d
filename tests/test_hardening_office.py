"""LibreOffice faults during ``assembler build --pdf`` and ``assembler pdf``, end to end.

Faults are injected through the office pool's test seam (``before_attempt``, which runs in the
worker just before each try): an office killed (SIGKILL) under a document, an office that hangs
(SIGSTOP, once or on every try), and a corrupt document among good ones. In every case the batch
converts every other document, names each failure (file and Chinese reason, on screen and in
manifest.json), and afterwards no process the pools started is alive (checked by process id).

Needs soffice and ``import uno`` (the system Python, or a venv made from it as scripts/setup.sh does).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import assembler
from assembler.office import OfficePool
from assembler.office.process import pid_alive, session_members
from fixtures.hostile.support import PERSON, copy_mini, run_cli, write_people

pytestmark = pytest.mark.office

TIMEOUT = "4"  # --timeout: seconds a document may take before its office is killed
NAMES = [f"人员{n}" for n in range(1, 7)]


def _soffice_processes() -> dict[int, str]:
    """Every soffice/oosplash process on the machine, by pid (to see what a run left behind)."""
    found = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue
        if name.startswith(("soffice", "oosplash")):
            found[int(comm.parent.name)] = name
    return found


@pytest.fixture()
def pools(monkeypatch) -> list[OfficePool]:
    """Every pool made during the test (also the one inside convert_to_pdf), with a fault hook."""
    made: list[OfficePool] = []
    real_init = OfficePool.__init__

    def init(self, *args, **kwargs) -> None:
        kwargs.setdefault("before_attempt", _HOOK.get("hook"))
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(OfficePool, "__init__", init)
    yield made
    _HOOK.clear()
    assert made, "no office pool was used"
    for pool in made:
        assert pool.started_pids, "the pool never started an office"
        for pid in pool.started_pids:
            assert not pid_alive(pid), f"LibreOffice process {pid} left running"
        for session in pool.sessions:
            assert not session_members(session), f"processes left in office session {session}"


_HOOK: dict[str, Callable[..., None] | None] = {}


def _build(tmp_path: Path, *extra: str):
    lib = copy_mini(tmp_path)
    people = write_people(tmp_path / "people.yaml", [dict(PERSON, 姓名=name) for name in NAMES])
    out = tmp_path / "out"
    result = run_cli("build", lib / "rules.yaml", "--people", people, "--checklist", lib / "checklist.md",
                     "-o", out, "--pdf", "--timeout", TIMEOUT, "--jobs", "2", *extra)
    assert result.exception is None, repr(result.exception)
    assert "Traceback" not in result.output
    return result, out


def _pdf_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return re.sub(r"\s", "", "".join(page.extract_text() or "" for page in document.pages))


def _check(out: Path, failed: dict[str, str]) -> None:
    """Every person but ``failed`` (name → expected reason) has a PDF with their name; failures are named."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for report in manifest["reports"]:
        if report["name"] in failed:
            assert report["status"] == "failed", report
            assert report["pdf"] is None
            assert any(failed[report["name"]] in error for error in report["errors"]), report["errors"]
            continue
        assert report["status"] in ("written", "skipped"), report
        pdf = out / report["pdf"]
        assert report["name"] in _pdf_text(pdf)
    assert not list(out.glob(".*.part")), "half-written PDFs left"


def _hook_on(name: str, action: Callable[[object, int], None]) -> None:
    def hook(source: Path, attempt: int, office) -> None:
        if name in source.name:
            action(office, attempt)
    _HOOK["hook"] = hook


def test_office_killed_under_a_document(tmp_path, pools):
    def kill(office, attempt: int) -> None:
        if attempt == 1:
            os.kill(office.main_pid, signal.SIGKILL)
            while pid_alive(office.main_pid):
                time.sleep(0.01)

    _hook_on("人员3", kill)
    result, out = _build(tmp_path)
    assert result.exit_code == 0, result.output
    _check(out, {})
    assert any("意外退出" in event or "连接中断" in event for pool in pools for event in pool.events), \
        [pool.events for pool in pools]


def test_office_killed_from_outside_mid_batch(tmp_path, pools):
    """A SIGKILL from another process at a random moment while documents convert."""
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set():
            offices = [pid for pool in pools for pid in pool.office_pids()]
            if offices and (tmp_path / "out").exists() and list((tmp_path / "out").glob("*.pdf")):
                os.kill(offices[0], signal.SIGKILL)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        result, out = _build(tmp_path)
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    _check(out, {})


def test_office_that_hangs_once_is_restarted(tmp_path, pools):
    def freeze(office, attempt: int) -> None:
        if attempt == 1:
            os.kill(office.main_pid, signal.SIGSTOP)

    _hook_on("人员2", freeze)
    started = time.monotonic()
    result, out = _build(tmp_path)
    assert result.exit_code == 0, result.output
    _check(out, {})
    assert time.monotonic() - started < 120
    assert any("未完成" in event for pool in pools for event in pool.events)


def test_office_that_always_hangs_fails_that_document_only(tmp_path, pools):
    def freeze(office, attempt: int) -> None:
        os.kill(office.main_pid, signal.SIGSTOP)

    _hook_on("人员5", freeze)
    result, out = _build(tmp_path)
    assert result.exit_code == 1, result.output
    _check(out, {"人员5": f"转换超过 {TIMEOUT} 秒未完成"})
    assert re.search(r"错误：.*第\d+行: 人员5：转换 PDF 失败", result.output), result.output


def test_corrupt_document_among_good_ones(tmp_path, pools):
    """A broken .docx that the manifest vouches for, its PDF missing: a rerun leaves the .docx (its
    inputs did not change) but converts it, as a PDF follows its .docx; the conversion fails, named,
    and the others' PDFs are left as they are."""
    import hashlib

    result, out = _build(tmp_path)
    assert result.exit_code == 0, result.output
    target = out / "2022年度述职述廉报告-人员4.docx"
    broken = b"PK\x03\x04 this is not a document"
    target.write_bytes(broken)
    target.with_suffix(".pdf").unlink()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["reports"]:
        if entry["file"] == target.name:
            entry["sha256"] = hashlib.sha256(broken).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    others = {path.name: path.stat().st_mtime_ns for path in out.glob("*.pdf")}
    result = run_cli("build", tmp_path / "lib" / "rules.yaml", "--people", tmp_path / "people.yaml", "--checklist",
                     tmp_path / "lib" / "checklist.md", "-o", out, "--pdf", "--timeout", TIMEOUT, "--jobs", "2")
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 1, result.output
    _check(out, {"人员4": "转换 PDF 失败"})
    assert "人员4" in result.output and "转换 PDF 失败" in result.output
    assert target.read_bytes() == broken
    assert {path.name: path.stat().st_mtime_ns for path in out.glob("*.pdf")} == others


def test_assembler_pdf_names_each_failure(tmp_path, pools):
    from docx import Document

    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(4):
        document = Document()
        document.add_paragraph(f"第{n}号文档")
        document.save(folder / f"doc{n}.docx")
    (folder / "broken.docx").write_bytes(b"\x00" * 1000)
    (folder / "empty.docx").write_bytes(b"")
    (folder / "fake.docx").write_bytes("<w:document>不是 zip</w:document>".encode())
    result = run_cli("pdf", folder, "--jobs", "2", "--timeout", TIMEOUT)
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 1, result.output
    for n in range(4):
        assert f"第{n}号文档" in _pdf_text(folder / f"doc{n}.pdf")
    for bad in ("broken", "empty", "fake"):
        assert re.search(rf"错误：\S*{bad}\.docx: \S", result.output), result.output
        assert not (folder / f"{bad}.pdf").exists()
    assert "已转换 4 个，失败 3 个" in result.output


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_sigkill_of_assembler_during_pdf_leaves_no_office(tmp_path):
    """``assembler build --pdf`` killed by SIGKILL while converting: its offices must not outlive it."""
    lib = copy_mini(tmp_path)
    people = write_people(tmp_path / "people.yaml", [dict(PERSON, 姓名=f"人员{n}") for n in range(20)])
    out = tmp_path / "out"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(private_tmp),
               PYTHONPATH=os.pathsep.join([str(Path(assembler.__file__).parents[1]),
                                           os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [sys.executable, "-c", "from assembler.cli import run; run()", "build", str(lib / "rules.yaml"),
         "--people", str(people), "--checklist", str(lib / "checklist.md"), "-o", str(out), "--pdf",
         "--jobs", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if out.exists() and list(out.glob("*.pdf")):
                break
            time.sleep(0.02)
        assert process.poll() is None, "the build ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    ours = lambda: [pid for pid in _soffice_processes() if str(private_tmp) in _cmdline(pid)]  # noqa: E731
    deadline = time.monotonic() + 10
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = ours()
    for pid in left:  # started by this test's run: clean up, then fail
        os.kill(pid, signal.SIGKILL)
    assert not left, f"LibreOffice processes outlived the killed run: {left}"
    assert [p.name for p in out.glob("*.pdf") if not p.name.startswith(".")] == \
        [p.name for p in out.glob("*.pdf")], "a half-written PDF under a real name"


# ------------------------------------------------------------------ no LibreOffice, Ctrl-C


@pytest.mark.parametrize("command", ["build", "pdf"])
def test_missing_libreoffice_fails_before_anything_is_written(tmp_path, monkeypatch, command):
    """``--pdf`` / ``assembler pdf`` where soffice cannot be found: exit 2, the install command, no files."""
    from assembler.office.process import INSTALL_HINT

    monkeypatch.setenv("ASSEMBLER_SOFFICE", str(tmp_path / "no-libreoffice" / "soffice"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # and none on PATH either
    out = tmp_path / "out"
    if command == "build":
        lib = copy_mini(tmp_path)
        people = write_people(tmp_path / "people.yaml", [dict(PERSON, 姓名=name) for name in NAMES[:2]])
        before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
        result = run_cli("build", lib / "rules.yaml", "--people", people, "--checklist", lib / "checklist.md",
                         "-o", out, "--pdf")
    else:
        from docx import Document

        out.mkdir()
        Document().save(out / "a.docx")
        before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
        result = run_cli("pdf", out)
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("错误：") and "未找到 LibreOffice" in result.output
    assert INSTALL_HINT in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written


@pytest.mark.parametrize("command", ["pdf", "build"])
def test_ctrl_c_to_the_command_leaves_no_office(tmp_path, command):
    """SIGINT to the ``assembler`` process (what Ctrl-C sends) while PDFs are made: exit 130, offices gone.

    The offices run in sessions of their own, so the terminal's SIGINT never reaches them: the
    command itself must stop them.  They are found, while the run is alive, by their profile
    folder under this test's private TMPDIR, and checked by process id afterwards.
    """
    from docx import Document

    private = tmp_path / "tmp"
    private.mkdir()
    env = dict(os.environ, TMPDIR=str(private),
               PYTHONPATH=os.pathsep.join([str(Path(assembler.__file__).parents[1]),
                                           os.environ.get("PYTHONPATH", "")]))
    if command == "pdf":
        out = tmp_path / "docs"
        out.mkdir()
        for n in range(30):
            document = Document()
            for k in range(30):
                document.add_paragraph(f"第{n}号文档第{k}段：认真履行岗位职责，扎实推进各项工作。" * 4)
            document.save(out / f"doc{n:02d}.docx")
        args = ["pdf", str(out), "--jobs", "2"]
        total = 30
    else:
        lib = copy_mini(tmp_path)
        people = write_people(tmp_path / "people.yaml", [dict(PERSON, 姓名=f"人员{n}") for n in range(30)])
        out = tmp_path / "out"
        args = ["build", str(lib / "rules.yaml"), "--people", str(people), "--checklist",
                str(lib / "checklist.md"), "-o", str(out), "--pdf", "--jobs", "2"]
        total = 30
    process = subprocess.Popen([sys.executable, "-c", "from assembler.cli import run; run()", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            seen |= {pid for pid in _soffice_processes() if str(private) in _cmdline(pid)}
            if out.exists() and list(out.glob("*.pdf")):
                break
            time.sleep(0.02)
        assert process.poll() is None, "the command ended before Ctrl-C"
        seen |= {pid for pid in _soffice_processes() if str(private) in _cmdline(pid)}
        assert seen and any(pid_alive(pid) for pid in seen)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    left = [pid for pid in seen if pid_alive(pid)]
    for pid in left:  # clean up, then fail
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"LibreOffice processes outlived Ctrl-C: {left}"
    assert not [pid for pid in _soffice_processes() if str(private) in _cmdline(pid)]
    assert process.returncode == 130, stderr
    assert "已中断" in stderr and "Traceback" not in stderr, stderr
    assert [p.name for p in private.iterdir() if p.name.startswith("assembler-office-")] == []
    pdfs = sorted(out.glob("*.pdf"))
    assert 1 <= len(pdfs) < total  # interrupted in the middle of the batch
    assert not list(out.glob(".*.part"))
    for pdf in pdfs:  # whatever has its real name is whole, and is that document's
        marker = f"第{int(pdf.stem[3:])}号文档" if command == "pdf" else pdf.stem.rsplit("-", 1)[1]
        assert marker in _pdf_text(pdf)
