"""LibreOffice: the only part of assembler that talks to ``uno``.

``process`` is an office's life (start, connect, watch, kill), ``convert`` the work sent to it,
``pool`` the batch of offices in between.  Importing this package does not import ``uno``, so the
rest of the tool works in any Python; only converting needs the system Python with python3-uno.
"""

from __future__ import annotations

from .convert import pdf_to_png
from .pool import ConversionResult, OfficePool, convert_to_pdf
from .process import INSTALL_HINT, office_available, require_office

__all__ = [
    "INSTALL_HINT",
    "ConversionResult",
    "OfficePool",
    "convert_to_pdf",
    "office_available",
    "pdf_to_png",
    "require_office",
]
