"""scripts/setup.sh: which packages it asks apt for, run against fake ``dpkg-query``/``apt-get``.

The script itself runs (bash, its own logic); only the package tools are stand-ins on PATH, so
no package is installed or removed: ``dpkg-query`` answers from a list of "installed" packages,
``apt-get`` records its arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_DPKG = """#!/bin/sh
# dpkg-query -W -f='${Status}' NAME
for name in $FAKE_INSTALLED; do
  [ "$name" = "$3" ] && { printf 'install ok installed'; exit 0; }
done
exit 1
"""
FAKE_APT = """#!/bin/sh
echo "$*" >> "$FAKE_APT_LOG"
"""
FAKE_LOCALE = """#!/bin/sh
printf 'C\\nC.utf8\\nPOSIX\\nzh_CN.utf8\\n'
"""


def run_setup(tmp_path: Path, installed: list[str], *args: str) -> list[str]:
    """Run a copy of setup.sh with ``installed`` packages; return apt-get's calls."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    (repo / "pyproject.toml").write_text("", encoding="utf-8")
    venv = repo / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("#!/bin/sh\n", encoding="utf-8")
    (venv / "python").chmod(0o755)
    for stamp in (".installed", ".installed[test]"):
        (repo / ".venv" / stamp).touch()
        later = (repo / "pyproject.toml").stat().st_mtime + 10
        os.utime(repo / ".venv" / stamp, (later, later))
    fakes = tmp_path / "bin"
    fakes.mkdir()
    for name, text in (("dpkg-query", FAKE_DPKG), ("apt-get", FAKE_APT), ("locale", FAKE_LOCALE),
                       ("sudo", '#!/bin/sh\nexec "$@"\n')):
        (fakes / name).write_text(text, encoding="utf-8")
        (fakes / name).chmod(0o755)
    log = tmp_path / "apt.log"
    log.touch()
    env = {**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}", "FAKE_INSTALLED": " ".join(installed),
           "FAKE_APT_LOG": str(log)}
    done = subprocess.run(["bash", str(repo / "scripts" / "setup.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return log.read_text(encoding="utf-8").splitlines()


def installs(calls: list[str]) -> list[str]:
    """The packages of the ``apt-get install`` call (empty when apt was not asked)."""
    [install] = [call for call in calls if call.split()[0] == "install"] or [""]
    return [word for word in install.split() if not word.startswith("-") and word != "install"]


FULL_REST = ["python3", "python3-venv", "python3-pip", "python3-uno", "libreoffice-script-provider-python",
             "python3-lxml", "poppler-utils", "fontconfig", "fonts-noto-cjk", "fonts-arphic-ukai",
             "texlive-lang-chinese", "fonts-lxgw-wenkai", "fonts-liberation2", "libreoffice-gtk3",
             "libreoffice-l10n-zh-cn", "locales", "imagemagick", "xdotool", "xvfb", "zip", "unzip"]


@pytest.mark.parametrize("writer", ["libreoffice-writer", "libreoffice-writer-nogui"])
def test_either_writer_satisfies_setup(tmp_path: Path, writer: str) -> None:
    """A desktop with the ordinary Writer keeps it: nothing is asked of apt at all."""
    assert run_setup(tmp_path, [writer, *FULL_REST], "--full") == []


def test_apt_never_removes(tmp_path: Path) -> None:
    """Missing packages are installed with --no-remove; a Writer is only asked for when none is there."""
    calls = run_setup(tmp_path, ["libreoffice-writer", "python3", "python3-venv", "python3-pip"], "--full")
    [install] = [call for call in calls if call.startswith("install")]
    assert "--no-remove" in install.split()
    wanted = installs(calls)
    assert "libreoffice-writer-nogui" not in wanted and "libreoffice-writer" not in wanted
    assert {"libreoffice-gtk3", "libreoffice-l10n-zh-cn", "locales", "fonts-noto-cjk"} <= set(wanted)
    none = run_setup(tmp_path / "bare", ["python3", "python3-venv", "python3-pip"], "--full")
    assert "libreoffice-writer-nogui" in installs(none)
    assert "--no-remove" in [call for call in none if call.startswith("install")][0].split()


def test_core_setup_asks_nothing_when_python_is_there(tmp_path: Path) -> None:
    assert run_setup(tmp_path, ["python3", "python3-venv", "python3-pip"]) == []
