#!/usr/bin/env bash
# Set up this checkout on Debian/Ubuntu: system packages, then a virtualenv in .venv.
#   bash scripts/setup.sh          core only (enough to build .docx reports)
#   bash scripts/setup.sh --full   also LibreOffice, fonts and tools the tests and PDF output need
# Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
[ "${1:-}" = "--full" ] && full=1

core_pkgs=(python3 python3-venv python3-pip)
full_pkgs=(libreoffice-writer-nogui python3-uno libreoffice-script-provider-python python3-lxml
           poppler-utils fontconfig fonts-noto-cjk fonts-arphic-ukai texlive-lang-chinese fonts-lxgw-wenkai
           fonts-liberation2
           xvfb zip unzip)
pkgs=("${core_pkgs[@]}")
[ "$full" = 1 ] && pkgs+=("${full_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "安装系统软件包：${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv is made from the system Python so that LibreOffice's `uno` module is importable.
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv --system-site-packages .venv
fi
extras=""
[ "$full" = 1 ] && extras="[test]"
stamp=".venv/.installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi
