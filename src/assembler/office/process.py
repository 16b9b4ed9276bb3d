"""The life of one LibreOffice process: find it, start it, connect to it, watch it, kill it.

Kept apart from ``convert.py`` (the work sent over UNO) so that what can go wrong with a *process*
(it will not start, it hangs, it crashes, it must not outlive us) is handled in one place.

Each start gets a fresh temporary folder holding the office's user profile *and* its ``TMPDIR``:
LibreOffice leaves ``lu*.tmp`` folders behind when it is killed, and one ``rmtree`` then takes
everything.  soffice runs in its own session / process group (``start_new_session=True``) because
``soffice`` is a shell script that execs ``oosplash``, which forks ``soffice.bin``: only killing the
group reaches the process that does the work.  A small ``sh`` guard leads the group and kills it if
this Python dies without cleaning up (see ``_GUARD``).

Start-up cost is what a pool pays per office, so two things keep it small (measured in
bench/README_pdf.md): each profile is marked as having seen this LibreOffice version, which skips
the graphics self-tests LibreOffice runs on every start of a "new" version (most of a start's CPU);
and each profile starts as a copy of one that has already been through LibreOffice's first-start
set-up (kept in the user's cache folder), which skips the set-up and the restart that follows it.

``uno`` is imported inside functions only: it exists in the system Python alone, and the rest of the
package must import without it.

Size: one file for one soffice process's life (profile, start, watch, restart, stop), as unoserver
keeps ``server.py`` apart from what is sent to it (``convert.py``, ``pool.py``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import OfficeError

log = logging.getLogger("assembler.office")

INSTALL_HINT = "sudo apt-get install libreoffice-writer-nogui python3-uno"
CONNECT_TIMEOUT = 60.0
"""Seconds an office may take to accept its UNO connection (a fresh profile takes about 1.2 s)."""

_KNOWN_PATHS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
)


# ------------------------------------------------------------------ is there an office at all


def find_soffice() -> str | None:
    """The soffice executable: ``$ASSEMBLER_SOFFICE``, then PATH, then the usual install places."""
    override = os.environ.get("ASSEMBLER_SOFFICE")
    if override:
        return override if Path(override).exists() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "linux":
        for folder in sorted(Path("/opt").glob("libreoffice*/program")):
            if (folder / "soffice").exists():
                return str(folder / "soffice")
    return next((path for path in _KNOWN_PATHS if Path(path).exists()), None)


def uno_importable() -> bool:
    """Whether this Python can talk to LibreOffice (only the system Python usually can)."""
    try:
        import uno  # noqa: F401
    except ImportError:
        return False
    return True


def office_available() -> bool:
    """True when both soffice and the ``uno`` module are there, so PDFs can be made."""
    return find_soffice() is not None and uno_importable()


def require_office() -> str:
    """The soffice path, or an ``OfficeError`` telling the user what to install."""
    soffice = find_soffice()
    if soffice is None:
        raise OfficeError(f"未找到 LibreOffice（soffice），无法生成 PDF。请先安装：{INSTALL_HINT}")
    if not uno_importable():
        raise OfficeError(
            "当前 Python 无法导入 LibreOffice 的 uno 模块，无法生成 PDF。请安装："
            f"{INSTALL_HINT}；并用系统 Python（/usr/bin/python3）或以 --system-site-packages "
            f"创建的虚拟环境运行（当前：{sys.executable}）。"
        )
    return soffice


def default_jobs() -> int:
    """Offices to run by default: the cores this process may use (a container's limit, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# ------------------------------------------------------------------ the warmed-up profile

PROFILE_CACHE_ENV = "ASSEMBLER_OFFICE_CACHE"
"""A folder for the profile template, or ``off`` to start every office on an empty profile."""


def profile_template_path(soffice: str) -> Path | None:
    """Where a copy of an initialised profile for this LibreOffice is kept; None when caching is off.

    An office started on an empty profile sets it up, exits (code 81) and is started again by
    ``oosplash``: about 0.2 s and a second process start on every office.  A profile copied from one
    that has been through that first start skips both.  The folder name carries the LibreOffice
    build, so an upgrade gets a new template.
    """
    setting = os.environ.get(PROFILE_CACHE_ENV)
    if setting is not None and setting.strip().lower() in ("", "0", "off", "no", "false"):
        return None
    try:
        if setting:
            base = Path(setting)
        elif os.environ.get("XDG_CACHE_HOME"):
            base = Path(os.environ["XDG_CACHE_HOME"]) / "assembler"
        else:
            base = Path.home() / ".cache" / "assembler"
    except RuntimeError:  # no home folder
        return None
    return base / f"libreoffice-profile-{_office_build(soffice)}"


def _office_build(soffice: str) -> str:
    program = Path(os.path.realpath(soffice)).parent
    key = [str(program)]
    for name in ("versionrc", "soffice.bin", "libmergedlo.so"):
        with contextlib.suppress(OSError):
            info = (program / name).stat()
            key.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def product_version(soffice: str) -> str | None:
    """LibreOffice's "major.minor" (e.g. "7.4"), read from its configuration data; None if not found."""
    program = Path(os.path.realpath(soffice)).parent
    for xcd in (program.parent / "share" / "registry" / "main.xcd", program.parent / "Resources" / "registry" /
                "main.xcd"):
        try:
            data = xcd.read_bytes()
        except OSError:
            continue
        found = re.search(rb'oor:name="ooSetupVersion">\s*<value>(\d+\.\d+)</value>', data)
        if found:
            return found.group(1).decode()
    return None


_SETTINGS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
                  'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')


