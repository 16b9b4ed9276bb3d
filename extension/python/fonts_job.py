"""述职报告助手: give the user's own Writer the official fonts' free stand-ins.

A job run at every office start (``Jobs.xcu``: ``OnStartApp``). On Linux it installs
``assembler/office/fonts.conf`` (bundled in ``pythonpath/``) as the user's fontconfig file,
so a report opened in her own Writer, and any PDF that office exports, uses the same faces
as ``assembler build --pdf``. Kept apart from the dialog's module so that an office start
does not load the whole library; on Windows/macOS it does nothing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import unohelper
from com.sun.star.task import XJob

IMPLEMENTATION_NAME = "org.assembler.extension.FontsJob"
BUNDLED = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pythonpath"))


class FontsJob(unohelper.Base, XJob):
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def execute(self, arguments: Any) -> Any:
        _install_quietly()  # the file may have been removed or changed since: put it back
        return None


def _install_quietly() -> None:
    """The user's fontconfig file (applies from the next start of the office)."""
    try:
        if BUNDLED not in sys.path:
            sys.path.insert(0, BUNDLED)
        from assembler.office.fonts import install_user_config

        install_user_config()
    except Exception:  # noqa: BLE001 - never in the way of registering or starting
        pass


# ``unopkg add`` loads this module to register it: the fonts are in place before the first start of
# the office (a GUI office reads fontconfig before any start-up job runs).
_install_quietly()

g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(FontsJob, IMPLEMENTATION_NAME, (IMPLEMENTATION_NAME,))
