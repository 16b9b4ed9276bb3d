"""Output safety: names valid everywhere, nothing outside OUTDIR, no overwrite, SIGKILL-proof batches."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import assembler
from assembler.output import (
    MAX_NAME_BYTES,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    NameAllocator,
    atomic_write,
    remove_stale_temps,
    safe_filename,
)
from fixtures.hostile.support import PERSON, assert_clean_exit, build_cli, copy_mini, docx_text, write_people

WINDOWS_BAD = set('<>:"/\\|?*') | {chr(c) for c in range(32)}
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                    *(f"{p}{d}" for p in ("COM", "LPT") for d in "123456789¹²³")}


def assert_portable(name: str) -> None:
    """A file name (with extension) Windows and Linux both accept, and that stays in its folder."""
    assert name and name not in (".", "..")
    assert not (set(name) & WINDOWS_BAD), name
    assert not name.endswith((".", " ")), name
    assert name.split(".")[0].rstrip(" ").upper() not in WINDOWS_RESERVED, name
    assert len(name.encode("utf-8")) <= 255 and len(name.encode("utf-16-le")) // 2 <= 255, name
    assert not any(unicodedata.category(ch) in ("Cs", "Cc") for ch in name), name
    assert unicodedata.normalize("NFC", name) == name


HOSTILE_NAMES = [
    "../../../../tmp/evil", "..", ".", "/etc/passwd", "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "\\\\server\\share\\x", "CON", "con", "NUL", "Nul.txt", "COM1", "LPT9", "COM¹", "CONIN$", "AUX .txt",
    "PRN.",
    "名字. . .", "名字   ", " . ", "...", "a" * 300, "长" * 300, "😀" * 300, "a/b\\c:d*e?f\"g<h>i|j",
    "\x00\x01\x1f", "\u202e\u202dfdp.exe", "\ud800\udc00", "e\u0301", "\u200b", "~$lock",
    ".~assembler-1-x.tmp",
    "manifest.json", "张三", "张三", "ZHANG", "zhang", "",
]


@pytest.mark.parametrize("raw", HOSTILE_NAMES)
def test_safe_filename_is_portable(raw, tmp_path):
    stem = safe_filename(raw)
    assert_portable(stem + ".docx")
    assert len(stem.encode("utf-8")) <= MAX_NAME_BYTES
    assert (tmp_path / (stem + ".docx")).resolve().parent == tmp_path.resolve()


@settings(max_examples=2000, deadline=None, database=None)
@given(raw=st.text(st.characters(exclude_categories=()), max_size=400))
def test_safe_filename_fuzzed(raw):
    stem = safe_filename(raw)
    assert_portable(stem + ".docx")
    assert_portable(stem + "-12.docx")  # what NameAllocator may add


def test_allocator_keeps_names_apart_on_case_insensitive_disks():
    names = NameAllocator()
    got = [names.allocate(safe_filename(n), ".docx") for n in ("张三", "张三", "ZHANG", "zhang", "Zhang")]
    assert len({g.casefold() for g in got}) == len(got)


def test_hostile_names_in_a_batch_stay_in_outdir(tmp_path):
    lib = copy_mini(tmp_path)
    rows = [dict(PERSON, 姓名=name) for name in HOSTILE_NAMES if safe_filename(name) != "未命名" or name]
    people = write_people(tmp_path / "people.json", rows)
    out = tmp_path / "deep" / "out"
    before = {p for p in tmp_path.rglob("*")}
    result = build_cli(lib, people, out)
    assert_clean_exit(result)
    created = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in created if not p.resolve().is_relative_to(out.resolve()) and p != out]
    assert outside in ([], [tmp_path / "deep"]), outside
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = [r["file"] for r in manifest["reports"] if r["status"] == "written"]
    assert len(files) == len(set(f.casefold() for f in files))
    for name in files:
        assert_portable(name)
        assert (out / name).is_file()
        docx_text(out / name)
    assert not Path("/tmp/evil.docx").exists()


@pytest.mark.parametrize("output_name", [
    "../../{{ name }}", "/tmp/{{ name }}", "{{ name }}/../../x", "CON", "NUL.{{ name }}", "{{ name }}. . .",
    "{{ name * 100 }}", "..\\..\\{{ name }}", "",
])
def test_hostile_output_name_in_rules_stays_in_outdir(tmp_path, output_name):
    lib = copy_mini(tmp_path)
    rules = yaml.safe_load((lib / "rules.yaml").read_text(encoding="utf-8"))
    rules["output_name"] = output_name
    (lib / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    people = write_people(tmp_path / "people.yaml", [PERSON, dict(PERSON, 姓名="乙二")])
    out = tmp_path / "out"
    result = build_cli(lib, people, out)
    assert_clean_exit(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib", "out", "people.yaml"]
    reports = sorted(out.glob("*.docx"))
    assert len(reports) == 2, result.output
    for report in reports:
        assert_portable(report.name)


# ---------------------------------------------------------------- no overwrite


def test_existing_files_are_never_overwritten_without_overwrite_edited(tmp_path):
    lib = copy_mini(tmp_path)
    people = write_people(tmp_path / "people.yaml", [PERSON])
    out = tmp_path / "out"
    out.mkdir()
    target = out / "2022年度述职述廉报告-甲一.docx"
    target.write_bytes(b"my own edits")
    outside = tmp_path / "outside.docx"
    outside.write_bytes(b"not yours")
    link = out / "2022年度述职述廉报告-乙二.docx"
    link.symlink_to(outside)
    people = write_people(tmp_path / "people.yaml", [PERSON, dict(PERSON, 姓名="乙二")])
    for extra in ((), ("--force",)):  # files no build recorded: never overwritten, not even with --force
        result = build_cli(lib, people, out, *extra)
        assert_clean_exit(result)
        assert result.exit_code == 0
        assert target.read_bytes() == b"my own edits"
        assert outside.read_bytes() == b"not yours" and link.is_symlink()
        assert "以下 2 人的报告在生成后被手工修改过，未覆盖，新版本另存" in result.output, result.output
        assert "甲一" in docx_text(out / "2022年度述职述廉报告-甲一（新版）.docx")
    # --overwrite-edited replaces the files themselves, never what a link points to.
    result = build_cli(lib, people, out, "--overwrite-edited")
    assert result.exit_code == 0, result.output
    assert "甲一" in docx_text(target)
    assert not link.is_symlink() and "乙二" in docx_text(link)
    assert outside.read_bytes() == b"not yours"


def test_atomic_write_never_leaves_a_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "a.docx"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]


def test_temp_files_of_a_running_writer_are_left_alone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alive = tmp_path / f"{TEMP_PREFIX}{sleeper.pid}-abc{TEMP_SUFFIX}"
        alive.write_bytes(b"being written")
        dead = tmp_path / f"{TEMP_PREFIX}999999999-abc{TEMP_SUFFIX}"
        dead.write_bytes(b"left by a killed run")
        assert remove_stale_temps(tmp_path) == [dead]
        assert alive.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temps(tmp_path) == [alive]


def test_temp_files_of_a_killed_but_unreaped_writer_go(tmp_path):
    """A killed worker no one has reaped yet (a zombie) still answers kill(pid, 0), but writes nothing."""
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        temp = tmp_path / f"{TEMP_PREFIX}{writer.pid}-abc{TEMP_SUFFIX}"
        temp.write_bytes(b"half a report")
        os.kill(writer.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{writer.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the killed writer never became a zombie"
            time.sleep(0.01)
        os.kill(writer.pid, 0)  # the pid still answers: this is the case the check must see through
        assert remove_stale_temps(tmp_path) == [temp]
    finally:
        writer.kill()
        writer.wait()


# ---------------------------------------------------------------- SIGKILL at random moments

PEOPLE = 100
ROUNDS = 6


def _group(pgid: int) -> list[int]:
    """Processes still alive in a process group (by reading /proc), zombies excluded."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _reports_are_whole(out: Path) -> list[Path]:
    reports = sorted(out.glob("*.docx"))
    for report in reports:
        assert "甲" in docx_text(report) or "人员" in docx_text(report), report  # opens in python-docx
    stray = [p for p in out.iterdir() if p.suffix == ".docx" and p.name.startswith(TEMP_PREFIX)]
    assert not stray, stray
    return reports


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_mid_batch_loses_nothing(tmp_path, jobs):
    """Kill ``assembler build`` at a random moment of the batch, rerun, and count what is there."""
    lib = copy_mini(tmp_path)
    rows = [dict(PERSON, 姓名=f"人员{n:03d}") for n in range(1, PEOPLE + 1)]
    people = write_people(tmp_path / "people.yaml", rows)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(assembler.__file__).parents[1]),
                                                       os.environ.get("PYTHONPATH", "")]))

    def command(out: Path) -> list[str]:
        return [sys.executable, "-c", "from assembler.cli import run; run()", "build",
                str(lib / "rules.yaml"), "--people", str(people), "--checklist", str(lib / "checklist.md"),
                "-o", str(out), "--jobs", jobs]

    rng = random.Random()
    log, leftovers, lost, mid_batch = [], [], 0, 0
    for round_ in range(ROUNDS):
        out = tmp_path / f"round{round_}"
        # A random moment of the batch: when a random number of reports is on disk. With workers,
        # the chunks already sent to them (up to 64 reports) are still written after the kill.
        target = rng.randint(1, PEOPLE - 1 if jobs == "1" else PEOPLE // 3)
        process = subprocess.Popen(command(out), env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        seen = 0
        while process.poll() is None:
            if out.is_dir():
                seen = sum(1 for entry in os.scandir(out) if entry.name.endswith(".docx"))
                if seen >= target:
                    break
            time.sleep(0.0005)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while _group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in _group(process.pid):  # only processes of the run just killed (its own group)
            leftovers.append(pid)
            os.kill(pid, signal.SIGKILL)
        whole = len(_reports_are_whole(out))
        mid_batch += killed and 0 < whole < PEOPLE
        temps = len(list(out.glob(f"{TEMP_PREFIX}*")))
        rerun = subprocess.run(command(out), env=env, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        after = _reports_are_whole(out)
        lost += PEOPLE - len(after)
        assert not list(out.glob(f"{TEMP_PREFIX}*")), "temporary files left after the rerun"
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["summary"] == {"written": PEOPLE - whole, "skipped": whole, "failed": 0}, manifest
        for report in after:
            assert report.stem.rsplit("-", 1)[1] in docx_text(report)
        log.append(f"round {round_}: killed={killed} at {seen} of {PEOPLE} reports (target {target}): "
                   f"{whole} whole reports, {temps} temporary files; rerun wrote {PEOPLE - whole}")
    print("\n".join(log))
    assert not leftovers, f"processes left behind by killed runs: {leftovers}"
    assert lost == 0, f"{lost} reports lost"
    assert mid_batch >= ROUNDS // 2, log  # the kills landed inside the batch, not after it