def seed_profile(profile: Path, version: str | None) -> None:
    """Tell a profile that this LibreOffice version has been seen before (``ooSetupLastVersion``).

    Otherwise every start of a new version, which on a throwaway profile is every start, first runs
    LibreOffice's graphics self-tests (``GraphicsRenderTests``, written to ``user/GraphicsRenderTests.log``):
    measured here at 0.7 s of CPU out of 0.85 s for the whole start.  They only choose a screen
    drawing back end; a headless office never draws on a screen, and the PDF does not depend on them.
    """
    if not version:
        return
    settings = profile / "user" / "registrymodifications.xcu"
    item = (f'<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" '
            f'oor:op="fuse"><value>{version}</value></prop></item>\n')
    try:
        text = settings.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = _SETTINGS_HEAD + "</oor:items>\n"
    if '"ooSetupLastVersion"' in text or "</oor:items>" not in text:
        return
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(text.replace("</oor:items>", item + "</oor:items>", 1), encoding="utf-8")


def profile_template_ok(profile: Path) -> bool:
    """Whether ``profile`` looks like one LibreOffice has finished setting up (and is not half-copied)."""
    user = profile / "user"
    if not (user / "extensions" / "buildid").is_file():
        return False
    try:
        ET.parse(user / "registrymodifications.xcu")
    except (OSError, ET.ParseError):
        return False
    return True


