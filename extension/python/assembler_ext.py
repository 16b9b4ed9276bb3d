"""述职报告助手: the Writer dialog of the assembler extension.

A thin shell over the ``assembler`` library bundled in ``pythonpath/`` beside this
file: every rule (selection, checklist format, people files, numbering, names of
outputs, messages) lives in the library; this module only shows it in a dialog.

Layout of the module, from the outside in:

* ``Assistant``: the UNO component. ``Addons.xcu`` points the menu entry and the
  toolbar button at ``service:org.assembler.extension.Assistant?open``; the
  framework creates the component and calls ``trigger("open")``. Tests call
  ``trigger("selftest:<json file>")``, which builds the same dialog (without
  showing it), runs the steps in the file through the same handlers the controls
  call, and writes what happened to a result file.
* ``Controller``: the dialog's logic, one ``on_…`` handler per user action.
  Handlers never let an exception escape: user mistakes arrive as
  ``AssemblerError`` and are shown with ``format()`` (the CLI's message);
  anything else is logged with its traceback and shown as one Chinese line.
* ``DialogView``: the UNO dialog model and controls, and nothing else.

Under ``--headless`` modal ``execute()`` returns at once, which is why the dialog
is modeless and why tests drive the controller instead of clicking.

Size: one file of about 1,500 lines because LibreOffice registers the components of the file that
the manifest names, and everything else on ``pythonpath/`` is the bundled library, copied in by
``assembler oxt``; no rule lives here, only the window (its largest part is the snippet pane that
makes the mouse wheel and the keyboard work, see ``DialogView``). Splitting the view into a second
module on ``pythonpath/`` is the next step if it grows.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import uno
import unohelper
from com.sun.star.awt import (
    XActionListener,
    XAdjustmentListener,
    XCallback,
    XFocusListener,
    XItemListener,
    XKeyListener,
    XSpinListener,
    XTopWindowListener,
)
from com.sun.star.task import XJobExecutor

IMPLEMENTATION_NAME = "org.assembler.extension.Assistant"
SERVICE_NAMES = ("org.assembler.extension.Assistant",)
SETTINGS_FILE = "assembler-extension.json"
LOG_FILE = "assembler-extension.log"
LOG_LIMIT = 512 * 1024
CHECKLIST_NAME = "checklist.md"
MIN_PYTHON = (3, 11)

# ----------------------------------------------------------------- bundled library first

#: The loader appends ``pythonpath/`` to sys.path; system copies (e.g. Debian's python3-yaml)
#: would then win over the versions the library was tested with, so move it to the front.
BUNDLED = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pythonpath"))
sys.path[:] = [entry for entry in sys.path if os.path.normpath(entry) != BUNDLED]
sys.path.insert(0, BUNDLED)

LXML_MISSING = (
    "缺少 lxml：LibreOffice 使用的 Python（{python}）中没有安装 lxml，述职报告助手无法运行。\n\n"
    "Debian/Ubuntu：在终端中运行\n    sudo apt-get install python3-lxml\n"
    "然后完全退出 LibreOffice（包括快速启动）再重新打开。\n\n"
    "Windows：LibreOffice 自带 Python，需要为它安装与其版本相符的 lxml，"
    "步骤见插件说明文档 docs/extension.md 的“Windows”一节。\n\n（详情：{detail}）"
)
LIBRARY_MISSING = (
    "无法载入插件自带的 assembler 库：{detail}\n\n"
    "请在“工具 → 扩展管理器”中删除“述职报告助手”后重新安装 assembler.oxt，然后重新启动 LibreOffice。"
)
PYTHON_TOO_OLD = (
    "LibreOffice 使用的 Python 版本是 {python}，述职报告助手需要 Python {need} 或更高版本。\n\n"
    "Debian 12 / Ubuntu 23.04 及更新的系统自带的 LibreOffice 满足要求；其他情况见 docs/extension.md。"
)


def _python_version() -> str:
    return sys.version.split()[0]


def import_library() -> str | None:
    """Import lxml and the bundled library; on failure, the Chinese message that says how to fix it."""
    if sys.version_info < MIN_PYTHON:
        return PYTHON_TOO_OLD.format(python=_python_version(), need=".".join(map(str, MIN_PYTHON)))
    try:
        import lxml.etree  # noqa: F401  (compiled: must come from LibreOffice's own Python)
    except ImportError as exc:
        return LXML_MISSING.format(python=f"Python {_python_version()}", detail=exc)
    try:
        # Module globals: imported here so that a failure becomes a message instead of a dead component.
        global AssemblerError, Checklist, InputError, TYPE_HINTS, atomic_write, checklist_groups
        global merge_checklist, parse_checklist_text, pipeline, read_checklist, render_checklist
        global EmptySelection, describe_condition, convert_one, DocumentError, fonts, summary
        from assembler import pipeline
        from assembler.build import summary
        from assembler.build.body_checks import EmptySelection
        from assembler.errors import AssemblerError, InputError
        from assembler.library.workbook import TYPE_HINTS
        from assembler.load.selection import (
            Checklist,
            checklist_groups,
            merge_checklist,
            parse_checklist_text,
            read_checklist,
            render_checklist,
        )
        from assembler.office import fonts
        from assembler.office.convert import DocumentError, convert_one
        from assembler.output import atomic_write
        from assembler.template.conditions import describe_condition
    except ImportError as exc:
        return LIBRARY_MISSING.format(detail=exc)
    return None


IMPORT_ERROR = import_library()

# ----------------------------------------------------------------- profile files


def _profile_config_dir(ctx: Any) -> Path:
    """The user profile's ``config`` folder: settings and the log live with the profile."""
    settings = ctx.ServiceManager.createInstanceWithContext("com.sun.star.util.PathSettings", ctx)
    return Path(uno.fileUrlToSystemPath(settings.UserConfig))


