"""The LibreOffice extension, tested inside a real headless LibreOffice (no mocks).

How: build assembler.oxt with the CLI, install it with ``unopkg add`` into a fresh
profile as an ordinary user (unopkg refuses root), start ``soffice`` with that
profile as the same user, and talk to it over a UNO socket. The dialog's logic is
driven through the component's test trigger ``selftest:<script.json>``: the office
builds the same dialog the menu opens (unseen; under --headless a modal execute()
returns at once), sets control states as a user would, calls the handlers the
controls call, and writes the dialog's state and every message it showed to a
result file. What the dialog wrote (.docx, checklist.md, PDF, manifest.json) is
then checked from here with the library itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assembler.oxt import OXT_NAME, PYTHONPATH

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
IMPLEMENTATION = "org.assembler.extension.Assistant"
MENU_URL = f"service:{IMPLEMENTATION}?open"
NOBODY = 65534
CLI = [sys.executable, "-m", "assembler.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``assembler`` command of this checkout (its messages are what the dialog must show)."""
    code = "from assembler.cli import run; run()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def build_oxt(target: Path) -> Path:
    result = run_cli("oxt", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "已写入插件" in result.stdout
    return target


# ----------------------------------------------------------------- without LibreOffice


def test_oxt_holds_extension_and_pure_python_library(tmp_path: Path) -> None:
    oxt = build_oxt(tmp_path / OXT_NAME)
    names = zipfile.ZipFile(oxt).namelist()
    for required in ("description.xml", "META-INF/manifest.xml", "Addons.xcu", "python/assembler_ext.py",
                     "icons/assembler_16.png", f"{PYTHONPATH}/assembler/pipeline.py",
                     f"{PYTHONPATH}/assembler/load/selection.py", f"{PYTHONPATH}/docxtpl/__init__.py",
                     f"{PYTHONPATH}/docx/__init__.py", f"{PYTHONPATH}/jinja2/sandbox.py",
                     f"{PYTHONPATH}/markupsafe/_native.py", f"{PYTHONPATH}/click/core.py",
                     f"{PYTHONPATH}/yaml/__init__.py", f"{PYTHONPATH}/openpyxl/__init__.py",
                     f"{PYTHONPATH}/et_xmlfile/__init__.py", f"{PYTHONPATH}/charset_normalizer/md.py",
                     f"{PYTHONPATH}/ijson/backends/python.py", f"{PYTHONPATH}/typing_extensions.py"):
        assert required in names, required
    # lxml must come from LibreOffice's own Python; compiled files and caches never ship.
    assert not [n for n in names if n.startswith(f"{PYTHONPATH}/lxml")]
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc")) or "__pycache__" in n]
    from assembler import __version__

    description = zipfile.ZipFile(oxt).read("description.xml").decode()
    assert f'<version value="{__version__}"/>' in description
    # Reproducible: the same sources give the same bytes.
    again = build_oxt(tmp_path / "again" / OXT_NAME)
    assert again.read_bytes() == oxt.read_bytes()


def test_oxt_bundles_extra_wheels_for_another_python(tmp_path: Path) -> None:
    """``--wheel``: e.g. a Windows lxml wheel for LibreOffice's own Python; compiled files are kept."""
    wheel = tmp_path / "fakelxml-5.0-cp39-cp39-win_amd64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fakelxml/__init__.py", "")
        archive.writestr("fakelxml/etree.cp39-win_amd64.pyd", b"MZ")
        archive.writestr("fakelxml-5.0.dist-info/METADATA", "Name: fakelxml\n")
        archive.writestr("fakelxml-5.0.dist-info/RECORD", "")
        archive.writestr("fakelxml-5.0.data/scripts/tool", "")
    result = run_cli("oxt", "-o", str(tmp_path / OXT_NAME), "--wheel", str(wheel))
    assert result.returncode == 0, result.stderr
    names = set(zipfile.ZipFile(tmp_path / OXT_NAME).namelist())
    assert {f"{PYTHONPATH}/fakelxml/__init__.py", f"{PYTHONPATH}/fakelxml/etree.cp39-win_amd64.pyd",
            f"{PYTHONPATH}/fakelxml-5.0.dist-info/METADATA"} <= names
    assert not [n for n in names if "RECORD" in n.split("/")[-1] or ".data/" in n]
    broken = tmp_path / "broken.whl"
    broken.write_text("not a zip", encoding="utf-8")
    result = run_cli("oxt", "-o", str(tmp_path / "x" / OXT_NAME), "--wheel", str(broken))
    assert result.returncode == 2 and "wheel" in result.stderr and "Traceback" not in result.stderr