def save_profile_template(profile: Path, template: Path) -> bool:
    """Copy a just-started office's profile to ``template``, all or nothing; False if not saved.

    Copied under a private name and renamed, so concurrent runs never see a half-written template;
    when two race, the first rename wins and the other copy is dropped.
    """
    staging = template.with_name(f".{template.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(profile, staging, symlinks=True, ignore=shutil.ignore_patterns(".lock", "*.log"))
        settings = staging / "user" / "registrymodifications.xcu"
        with contextlib.suppress(OSError):  # a flag of the first start's restart, not wanted in later starts
            text = settings.read_text(encoding="utf-8")
            settings.write_text("".join(line for line in text.splitlines(keepends=True)
                                        if '"OfficeRestartInProgress"' not in line), encoding="utf-8")
        if not profile_template_ok(staging):
            return False
        os.rename(staging, template)
        return True
    except OSError as exc:
        log.debug("profile template not saved: %s", exc)
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def discard_profile_template(template: Path) -> None:
    """Remove a template that an office failed to start from (renamed first: another run may be copying)."""
    doomed = template.with_name(f".{template.name}.discard-{uuid.uuid4().hex[:8]}")
    with contextlib.suppress(OSError):
        os.rename(template, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


# ------------------------------------------------------------------ processes, by id


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick; a race is handled by retrying)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int) -> tuple[str, str, int] | None:
    """(name, state, session id) of a process from /proc, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, fields[0], int(fields[3])


def pid_alive(pid: int) -> bool:
    """Whether a process is running (a zombie counts as dead: it holds nothing but its entry)."""
    if Path("/proc").is_dir():
        info = _stat(pid)
        return info is not None and info[1] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def session_members(session: int) -> dict[int, str]:
    """Live processes of a session (pid → name); empty where there is no /proc."""
    members: dict[int, str] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return members
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        info = _stat(int(entry.name))
        if info and info[2] == session and info[1] not in ("Z", "X"):
            members[int(entry.name)] = info[0]
    return members


def office_environment(tmpdir: Path) -> dict[str, str]:
    """The environment for soffice: fonts mapped by ``fonts.py`` (when present), TMPDIR in our folder."""
    base = dict(os.environ)
    # importlib, not an import statement: once ``uno`` is imported its __import__ hook turns a
    # missing module into an AttributeError from the UNO type system.
    try:
        fonts = importlib.import_module(f"{__package__}.fonts")
    except ModuleNotFoundError:  # fonts.py not there: the plain environment
        env = base
    else:
        env = dict(fonts.office_env(base))
    env["TMPDIR"] = str(tmpdir)
    return env


# ------------------------------------------------------------------ the guard


_GUARD = 'exec 3<&0 </dev/null; "$@" 3<&- & child=$!; { read _ <&3; kill -9 0; } & wait "$child"; kill -9 0'
"""soffice is started by this ``sh`` (its session and group leader), for two reasons.

- If our Python dies without cleaning up (SIGKILL, a crash), the write end of the guard's stdin
  pipe closes, ``read`` returns, and ``kill -9 0`` takes the whole group: no orphaned office.
- When soffice ends on its own (a crash), the guard ends too, so the pool sees the exit at once.
soffice itself gets neither the pipe (``3<&-``) nor a terminal (``</dev/null``).
"""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the office's process group (on Windows: the process tree)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:  # pragma: no cover - not tested here
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)


# ------------------------------------------------------------------ watchdog


class Watchdog:
    """Calls ``action`` once if the ``with`` block is still running after ``seconds``.

    Used to kill an office whose UNO call does not return: killing the process closes the socket,
    and the blocked call then raises in its own thread.
    """

    def __init__(self, seconds: float, action: Callable[[], None]) -> None:
        self.seconds = seconds
        self.action = action
        self.fired = False
        self._timer: threading.Timer | None = None

    def _fire(self) -> None:
        self.fired = True
        self.action()

    def __enter__(self) -> Watchdog:
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


# ------------------------------------------------------------------ one office


class OfficeStopped(Exception):
    """The office was closed for good (the pool is stopping); not a document's fault."""


