"""Writer as the clerk sees it, for tests and docs/ screenshots: a virtual 1366×768 screen (Xvfb),
the gtk3 VCL plug-in, the Chinese interface and locale, a fresh profile with the .oxt installed the
way the README says. Used by tests/test_extension.py and scripts/screenshot_dialog.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assembler.oxt import OXT_NAME
from test_extension import MENU_URL, Office, _workdir, build_oxt, kill_group

SCREEN = (1366, 768)
TITLE = "述职报告助手"
GUI_ENV = {"SAL_USE_VCLPLUGIN": "gtk3", "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN", "GDK_SCALE": "1",
           "NO_AT_BRIDGE": "1"}


def gui_missing() -> str | None:
    """What this machine lacks to show Writer as she sees it (``setup.sh --full`` installs it)."""
    for tool in ("Xvfb", "soffice", "unopkg", "xdotool", "import"):
        if shutil.which(tool) is None:
            return f"缺少 {tool}"
    if not list(Path("/usr/lib/libreoffice/program").glob("libvclplug_gtk3lo.so")):
        return "缺少 libreoffice-gtk3（gtk3 界面插件）"
    if not Path("/usr/lib/libreoffice/program/resource/zh_CN").is_dir():
        return "缺少 libreoffice-l10n-zh-cn（中文界面）"
    locales = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower().split()
    if "zh_cn.utf8" not in locales:
        return "缺少 zh_CN.UTF-8 区域设置"
    return None


class Screen:
    """One Xvfb display; ``run`` runs X tools on it."""

    def __init__(self, size: tuple[int, int] = SCREEN) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
                                      "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(write)
        with os.fdopen(read) as handle:
            self.display = f":{handle.readline().strip()}"

    def run(self, *command: str) -> str:
        return subprocess.run(list(command), capture_output=True, text=True, check=True, timeout=60,
                              env={**os.environ, "DISPLAY": self.display}).stdout

    def find_window(self, title: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self._search(title if title.startswith(".*") else f"^{title}$")
            if found:
                return found[-1]
            time.sleep(0.5)
        raise AssertionError(f"没有出现标题为“{title}”的窗口")

    def windows(self, title: str) -> list[str]:
        """The visible windows titled exactly ``title``, now."""
        return self._search(f"^{title}$")

    def _search(self, pattern: str) -> list[str]:
        return subprocess.run(["xdotool", "search", "--onlyvisible", "--name", pattern], capture_output=True,
                              text=True, env={**os.environ, "DISPLAY": self.display}).stdout.split()

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        values = dict(line.split("=", 1) for line in self.run("xdotool", "getwindowgeometry", "--shell",
                                                               window).split())
        return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

    def shoot(self, target: Path, crop: tuple[int, int, int, int] | None = None) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        command = ["import", "-display", self.display, "-window", "root"]
        if crop is not None:
            x, y, width, height = crop
            command += ["-crop", f"{width}x{height}+{x}+{y}", "+repage"]
        subprocess.run([*command, str(target)], check=True, timeout=60)
        return target

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


@contextmanager
def clerk_writer(settings: dict[str, Any] | None = None, give: tuple[Path, ...] = (),
                 document: Path | None = None) -> Iterator[tuple[Office, Screen]]:
    """A fresh profile with the .oxt, Writer (gtk3, Chinese) on a 1366×768 screen, tips off.

    Writer opens its window itself, at start, with a new text document or ``document``, as when she
    starts it from her menu or double-clicks a report. Loading a document over the UNO bridge
    instead runs the load on a bridge thread, where the gtk3 plug-in's clipboard query for the
    paste button spins GLib's main loop off the main thread and hangs the office (seen here)."""
    workdir = _workdir("assembler-gui-")
    screen = Screen()
    _list_for_watchdog(screen.proc.pid, workdir)
    opening = ("--writer",) if document is None else ("--writer", str(document))
    office = Office(workdir, env={"DISPLAY": screen.display, **GUI_ENV}, headless=False, opening=opening)
    try:
        office.install(build_oxt(workdir / OXT_NAME))
        if settings is not None:
            office.settings_file.parent.mkdir(parents=True, exist_ok=True)
            office.settings_file.write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
        quiet_first_start(office.profile)
        office.give(workdir)
        for path in give:
            office.give(path)
        office.start()
        assert office.proc is not None
        _list_for_watchdog(office.proc.pid, workdir)
        yield office, screen
    finally:
        office.stop()
        screen.stop()
        shutil.rmtree(workdir, ignore_errors=True)