def test_oxt_command_explains_missing_sources(tmp_path: Path) -> None:
    result = run_cli("oxt", "-o", str(tmp_path / OXT_NAME), "--source", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("错误：") and "description.xml" in result.stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------- a real office


def kill_group(pid: int) -> None:
    """TERM, then KILL, the process group ``pid`` leads (an office, Xvfb, a GUI session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        time.sleep(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Office:
    """One soffice process with its own profile, run as an ordinary user, reached over UNO."""

    def __init__(self, workdir: Path, *, env: dict[str, str] | None = None, headless: bool = True,
                 opening: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.headless = headless
        self.opening = opening  # what the office opens itself at start (e.g. --writer); else --nodefault
        self.profile = workdir / "profile"
        self.home = workdir / "home"
        self.tmp = workdir / "tmp"
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.ctx: Any = None
        self.counter = 0
        self.listing = ""

    # -- running things as the office's user

    @staticmethod
    def as_user() -> list[str]:
        """unopkg refuses root: as root, drop to ``nobody`` (uid 65534) for unopkg and soffice."""
        if os.geteuid() != 0:
            return []
        if shutil.which("setpriv") is None:
            pytest.skip("需要 setpriv（util-linux）才能以普通用户运行 unopkg")
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

    def give(self, path: Path) -> None:
        """Hand files to the office's user (the dialog writes checklists and reports there)."""
        if os.geteuid() == 0:
            for root, _dirs, files in os.walk(path):
                os.chown(root, NOBODY, NOBODY)
                for name in files:
                    os.chown(os.path.join(root, name), NOBODY, NOBODY)

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PYTHON", "VIRTUAL_ENV", "LC_"))}
        # A UTF-8 locale, as on any desktop: LibreOffice's embedded Python takes its file name encoding
        # from it.
        # TMPDIR: the reports 生成并打开 writes to a temporary folder stay inside the work folder.
        env.update({"HOME": str(self.home), "TMPDIR": str(self.tmp), "LANG": "C.UTF-8", **self.extra_env})
        return env

    @property
    def profile_url(self) -> str:
        return self.profile.as_uri()

    def unopkg(self, *args: str, timeout: float = 180) -> str:
        """Run unopkg on the profile (never while the office holds it); kill what it started on a timeout."""
        assert self.proc is None, "unopkg must not touch a profile that a running office holds"
        command = [*self.as_user(), "unopkg", *args, f"-env:UserInstallation={self.profile_url}"]
        proc = subprocess.Popen(command, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise AssertionError(f"unopkg {' '.join(args)} did not finish") from None
        assert proc.returncode == 0, output
        return output

    # -- lifecycle

    def install(self, oxt: Path) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.give(self.workdir)
        self.unopkg("add", str(oxt))
        self.listing = self.unopkg("list")

    def start(self) -> None:
        import uno
        from com.sun.star.connection import NoConnectException

        port = _free_port()
        accept = f"socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
        log = (self.workdir / "soffice.log").open("wb")
        self.proc = subprocess.Popen(
            [*self.as_user(), "soffice", *(["--headless", "--invisible"] if self.headless else []),
             "--norestore", "--nologo", *(self.opening or ("--nodefault",)),
             f"-env:UserInstallation={self.profile_url}", f"--accept={accept}"],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:{accept}")
                return
            except NoConnectException:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (self.workdir / "soffice.log").read_text(errors="replace")
                    raise AssertionError(f"soffice did not accept connections:\n{log_text}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        """Terminate the whole process group; afterwards nothing of it may be left."""
        if self.proc is None:
            return
        try:
            if self.ctx is not None:
                self.desktop().terminate()
        except Exception:  # noqa: BLE001 - the bridge dies with the office
            pass
        pgid = self.proc.pid
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        kill_group(pgid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None
        self.ctx = None
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)

    # -- talking to it

    def desktop(self) -> Any:
        return self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def config(self, nodepath: str) -> Any:
        from com.sun.star.beans import PropertyValue

        provider = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx)
        arg = PropertyValue()
        arg.Name, arg.Value = "nodepath", nodepath
        return provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationAccess", (arg,))

    @property
    def log_file(self) -> Path:
        return self.profile / "user" / "config" / "assembler-extension.log"

    @property
    def settings_file(self) -> Path:
        return self.profile / "user" / "config" / "assembler-extension.json"

    def trigger(self, argument: str) -> None:
        """What the menu entry does (``open``), or one of the extension's test entry points."""
        component = self.ctx.ServiceManager.createInstanceWithContext(IMPLEMENTATION, self.ctx)
        assert component is not None, "the extension's component is not registered in the office"
        component.trigger(argument)

    def selftest(self, steps: list[dict[str, Any]], *, restore: bool = False,
                 timeout: float = 180) -> dict[str, Any]:
        """Run scripted dialog steps inside the office; return the dialog's state and messages."""
        self.counter += 1
        script = self.workdir / f"script-{self.counter}.json"
        result = self.workdir / f"result-{self.counter}.json"
        script.write_text(json.dumps({"result": str(result), "restore": restore, "steps": steps},
                                     ensure_ascii=False), encoding="utf-8")
        self.give(self.workdir / script.name)
        self.trigger(f"selftest:{script}")
        deadline = time.monotonic() + timeout
        while not result.exists():
            assert time.monotonic() < deadline, "the selftest wrote no result"
            time.sleep(0.1)
        data = json.loads(result.read_text(encoding="utf-8"))
        assert not data.get("crash"), data["crash"]
        return data


def _office_available() -> bool:
    if not shutil.which("soffice") or not shutil.which("unopkg"):
        return False
    try:
        import uno  # noqa: F401
    except ImportError:
        return False
    return True


needs_office = pytest.mark.skipif(not _office_available(),
                                  reason="需要 LibreOffice（soffice、unopkg）和 python3-uno（用 /usr/bin/python3 建的 venv）")


def _workdir(prefix: str) -> Path:
    """A folder the office's (unprivileged) user can enter: pytest's tmp_path is private to root."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    workdir = _workdir("assembler-ext-")
    office = Office(workdir)
    try:
        oxt = build_oxt(workdir / OXT_NAME)
        office.install(oxt)
        office.start()
        yield office
    finally:
        office.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture()
def data(office: Office) -> Path:
    """A private copy of the mini library, writable by the office's user."""
    office.counter += 1
    target = office.workdir / f"data-{office.counter}"
    shutil.copytree(MINI, target)
    office.give(target)
    return target


def messages(result: dict[str, Any]) -> list[str]:
    return [message["text"] for message in result["messages"]]


def snippet_states(result: dict[str, Any]) -> dict[str, bool]:
    return {row["id"]: row["ticked"] for row in result["snippets"] if row["id"]}


# ----------------------------------------------------------------- tests in the office


@needs_office
@pytest.mark.office
def test_installed_with_menu_entry_and_toolbar(office: Office) -> None:
    assert "Identifier: org.assembler.extension" in office.listing
    # the extension, its two components (dialog, fonts job), Jobs.xcu, Addons.xcu
    assert office.listing.count("is registered: yes") == 5
    assert "is registered: no" not in office.listing
    merging = office.config("/org.openoffice.Office.Addons/AddonUI/OfficeMenuBarMerging")
    menu = merging.getByName("org.assembler.extension.menu").getByName("M1")
    assert menu.MergePoint.startswith(".uno:ToolsMenu")
    assert menu.MergeContext == "com.sun.star.text.TextDocument"
    item = menu.getByName("MenuItems").getByName("M1")
    assert item.URL == MENU_URL
    assert "述职报告助手" in item.Title
    # No add-on toolbar of its own (it floated as "扩展 1"): a button merged into the standard toolbar.
    assert not office.config("/org.openoffice.Office.Addons/AddonUI/OfficeToolBar").hasByName(
        "org.assembler.extension.toolbar")
    merging = office.config("/org.openoffice.Office.Addons/AddonUI/OfficeToolbarMerging")
    instruction = merging.getByName("org.assembler.extension.toolbar").getByName("T1")
    assert instruction.MergeToolBar == "standardbar" and instruction.MergeContext == "com.sun.star.text.TextDocument"
    assert instruction.getByName("ToolBarItems").getByName("B1").URL == MENU_URL


@needs_office
@pytest.mark.office
def test_bundled_library_comes_first_and_lxml_from_the_system(office: Office) -> None:
    result = office.selftest([])
    assert result["import_error"] is None
    modules = result["modules"]
    for name in ("assembler", "jinja2", "yaml", "docxtpl", "openpyxl"):
        assert f"/{PYTHONPATH}/{name}" in modules[name], (name, modules[name])
    assert "pythonpath" not in modules["lxml"]


@needs_office
@pytest.mark.office
def test_dialog_lists_snippets_by_section_with_ticks_from_checklist(office: Office, data: Path) -> None:
    checklist = data / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x] theory.essay", "- [ ] theory.essay"),
                         encoding="utf-8")
    result = office.selftest([{"set": "rules_path", "value": str(data / "rules.yaml")},
                              {"click": "rules_load"}])
    assert messages(result) == []
    from assembler import pipeline

    library = pipeline.load_project(data / "rules.yaml").library
    rows = [(row["id"], row["text"]) for row in result["snippets"]]
    assert rows == [
        (None, "开头"), ("opening.hello", library["opening.hello"].label),
        (None, "一、强化理论武装"), ("theory.study", "坚持集中学习"), ("theory.essay", "注重学用结合"),
        (None, "二、履行工作职责"), ("duties.intro", library["duties.intro"].label), ("duties.party", "抓实基层党建"),
        ("duties.village", "用好驻村帮扶力量"), ("duties.grid", "深化网格治理"),
        (None, "三、落实廉洁自律"), ("integrity.pledge", "严守廉洁底线"),
        (None, "结尾"), ("closing.submit", library["closing.submit"].label),
    ]
    states = snippet_states(result)
    assert states["theory.essay"] is False
    assert all(state for snippet_id, state in states.items() if snippet_id != "theory.essay")
    tooltips = {row["id"]: row["tooltip"] for row in result["snippets"] if row["id"]}
    assert "集中学习次数（study_times）" in tooltips["theory.study"]
    assert "条件：分管工作包含“驻村帮扶”" in tooltips["duties.village"]  # words and labels, not "'驻村帮扶' in duties"
    assert all(row["visible"] for row in result["snippets"])  # 14 rows fit without scrolling


@needs_office
@pytest.mark.office
def test_stale_checklist_is_reported_like_the_cli_and_merged(office: Office, data: Path) -> None:
    """A checklist missing a snippet of the rules: the CLI's message, then old ticks kept and the new one
    unticked (issue 13: merging adds new snippets unticked unless the rules say new_snippets: ticked)."""
    checklist = data / "checklist.md"
    text = checklist.read_text(encoding="utf-8")
    checklist.write_text(text.replace("- [x] duties.grid 深化网格治理\n", "").replace(
        "- [x] theory.essay", "- [ ] theory.essay"), encoding="utf-8")
    result = office.selftest([{"set": "rules_path", "value": str(data / "rules.yaml")}, {"click": "rules_load"}])
    cli = run_cli("template", str(data / "rules.yaml"), "--checklist", str(checklist), "-o", str(data / "t.docx"))
    assert cli.returncode == 2
    [message] = messages(result)
    assert message.split("\n")[0] == cli.stderr.strip().split("\n")[0]  # the CLI adds its lint line
    assert "已按规则刷新勾选" in message
    states = snippet_states(result)
    assert states["duties.grid"] is False and states["theory.essay"] is False


@needs_office
@pytest.mark.office
def test_long_snippet_list_scrolls(office: Office, data: Path) -> None:
    """More rows than the dialog shows: rows outside the window are hidden and move in when scrolled."""
    extra = [f"theory.extra{n}" for n in range(20)]
    for n, snippet_id in enumerate(extra):
        (data / "snippets" / "theory" / f"extra{n}.md").write_text(
            f"---\nid: {snippet_id}\nsection: theory\nheading: 补充事项{n}\n---\n正文{n}。\n", encoding="utf-8")
    rules = data / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "snippets: [theory.study, theory.essay]", f"snippets: [theory.study, theory.essay, {', '.join(extra)}]"),
        encoding="utf-8")
    (data / "checklist.md").unlink()
    office.give(data)
    result = office.selftest([{"set": "rules_path", "value": str(rules)}, {"click": "rules_load"},
                              {"scroll": 3}, {"tick": "closing.submit", "state": False}])
    assert messages(result) == []
    loaded, scrolled = result["steps"][1], result["steps"][2]
    total = len(loaded["snippets"])
    assert total == 34
    shown = sum(row["visible"] for row in loaded["snippets"])
    assert 10 < shown < total
    assert [row["visible"] for row in loaded["snippets"]] == [True] * shown + [False] * (total - shown)
    assert [row["visible"] for row in scrolled["snippets"]] == (
        [False] * 3 + [True] * shown + [False] * (total - shown - 3))
    assert snippet_states(result)["closing.submit"] is False
    assert "已选 28 / 29 个片段" in result["status"]