class OfficeProcess:
    """One soffice with its own profile and port, connected over UNO from the thread that uses it.

    ``start()`` may be called again after ``kill()`` (a restart, with a fresh profile); after
    ``close()`` it raises ``OfficeStopped``.  ``kill()`` and ``close()`` may be called from any thread,
    which is how a watchdog or the pool's shutdown unblocks a worker stuck in a UNO call.
    """

    def __init__(self, soffice: str, *, name: str = "office", connect_timeout: float = CONNECT_TIMEOUT,
                 template: Path | None | str = "auto") -> None:
        self.soffice = soffice
        self.name = name
        self.connect_timeout = connect_timeout
        self.template: Path | None = profile_template_path(soffice) if template == "auto" else (
            Path(template) if template is not None else None)
        """Initialised profile copied into each start's folder (see ``profile_template_path``)."""
        self.from_template = False
        """Whether the current run started on a copy of ``template``."""
        self.started_pids: set[int] = set()
        """Every process id this object started or saw in its sessions (for callers that check)."""
        self.sessions: set[int] = set()
        """Session ids (= the leader's pid) of every start."""
        self.starts = 0
        self.start_seconds: list[float] = []
        """How long each successful start took, spawn to connected (for bench/bench_pdf.py)."""
        self.port = 0
        self.main_pid: int | None = None
        """soffice.bin's pid in the current run, once connected (None where there is no /proc)."""
        self.desktop: Any = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None
        self._closed = False
        self._lock = threading.RLock()

    # -- state

    @property
    def running(self) -> bool:
        return self._proc is not None

    def alive(self) -> bool:
        """Whether the office process (soffice.bin itself, where known) is still there."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        return self.main_pid is None or pid_alive(self.main_pid)

    def log_tail(self, limit: int = 400) -> str:
        """The end of soffice's own output, for error messages."""
        if self._root is None:
            return ""
        try:
            text = (self._root / "soffice.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip() and "javaldx" not in line]
        return "\n".join(lines)[-limit:]

    # -- life

    def ensure_running(self) -> None:
        """Start (or restart, after a crash) the office; the cheap path when it is fine."""
        if self._proc is not None and self.alive() and self.desktop is not None:
            return
        if self._proc is not None:
            self.kill()
        self.start()

    def start(self) -> None:
        """Spawn soffice on a free port and connect to it (a failed start leaves nothing running)."""
        began = time.monotonic()
        self._spawn()
        try:
            self._connect()
        except BaseException as exc:
            from_template = self.from_template
            self.kill()
            if self._closed:
                raise OfficeStopped() from exc
            if from_template and self.template is not None and isinstance(exc, OfficeError):
                discard_profile_template(self.template)  # may be the cause; the next start makes a new one
            raise
        self.start_seconds.append(time.monotonic() - began)
        with self._lock:
            root = self._root
        if not self.from_template and self.template is not None and root is not None:
            if self.template.exists() and not profile_template_ok(self.template):
                discard_profile_template(self.template)  # damaged (e.g. edited by hand): make a new one
            if not self.template.exists():
                save_profile_template(root / "profile", self.template)

    def _spawn(self) -> None:
        with self._lock:
            if self._closed:
                raise OfficeStopped()
            root = Path(tempfile.mkdtemp(prefix="assembler-office-"))
            try:
                (root / "tmp").mkdir()
                self.from_template = self._copy_template(root / "profile")
                seed_profile(root / "profile", product_version(self.soffice))
                self.port = free_port()
                args = [
                    self.soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                    "--nolockcheck", f"-env:UserInstallation={(root / 'profile').as_uri()}",
                    f"--accept=socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext",
                ]
                env = office_environment(root / "tmp")
                with open(root / "soffice.log", "wb") as out:
                    if os.name == "posix":
                        proc = subprocess.Popen(["/bin/sh", "-c", _GUARD, "assembler-office", *args],
                                                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                                env=env, start_new_session=True, close_fds=True)
                    else:
                        group = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
                        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                                stderr=subprocess.STDOUT, env=env, close_fds=True,
                                                creationflags=group)
            except BaseException as exc:
                shutil.rmtree(root, ignore_errors=True)
                if isinstance(exc, OSError):
                    raise OfficeError(f"无法启动 LibreOffice（{self.soffice}）：{exc}") from exc
                raise
            self._proc, self._root = proc, root
            self.main_pid, self.desktop = None, None
            self.starts += 1
            self.sessions.add(proc.pid)
            self.started_pids.add(proc.pid)
            _register(self)
            log.debug("%s: started soffice pid %d on port %d", self.name, proc.pid, self.port)

    def _copy_template(self, profile: Path) -> bool:
        """Start from the initialised profile when there is a sound one; False means an empty profile."""
        if self.template is None or not profile_template_ok(self.template):
            return False
        try:
            shutil.copytree(self.template, profile, symlinks=True)
        except OSError:  # removed or replaced by another run meanwhile
            shutil.rmtree(profile, ignore_errors=True)
            return False
        return True

    def _connect(self) -> None:
        """Resolve the office's component context, retrying while it is not listening yet."""
        import uno

        from .convert import UNO_LOCK, uno_method  # pyuno's lookups are not thread-safe

        proc = self._proc
        assert proc is not None
        try:
            with UNO_LOCK:
                NoConnectException = uno.getClass("com.sun.star.connection.NoConnectException")  # noqa: N806
                local = uno.getComponentContext()
                create = local.ServiceManager.createInstanceWithContext
                resolver = create("com.sun.star.bridge.UnoUrlResolver", local)
                resolve = resolver.resolve
        except Exception as exc:
            raise OfficeError(f"无法连接 LibreOffice：{exc!r}") from exc
        url = f"uno:socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + self.connect_timeout
        # A listening but frozen office would block resolve() for ever: the watchdog kills it.
        with Watchdog(self.connect_timeout + 5, self.kill):
            while True:
                if proc.poll() is not None or self._proc is not proc:
                    tail = self.log_tail()
                    raise OfficeError("LibreOffice 启动后立即退出" + (f"：{tail}" if tail else ""))
                try:
                    context = resolve(url)
                    break
                except NoConnectException:
                    if time.monotonic() > deadline:
                        raise OfficeError(f"LibreOffice 在 {self.connect_timeout:g} 秒内没有响应") from None
                    time.sleep(0.05)
                except Exception as exc:  # the bridge broke while starting (e.g. killed)
                    raise OfficeError(f"无法连接 LibreOffice：{exc}") from exc
            try:
                create = uno_method(uno_method(context, "ServiceManager"), "createInstanceWithContext")
                self.desktop = create("com.sun.star.frame.Desktop", context)
            except Exception as exc:
                raise OfficeError(f"无法连接 LibreOffice：{exc}") from exc
        members = session_members(proc.pid)
        self.started_pids.update(members)
        self.main_pid = next((pid for pid, name in members.items() if name.startswith("soffice.bin")), None)
        log.debug("%s: connected, soffice.bin pid %s", self.name, self.main_pid)

    def kill(self) -> None:
        """Kill the office's whole process group at once and delete its profile and temp files.

        No graceful ``terminate()``: it can hang, nothing worth saving lives in a throwaway profile,
        and SIGKILL is certain.
        """
        with self._lock:
            proc, root = self._proc, self._root
            self._proc, self._root = None, None
            self.desktop, self.main_pid = None, None
            if proc is None:
                return
            _kill_group(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            # soffice.bin is not our child: wait until the group is really empty before rmtree.
            deadline = time.monotonic() + 5
            while session_members(proc.pid) and time.monotonic() < deadline:
                _kill_group(proc)
                time.sleep(0.02)
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)
            log.debug("%s: killed soffice pid %d", self.name, proc.pid)

    def signal_kill(self) -> None:
        """SIGKILL the office's group and return at once, so that several offices die in parallel;
        ``kill()`` or ``close()`` then reaps them and removes their folders."""
        proc = self._proc
        if proc is not None:
            _kill_group(proc)

    def close(self) -> None:
        """Kill the office and refuse any later start."""
        with self._lock:
            self._closed = True
            self.kill()
        _unregister(self)


