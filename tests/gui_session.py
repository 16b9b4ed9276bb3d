"""One session of Writer as the clerk sees it, in a process of its own.

Why a process of its own: a UNO call into a GUI office that never returns (a deadlock inside
LibreOffice) cannot be interrupted from Python, and a bridge that dies under a blocked call throws
a C++ exception that aborts the whole interpreter. Run here, such a session costs one test, not
the CI run: ``gui_helpers.run_session`` waits with a deadline, kills this process and the
office's and Xvfb's process groups (their pids are listed in ``GUI_SESSION_PIDS``), and fails the
test with the office's log.

    python tests/gui_session.py <scenario> <result.json>
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gui_helpers import TITLE, Screen, _list_for_watchdog, clerk_writer, measure, open_dialog, open_writer
from test_extension import IMPLEMENTATION, ROOT, _workdir


def dialog_on_her_screen() -> dict[str, Any]:
    """The sample library remembered in the dialog's settings; Writer opened, the dialog opened from
    the menu command and measured (with Writer's toolbars: see ``measure_dialog``), closed, and opened
    again with a mouse click on its toolbar button."""
    sample = _workdir("assembler-gui-sample-")
    try:
        for name in ("examples", "snippets"):
            shutil.copytree(ROOT / name, sample / name)
        settings = {"rules": str(sample / "examples" / "rules.yaml"),
                    "people": str(sample / "examples" / "people.xlsx"),
                    "vars": str(sample / "examples" / "vars.yaml"), "outdir": str(sample / "out")}
        with clerk_writer(settings, give=(sample,)) as (office, screen):
            frame = open_writer(office, screen)
            window = open_dialog(office, screen, frame)
            seen = measure(office)
            # Closed, then opened again as she opens it: a mouse click on the button in Writer's toolbar.
            office.ctx.ServiceManager.createInstanceWithContext(IMPLEMENTATION, office.ctx).trigger("click:close")
            deadline = time.monotonic() + 30
            while window in screen.windows(TITLE):
                assert time.monotonic() < deadline, "the dialog did not close"
                time.sleep(0.3)
            # The office places the toolbar in the window below gtk3's menu bar: that bar's height is
            # what the X window has beyond the office's client area.
            wx, wy, _ww, wh = screen.geometry(screen.find_window(".* - LibreOffice Writer"))
            below_menu = wy + wh - seen["writer_client"][3]
            x, y, width, height = seen["standardbar_at"]["述职报告助手…"]
            screen.run("xdotool", "mousemove", str(wx + x + width // 2), str(below_menu + y + height // 2))
            time.sleep(0.5)
            screen.run("xdotool", "click", "1")
            seen["reopened_by_click"] = bool(screen.find_window(TITLE, timeout=30))
            return seen
    finally:
        shutil.rmtree(sample, ignore_errors=True)


def stuck() -> dict[str, Any]:
    """For the watchdog's own test: a screen comes up, then nothing ever returns."""
    screen = Screen()
    _list_for_watchdog(screen.proc.pid, _workdir("assembler-gui-stuck-"))
    print(f"screen {screen.proc.pid}", flush=True)
    while True:
        time.sleep(60)


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {"dialog_on_her_screen": dialog_on_her_screen, "stuck": stuck}


def main(argv: list[str]) -> int:
    scenario, result = argv
    Path(result).write_text(json.dumps(SCENARIOS[scenario](), ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