@needs_office
@pytest.mark.office
def test_untick_choose_person_generate_and_open(office: Office, data: Path) -> None:
    result = office.selftest([
        {"set": "rules_path", "value": str(data / "rules.yaml")},
        {"click": "rules_load"},
        {"set": "people_path", "value": str(data / "people.yaml")},
        {"call": "on_people_chosen"},
        {"tick": "theory.study", "state": False},
        {"select_people": ["甲一"]},
        {"click": "generate_open"},
    ])
    from assembler.ooxml.text import docx_text

    assert messages(result) == []
    assert result["people"][0].startswith("全部") and result["people"][1:] == ["甲一", "乙二", "丙三"]
    [opened] = result["opened"]
    assert Path(opened).is_relative_to(office.tmp)
    text = docx_text(Path(opened).read_bytes())
    assert "坚持集中学习" not in text
    assert "（一）注重学用结合" in text  # numbering closed up: the essay is now the first sub-heading
    assert "甲一" in text
    # ... and the report is open in the office.
    urls = [component.getURL() for component in _components(office)]
    assert Path(opened).as_uri() in urls


def _components(office: Office) -> list[Any]:
    enum = office.desktop().getComponents().createEnumeration()
    found = []
    while enum.hasMoreElements():
        found.append(enum.nextElement())
    return found


