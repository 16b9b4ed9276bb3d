"""The numbers a reader sees in Writer: LibreOffice's own text export of a built report."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from assembler.cli import main
from assembler.ooxml.text import docx_text

pytestmark = pytest.mark.office


def libreoffice_text(docx: Path, workdir: Path) -> str:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: run bash scripts/test.sh, which installs it")
    profile = workdir / "profile"
    proc = subprocess.Popen(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(workdir), str(docx)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    return (workdir / (docx.stem + ".txt")).read_text(encoding="utf-8-sig")


def normalize(line: str) -> str:
    """LibreOffice's text filter writes a space after every list label, whatever the suffix."""
    return re.sub(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)\s+", r"\1", line.strip())


def test_writer_shows_the_same_gap_free_numbers(mini, tmp_path):
    out = mini / "out"
    result = CliRunner().invoke(main, ["build", str(mini / "rules.yaml"), "--people", str(mini / "people.yaml"),
                                       "--checklist", str(mini / "checklist.md"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("甲一", "乙二", "丙三"):
        report = out / f"2022年度述职述廉报告-{name}.docx"
        ours = [line.strip() for line in docx_text(report.read_bytes()).splitlines() if line.strip()]
        writer = [normalize(line) for line in libreoffice_text(report, tmp_path / name).splitlines() if line.strip()]
        assert writer == ours
    writer = [normalize(line) for line in libreoffice_text(out / "2022年度述职述廉报告-丙三.docx", tmp_path / "again")
              .splitlines()]
    assert writer[writer.index("一、强化理论武装") + 1] == "（一）注重学用结合"