# ------------------------------------------------------------------ safety net


_LIVE: set[OfficeProcess] = set()
_LIVE_LOCK = threading.Lock()


def _register(office: OfficeProcess) -> None:
    with _LIVE_LOCK:
        _LIVE.add(office)


def _unregister(office: OfficeProcess) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(office)


def kill_all_offices() -> None:
    """Close every office still registered: the last line of defence at exit or on a signal."""
    with _LIVE_LOCK:
        offices = list(_LIVE)
    for office in offices:
        with contextlib.suppress(Exception):
            office.close()


atexit.register(kill_all_offices)


def _on_signal(signum: int, frame: object) -> None:
    kill_all_offices()
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def signal_safety_net() -> Iterator[None]:
    """While offices run, SIGTERM/SIGHUP kill them first (only where nobody handles these signals).

    Ctrl-C needs nothing here: it is a KeyboardInterrupt, and the pool's ``with`` block stops the
    offices.  Signal handlers can only be set from the main thread; elsewhere (e.g. inside a
    LibreOffice extension) the atexit hook and the ``with`` block are the net.
    """
    installed: list[tuple[int, Any]] = []
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
                with contextlib.suppress(ValueError, OSError):
                    installed.append((signum, signal.signal(signum, _on_signal)))
    try:
        yield
    finally:
        for signum, previous in installed:
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, previous)