class Log:
    """A small log in the user profile: tracebacks go here, never into a message box."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, text: str) -> None:
        try:
            if self.path.exists() and self.path.stat().st_size > LOG_LIMIT:
                self.path.replace(self.path.with_suffix(".log.old"))
            stamp = _dt.datetime.now().isoformat(timespec="seconds")
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(f"{stamp} {text}\n")
        except OSError:
            pass


class Settings:
    """What the dialog remembers between sessions (last rules, people, folders), as JSON."""

    KEYS = ("rules", "people", "vars", "outdir", "pdf", "force")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, Any] = {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.values = {key: loaded[key] for key in self.KEYS if key in loaded}
        except (OSError, ValueError):
            pass

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def update(self, **values: Any) -> None:
        self.values.update(values)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.values, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass


# ----------------------------------------------------------------- UNO helpers


def _url(path: Path | str) -> str:
    return uno.systemPathToFileUrl(os.path.abspath(str(path)))


def _path(url: str) -> str:
    return uno.fileUrlToSystemPath(url)


def _desktop(ctx: Any) -> Any:
    return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def _message_box(ctx: Any, parent: Any, text: str, kind: str) -> None:
    """A modal message box (returns at once under --headless)."""
    if parent is None:
        return
    toolkit = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
    box_type = uno.Enum("com.sun.star.awt.MessageBoxType", "ERRORBOX" if kind == "error" else "INFOBOX")
    box = toolkit.createMessageBox(parent, box_type, 1, "述职报告助手", text)  # 1 = BUTTONS_OK
    box.execute()
    box.dispose()


# ----------------------------------------------------------------- the dialog view

TITLE = "述职报告助手"
#: com.sun.star.awt.PosSize.POSSIZE and the com.sun.star.awt.Key codes the snippet rows use.
POS_SIZE = 15
KEY_DOWN, KEY_UP, KEY_HOME, KEY_END, KEY_PAGE_UP, KEY_PAGE_DOWN = 1024, 1025, 1028, 1029, 1030, 1031
#: Sizes in AppFont units (they scale with the UI font: with gtk3 and the Chinese interface one unit is
#: about 2.4 px). The whole dialog must fit a 1280×720 screen with a title bar and a panel, so it is
#: at most about 260 units (≈ 620 px) high; 15 rows of the snippet list show at once, the rest scroll.
ROW_TOP, ROW_HEIGHT, VISIBLE_ROWS = 36, 11, 15
#: Rows one notch of the mouse wheel moves the snippet list (as in Writer's own lists).
WHEEL_ROWS = 3
BOTTOM = ROW_TOP + VISIBLE_ROWS * ROW_HEIGHT + 6
WIDTH, HEIGHT = 470, BOTTOM + 50
LEFT_WIDTH = 252
#: The snippet pane's left edge and width (AppFont units): the rows and, on its right, their scrollbar.
PANE_X, ROWS_WIDTH, SCROLL_WIDTH = 6, LEFT_WIDTH - 2 - 6, 8
RIGHT_X = 272
RIGHT_WIDTH = WIDTH - RIGHT_X - 6
#: Width of the labels in front of the right column's fields.
LABEL_WIDTH = 52

#: Buttons → controller handlers; the action listener and the tests both go through ``Controller.click``.
BUTTONS = {
    "rules_browse": "on_browse_rules",
    "rules_load": "on_rules_chosen",
    "people_browse": "on_browse_people",
    "vars_browse": "on_browse_vars",
    "outdir_browse": "on_browse_outdir",
    "tick_all": "on_tick_all",
    "tick_none": "on_tick_none",
    "save_checklist": "on_save_checklist",
    "generate_open": "on_generate_open",
    "batch": "on_batch",
    "close": "on_close",
}


class _ActionListener(unohelper.Base, XActionListener):
    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    def actionPerformed(self, event: Any) -> None:  # noqa: N802 (UNO name)
        self.controller.click(event.ActionCommand)

    def disposing(self, source: Any) -> None:
        pass


class _ItemListener(unohelper.Base, XItemListener):
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback

    def itemStateChanged(self, event: Any) -> None:  # noqa: N802
        self.callback()

    def disposing(self, source: Any) -> None:
        pass


class _ScrollListener(unohelper.Base, XAdjustmentListener):
    def __init__(self, view: DialogView) -> None:
        self.view = view

    def adjustmentValueChanged(self, event: Any) -> None:  # noqa: N802
        self.view.scroll_to(event.Value)

    def disposing(self, source: Any) -> None:
        pass


class _WheelListener(unohelper.Base, XSpinListener):
    """The snippet pane's spin events: a wheel notch moves the list by WHEEL_ROWS rows; an arrow or
    page key on a row (the pane turns those into spin events too) moves the focus instead."""

    def __init__(self, view: DialogView) -> None:
        self.view = view

    def up(self, event: Any) -> None:
        self.view.spun(-WHEEL_ROWS)

    def down(self, event: Any) -> None:
        self.view.spun(WHEEL_ROWS)

    def first(self, event: Any) -> None:  # Page Down
        self.view.spun(0)

    def last(self, event: Any) -> None:  # Page Up
        self.view.spun(0)

    def disposing(self, source: Any) -> None:
        pass


class _RowKeys(unohelper.Base, XKeyListener):
    """The keys that move the focus between snippet rows (see ``DialogView.row_key``)."""

    def __init__(self, view: DialogView, name: str) -> None:
        self.view = view
        self.name = name

    def keyPressed(self, event: Any) -> None:  # noqa: N802
        self.view.row_key(self.name, event.KeyCode, event.Modifiers)

    def keyReleased(self, event: Any) -> None:  # noqa: N802
        pass

    def disposing(self, source: Any) -> None:
        pass


class _FocusListener(unohelper.Base, XFocusListener):
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback

    def focusGained(self, event: Any) -> None:  # noqa: N802
        self.callback()

    def focusLost(self, event: Any) -> None:  # noqa: N802
        pass

    def disposing(self, source: Any) -> None:
        pass


class _CloseListener(unohelper.Base, XTopWindowListener):
    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    def windowClosing(self, event: Any) -> None:  # noqa: N802
        self.controller.on_close()

    def windowOpened(self, event: Any) -> None:  # noqa: N802
        pass

    def windowClosed(self, event: Any) -> None:  # noqa: N802
        pass

    def windowMinimized(self, event: Any) -> None:  # noqa: N802
        pass

    def windowNormalized(self, event: Any) -> None:  # noqa: N802
        pass

    def windowActivated(self, event: Any) -> None:  # noqa: N802
        pass

    def windowDeactivated(self, event: Any) -> None:  # noqa: N802
        pass

    def disposing(self, source: Any) -> None:
        pass


class SnippetRow(NamedTuple):
    """One line of the snippet list: a section heading (no id) or a snippet's checkbox.

    A NamedTuple, not a dataclass: the loader runs this file as a module that is not in
    ``sys.modules``, where ``dataclasses`` cannot resolve string annotations.
    """

    control: str
    snippet_id: str | None
    text: str
    tooltip: str = ""


class DialogView:
    """The UNO dialog: builds the model and controls, reads and sets their states."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        smgr = ctx.ServiceManager
        self.toolkit = smgr.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
        self.model = smgr.createInstanceWithContext("com.sun.star.awt.UnoControlDialogModel", ctx)
        self.model.Title = TITLE
        self.model.Width, self.model.Height = WIDTH, HEIGHT
        self.model.PositionX, self.model.PositionY = 40, 30
        self.dialog = smgr.createInstanceWithContext("com.sun.star.awt.UnoControlDialog", ctx)
        self.dialog.setModel(self.model)
        self.rows: list[SnippetRow] = []
        #: The rows' own controls and models: they live in the snippet pane, not in the dialog's model.
        self.row_controls: dict[str, Any] = {}
        self.pane: Any = None
        #: The list's scrollbar, in the pane too (so the wheel over it scrolls as well).
        self.scroll_model = smgr.createInstanceWithContext("com.sun.star.awt.UnoControlScrollBarModel", ctx)
        for key, value in {"Orientation": 1, "ScrollValueMin": 0, "ScrollValueMax": 0, "VisibleSize": VISIBLE_ROWS,
                           "LineIncrement": 1, "BlockIncrement": VISIBLE_ROWS - 1}.items():
            setattr(self.scroll_model, key, value)
        self.scroll_control: Any = None
        #: The row that has (or last had) the keyboard focus, and the focus step an arrow or page key
        #: asked for (the pane reports that key as a spin event right after the row reports it).
        self.focused_row: str | None = None
        self.key_step = 0
        self.person_rows: list[int | None] = []
        self.offset = 0
        self.shown = False
        self._layout()

    # -- building

    def add(self, kind: str, name: str, x: int, y: int, width: int, height: int, **props: Any) -> Any:
        model = self.model.createInstance(f"com.sun.star.awt.UnoControl{kind}Model")
        model.PositionX, model.PositionY, model.Width, model.Height = x, y, width, height
        for key, value in props.items():
            setattr(model, key, value)
        self.model.insertByName(name, model)
        return model

    def _layout(self) -> None:
        add = self.add
        add("FixedText", "rules_label", 6, 8, 40, 10, Label="规则文件：")
        add("Edit", "rules_path", 48, 6, WIDTH - 48 - 92, 12,
            HelpText="规则文件（rules.yaml）；同一文件夹中的 checklist.md 是选稿清单")
        add("Button", "rules_browse", WIDTH - 88, 5, 40, 14, Label="浏览…")
        add("Button", "rules_load", WIDTH - 44, 5, 38, 14, Label="载入", HelpText="重新读入规则文件和片段库")
        add("FixedText", "snippets_label", 6, 24, LEFT_WIDTH, 10,
            Label="选用片段（勾选即采用；鼠标停在片段上可查看其变量）")
        bottom = BOTTOM
        add("Button", "save_checklist", 6, bottom, 64, 14, Label="保存清单",
            HelpText="把勾选写回规则文件旁的 checklist.md（命令行也用这个文件）")
        add("Button", "tick_all", 74, bottom, 40, 14, Label="全选")
        add("Button", "tick_none", 118, bottom, 40, 14, Label="全不选")

        x, w, browse, label = RIGHT_X, RIGHT_WIDTH, 36, LABEL_WIDTH
        field = w - label - browse - 6

        def path_row(name: str, y: int, text: str, help_text: str) -> None:
            add("FixedText", f"{name}_label", x, y + 2, label, 10, Label=text, HelpText=help_text)
            add("Edit", f"{name}_path", x + label + 2, y, field, 12, HelpText=help_text)
            add("Button", f"{name}_browse", x + w - browse, y - 1, browse, 14, Label="浏览…")

        path_row("people", 24, "人员表：", "每人一行的人员表：.xlsx、.csv、.yaml 或 .json")
        path_row("vars", 42, "共用值文件：", "可选：所有人相同的值（YAML/JSON，如 year: 2022），与命令行的 --vars 相同")
        add("FixedText", "person_label", x, 60, w, 10, Label="人员（可多选；“全部”表示表中每个人）：")
        out_y = bottom - 44  # the output block above the action buttons
        add("ListBox", "person_list", x, 70, w, out_y - 74, MultiSelection=True, Dropdown=False)
        path_row("outdir", out_y, "输出文件夹：", "批量生成的报告、PDF 和 manifest.json 写到这里")
        add("CheckBox", "pdf", x, out_y + 16, w, 10, Label="同时生成 PDF（由当前 LibreOffice 转换）", State=0)
        add("CheckBox", "force", x, out_y + 28, w, 10, Label="全部重新生成（手工改过的报告仍保留）", State=0,
            HelpText="不勾选时只重新生成输入有变化的报告，未变的原样保留；勾选后每份都重新生成（同命令行的 --force）")
        add("Button", "generate_open", x, bottom, w // 2 - 2, 14, Label="生成并打开",
            HelpText="为选定的人生成报告，并在新的 Writer 窗口中打开")
        add("Button", "batch", x + w // 2 + 2, bottom, w // 2 - 2, 14, Label="批量生成",
            HelpText="为选定的人（或全部）生成报告，写入输出文件夹")
        add("ProgressBar", "progress", 6, bottom + 19, WIDTH - 12, 8, ProgressValueMin=0, ProgressValueMax=100,
            ProgressValue=0)
        add("FixedText", "status", 6, bottom + 31, WIDTH - 60, 18, Label="请选择规则文件。", MultiLine=True)
        add("Button", "close", WIDTH - 50, bottom + 32, 44, 14, Label="关闭")

    def wire(self, controller: Controller) -> None:
        """Connect the controls to the controller's handlers (what a click or a tick calls)."""
        listener = _ActionListener(controller)
        for name in BUTTONS:
            control = self.dialog.getControl(name)
            control.setActionCommand(name)
            control.addActionListener(listener)
        self.dialog.getControl("person_list").addItemListener(_ItemListener(controller.on_person_chosen))
        self.dialog.addTopWindowListener(_CloseListener(controller))

    # -- simple fields

    def text(self, name: str) -> str:
        return str(self.model.getByName(name).Text or "").strip()

    def set_text(self, name: str, value: str) -> None:
        self.model.getByName(name).Text = value

    def _control_model(self, name: str) -> Any:
        """A control's model: a snippet row's (they are not in the dialog's model) or the dialog's."""
        return self.row_controls[name].getModel() if name in self.row_controls else self.model.getByName(name)

    def checked(self, name: str) -> bool:
        return self._control_model(name).State == 1

    def set_checked(self, name: str, value: bool) -> None:
        self._control_model(name).State = 1 if value else 0

    def set_status(self, text: str) -> None:
        self.model.getByName("status").Label = text

    def status(self) -> str:
        return str(self.model.getByName("status").Label)

    def set_progress(self, done: int, total: int) -> None:
        bar = self.model.getByName("progress")
        bar.ProgressValueMax = max(total, 1)
        bar.ProgressValue = min(done, max(total, 1))

    def set_enabled(self, names: Iterable[str], enabled: bool) -> None:
        for name in names:
            self.model.getByName(name).Enabled = enabled

    # -- the snippet list

    def set_rows(self, rows: list[SnippetRow], ticked: Iterable[str],
                 on_toggle: Callable[[str], None]) -> None:
        """Replace the snippet list: section headings and one checkbox per snippet, each a child
        window of the pane (``show`` or ``realize`` made it)."""
        self._drop_row_controls()
        chosen = set(ticked)
        self.rows = rows
        smgr = self.ctx.ServiceManager
        for row in rows:
            kind = "FixedText" if row.snippet_id is None else "CheckBox"
            model = smgr.createInstanceWithContext(f"com.sun.star.awt.UnoControl{kind}Model", self.ctx)
            model.Label, model.HelpText = row.text, row.tooltip
            if row.snippet_id is None:
                model.FontWeight = 150.0
            else:
                model.State = 1 if row.snippet_id in chosen else 0
            control = smgr.createInstanceWithContext(f"com.sun.star.awt.UnoControl{kind}", self.ctx)
            control.setModel(model)
            control.createPeer(self.toolkit, self.pane)
            if row.snippet_id is not None:
                control.addItemListener(_ItemListener(functools.partial(on_toggle, row.snippet_id)))
                control.addKeyListener(_RowKeys(self, row.control))
                control.addFocusListener(_FocusListener(functools.partial(self.row_focused, row.control)))
            self.row_controls[row.control] = control
        scroll = self.scroll_model
        scroll.ScrollValueMax = max(0, len(rows) - VISIBLE_ROWS) + VISIBLE_ROWS
        scroll.VisibleSize = VISIBLE_ROWS
        scroll.ScrollValue = 0
        if self.scroll_control is not None:
            self.scroll_control.setVisible(len(rows) > VISIBLE_ROWS)
        self.scroll_to(0)

    # The snippet pane. UNO's awt has no wheel listener, and in VCL a wheel notch over a checkbox
    # that the checkbox ignores goes up to its parent windows, then to the focused window. A
    # scrollbar, a frame (group box) or the dialog ignores it: the dialog's and a frame's
    # VScroll/ScrollTop only move child windows when their own scrollbar moves, and the wheel over
    # the old ScrollBar control did nothing either (measured here). A spin field is the awt window
    # that turns a notch over itself or over any of its child windows into an event UNO reports
    # (XSpinListener up/down): VCL's default wheel behaviour is "always", not "only with the focus"
    # (setting the peer's MouseWheelBehavior changes nothing here: the gtk3 plug-in's settings win).
    # So the rows are child windows of a borderless spin field the size of the list.

    def _make_pane(self) -> None:
        """The pane, once the dialog has its window (rows are child windows of the pane's window)."""
        if self.pane is not None:
            return
        peer = self.dialog.getPeer()
        descriptor = uno.createUnoStruct("com.sun.star.awt.WindowDescriptor")
        descriptor.Type = uno.Enum("com.sun.star.awt.WindowClass", "SIMPLE")
        descriptor.WindowServiceName = "spinfield"
        descriptor.Parent = peer
        descriptor.ParentIndex = -1
        x, y = self._pixels(PANE_X, ROW_TOP)
        width, height = self._pixels(ROWS_WIDTH + SCROLL_WIDTH, VISIBLE_ROWS * ROW_HEIGHT)
        descriptor.Bounds = uno.createUnoStruct("com.sun.star.awt.Rectangle", x, y, width, height)
        descriptor.WindowAttributes = uno.getConstantByName("com.sun.star.awt.WindowAttribute.SHOW")
        self.pane = self.toolkit.createWindow(descriptor)
        self.pane.setProperty("BackgroundColor", peer.getProperty("BackgroundColor"))
        self.pane.setProperty("Tabstop", True)
        self.pane.setProperty("ReadOnly", True)  # no typing or pasting into the pane's hidden text
        self.pane.addSpinListener(_WheelListener(self))
        # Tab into the pane (or a click between rows) puts the focus on a row.
        self.pane.addFocusListener(_FocusListener(lambda: self.focus_row(self.focused_row)))
        self.scroll_control = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.awt.UnoControlScrollBar", self.ctx)
        self.scroll_control.setModel(self.scroll_model)
        self.scroll_control.createPeer(self.toolkit, self.pane)
        left, _ = self._pixels(ROWS_WIDTH, 0)
        self.scroll_control.setPosSize(left, 0, width - left, height, POS_SIZE)
        self.scroll_control.setVisible(len(self.rows) > VISIBLE_ROWS)
        self.scroll_control.addAdjustmentListener(_ScrollListener(self))

    def _pixels(self, width: int, height: int) -> tuple[int, int]:
        size = self.dialog.getPeer().convertSizeToPixel(
            uno.createUnoStruct("com.sun.star.awt.Size", width, height),
            uno.getConstantByName("com.sun.star.util.MeasureUnit.APPFONT"))
        return size.Width, size.Height

    def _drop_row_controls(self) -> None:
        for control in self.row_controls.values():
            control.dispose()
        self.row_controls = {}

    def spun(self, rows: int) -> None:
        """A spin event of the pane: a key on a row moves the focus, a wheel notch scrolls. The row
        reports its key only after the pane's spin event, so the choice waits for the main loop."""
        def settle() -> None:
            step, self.key_step = self.key_step, 0
            if step:
                self.focus_row(self.focused_row, step)
            elif rows:
                self.scroll_by(rows)

        runner = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", self.ctx)
        runner.addCallback(_MainThreadCall(settle), None)

    def row_key(self, name: str, key: int, modifiers: int) -> None:
        """A key on a row: arrows and page keys come back as the pane's spin event; Home and End
        (which the pane ignores) move the focus here. A row the wheel scrolled away comes back into
        view first (the space bar ticks the focused row, as in any list, seen or not)."""
        self.focused_row = name
        if not self.row_visible(name):  # scrolled away by the wheel: a key shows it again
            self.focus_row(name)
        if modifiers:
            return
        steps = {KEY_UP: -1, KEY_DOWN: 1, KEY_PAGE_UP: 1 - VISIBLE_ROWS, KEY_PAGE_DOWN: VISIBLE_ROWS - 1}
        if key in steps:
            self.key_step = steps[key]
        elif key in (KEY_HOME, KEY_END):
            self.focus_row(name, -len(self.rows) if key == KEY_HOME else len(self.rows))

    def row_focused(self, name: str) -> None:
        self.focused_row = name

    def focus_row(self, name: str | None, step: int = 0) -> None:
        """Put the focus on the snippet row ``step`` snippets from ``name`` (or on the first visible
        snippet), scrolling the list so that it shows."""
        snippets = [index for index, row in enumerate(self.rows) if row.snippet_id is not None]
        if not snippets or not self.row_controls:
            return
        names = [row.control for row in self.rows]
        if name in names and names.index(name) in snippets:
            at = snippets.index(names.index(name))
        else:
            at = next((i for i, index in enumerate(snippets) if index >= self.offset), 0)
        index = snippets[max(0, min(len(snippets) - 1, at + step))]
        if index < self.offset:
            self.scroll_by(index - self.offset - (1 if index > 0 and self.rows[index - 1].snippet_id is None else 0))
        elif index >= self.offset + VISIBLE_ROWS:
            self.scroll_by(index - self.offset - VISIBLE_ROWS + 1)
        self.focused_row = names[index]
        self.row_controls[names[index]].setFocus()

    def scroll_by(self, rows: int) -> None:
        """The wheel: move the list and its scrollbar together."""
        self.scroll_to(self.offset + rows)
        self.scroll_model.ScrollValue = self.offset

    def scroll_to(self, offset: int) -> None:
        """Show the rows from ``offset`` on: move them in the pane and hide those outside it."""
        self.offset = max(0, min(int(offset), max(0, len(self.rows) - VISIBLE_ROWS)))
        indent, _ = self._pixels(8, 0)
        width, height = self._pixels(ROWS_WIDTH, ROW_HEIGHT - 1)
        for index, row in enumerate(self.rows):
            control = self.row_controls[row.control]
            shown = self.offset <= index < self.offset + VISIBLE_ROWS
            if shown:
                _, top = self._pixels(0, (index - self.offset) * ROW_HEIGHT)
                left = 0 if row.snippet_id is None else indent
                control.setPosSize(left, top, width - left, height, POS_SIZE)
            control.setVisible(shown)

    def row_visible(self, name: str) -> bool:
        """Whether a row shows: its window's own state."""
        return bool(self.row_controls[name].isVisible())

    def ticked(self) -> list[str]:
        return [row.snippet_id for row in self.rows
                if row.snippet_id is not None and self.row_controls[row.control].getModel().State == 1]

    def snippet_control(self, snippet_id: str) -> str:
        for row in self.rows:
            if row.snippet_id == snippet_id:
                return row.control
        raise KeyError(snippet_id)

    def set_ticked(self, snippet_id: str, value: bool) -> None:
        self.set_checked(self.snippet_control(snippet_id), value)

    def set_all_ticked(self, value: bool) -> None:
        for row in self.rows:
            if row.snippet_id is not None:
                self.set_checked(row.control, value)

    # -- the people list

    def set_people(self, items: list[tuple[int | None, str]]) -> None:
        """``(row, text)`` items; row None is “全部”. Keeps nothing selected but 全部."""
        model = self.model.getByName("person_list")
        self.person_rows = [row for row, _ in items]
        model.StringItemList = tuple(text for _, text in items)
        self.select_people([0] if items else [])

    def select_people(self, indexes: Iterable[int]) -> None:
        model = self.model.getByName("person_list")
        uno.invoke(model, "setPropertyValue", ("SelectedItems", uno.Any("[]short", tuple(indexes))))

    def people_items(self) -> list[str]:
        return list(self.model.getByName("person_list").StringItemList)

    def chosen_rows(self) -> list[int | None]:
        """The rows chosen in the list; None stands for 全部."""
        selected = self.model.getByName("person_list").SelectedItems
        return [self.person_rows[index] for index in selected if 0 <= index < len(self.person_rows)]

    # -- window

    def show(self, parent: Any) -> None:
        self.dialog.createPeer(self.toolkit, parent)
        self._make_pane()
        self.place_on_screen()
        self.dialog.setVisible(True)
        self.shown = True

    def place_on_screen(self) -> None:
        """Centre the dialog on the screen's work area: placed relative to a small or far-off Writer
        window it could hang over the screen's edge, out of the mouse's reach."""
        try:
            area = self.toolkit.getWorkArea()
            peer = self.dialog.getPeer()
            box = peer.getPosSize()
            x = area.X + max(0, (area.Width - box.Width) // 2)
            y = area.Y + max(0, (area.Height - box.Height) // 2)
            peer.setPosSize(x, y, box.Width, box.Height, 3)  # 3 = PosSize.POS
        except Exception:  # noqa: BLE001 - the toolkit's own placement is the fallback
            pass

    def realize(self) -> None:
        """A peer without showing the window (tests): message boxes need a parent."""
        self.dialog.createPeer(self.toolkit, None)
        self._make_pane()

    def reschedule(self) -> None:
        """Let the shown window repaint during a long batch (tests run it unseen, from another thread)."""
        if self.shown:
            self.toolkit.reschedule()

    def close(self) -> None:
        self._drop_row_controls()
        if self.scroll_control is not None:
            self.scroll_control.dispose()
        if self.pane is not None:
            self.pane.dispose()
        self.dialog.setVisible(False)
        self.dialog.dispose()


# ----------------------------------------------------------------- the controller


NOTHING_TICKED = ("没有勾选任何片段，报告将没有正文，所以什么也没有生成。\n"
                  "请在左侧“选用片段”中至少勾选一个片段（或点“全选”），再点“批量生成”或“生成并打开”。")
#: Written beside the reports when a batch had problems: every message, one per person and line.
PROBLEMS_FILE = "生成问题清单.txt"
#: Lines of a batch's summary box at most (the OK button must stay on screen).
SUMMARY_LINES = 15
FONTS_MISSING = ("缺少字体软件包：{packages}。报告在 Writer 中显示和导出 PDF 时会用其他字体代替仿宋、楷体、黑体、小标宋。\n"
                 "请在终端中运行\n    sudo apt-get install {packages}\n然后重新启动 LibreOffice。")


def handler(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a handler so that every failure becomes a Chinese message box, never a traceback."""

    @functools.wraps(method)
    def wrapper(self: Controller, *args: Any) -> Any:
        try:
            return method(self, *args)
        except EmptySelection:
            self.show_message(NOTHING_TICKED)
        except AssemblerError as exc:
            self.show_message(self.shorten(exc.format(), getattr(exc, "file", None)))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            self.show_message(f"错误：{where}无法读写文件（{exc.strerror or exc}）")
        except Exception as exc:  # noqa: BLE001 - a dialog must not die silently
            self.log.write(f"{method.__name__} failed:\n{traceback.format_exc()}")
            encoding = sys.getfilesystemencoding()
            if isinstance(exc, UnicodeError) and encoding.lower().replace("-", "") != "utf8":
                self.show_message(f"错误：LibreOffice 不是在 UTF-8 区域设置下启动的（文件名编码为 {encoding}），"
                                  "无法处理中文文件名。请在 UTF-8 区域设置下启动 LibreOffice（如 LANG=zh_CN.UTF-8）。")
                return None
            detail = getattr(exc, "Message", "") or str(exc)
            self.show_message(f"错误：内部错误（{type(exc).__name__}: {detail}）。\n"
                              f"详细信息已写入 {self.log.path}，请把该文件发给维护人员。")
        return None

    return wrapper


class Controller:
    """The dialog's logic. Each ``on_…`` method is what a control calls; tests call them too."""

    def __init__(self, ctx: Any, view: DialogView, settings: Settings, log: Log) -> None:
        self.ctx = ctx
        self.view = view
        self.settings = settings
        self.log = log
        self.project: Any = None  # pipeline.Project of the rules file, without a checklist
        self.people_loaded: str | None = None
        self.messages: list[dict[str, str]] = []
        self.opened: list[str] = []
        self.last_batch: dict[str, Any] | None = None
        self.picker_folders: list[str | None] = []  # where each file picker opened (tests read it)
        self.closed = False

    # -- plumbing

    def click(self, name: str) -> None:
        """What a button's action listener calls."""
        method = BUTTONS.get(name)
        if method is not None:
            getattr(self, method)()

    def show_message(self, text: str, kind: str = "error") -> None:
        """Record the message (tests read it back) and show it in a message box."""
        self.messages.append({"kind": kind, "text": text})
        self.log.write(f"message ({kind}): {text}")
        self.view.set_status(text.split("\n", 1)[0])
        try:
            _message_box(self.ctx, self.view.dialog.getPeer(), text, kind)
        except Exception:  # noqa: BLE001 - the message is in the status line and the log anyway
            self.log.write(f"message box failed:\n{traceback.format_exc()}")

    def shorten(self, text: str, file: Any = None) -> str:
        """A path she chose (or one inside a folder she chose) shown as its file name."""
        if file:
            text = text.replace(str(file), Path(str(file)).name)
        for name in ("outdir_path", "people_path", "rules_path", "vars_path"):
            value = self.view.text(name)
            if not value:
                continue
            folder = str(Path(value).expanduser()) if name == "outdir_path" else str(Path(value).expanduser().parent)
            text = text.replace(str(Path(value).expanduser()), Path(value).name).replace(folder + os.sep, "")
        return text

    def _require(self, name: str, what: str) -> Path:
        value = self.view.text(name)
        if not value:
            raise InputError(f"请先选择{what}")
        return Path(value).expanduser()

    def _project(self) -> Any:
        """The rules as loaded (again, if the path changed), with the dialog's ticks as its checklist."""
        wanted = self._require("rules_path", "规则文件").resolve()
        if self.project is None or Path(self.project.rules.path).resolve() != wanted:
            self._load_rules()
        checklist = Checklist(path=self.checklist_path(), ticked=frozenset(self.view.ticked()), lines={})
        return dataclasses.replace(self.project, checklist=checklist)

    def checklist_path(self) -> Path | None:
        if self.project is None:
            return None
        return Path(self.project.rules.path).parent / CHECKLIST_NAME

    def _common(self) -> dict[str, Any]:
        """Values shared by everyone (``--vars``), raw: ``pipeline.build`` types them."""
        vars_path = self.view.text("vars_path")
        return pipeline.common_values((), Path(vars_path).expanduser() if vars_path else None)

    def _people_path(self) -> Path:
        path = self._require("people_path", "人员表").resolve()
        if str(path) != self.people_loaded:
            self._load_people()
        return path

    def _selection_status(self) -> str:
        total = sum(1 for row in self.view.rows if row.snippet_id is not None)
        return f"已选 {len(self.view.ticked())} / {total} 个片段。"

    def _pick_file(self, title: str, filters: list[tuple[str, str]], current: str,
                   start: str = "") -> str | None:
        smgr = self.ctx.ServiceManager
        picker = smgr.createInstanceWithContext("com.sun.star.ui.dialogs.FilePicker", self.ctx)
        picker.initialize((0,))  # TemplateDescription.FILEOPEN_SIMPLE
        picker.setTitle(title)
        for name, pattern in filters:
            picker.appendFilter(name, pattern)
        if filters:
            picker.setCurrentFilter(filters[0][0])
        folder = self.start_folder(current, start)
        self.picker_folders.append(str(folder) if folder is not None else None)
        if folder is not None:
            picker.setDisplayDirectory(_url(folder))
        if picker.execute() != 1:
            return None
        files = picker.getSelectedFiles() if hasattr(picker, "getSelectedFiles") else picker.getFiles()
        return _path(files[0]) if files else None

    def start_folder(self, current: str, start: str = "") -> Path | None:
        """Where a file picker opens: beside the current file, else in ``start`` (the rules' folder)."""
        for candidate in (Path(current).expanduser().parent if current else None,
                          Path(start).expanduser().parent if start else None):
            if candidate is not None and candidate.is_dir():
                return candidate
        return None

    # -- rules and snippets

    @handler
    def on_browse_rules(self) -> None:
        chosen = self._pick_file("选择规则文件", [("规则文件 (*.yaml; *.yml)", "*.yaml;*.yml"),
                                                 ("所有文件", "*.*")], self.view.text("rules_path"))
        if chosen:
            self.view.set_text("rules_path", chosen)
            self.on_rules_chosen()

    @handler
    def on_rules_chosen(self) -> None:
        self._load_rules()

    def _load_rules(self) -> None:
        """Load the rules and library; ticks start from checklist.md beside the rules, if any."""
        self.project = None
        self.view.set_rows([], (), self.on_toggle)
        rules_path = self._require("rules_path", "规则文件").resolve()
        self.view.set_text("rules_path", str(rules_path))
        project = pipeline.load_project(rules_path)
        self.project = project
        self.settings.update(rules=str(rules_path))
        ticked, note = self._initial_ticks(project)
        self.view.set_rows(self._rows(project), ticked, self.on_toggle)
        self.people_loaded = None
        if self.view.text("people_path"):
            self.on_people_chosen()
        self.view.set_status(f"已载入 {rules_path.name}：{self._selection_status()}{note}")

    def _initial_ticks(self, project: Any) -> tuple[Iterable[str], str]:
        """The checklist's ticks; a stale checklist is shown and merged (old ticks kept, new ones ticked)."""
        path = self.checklist_path()
        if path is None or not path.exists():
            return project.rules.entry_ids(), "（没有选稿清单，默认全部采用）"
        try:
            return read_checklist(path, project.rules).ticked, f"（勾选来自 {path.name}）"
        except AssemblerError as exc:
            self.show_message(exc.format() + "\n\n已按规则刷新勾选（保留原有勾选，新片段默认采用）；"
                              "点击“保存清单”写回。")
        try:
            merged = merge_checklist(project.rules, project.library, path)
            found = parse_checklist_text(merged, file=path)
            ticks = [snippet_id for snippet_id, (ticked, _) in found.items() if ticked]
            return ticks, "（清单已刷新，尚未保存）"
        except AssemblerError:
            return project.rules.entry_ids(), "（清单无法读取，默认全部采用）"

    def _rows(self, project: Any) -> list[SnippetRow]:
        """Section headings and snippets in the rules' order, numbered as in the checklist."""
        library = project.library
        rows: list[SnippetRow] = []
        for heading, entries in checklist_groups(project.rules):
            rows.append(SnippetRow(control=f"row_{len(rows)}", snippet_id=None, text=heading))
            for entry in entries:
                snippet = library[entry.id]
                rows.append(SnippetRow(control=f"row_{len(rows)}", snippet_id=entry.id, text=snippet.label,
                                       tooltip=self._tooltip(project, entry, snippet)))
        return rows

    @staticmethod
    def _tooltip(project: Any, entry: Any, snippet: Any) -> str:
        lines = [f"片段 {entry.id}"]
        if snippet.variables:
            lines.append("变量：")
            for name, spec in snippet.variables.items():
                label = f"{spec.label}（{name}）" if spec.label else name
                lines.append(f"  {label}：{TYPE_HINTS.get(spec.type, spec.type)}")
        else:
            lines.append("无变量")
        if entry.when:
            labels = {name: spec.label for name, spec in project.specs.items() if spec.label}
            lines.append(f"条件：{describe_condition(entry.when, labels)}")
        if snippet.variants:
            lines.append(f"备选正文：{len(snippet.variants) + 1} 种")
        return "\n".join(lines)

    @handler
    def on_toggle(self, snippet_id: str) -> None:
        """A checkbox changed: the ticks live in the checkboxes; only the status line follows."""
        self.view.set_status(f"{self._selection_status()}（未保存；点击“保存清单”写回 {CHECKLIST_NAME}）")

    @handler
    def on_tick_all(self) -> None:
        self.view.set_all_ticked(True)
        self.on_toggle("")

    @handler
    def on_tick_none(self) -> None:
        self.view.set_all_ticked(False)
        self.on_toggle("")

    @handler
    def on_save_checklist(self) -> None:
        """Write the ticks to checklist.md in the checklist format the CLI reads."""
        project = self._project()
        path = self.checklist_path()
        assert path is not None
        text = render_checklist(project.rules, project.library, project.checklist.ticked)
        atomic_write(path, text.encode("utf-8"))
        self.view.set_status(f"已保存选稿清单 {path}：{self._selection_status()}")

    # -- people

    @handler
    def on_browse_people(self) -> None:
        chosen = self._pick_file("选择人员表", [("人员表 (*.xlsx; *.csv; *.yaml; *.yml; *.json)",
                                                "*.xlsx;*.csv;*.yaml;*.yml;*.json"), ("所有文件", "*.*")],
                                 self.view.text("people_path"), start=self.view.text("rules_path"))
        if chosen:
            self.view.set_text("people_path", chosen)
            self.on_people_chosen()

    @handler
    def on_browse_vars(self) -> None:
        chosen = self._pick_file("选择共用值文件", [("YAML/JSON (*.yaml; *.yml; *.json)", "*.yaml;*.yml;*.json"),
                                                   ("所有文件", "*.*")], self.view.text("vars_path"),
                                 start=self.view.text("rules_path"))
        if chosen:
            self.view.set_text("vars_path", chosen)
            self.settings.update(vars=chosen)

    @handler
    def on_people_chosen(self) -> None:
        self._load_people()

    def _load_people(self) -> None:
        """Read the people file and list its people, “全部” first."""
        self.people_loaded = None
        self.view.set_people([])
        path = self._require("people_path", "人员表").resolve()
        self.view.set_text("people_path", str(path))
        if self.project is None:
            self.settings.update(people=str(path))
            return
        people = pipeline.load_people(self.project, path)
        common = pipeline.type_common(self._common(), self.project.specs, source=self.view.text("vars_path"))
        plans = pipeline.plan_people(self.project, people, common)
        self.view.set_people([(None, f"全部（{len(plans)} 人）")] + [(plan.row, plan.name) for plan in plans])
        self.people_loaded = str(path)
        self.settings.update(people=str(path), vars=self.view.text("vars_path"))
        self.view.set_status(f"已读入人员表 {path.name}：{len(plans)} 人。")

    @handler
    def on_person_chosen(self) -> None:
        rows = self.view.chosen_rows()
        if None in rows or not rows:
            self.view.set_status("已选择全部人员。")
        else:
            self.view.set_status(f"已选择 {len(rows)} 人。")

    def _chosen(self) -> list[int] | None:
        """Rows chosen, or None for everyone."""
        rows = self.view.chosen_rows()
        if not rows or None in rows:
            return None
        return [row for row in rows if row is not None]

    # -- building

    @handler
    def on_generate_open(self) -> None:
        """Build the chosen people's reports into a temporary folder and open each in Writer."""
        project = self._project()
        people_path = self._people_path()
        rows = self._chosen()
        if rows is None:
            self.show_message("请在人员列表中选定要生成并打开的人（“全部”用于批量生成）。", kind="info")
            return
        outdir = Path(tempfile.mkdtemp(prefix="assembler-open-"))
        batch = pipeline.build(project, people_path, outdir, common=self._common(), force=True, jobs=1,
                               only=lambda plan: plan.row in rows)
        problems = [problem.line() for problem in summary.grouped_problems(batch, "dialog")
                    if problem.level == "错误"]
        desktop = _desktop(self.ctx)
        for report in batch.written:
            desktop.loadComponentFromURL(_url(report.file), "_blank", 0, ())
            self.opened.append(str(report.file))
        if problems:
            self.show_message("\n".join(problems[:SUMMARY_LINES]))
        else:
            self.view.set_status(f"已生成并打开 {len(batch.written)} 份报告（另存为即可保留）。")

    @handler
    def on_browse_outdir(self) -> None:
        smgr = self.ctx.ServiceManager
        picker = smgr.createInstanceWithContext("com.sun.star.ui.dialogs.FolderPicker", self.ctx)
        picker.setTitle("选择输出文件夹")
        current = self.view.text("outdir_path")
        if current and Path(current).is_dir():
            picker.setDisplayDirectory(_url(current))
        if picker.execute() == 1:
            self.view.set_text("outdir_path", _path(picker.getDirectory()))
            self.settings.update(outdir=self.view.text("outdir_path"))

    @handler
    def on_batch(self) -> None:
        """Build every chosen person's report into the output folder, optionally with PDFs."""
        project = self._project()
        people_path = self._people_path()
        outdir = self._require("outdir_path", "输出文件夹").resolve()
        rows = self._chosen()
        pdf, force = self.view.checked("pdf"), self.view.checked("force")
        self.settings.update(outdir=str(outdir), pdf=pdf, force=force)
        busy = ("generate_open", "batch", "save_checklist", "rules_load", "rules_browse")
        self.view.set_enabled(busy, False)
        try:
            def progress(done: int, total: int) -> None:
                self.view.set_progress(done, total)
                self.view.set_status(f"正在生成 Word：{done}/{total}")
                self.view.reschedule()

            only = None if rows is None else (lambda plan: plan.row in rows)
            batch = pipeline.build(project, people_path, outdir, common=self._common(), force=force, jobs=1,
                                   progress=progress, only=only)
            if pdf:
                pipeline.add_pdfs(batch, project=project, people=people_path, convert=self._convert_pdfs)
        finally:
            self.view.set_enabled(busy, True)
            self.view.set_progress(0, 1)  # an idle bar: the next batch starts from empty
        self.last_batch = {
            "outdir": str(outdir),
            "written": [str(report.file) for report in batch.written],
            "skipped": [str(report.file) for report in batch.skipped],
            "failed": [report.name for report in batch.failed],
            "pdf": [str(report.pdf) for report in batch.reports if report.pdf],
            "pdfs_made": batch.pdfs_made,
            "pdfs_kept": batch.pdfs_kept,
        }
        text = self._batch_summary(batch, people_path, outdir)
        self.last_batch["problems_file"] = str(outdir / PROBLEMS_FILE) if (outdir / PROBLEMS_FILE).exists() else None
        self.show_message(text, kind="error" if batch.failed else "info")

    def _batch_summary(self, batch: Any, people_path: Path, outdir: Path) -> str:
        """At most ``SUMMARY_LINES`` lines: the counts, one line per cause; every message per person
        goes to ``PROBLEMS_FILE`` beside the reports, whose name the summary gives."""
        counts = batch.counts()
        lines = [f"已生成 {counts['written']} 份，跳过 {counts['skipped']} 份，失败 {counts['failed']} 份；"
                 f"输出文件夹：{outdir.name}"]
        pdfs = summary.pdf_line(batch)
        if pdfs:
            lines.append(pdfs)
        problems = summary.grouped_problems(batch, "dialog")
        log = outdir / PROBLEMS_FILE
        if not problems:
            if log.exists():
                log.unlink()  # ours, from an earlier batch: it would describe problems that are gone
            return "\n".join(lines)
        full = summary.problem_lines(batch, people_path.name, "dialog")
        atomic_write(log, ("\n".join(full) + "\n").encode("utf-8"))
        room = SUMMARY_LINES - len(lines) - 2
        shown = [problem.line() for problem in problems[:room]]
        lines += shown
        if len(problems) > len(shown):
            lines.append(f"……另有 {len(problems) - len(shown)} 类问题未列出。")
        lines.append(f"每人的全部问题（共 {len(full)} 条）已写入输出文件夹中的“{PROBLEMS_FILE}”。")
        return "\n".join(lines)

    def _convert_pdfs(self, sources: list[Path]) -> list[tuple[Path | None, str | None]]:
        """``add_pdfs``' converter here: the running office, through the library's one conversion
        (hidden, read-only, no macros, no link updates; written under a part name and renamed)."""
        desktop = _desktop(self.ctx)
        results: list[tuple[Path | None, str | None]] = []
        for done, source in enumerate(sources, start=1):
            self.view.set_status(f"正在转换 PDF：{done}/{len(sources)}")
            self.view.set_progress(done - 1, len(sources))
            self.view.reschedule()
            target = source.with_suffix(".pdf")
            try:
                convert_one(desktop, source, target)
                results.append((target, None))
            except DocumentError as exc:
                results.append((None, exc.message))
            except Exception as exc:  # noqa: BLE001 - one failed conversion fails that person only
                results.append((None, str(getattr(exc, "Message", "") or exc)))
        return results

    @handler
    def on_close(self) -> None:
        self.closed = True
        global _ACTIVE
        if _ACTIVE is self:
            _ACTIVE = None
        self.view.close()

    # -- start

    def restore(self) -> None:
        """Fill the fields from the last session and load the remembered rules file."""
        for key, name in (("rules", "rules_path"), ("people", "people_path"), ("vars", "vars_path"),
                          ("outdir", "outdir_path")):
            value = self.settings.get(key)
            if value:
                self.view.set_text(name, str(value))
        self.view.set_checked("pdf", bool(self.settings.get("pdf")))
        self.view.set_checked("force", bool(self.settings.get("force")))
        self.check_fonts()
        rules = self.settings.get("rules")
        if rules and Path(rules).exists():
            self.on_rules_chosen()
        elif self.view.text("people_path"):
            self.view.set_status("请选择规则文件。")

    def check_fonts(self) -> None:
        """The free stand-ins for the official fonts: the user's fontconfig file (normally put there by
        the start-up job) and the Debian packages it points at; a missing package is named."""
        try:
            fonts.install_user_config()
            missing = fonts.missing_font_packages()
        except Exception:  # noqa: BLE001 - fonts never stop the dialog
            self.log.write(f"font check failed:\n{traceback.format_exc()}")
            return
        if missing:
            self.show_message(FONTS_MISSING.format(packages=" ".join(missing)), kind="info")

    def state(self) -> dict[str, Any]:
        """Everything a test wants to know about the dialog, as plain data."""
        return {
            "rules_path": self.view.text("rules_path"),
            "people_path": self.view.text("people_path"),
            "snippets": [
                {"id": row.snippet_id, "text": row.text, "tooltip": row.tooltip,
                 "ticked": self.view.checked(row.control) if row.snippet_id else None,
                 "visible": self.view.row_visible(row.control)}
                for row in self.view.rows
            ],
            "people": self.view.people_items(),
            "status": self.view.status(),
            "progress": self.view.model.getByName("progress").ProgressValue,
            "messages": self.messages,
            "opened": self.opened,
            "batch": self.last_batch,
            "checklist": str(self.checklist_path()) if self.checklist_path() else None,
            "picker_folders": self.picker_folders,
        }


# ----------------------------------------------------------------- entry points

_ACTIVE: Controller | None = None


def _context_files(ctx: Any) -> tuple[Settings, Log]:
    folder = _profile_config_dir(ctx)
    return Settings(folder / SETTINGS_FILE), Log(folder / LOG_FILE)


def _parent_window(ctx: Any) -> Any:
    frame = _desktop(ctx).getCurrentFrame()
    return frame.getContainerWindow() if frame is not None else None


def open_dialog(ctx: Any) -> None:
    """The menu entry: show the (modeless) dialog, or bring the open one to the front."""
    global _ACTIVE
    settings, log = _context_files(ctx)
    if IMPORT_ERROR is not None:
        log.write(f"open: library not importable: {IMPORT_ERROR}")
        _message_box(ctx, _parent_window(ctx), IMPORT_ERROR, "error")
        return
    if _ACTIVE is not None and not _ACTIVE.closed:
        try:
            _ACTIVE.view.dialog.setFocus()
            _ACTIVE.view.dialog.toFront()
            log.write("open: dialog already open, brought to front")
            return
        except Exception:  # noqa: BLE001 - the old window is gone: open a new one
            _ACTIVE = None
    view = DialogView(ctx)
    controller = Controller(ctx, view, settings, log)
    view.wire(controller)
    view.show(_parent_window(ctx))
    _ACTIVE = controller
    controller.restore()
    log.write(f"open: dialog shown with {len(view.ticked())} of {len(view.rows)} rows ticked; "
              f"rules={view.text('rules_path')!r}; assembler from {pipeline.__file__}")


def _module_file(name: str) -> str | None:
    """Where a module was (or would be) imported from: tests check the bundled copies win."""
    import importlib.util

    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__file__", None)
    spec = importlib.util.find_spec(name)
    return spec.origin if spec is not None else None


def run_selftest(ctx: Any, script_path: str) -> None:
    """Tests: build the dialog unseen, run the script's steps through the handlers, write the result."""
    script = json.loads(Path(script_path).read_text(encoding="utf-8"))
    result: dict[str, Any] = {"import_error": IMPORT_ERROR, "python": _python_version()}
    settings, log = _context_files(ctx)
    try:
        if IMPORT_ERROR is not None:
            _message_box(ctx, _parent_window(ctx), IMPORT_ERROR, "error")
            result["messages"] = [{"kind": "error", "text": IMPORT_ERROR}]
            return
        result["modules"] = {name: _module_file(name)
                             for name in ("assembler", "jinja2", "yaml", "docxtpl", "openpyxl", "lxml")}
        view = DialogView(ctx)
        controller = Controller(ctx, view, settings, log)
        view.wire(controller)
        view.realize()
        if script.get("restore", True):
            controller.restore()
        result["steps"] = []
        for step in script.get("steps", []):
            run_step(controller, step)
            result["steps"].append(controller.state())
        result.update(controller.state())
        view.close()
    except Exception:  # noqa: BLE001 - reported to the test, which fails with it
        result["crash"] = traceback.format_exc()
    finally:
        out = Path(script["result"])
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, out)


def measure_dialog(ctx: Any, result_path: str) -> None:
    """Tests: the shown dialog's outer rectangle and each visible control's, in pixels after layout,
    the screen's work area, as the toolkit reports them, and what the dialog lists."""
    def rect(box: Any) -> list[int]:
        return [box.X, box.Y, box.Width, box.Height]

    result: dict[str, Any] = {}
    if _ACTIVE is not None and not _ACTIVE.closed:
        view = _ACTIVE.view
        result["dialog"] = rect(view.dialog.getPeer().getPosSize())
        result["work_area"] = rect(view.toolkit.getWorkArea())
        result["controls"] = {name: rect(view.dialog.getControl(name).getPosSize())
                              for name in view.model.getElementNames() if view.model.getByName(name).EnableVisible}
        if view.pane is not None:  # the snippet rows, in the dialog's coordinates like the rest
            pane = view.pane.getPosSize()
            result["controls"]["snippets_pane"] = rect(pane)
            if len(view.rows) > VISIBLE_ROWS:
                box = view.scroll_control.getPosSize()
                result["controls"]["snippets_scroll"] = [pane.X + box.X, pane.Y + box.Y, box.Width, box.Height]
            for row in view.rows:
                if view.row_visible(row.control):
                    box = view.row_controls[row.control].getPosSize()
                    result["controls"][row.control] = [pane.X + box.X, pane.Y + box.Y, box.Width, box.Height]
            result["row_ids"] = {row.control: row.snippet_id for row in view.rows if view.row_visible(row.control)}
        result["first_row"] = view.rows[view.offset].control if view.rows else None
        result["rules"] = view.text("rules_path")
        result["rows"] = len(view.rows)
        result["offset"] = view.offset
        result["scroll_value"] = view.scroll_model.ScrollValue
        result["ticked"] = view.ticked()
        result["people"] = len(view.people_items())
    # Writer's toolbars, and the live standard toolbar's buttons by their accessible names (merged
    # items are not in its settings): read here, on the main thread (see ``Assistant.trigger``).
    frame = _desktop(ctx).getCurrentFrame()
    if frame is not None:
        layout = frame.LayoutManager
        result["toolbars"] = [str(element.ResourceURL) for element in layout.getElements()]
        bar = layout.getElement("private:resource/toolbar/standardbar")
        if bar is not None:
            access = bar.getRealInterface().getAccessibleContext()
            buttons = [access.getAccessibleChild(index).getAccessibleContext()
                       for index in range(access.getAccessibleChildCount())]
            result["standardbar"] = [str(button.getAccessibleName()) for button in buttons]
            # Where each button is, in the coordinates of Writer's window below its menu bar (gtk3 draws
            # the menu bar itself), and that window's size: tests click our button with the mouse.
            result["standardbar_at"] = {str(button.getAccessibleName()): [
                button.getLocationOnScreen().X, button.getLocationOnScreen().Y, button.getSize().Width,
                button.getSize().Height] for button in buttons if button.getAccessibleName()}
            box = frame.getContainerWindow().getPosSize()
            result["writer_client"] = [box.X, box.Y, box.Width, box.Height]
    out = Path(result_path)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, out)


def run_step(controller: Controller, step: dict[str, Any]) -> None:
    """One scripted user action: set a control as a user would, then call what that control calls."""
    view = controller.view
    if "set" in step:
        name, value = step["set"], step["value"]
        if isinstance(value, bool):
            view.set_checked(name, value)
        else:
            view.set_text(name, str(value))
    elif "tick" in step:
        view.set_ticked(step["tick"], bool(step.get("state", True)))
        controller.on_toggle(step["tick"])
    elif "select_people" in step:
        items = view.people_items()
        wanted = list(step["select_people"])
        view.select_people([index for index, text in enumerate(items)
                            if text in wanted or (text.startswith("全部") and "全部" in wanted)])
        controller.on_person_chosen()
    elif "click" in step:
        controller.click(step["click"])
    elif "call" in step and step["call"].startswith("on_"):
        getattr(controller, step["call"])(*step.get("args", []))
    elif "scroll" in step:
        view.scroll_to(int(step["scroll"]))
    else:
        raise ValueError(f"unknown step {step!r}")


class _MainThreadCall(unohelper.Base, XCallback):
    """One piece of work for the office's main thread (see ``Assistant.trigger``)."""

    def __init__(self, work: Callable[[], None]) -> None:
        self.work = work

    def notify(self, data: Any) -> None:
        self.work()


class Assistant(unohelper.Base, XJobExecutor):
    """The UNO component behind the menu entry and the toolbar button."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def trigger(self, argument: str) -> None:
        """Everything that touches the shown dialog runs on the office's main thread, posted there
        through AsyncCallback. A trigger that arrives on another thread (a macro, a script over a
        UNO bridge, the tests) would otherwise hold a control's lock while waiting for the
        SolarMutex, as the main thread, holding the SolarMutex, waits for that control's lock to
        deliver a window event: LibreOffice then hangs with the dialog drawn and Writer black.
        The self-test builds its dialog unseen and stays on the caller's thread."""
        if argument.startswith("selftest:"):
            self.guarded(argument, lambda: run_selftest(self.ctx, argument[len("selftest:"):]))
            return

        def work() -> None:
            if argument.startswith("measure:"):
                measure_dialog(self.ctx, argument[len("measure:"):])
            elif argument.startswith("click:"):  # screenshots: a button of the shown dialog
                if _ACTIVE is not None and not _ACTIVE.closed:
                    _ACTIVE.click(argument[len("click:"):])
            else:
                open_dialog(self.ctx)

        try:
            runner = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", self.ctx)
            runner.addCallback(_MainThreadCall(lambda: self.guarded(argument, work)), None)
        except Exception:  # noqa: BLE001 - without the service, run it here as before
            self.guarded(argument, work)

    def guarded(self, argument: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - nothing may escape into the office
            try:
                _settings, log = _context_files(self.ctx)
                log.write(f"trigger({argument!r}) failed:\n{traceback.format_exc()}")
                _message_box(self.ctx, _parent_window(self.ctx),
                             f"述职报告助手出错，详细信息已写入 {log.path}。", "error")
            except Exception:  # noqa: BLE001
                pass


g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(Assistant, IMPLEMENTATION_NAME, SERVICE_NAMES)