@needs_office
@pytest.mark.office
def test_save_checklist_writes_the_cli_format(office: Office, data: Path) -> None:
    from assembler import pipeline
    from assembler.load.selection import read_checklist, render_checklist

    (data / "checklist.md").unlink()
    result = office.selftest([
        {"set": "rules_path", "value": str(data / "rules.yaml")},
        {"click": "rules_load"},
        {"tick": "duties.grid", "state": False},
        {"tick": "opening.hello", "state": False},
        {"click": "save_checklist"},
    ])
    assert messages(result) == []
    project = pipeline.load_project(data / "rules.yaml")
    expected_ticks = set(project.rules.entry_ids()) - {"duties.grid", "opening.hello"}
    saved = (data / "checklist.md").read_text(encoding="utf-8")
    assert saved == render_checklist(project.rules, project.library, expected_ticks)
    assert read_checklist(data / "checklist.md", project.rules).ticked == expected_ticks
    # The CLI takes the saved checklist as it is.
    preview = run_cli("preview", str(data / "rules.yaml"), "--people", str(data / "people.yaml"),
                      "--person", "甲一", "--checklist", str(data / "checklist.md"))
    assert preview.returncode == 0, preview.stderr
    assert "深化网格治理" not in preview.stdout


@needs_office
@pytest.mark.office
def test_batch_writes_reports_and_pdfs_and_reports_failures_like_the_cli(office: Office, data: Path) -> None:
    people = data / "people.yaml"
    # 乙二 loses a value her report needs: her report fails, the others are written; 甲一's post
    # is typed with half-width parentheses: a house style warning, listed as the CLI lists it.
    people.write_text(people.read_text(encoding="utf-8").replace("心得篇数: 2, ", "")
                      .replace("职务: 副镇长,", "职务: 副镇长(挂职),"), encoding="utf-8")
    outdir = data / "out"
    result = office.selftest([
        {"set": "rules_path", "value": str(data / "rules.yaml")},
        {"click": "rules_load"},
        {"set": "people_path", "value": str(people)},
        {"call": "on_people_chosen"},
        {"select_people": ["全部"]},
        {"set": "outdir_path", "value": str(outdir)},
        {"set": "pdf", "value": True},
        {"click": "batch"},
    ])
    batch = result["batch"]
    assert len(batch["written"]) == 2 and batch["failed"] == ["乙二"]
    for docx in batch["written"]:
        assert Path(docx).exists()
        pdf = Path(docx).with_suffix(".pdf")
        assert str(pdf) in batch["pdf"] and pdf.read_bytes().startswith(b"%PDF")
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"] == {"written": 2, "skipped": 0, "failed": 1}
    assert {report["pdf"] for report in manifest["reports"] if report["status"] == "written"} == {
        Path(p).name for p in batch["pdf"]}
    [summary] = messages(result)
    assert summary.startswith("已生成 2 份，跳过 0 份，失败 1 份；输出文件夹：out")
    assert "PDF：新生成 2 份" in summary
    # One line per cause, worded for the dialog (its controls, not CLI flags), no paths.
    assert "错误：乙二（第2行）：缺少“心得篇数”（essays）的值；请在人员表中填写这一列，或在“共用值文件”中统一给出" in summary
    assert "--set" not in summary and str(data) not in summary
    # Every line the CLI prints for her is in the problems file beside the reports, by file name.
    cli = run_cli("build", str(data / "rules.yaml"), "--people", str(people), "--checklist",
                  str(data / "checklist.md"), "-o", str(data / "cli-out"), "--pdf", "--jobs", "1")
    assert cli.returncode == 1
    # The dialog's PDFs (the running office) embed the same fonts as the CLI's (offices it starts).
    for pdf in batch["pdf"]:
        assert _pdf_font_names(Path(pdf)) == _pdf_font_names(data / "cli-out" / Path(pdf).name), pdf
    cli_errors = [line for line in cli.stderr.splitlines() if line.startswith("错误：")]
    problems = (outdir / "生成问题清单.txt").read_text(encoding="utf-8").splitlines()
    assert batch["problems_file"] == str(outdir / "生成问题清单.txt")
    assert "“生成问题清单.txt”" in summary
    assert cli_errors and [line.replace(str(people), people.name).replace(
        "或用 --set essays=… 统一给出", "或在“共用值文件”中统一给出") for line in cli_errors] == [
        line for line in problems if line.startswith("错误：")]
    assert result["progress"] == 0  # the bar is empty again after the batch
    # House-style warnings the CLI prints for her reports are in the problems file too, by file name.
    cli_style = [line for line in cli.stderr.splitlines() if line.startswith("警告：") and "[punct.halfwidth]" in line]
    assert len(cli_style) == 2 and all(line.replace(str(people), people.name) in problems for line in cli_style)


