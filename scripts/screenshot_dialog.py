"""Take the docs/ screenshots of Writer as a clerk sees it.

Why a script: the pictures in the docs must show what the extension really draws, so they are
taken of a real LibreOffice on a virtual 1366×768 screen (Xvfb) with the gtk3 plug-in, the
Chinese interface and the zh_CN.UTF-8 locale, the .oxt installed into a fresh profile as the
README says (tests/gui_helpers.py), with the sample library (examples/, snippets/):

* docs/dialog.png: the whole screen with the dialog over Writer, the mouse resting on a snippet so that
  its tooltip (variables, condition in words) shows;
* docs/report-in-writer.png: a report the dialog generated (生成并打开), open in Writer;
* docs/failure-summary.png: 批量生成 with a people file that lacks three columns.

Needs what ``bash scripts/setup.sh --full`` installs. Run with the venv's Python (it needs uno):

    .venv/bin/python scripts/screenshot_dialog.py [--out docs]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gui_helpers import TITLE, clerk_writer, gui_missing, measure, open_dialog, open_writer  # noqa: E402

#: Where the sample is copied: a short, readable path in the dialog's fields.
SAMPLE = Path(tempfile.gettempdir()) / "述职报告"
DROPPED = ("参加集中学习次数", "研讨发言次数", "撰写心得体会篇数")


def sample_copy() -> dict[str, object]:
    """The sample library in SAMPLE, a people file without three columns beside it; the dialog's
    remembered settings for it."""
    import openpyxl

    shutil.rmtree(SAMPLE, ignore_errors=True)
    for name in ("examples", "snippets"):
        shutil.copytree(ROOT / name, SAMPLE / name)
    book = openpyxl.load_workbook(SAMPLE / "examples" / "people.xlsx")
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    for name in DROPPED:
        sheet.delete_cols(headers.index(name) + 1)
        headers.remove(name)
    book.save(SAMPLE / "examples" / "缺列的人员表.xlsx")
    return {"rules": str(SAMPLE / "examples" / "rules.yaml"), "people": str(SAMPLE / "examples" / "people.xlsx"),
            "vars": str(SAMPLE / "examples" / "vars.yaml"), "outdir": str(SAMPLE / "报告"), "pdf": False}


def click_later(office: Any, button: str) -> threading.Thread:
    """Press a button of the shown dialog from another thread: a summary box is modal and blocks."""
    def press() -> None:
        office.trigger(f"click:{button}")

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--hover-row", type=int, default=3, help="snippet list row (from 0) to show the tooltip of")
    args = parser.parse_args()
    missing = gui_missing()
    if missing:
        raise SystemExit(f"{missing}：请先运行 bash scripts/setup.sh --full")
    settings = sample_copy()
    try:
        with clerk_writer(settings, give=(SAMPLE,)) as (office, screen):
            # 1. The dialog over her Writer, the sample library loaded, the mouse resting on a snippet:
            # its tooltip (variables, condition in words).
            frame = open_writer(office, screen)
            window = open_dialog(office, screen, frame)
            x, y, width, height = screen.geometry(window)
            sizes = measure(office)
            rx, ry, _rw, rh = sizes["controls"][f"row_{args.hover_row}"]
            for nudge in (0, 4):  # a second small move: the tooltip opens on a motion over the row
                screen.run("xdotool", "mousemove", str(sizes["dialog"][0] + rx + 40 + nudge),
                           str(sizes["dialog"][1] + ry + rh // 2))
                time.sleep(1.5)
            time.sleep(2)
            screen.shoot(args.out / "dialog.png")  # the whole 1366×768 screen: the dialog fits on it
            print(f"已保存 {args.out / 'dialog.png'}，{width}×{height}")
            screen.run("xdotool", "mousemove", "1300", "700")
            click_later(office, "close").join(30)

            # 2. The failure summary: 批量生成 with a people file that lacks three columns.
            office.settings_file.write_text(json.dumps({**settings, "people": str(SAMPLE / "examples" / "缺列的人员表.xlsx")},
                                                       ensure_ascii=False), encoding="utf-8")
            window = open_dialog(office, screen, frame)
            before = screen.windows(TITLE)
            pressed = click_later(office, "batch")
            deadline = time.monotonic() + 60
            while len(screen.windows(TITLE)) <= len(before):
                if time.monotonic() > deadline:
                    raise SystemExit("没有出现汇总提示框")
                time.sleep(0.5)
            time.sleep(2)
            box = [found for found in screen.windows(TITLE) if found not in before][-1]
            bx, by, bw, bh = screen.geometry(box)
            screen.shoot(args.out / "failure-summary.png")
            print(f"已保存 {args.out / 'failure-summary.png'}（提示框 {bw}×{bh}，位于 {bx},{by}）")
            screen.run("xdotool", "key", "--window", box, "Return")
            pressed.join(30)
            click_later(office, "close").join(30)


        # 3. A report in her Writer: built by the library as the dialog builds it, opened by her Writer
        # as a double-click would open it.
        from assembler import pipeline

        project = pipeline.load_project(SAMPLE / "examples" / "rules.yaml", SAMPLE / "examples" / "checklist.md")
        batch = pipeline.build(project, SAMPLE / "examples" / "people.xlsx", SAMPLE / "报告",
                               common=pipeline.common_values((), SAMPLE / "examples" / "vars.yaml"), jobs=1,
                               only=lambda plan: plan.row == 2, force=True)
        [written] = batch.written
        with clerk_writer(settings, give=(SAMPLE,), document=written.file) as (office, screen):
            open_writer(office, screen)
            time.sleep(4)
            screen.shoot(args.out / "report-in-writer.png")
            print(f"已保存 {args.out / 'report-in-writer.png'}")
    finally:
        shutil.rmtree(SAMPLE, ignore_errors=True)


if __name__ == "__main__":
    main()
