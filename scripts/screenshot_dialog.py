"""Take docs/dialog.png: the real 述职报告助手 dialog, filled with the sample library.

Why a script: the picture in the docs must show what the extension really draws,
so it is taken of a real LibreOffice window on a virtual X display (Xvfb), not
mocked up. It builds assembler.oxt, installs it into a fresh profile (as an
ordinary user, like the tests), pre-sets the dialog's remembered files to the
sample (examples/rules.yaml, examples/people.xlsx, examples/vars.yaml), opens
Writer, runs the menu command and captures the dialog window with ImageMagick.

Needs: a GUI LibreOffice (Debian: libreoffice-writer, not -nogui), xvfb,
imagemagick, xdotool. Run with the test venv's Python (it needs ``uno``):

    /tmp/venv-ext/bin/python scripts/screenshot_dialog.py [-o docs/dialog.png]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from assembler.oxt import OXT_NAME  # noqa: E402
from test_extension import MENU_URL, Office, _workdir, build_oxt  # noqa: E402

DISPLAY = ":97"
#: Where the sample is copied for the picture: a short, readable path in the dialog's fields.
SAMPLE_COPY = Path(tempfile.gettempdir()) / "述职报告"
TITLE = "述职报告助手"


def sample_settings(copy: Path, library: Path) -> dict[str, object]:
    """The dialog's remembered files: the sample library, copied where the office's user may write."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(library / "examples", copy / "examples")
    if (library / "snippets").is_dir():
        shutil.copytree(library / "snippets", copy / "snippets")
    rules = copy / "examples" / "rules.yaml"
    candidates = (copy / "examples" / name for name in ("people.xlsx", "people.csv", "people.yaml"))
    people = next((path for path in candidates if path.exists()), None)
    vars_file = copy / "examples" / "vars.yaml"
    return {"rules": str(rules), "people": str(people) if people else "",
            "vars": str(vars_file) if vars_file.exists() else "", "outdir": str(copy / "out"), "pdf": True}


def find_window(title: str, timeout: float = 60) -> str:
    """The X window id of the visible window with this title (xdotool reads the UTF-8 _NET_WM_NAME)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                               capture_output=True, text=True, env={**os.environ, "DISPLAY": DISPLAY}).stdout.split()
        if found:
            return found[-1]
        time.sleep(0.5)
    raise SystemExit(f"没有出现标题为“{title}”的窗口")


def geometry(window: str) -> tuple[int, int, int, int]:
    """x, y, width, height of a window on the screen."""
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", window], capture_output=True, text=True,
                         env={**os.environ, "DISPLAY": DISPLAY}, check=True).stdout
    values = dict(line.split("=", 1) for line in out.split())
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def dialog_layout() -> Any:
    """The extension's own layout constants (AppFont units), to point the mouse at a snippet row."""
    source = ROOT / "extension" / "python" / "assembler_ext.py"
    spec = importlib.util.spec_from_file_location("assembler_ext", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["assembler_ext"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "dialog.png")
    parser.add_argument("--hover-row", type=int, default=3,
                        help="snippet row (from 0) to show the tooltip of")
    parser.add_argument("--library", type=Path, default=ROOT,
                        help="folder holding examples/ (rules.yaml, people file, vars.yaml) and snippets/")
    args = parser.parse_args()
    for tool in ("Xvfb", "import", "xdotool", "soffice", "unopkg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"缺少 {tool}：sudo apt-get install xvfb imagemagick xdotool libreoffice-writer")

    workdir = _workdir("assembler-shot-")
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    office = Office(workdir, env={"DISPLAY": DISPLAY, "SAL_USE_VCLPLUGIN": "gtk3", "LANG": "zh_CN.UTF-8"}, headless=False)
    try:
        settings = sample_settings(SAMPLE_COPY, args.library)
        office.install(build_oxt(workdir / OXT_NAME))
        office.settings_file.parent.mkdir(parents=True, exist_ok=True)
        office.settings_file.write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
        office.give(workdir)
        office.give(SAMPLE_COPY)
        office.start()
        from com.sun.star.beans import PropertyValue

        smgr = office.ctx.ServiceManager
        provider = "com.sun.star.configuration.ConfigurationProvider"
        update = smgr.createInstanceWithContext(provider, office.ctx)
        arg = PropertyValue()
        arg.Name, arg.Value = "nodepath", "/org.openoffice.Office.Common/Misc"
        access = "com.sun.star.configuration.ConfigurationUpdateAccess"
        misc = update.createInstanceWithArguments(access, (arg,))
        misc.ShowTipOfTheDay = False
        misc.commitChanges()
        document = office.desktop().loadComponentFromURL("private:factory/swriter", "_blank", 0, ())
        frame = document.getCurrentController().getFrame()
        helper = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", office.ctx)
        helper.executeDispatch(frame, MENU_URL, "", 0, ())
        window = find_window(TITLE)
        time.sleep(2)  # let the list and the people load and paint
        x, y, width, height = geometry(window)
        layout = dialog_layout()
        # Hover over a snippet row so that its tooltip (the snippet's variables) is in the picture.
        row_y = layout.ROW_TOP + args.hover_row * layout.ROW_HEIGHT + layout.ROW_HEIGHT // 2
        mouse = (x + 40 * width // layout.WIDTH, y + row_y * height // layout.HEIGHT)
        subprocess.run(["xdotool", "mousemove", str(mouse[0]), str(mouse[1])], check=True,
                       env={**os.environ, "DISPLAY": DISPLAY})
        time.sleep(3)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        crop = f"{width}x{height}+{x}+{y}"
        subprocess.run(["import", "-display", DISPLAY, "-window", "root", "-crop", crop, "+repage",
                        str(args.output)], check=True)
        print(f"已保存 {args.output}")
        if office.log_file.exists():
            print(office.log_file.read_text(encoding="utf-8")[-2000:])
    finally:
        office.stop()
        os.killpg(xvfb.pid, signal.SIGTERM)
        xvfb.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(SAMPLE_COPY, ignore_errors=True)


if __name__ == "__main__":
    main()