@needs_office
@pytest.mark.office
def test_failure_summary_for_missing_columns_fits(office: Office, data: Path) -> None:
    """A people file without three columns: every person fails, the box names each cause once."""
    people = data / "people.yaml"
    text = people.read_text(encoding="utf-8")
    for column in ("集中学习次数", "心得篇数", "走访农户数"):
        text = re.sub(rf"{column}: [^,}}]+, ?", "", text)
    people.write_text(text, encoding="utf-8")
    outdir = data / "out"
    result = office.selftest([
        {"set": "rules_path", "value": str(data / "rules.yaml")}, {"click": "rules_load"},
        {"set": "people_path", "value": str(people)}, {"call": "on_people_chosen"},
        {"set": "outdir_path", "value": str(outdir)}, {"click": "batch"},
    ])
    [summary] = messages(result)
    lines = summary.splitlines()
    assert len(lines) <= 15
    assert lines[0].startswith("已生成 0 份，跳过 0 份，失败 3 份")
    causes = [line for line in lines if line.startswith("错误：")]
    assert len(causes) == 3  # one per missing column, not one per person and column
    assert ("错误：缺少“心得篇数”（essays）的值（3 人：甲一、乙二、丙三）；请在人员表中填写这一列，"
            "或在“共用值文件”中统一给出") in causes, summary
    # 丙三's 选稿 column drops the snippet that needs 集中学习次数: two people, not three.
    assert any(line.startswith("错误：缺少“集中学习次数”（study_times）的值（2 人：甲一、乙二）") for line in causes)
    assert not any("--set" in line or "--force" in line or str(data) in line for line in lines)
    problems = (outdir / "生成问题清单.txt").read_text(encoding="utf-8").splitlines()
    assert len(problems) >= 7 and all(line.startswith("错误：people.yaml:第") for line in problems)


@needs_office
@pytest.mark.office
def test_nothing_ticked_refuses_the_batch(office: Office, data: Path) -> None:
    outdir = data / "out"
    result = office.selftest([
        {"set": "rules_path", "value": str(data / "rules.yaml")}, {"click": "rules_load"},
        {"set": "people_path", "value": str(data / "people.yaml")}, {"call": "on_people_chosen"},
        {"set": "outdir_path", "value": str(outdir)}, {"click": "tick_none"}, {"click": "batch"},
        {"select_people": ["甲一"]}, {"click": "generate_open"},
    ])
    shown = messages(result)
    assert len(shown) == 2 and all(text.startswith("没有勾选任何片段") and "“全选”" in text for text in shown)
    assert not outdir.exists() and result["batch"] is None and result["opened"] == []


