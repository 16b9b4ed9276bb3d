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
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gui_helpers import TITLE, Screen, _list_for_watchdog, clerk_writer, measure, open_dialog, open_writer
from test_extension import ROOT, Office, _workdir


@contextmanager
def sample_dialog() -> Iterator[tuple[Office, Screen, str]]:
    """The sample library remembered in the dialog's settings; Writer opened and the dialog opened
    from the menu command (its X window id comes last)."""
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
            yield office, screen, window
    finally:
        shutil.rmtree(sample, ignore_errors=True)


def dialog_on_her_screen() -> dict[str, Any]:
    """The dialog with the sample library, measured (with Writer's toolbars: see ``measure_dialog``),
    closed, and opened again with a mouse click on its toolbar button."""
    with sample_dialog() as (office, screen, window):
        seen = measure(office)
        # Closed, then opened again as she opens it: a mouse click on the button in Writer's toolbar.
        office.trigger("click:close")
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


#: Where ``wheel_over_snippets`` leaves its screenshots when set (to look at them; tests leave it unset).
SHOTS_ENV = "ASSEMBLER_GUI_SHOTS"


def wheel_over_snippets() -> dict[str, Any]:
    """Her mouse and keyboard on the snippet list, sent to the X server as a real mouse and keyboard
    would (xdotool): two wheel notches down over a checkbox row, a click on the row then under the
    pointer, one notch up, the Down arrow and the space bar, one notch down over the scrollbar, five
    notches down over the rows (the focused row scrolls away), the space bar. The dialog is measured
    after each step (on the office's main thread)."""
    shots = os.environ.get(SHOTS_ENV)
    steps: dict[str, Any] = {}
    with sample_dialog() as (office, screen, _window):
        def after(name: str, *command: str) -> dict[str, Any]:
            if command:
                screen.run("xdotool", *command)
            time.sleep(1.5)  # let the main loop settle the spin events and repaint
            steps[name] = measure(office)
            if shots:
                screen.shoot(Path(shots) / f"wheel-{name}.png")
            return steps[name]

        start = after("start")
        dialog_x, dialog_y = start["dialog"][:2]
        row = next(name for name, snippet in start["row_ids"].items() if snippet is not None)
        x, y, _width, height = start["controls"][row]
        pointer = [dialog_x + x + 60, dialog_y + y + height // 2]
        steps["pointer"] = pointer
        after("wheel_down", "mousemove", str(pointer[0]), str(pointer[1]), "sleep", "0.5",
              "click", "5", "sleep", "0.5", "click", "5")
        after("click", "click", "1")
        after("wheel_up", "click", "4")
        after("down_space", "key", "Down", "sleep", "0.5", "key", "space")
        x, y, width, height = start["controls"]["snippets_scroll"]
        after("wheel_on_scrollbar", "mousemove", str(dialog_x + x + width // 2), str(dialog_y + y + height // 2),
              "sleep", "0.5", "click", "5")
        after("wheel_away", "mousemove", str(pointer[0]), str(pointer[1]), "sleep", "0.5",
              *[arg for _ in range(5) for arg in ("click", "5", "sleep", "0.3")])
        after("space_on_hidden", "key", "space")
    return steps


def stuck() -> dict[str, Any]:
    """For the watchdog's own test: a screen comes up, then nothing ever returns."""
    screen = Screen()
    _list_for_watchdog(screen.proc.pid, _workdir("assembler-gui-stuck-"))
    print(f"screen {screen.proc.pid}", flush=True)
    while True:
        time.sleep(60)


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {"dialog_on_her_screen": dialog_on_her_screen,
                                                      "wheel_over_snippets": wheel_over_snippets, "stuck": stuck}


def main(argv: list[str]) -> int:
    scenario, result = argv
    Path(result).write_text(json.dumps(SCENARIOS[scenario](), ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
