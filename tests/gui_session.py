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

from gui_helpers import Screen, _list_for_watchdog, clerk_writer, measure, open_dialog, open_writer
from test_extension import ROOT, _workdir


def dialog_on_her_screen() -> dict[str, Any]:
    """The sample library remembered in the dialog's settings; Writer opened, the dialog opened from
    the menu command and measured (with Writer's toolbars: see ``measure_dialog``)."""
    sample = _workdir("assembler-gui-sample-")
    try:
        for name in ("examples", "snippets"):
            shutil.copytree(ROOT / name, sample / name)
        settings = {"rules": str(sample / "examples" / "rules.yaml"),
                    "people": str(sample / "examples" / "people.xlsx"),
                    "vars": str(sample / "examples" / "vars.yaml"), "outdir": str(sample / "out")}
        with clerk_writer(settings, give=(sample,)) as (office, screen):
            frame = open_writer(office, screen)
            open_dialog(office, screen, frame)
            return measure(office)
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