@needs_office
@pytest.mark.office
def test_skipped_reports_keep_their_pdfs_and_files_follow_the_umask(office: Office, data: Path) -> None:
    """Second batch without 覆盖: reports and PDFs untouched, the summary says so; modes are 0644 (umask 022)."""
    outdir = data / "out"
    steps = [{"set": "rules_path", "value": str(data / "rules.yaml")}, {"click": "rules_load"},
             {"set": "people_path", "value": str(data / "people.yaml")}, {"call": "on_people_chosen"},
             {"set": "outdir_path", "value": str(outdir)}, {"set": "pdf", "value": True},
             {"set": "force", "value": False}, {"click": "batch"}]
    first = office.selftest(steps)
    assert first["batch"]["pdfs_made"] == 3
    files = sorted(outdir.glob("*.docx")) + sorted(outdir.glob("*.pdf")) + [outdir / "manifest.json"]
    assert len(files) == 7
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o644, path
    before = {path: (path.stat().st_mtime_ns, path.stat().st_ino) for path in files if path.suffix != ".json"}
    second = office.selftest(steps + [{"click": "save_checklist"}])
    assert {path: (path.stat().st_mtime_ns, path.stat().st_ino) for path in before} == before
    [summary] = messages(second)
    assert summary.startswith("已生成 0 份，跳过 3 份，失败 0 份")
    assert "PDF：新生成 0 份，保留已有 3 份" in summary
    # Unchanged reports are left as they are (incremental build): nothing to warn about, nothing to overwrite.
    assert "未覆盖" not in summary
    assert "--force" not in summary
    assert (data / "checklist.md").stat().st_mode & 0o777 == 0o644


@needs_office
@pytest.mark.office
def test_bad_input_shows_the_cli_message(office: Office, data: Path) -> None:
    rules = data / "rules.yaml"
    broken = rules.read_text(encoding="utf-8").replace("sections:", "sections: [oops", 1)
    rules.write_text(broken, encoding="utf-8")
    missing = data / "nope.yaml"
    result = office.selftest([
        {"set": "rules_path", "value": str(rules)},
        {"click": "rules_load"},
        {"set": "rules_path", "value": str(missing)},
        {"click": "rules_load"},
        {"click": "generate_open"},
    ])
    shown = messages(result)
    for path, message in zip((rules, missing), shown, strict=False):
        cli = run_cli("checklist", str(path))
        assert cli.returncode == 2
        # The CLI's message, with the file she chose shown by its name
        # (files inside the rules' folder by their path from there).
        assert message == cli.stderr.strip().replace(str(path), path.name).replace(str(path.parent) + os.sep, "")
    assert len(shown) == 3 and shown[2] == shown[1]  # 生成并打开 with no rules loaded: the same message again
    assert not any("Traceback" in text for text in shown)
    assert result["snippets"] == [] and result["opened"] == []


@needs_office
@pytest.mark.office
def test_dialog_remembers_last_rules_file(office: Office, data: Path) -> None:
    office.selftest([{"set": "rules_path", "value": str(data / "rules.yaml")}, {"click": "rules_load"}])
    settings = json.loads(office.settings_file.read_text(encoding="utf-8"))
    assert settings["rules"] == str(data / "rules.yaml")
    again = office.selftest([], restore=True)
    assert again["rules_path"] == str(data / "rules.yaml")
    assert len(snippet_states(again)) == 9


@needs_office
@pytest.mark.office
def test_menu_url_dispatch_opens_the_dialog(office: Office) -> None:
    from com.sun.star.beans import PropertyValue

    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    document = office.desktop().loadComponentFromURL("private:factory/swriter", "_blank", 0, (hidden,))
    try:
        frame = document.getCurrentController().getFrame()
        smgr = office.ctx.ServiceManager
        helper = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", office.ctx)
        before = office.log_file.read_text(encoding="utf-8") if office.log_file.exists() else ""
        helper.executeDispatch(frame, MENU_URL, "", 0, ())
        deadline = time.monotonic() + 30
        while "open: dialog" not in office.log_file.read_text(encoding="utf-8")[len(before):]:
            assert time.monotonic() < deadline, "dispatching the menu URL did not open the dialog"
            time.sleep(0.2)
        entry = office.log_file.read_text(encoding="utf-8")[len(before):]
        assert "open: dialog shown" in entry or "open: dialog already open" in entry
        assert f"/{PYTHONPATH}/assembler" in entry
    finally:
        document.close(True)


@needs_office
@pytest.mark.office
def test_missing_lxml_is_explained_in_chinese() -> None:
    """LibreOffice's Python without lxml: a fake ``lxml`` that fails to import stands first on its path."""
    workdir = _workdir("assembler-ext-nolxml-")
    fake = workdir / "fake" / "lxml"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named lxml (test)')\n", encoding="utf-8")
    office = Office(workdir, env={"PYTHONPATH": str(workdir / "fake")})
    try:
        office.install(build_oxt(workdir / OXT_NAME))
        office.start()
        result = office.selftest([])
        assert result["import_error"] and "lxml" in result["import_error"]
        [message] = messages(result)
        assert "sudo apt-get install python3-lxml" in message
        assert "Windows" in message and "docs/extension.md" in message
    finally:
        office.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _pdf_font_names(pdf: Path) -> set[str]:
    from pdf_fonts import base_font_name, embedded_fonts

    return {base_font_name(font.name) for font in embedded_fonts(pdf)}