PIDS_ENV = "GUI_SESSION_PIDS"
SESSION = Path(__file__).with_name("gui_session.py")


def _list_for_watchdog(pid: int, workdir: Path) -> None:
    """Inside ``run_session``: name a process group (Xvfb's, the office's) that the watchdog kills."""
    listing = os.environ.get(PIDS_ENV)
    if listing:
        with open(listing, "a", encoding="utf-8") as handle:
            handle.write(f"{pid} {workdir}\n")


def run_session(scenario: str, timeout: float = 300) -> dict[str, Any]:
    """Run a scenario of ``gui_session.py`` in a process of its own, with a deadline (see there)."""
    workdir = _workdir("assembler-gui-session-")
    try:
        result, listing = workdir / "result.json", workdir / "pids"
        listing.touch()
        child = subprocess.Popen([sys.executable, str(SESSION), scenario, str(result)],
                                 env={**os.environ, PIDS_ENV: str(listing)}, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            logs = []
            for line in listing.read_text(encoding="utf-8").splitlines():
                pid, folder = line.split(" ", 1)
                log = Path(folder) / "soffice.log"
                if log.exists():
                    logs.append(log.read_text(errors="replace")[-4000:])
                kill_group(int(pid))
            kill_group(child.pid)
            output, _ = child.communicate()
            for line in listing.read_text(encoding="utf-8").splitlines():
                shutil.rmtree(line.split(" ", 1)[1], ignore_errors=True)
            raise AssertionError(f"GUI session {scenario} did not finish in {timeout} s (killed):\n"
                                 f"{output[-4000:]}\n{''.join(logs)}") from None
        assert child.returncode == 0, output[-8000:]
        loaded: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
        return loaded
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def quiet_first_start(profile: Path) -> None:
    """No tip-of-the-day box and no first-start notes: a modal box on the first Writer window
    would block loading a document (seen here as an occasional hang)."""
    from assembler.office.process import product_version, seed_profile

    seed_profile(profile, product_version(shutil.which("soffice") or "soffice"))
    settings = profile / "user" / "registrymodifications.xcu"
    text = settings.read_text(encoding="utf-8")
    item = ('<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" '
            'oor:op="fuse"><value>false</value></prop></item>\n')
    settings.write_text(text.replace("</oor:items>", item + "</oor:items>", 1), encoding="utf-8")


def open_writer(office: Office, screen: Screen) -> Any:
    """The Writer window the office opened at start, filling the screen as a desktop's window
    manager would show it maximised (Xvfb has none); its frame. Sized with xdotool, not through
    UNO: only reading calls cross the bridge while the office's main thread draws."""
    window = screen.find_window(".* - LibreOffice Writer", timeout=120)
    for _ in range(2):  # the first start maps the window late: size it again once it is up
        screen.run("xdotool", "windowmove", window, "0", "0", "windowsize", window, str(SCREEN[0]), str(SCREEN[1]))
        time.sleep(1.5)
    deadline = time.monotonic() + 60
    while (frame := office.desktop().getCurrentFrame()) is None:
        assert time.monotonic() < deadline, "Writer has no current frame"
        time.sleep(0.5)
    return frame


def open_dialog(office: Office, screen: Screen, frame: Any) -> str:
    """The menu command on a Writer window; the dialog's X window id."""
    helper = office.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", office.ctx)
    helper.executeDispatch(frame, MENU_URL, "", 0, ())
    window = screen.find_window(TITLE)
    time.sleep(2)  # let the list and the people load and paint
    return window


def measure(office: Office) -> dict[str, Any]:
    """The open dialog's rectangles in pixels, as the office reports them after layout."""
    office.counter += 1
    result = office.workdir / f"measure-{office.counter}.json"
    office.trigger(f"measure:{result}")
    deadline = time.monotonic() + 30
    while not result.exists():
        assert time.monotonic() < deadline, "the dialog was not measured"
        time.sleep(0.1)
    return json.loads(result.read_text(encoding="utf-8"))
