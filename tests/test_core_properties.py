"""ooxml/core_properties.py: no local path in any part of a report; title and dates in the core properties (item 3)."""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
import zipfile
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from assembler.cli import main
from assembler.ooxml.properties import read_custom_properties

DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def build(mini: Path):
    out = mini / "out"
    result = run("build", mini / "rules.yaml", "--people", mini / "people.yaml", "--checklist", mini / "checklist.md",
                 "-o", out)
    assert result.exit_code == 0, result.output
    return out / "2022年度述职述廉报告-甲一.docx"


def core(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("docProps/core.xml"))


def test_no_local_path_in_any_part_of_a_report(mini):
    report = build(mini)
    leaks = [str(mini), str(mini.resolve()), str(Path.home())]
    with zipfile.ZipFile(report) as archive:
        for name in archive.namelist():
            data = archive.read(name).decode("utf-8", "replace")
            for leak in leaks:
                assert leak not in data, (name, leak)
    props = read_custom_properties(report.read_bytes())
    assert props["assembler.rules"] == "rules.yaml"
    assert props["assembler.library"] == "snippets"


def test_paths_are_relative_to_the_git_root_and_the_remote_has_no_password(mini):
    subprocess.run(["git", "init", "-q", str(mini)], check=True)
    subprocess.run(["git", "-C", str(mini), "remote", "add", "origin", "https://clerk:secret@example.org/lib.git"],
                   check=True)
    rules = mini / "cfg" / "rules.yaml"
    rules.parent.mkdir()
    (mini / "rules.yaml").rename(rules)
    rules.write_text(rules.read_text(encoding="utf-8").replace("library: snippets", "library: ../snippets"),
                     encoding="utf-8")
    out = mini / "out"
    result = run("build", rules, "--people", mini / "people.yaml", "--checklist", mini / "checklist.md", "-o", out)
    assert result.exit_code == 0, result.output
    props = read_custom_properties((out / "2022年度述职述廉报告-甲一.docx").read_bytes())
    assert props["assembler.rules"] == "cfg/rules.yaml" and props["assembler.library"] == "snippets"
    assert props["assembler.library_remote"] == "https://example.org/lib.git"
    assert "secret" not in str(props) and getpass.getuser() not in props["assembler.library_remote"]


def test_title_is_the_reports_and_dates_are_the_build_time(mini):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root = core(build(mini))
    assert root.find(f"{DC}title").text == "2022年度述职述廉报告"
    created = dt.datetime.fromisoformat(root.find(f"{DCTERMS}created").text.replace("Z", "+00:00"))
    modified = dt.datetime.fromisoformat(root.find(f"{DCTERMS}modified").text.replace("Z", "+00:00"))
    assert created == modified and before - dt.timedelta(seconds=2) <= created <= before + dt.timedelta(minutes=5)


def test_source_date_epoch_sets_the_dates(mini, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = core(build(mini))
    assert root.find(f"{DCTERMS}created").text == "2023-11-14T22:13:20Z"
    assert root.find(f"{DCTERMS}modified").text == "2023-11-14T22:13:20Z"