@needs_office
@pytest.mark.office
def test_plain_profile_with_the_oxt_exports_the_cli_fonts() -> None:
    """Her own office: a fresh profile, the .oxt installed as the README says, no FONTCONFIG_FILE.
    ``soffice --convert-to pdf`` with that profile embeds the same fonts as ``assembler build --pdf``."""
    workdir = _workdir("assembler-ext-fonts-")
    office = Office(workdir)
    try:
        data = workdir / "data"
        shutil.copytree(MINI, data)
        cli = run_cli("build", str(data / "rules.yaml"), "--people", str(data / "people.yaml"), "--checklist",
                      str(data / "checklist.md"), "-o", str(data / "cli"), "--pdf", "--jobs", "1")
        assert cli.returncode == 0, cli.stderr
        docx = sorted((data / "cli").glob("*.docx"))[0]
        cli_fonts = _pdf_font_names(docx.with_suffix(".pdf"))
        assert {"FandolFang-Regular", "FandolKai-Regular"} <= cli_fonts
        assert any(name.startswith("NotoSerifCJK") and "-Bold" in name for name in cli_fonts)  # the title
        office.install(build_oxt(workdir / OXT_NAME))
        # Installing the .oxt (unopkg loads its components) already put fonts.conf in the user's
        # fontconfig folder: the first start of her office reads it.
        user_conf = office.home / ".config" / "fontconfig" / "conf.d" / "60-assembler-fonts.conf"
        from assembler.office.fonts import FONTS_CONF

        assert user_conf.read_bytes() == FONTS_CONF.read_bytes()
        user_conf.unlink()  # ... and the start-up job puts it back if it goes missing
        mine = workdir / "mine"
        mine.mkdir()
        office.give(workdir)
        env = {key: value for key, value in office.env().items() if not key.startswith("FONTCONFIG")}
        done = subprocess.run([*office.as_user(), "soffice", "--headless", "--norestore",
                               f"-env:UserInstallation={office.profile_url}", "--convert-to", "pdf",
                               "--outdir", str(mine), str(docx)], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert user_conf.read_bytes() == FONTS_CONF.read_bytes()
        assert _pdf_font_names(mine / docx.with_suffix(".pdf").name) == cli_fonts
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@needs_office
@pytest.mark.office
def test_dialog_fits_a_1366x768_screen_with_gtk3_and_the_chinese_interface() -> None:
    """Her screen: the dialog's outer size and every control, read back through UNO after layout,
    lie on a 1366×768 screen (and within 1280×720 less a title bar), with the sample library loaded."""
    from gui_helpers import SCREEN, gui_missing, run_session

    missing = gui_missing()
    assert missing is None, f"{missing}：请运行 bash scripts/setup.sh --full"
    sizes = run_session("dialog_on_her_screen")
    toolbars, commands = sizes["toolbars"], sizes["standardbar"]
    x, y, width, height = sizes["dialog"]
    print(json.dumps(sizes, ensure_ascii=False))
    assert abs(sizes["work_area"][2] - SCREEN[0]) <= 1 and abs(sizes["work_area"][3] - SCREEN[1]) <= 1
    assert width <= 1280 and height <= 720 - 40, sizes["dialog"]  # 40 px: a title bar on a 1280×720 desktop
    assert x >= 0 and y >= 0 and x + width <= SCREEN[0] and y + height <= SCREEN[1]
    # Every control lies inside the dialog (so on the screen and reachable with the mouse).
    for name, (cx, cy, cw, ch) in sizes["controls"].items():
        assert cx >= 0 and cy >= 0 and cx + cw <= width and cy + ch <= height, (name, sizes["controls"][name])
    for name in ("generate_open", "batch", "save_checklist", "tick_all", "tick_none", "progress", "status", "close"):
        assert name in sizes["controls"], name
    # Her remembered settings came back: the sample's rules, its snippets and its people are listed.
    assert sizes["rules"].endswith("rules.yaml") and sizes["rows"] >= 10 and sizes["people"] >= 3, sizes
    # The toolbar button sits in Writer's standard toolbar; no add-on toolbar floats over the menu.
    assert "述职报告助手…" in commands, commands
    assert sizes["reopened_by_click"]  # a mouse click on that button opens the dialog
    assert not [url for url in toolbars if "addon" in url.lower()], toolbars
    # The Chinese interface really is on (gtk3 draws the labels with the zh-CN UI font): the dialog
    # is larger than the same AppFont units would be under the gen plug-in's default font.
    assert width > 900


@needs_office
@pytest.mark.office
def test_the_mouse_wheel_over_a_snippet_row_scrolls_the_list_and_ticking_still_works() -> None:
    """Issue 12: the wheel over the checkboxes (not only over the scrollbar) scrolls the snippet list,
    as a real wheel does it (xdotool sends buttons 5 and 4 to the X server over a checkbox row);
    the row then under the pointer ticks with a click, the keyboard (Down, space) still ticks, and the
    wheel over the list's scrollbar scrolls too."""
    from gui_helpers import gui_missing, run_session

    missing = gui_missing()
    assert missing is None, f"{missing}：请运行 bash scripts/setup.sh --full"
    steps = run_session("wheel_over_snippets")
    start, down, click, up, keys = (steps[name] for name in ("start", "wheel_down", "click", "wheel_up", "down_space"))
    wheel_rows = 3  # WHEEL_ROWS in the extension: rows per notch
    assert start["offset"] == 0 and start["first_row"] == "row_0" and start["rows"] > 15 + 2 * wheel_rows
    # Two notches down: the first visible row is now the seventh, the scrollbar followed, and the rows
    # moved on the screen (the row that was seventh sits where the first was).
    assert down["offset"] == 2 * wheel_rows and down["scroll_value"] == 2 * wheel_rows, down["offset"]
    assert down["first_row"] == "row_6"
    assert down["controls"]["row_6"][1] == start["controls"]["row_0"][1]
    assert "row_0" not in down["controls"] and "row_20" in down["controls"]
    # The click ticks off exactly the row under the pointer after the scroll.
    pointer_y = steps["pointer"][1] - start["dialog"][1]
    under = [name for name, (_x, y, _w, h) in down["controls"].items()
             if name.startswith("row_") and y <= pointer_y < y + h]
    assert len(under) == 1, under
    snippet = down["row_ids"][under[0]]
    assert snippet is not None and snippet in start["ticked"]
    assert set(start["ticked"]) - set(click["ticked"]) == {snippet}
    assert set(click["ticked"]) <= set(start["ticked"]) and click["offset"] == down["offset"]
    # One notch up.
    assert up["offset"] == wheel_rows and up["first_row"] == f"row_{wheel_rows}"
    # The keyboard: the clicked row has the focus; Down moves it to the next snippet, space ticks it off.
    snippets = [row for row, snippet_id in sorted(down["row_ids"].items(), key=lambda item: int(item[0][4:]))
                if snippet_id is not None]
    following = down["row_ids"][snippets[snippets.index(under[0]) + 1]]
    assert set(click["ticked"]) - set(keys["ticked"]) == {following}
    # The wheel over the scrollbar beside the rows scrolls too.
    assert steps["wheel_on_scrollbar"]["offset"] == keys["offset"] + wheel_rows
    # The wheel scrolls the focused row away; the space bar ticks it (as in any list) and shows it again.
    away, space = steps["wheel_away"], steps["space_on_hidden"]
    focused = snippets[snippets.index(under[0]) + 1]
    assert away["offset"] == steps["wheel_on_scrollbar"]["offset"] + 5 * wheel_rows and focused not in away["row_ids"]
    assert set(space["ticked"]) - set(away["ticked"]) == {following} and space["row_ids"][focused] == following
    # The dialog kept its size on her screen; the scrollbar sits right of the rows, inside the dialog.
    assert start["dialog"][2:] == keys["dialog"][2:] and keys["dialog"][2] <= 1280 and keys["dialog"][3] <= 680
    bar_x, _y, bar_width, _h = start["controls"]["snippets_scroll"]
    row_x, _y, row_width, _h = start["controls"]["row_1"]
    assert row_x + row_width <= bar_x and bar_x + bar_width < start["controls"]["person_list"][0]


def test_a_stuck_gui_session_is_killed_with_its_screen_and_fails_the_test() -> None:
    """The watchdog: a GUI session that never returns costs one failed test, not the CI run, and
    leaves no process behind."""
    from gui_helpers import run_session

    if shutil.which("Xvfb") is None:
        pytest.fail("缺少 Xvfb：请运行 bash scripts/setup.sh --full")
    with pytest.raises(AssertionError, match="did not finish in 5 s") as failure:
        run_session("stuck", timeout=5)
    screen_pid = int(re.search(r"screen (\d+)", str(failure.value)).group(1))  # type: ignore[union-attr]
    with pytest.raises(ProcessLookupError):
        os.kill(screen_pid, 0)


@needs_office
@pytest.mark.office
def test_dialog_names_missing_font_packages_and_the_command_that_installs_them() -> None:
    """Her Writer without two of the Debian font packages: on opening, the dialog names exactly those
    two (dpkg's answer, here from a stand-in dpkg-query) and the one command that installs them."""
    workdir = _workdir("assembler-ext-fonts-")
    office = Office(workdir, env={"PATH": f"{workdir / 'bin'}:{os.environ['PATH']}"})
    try:
        fake = workdir / "bin" / "dpkg-query"
        fake.parent.mkdir(parents=True)
        fake.write_text('#!/bin/sh\ncase "$3" in fonts-noto-cjk|fonts-lxgw-wenkai) exit 1;; esac\n'
                        'printf "install ok installed"\n', encoding="utf-8")
        fake.chmod(0o755)
        office.install(build_oxt(workdir / OXT_NAME))
        office.start()
        result = office.selftest([], restore=True)
        [text] = [message for message in messages(result) if "字体" in message]
        assert text.startswith("缺少字体软件包：fonts-noto-cjk fonts-lxgw-wenkai。"), text
        assert "sudo apt-get install fonts-noto-cjk fonts-lxgw-wenkai\n" in text
        assert "texlive-lang-chinese" not in text and "fonts-arphic-ukai" not in text
    finally:
        office.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@needs_office
@pytest.mark.office
def test_pickers_start_beside_the_rules_file_then_beside_the_chosen_file(office: Office, data: Path) -> None:
    """The people and common-values pickers open in the rules file's folder while their own field is
    empty, and beside the file already chosen once it is not (headless, the picker returns at once)."""
    elsewhere = data / "别处"
    elsewhere.mkdir()
    shutil.copy(data / "people.yaml", elsewhere / "人员.yaml")
    office.give(data)
    result = office.selftest([
        {"set": "rules_path", "value": str(data / "rules.yaml")}, {"click": "rules_load"},
        {"set": "people_path", "value": ""}, {"set": "vars_path", "value": ""},
        {"click": "people_browse"}, {"click": "vars_browse"},
        {"set": "people_path", "value": str(elsewhere / "人员.yaml")}, {"click": "people_browse"},
    ])
    assert result["picker_folders"] == [str(data), str(data), str(elsewhere)]
