"""Chinese fonts for LibreOffice on Linux.

The .docx keeps the official font names (仿宋_GB2312, 楷体_GB2312, 黑体, 方正小标宋简体, 宋体) because
the reader's machine has those fonts. Our own offices run on Linux, which has none of them; left to
itself LibreOffice then picks whatever CJK face fontconfig ranks first — often a Japanese sans, which
draws many shared characters differently and makes a report look wrong to its readers. So every
soffice we start gets ``FONTCONFIG_FILE`` pointing at a small generated file that includes the
system configuration and then ``fonts.conf`` beside this module (the aliases to free Debian fonts).

The generated file lives in a per-user cache folder under a name derived from its content, so any
number of processes can write it at once and a changed ``fonts.conf`` (or a different system
configuration) gives a new file instead of racing with an old one.

Only Linux/BSD offices read fontconfig; on Windows and macOS LibreOffice uses the system's font
machinery and those machines usually have the official fonts, so the environment is left alone.

Reading a finished PDF's fonts back (what a reader will see) is a test helper: ``tests/pdf_fonts.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from ..output import atomic_write

FONTS_CONF = Path(__file__).with_name("fonts.conf")
"""The aliases shipped with the package (official names → free fonts)."""

_SYSTEM_CONFIGS = (
    "/etc/fonts/fonts.conf",
    "/usr/local/etc/fonts/fonts.conf",
    "/opt/homebrew/etc/fonts/fonts.conf",
)
_MARK = "assembler-fonts-"
"""Prefix of generated configuration files, so a nested call recognises its own file."""

#: The Debian packages the aliases point at (scripts/setup.sh --full installs them).
FONT_PACKAGES = ("texlive-lang-chinese", "fonts-noto-cjk", "fonts-arphic-ukai", "fonts-lxgw-wenkai",
                 "fonts-liberation2")


# ------------------------------------------------------------------ the office's environment


def uses_fontconfig(platform: str | None = None) -> bool:
    """Whether LibreOffice on this platform picks fonts through fontconfig."""
    platform = platform or sys.platform
    return not (platform.startswith("win") or platform == "darwin" or platform == "cygwin")


def system_config(env: Mapping[str, str]) -> Path | None:
    """The configuration fontconfig would load without us: ``$FONTCONFIG_FILE`` (unless it is one of
    ours), ``$FONTCONFIG_PATH/fonts.conf``, then the usual places."""
    candidates: list[str] = []
    current = env.get("FONTCONFIG_FILE")
    if current and not Path(current).name.startswith(_MARK):
        candidates.append(current)
    if env.get("FONTCONFIG_PATH"):
        candidates.extend(str(Path(folder) / "fonts.conf") for folder in env["FONTCONFIG_PATH"].split(os.pathsep)
                          if folder)
    candidates.extend(_SYSTEM_CONFIGS)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_absolute() and path.is_file():
            return path
    return None


def config_text(system: Path | None, aliases: Path = FONTS_CONF) -> str:
    """The wrapper: the system configuration first (folders, caches, its own rules), then ours, so our
    aliases see the families the system rules have already filled in and put ours in front."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>"]
    if system is not None:
        lines.append(f'  <include ignore_missing="yes">{escape(str(system))}</include>')
    else:  # no system configuration found: at least the usual font folders and a cache
        lines += ["  <dir>/usr/share/fonts</dir>", "  <dir>/usr/local/share/fonts</dir>",
                  '  <dir prefix="xdg">fonts</dir>', '  <cachedir prefix="xdg">fontconfig</cachedir>']
    lines.append(f"  <include>{escape(str(aliases.resolve()))}</include>")
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


def _cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or (str(Path(env["HOME"]) / ".cache") if env.get("HOME") else "")
    return Path(base or tempfile.gettempdir()) / "assembler"


def generated_config(env: Mapping[str, str] | None = None, aliases: Path = FONTS_CONF) -> Path:
    """Write (once) and return the wrapper configuration for ``env``."""
    env = os.environ if env is None else env
    text = config_text(system_config(env), aliases)
    digest = hashlib.sha256((text + aliases.read_text(encoding="utf-8")).encode()).hexdigest()[:16]
    for folder in (_cache_dir(env), Path(tempfile.gettempdir()) / f"assembler-{os.getuid()}"):
        target = folder / f"{_MARK}{digest}.conf"
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=".tmp-", suffix=".conf",
                                             delete=False) as handle:
                handle.write(text)
            os.replace(handle.name, target)
        except OSError:
            continue
        return target
    raise OSError("cannot write a fontconfig file")


def office_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment for one soffice process: ``base`` plus ``FONTCONFIG_FILE`` set to our wrapper.

    Never fails: without fontconfig (Windows, macOS) or without a writable cache folder the office
    simply gets ``base``, and renders with whatever fonts it finds.
    """
    env = dict(base)
    if not uses_fontconfig() or not FONTS_CONF.is_file():
        return env
    try:
        env["FONTCONFIG_FILE"] = str(generated_config(env))
    except OSError:
        pass
    return env


USER_CONF_NAME = "60-assembler-fonts.conf"
"""The user's fontconfig file the extension installs: ``fonts.conf`` itself, under conf.d."""


def user_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """Where fontconfig reads a user's own rules (``$XDG_CONFIG_HOME/fontconfig/conf.d``, which
    Debian's ``50-user.conf`` includes); None without a home folder."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or (str(Path(env["HOME"]) / ".config") if env.get("HOME") else "")
    return Path(base) / "fontconfig" / "conf.d" / USER_CONF_NAME if base else None


def install_user_config(env: Mapping[str, str] | None = None, aliases: Path = FONTS_CONF) -> Path | None:
    """Give the user's own offices the aliases: copy ``fonts.conf`` into the user's fontconfig
    folder (only where fontconfig is used, only when it differs). Returns the file when it was
    written now (it applies from the next start of LibreOffice), None when nothing was to do.

    Why the user's fontconfig and not LibreOffice's replacement table: the FangSong and Kai faces
    (Fandol) live inside TeX Live, where only a fontconfig ``<dir>`` makes them visible, and the
    title's bold weight comes from a fontconfig rule; one file then serves both routes.
    """
    if not uses_fontconfig() or not aliases.is_file():
        return None
    target = user_config_path(env)
    if target is None:
        return None
    text = aliases.read_bytes()
    try:
        if target.is_file() and target.read_bytes() == text:
            return None
        atomic_write(target, text)  # makes the folders
    except OSError:
        return None
    return target


def missing_font_packages(packages: Iterable[str] = FONT_PACKAGES) -> list[str]:
    """The Debian font packages (README, ``setup.sh --full``) that are not installed; empty where
    there is no dpkg (Windows, other systems: their own fonts are used)."""
    tool = shutil.which("dpkg-query")
    if tool is None or not uses_fontconfig():
        return []
    missing = []
    for package in packages:
        try:
            status = subprocess.run([tool, "-W", "-f=${Status}", package], capture_output=True, text=True,
                                    timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        if "install ok installed" not in status:
            missing.append(package)
    return missing


def fc_match(name: str, *, lang: str = "zh-cn", env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(family, style) fontconfig picks for a requested family name under ``env`` (default: ours)."""
    if env is None:
        env = office_env(os.environ)
    escaped = re.sub(r"([-:,\\])", r"\\\1", name)
    result = subprocess.run(["fc-match", "--format=%{family[0]}\t%{style[0]}", f"{escaped}:lang={lang}"],
                            env=dict(env), capture_output=True, text=True, check=True, timeout=60)
    family, _, style = result.stdout.partition("\t")
    return family, style
