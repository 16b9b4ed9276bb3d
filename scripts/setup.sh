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
# Writer: either variant will do (alternatives are separated by "|"); the first is installed when none is.
# The GUI parts (gtk3 plug-in, Chinese interface, locale, screenshot tools) are what the dialog tests
# and docs/ screenshots need: the dialog as a clerk sees it.
full_pkgs=("libreoffice-writer-nogui|libreoffice-writer" python3-uno libreoffice-script-provider-python
           python3-lxml poppler-utils fontconfig fonts-noto-cjk fonts-arphic-ukai texlive-lang-chinese
           fonts-lxgw-wenkai fonts-liberation2
           libreoffice-gtk3 libreoffice-l10n-zh-cn locales imagemagick xdotool
           xvfb zip unzip)
pkgs=("${core_pkgs[@]}")
[ "$full" = 1 ] && pkgs+=("${full_pkgs[@]}")

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for alternatives in "${pkgs[@]}"; do
  IFS='|' read -r -a choice <<< "$alternatives"
  found=0
  for p in "${choice[@]}"; do
    if installed "$p"; then found=1; break; fi
  done
  [ "$found" = 1 ] || missing+=("${choice[0]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "安装系统软件包：${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # --no-remove: apt stops instead of removing anything (e.g. the ordinary libreoffice-writer, or
  # libreoffice-core-nogui for the gtk3 plug-in); set-up never takes software away.
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove --no-install-recommends \
      "${missing[@]}" >/dev/null; then
    echo "错误：apt-get 无法在不删除任何软件包的情况下安装：${missing[*]}" >&2
    echo "setup.sh 从不删除软件包。若提示与 libreoffice-core-nogui 冲突（带界面的 gtk3 插件需要 libreoffice-core，" >&2
    echo "它包含 -nogui 版本的全部功能），请确认后手动运行：sudo apt-get install libreoffice-core ${missing[*]}" >&2
    exit 1
  fi
fi

if [ "$full" = 1 ] && ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
  # The dialog tests run Writer as a clerk does: LANG=zh_CN.UTF-8.
  echo "生成区域设置 zh_CN.UTF-8"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [ -f /etc/locale.gen ]; then
    $SUDO sed -i 's/^# *zh_CN.UTF-8 UTF-8/zh_CN.UTF-8 UTF-8/' /etc/locale.gen
    grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen || echo 'zh_CN.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
    $SUDO locale-gen >/dev/null
  else
    $SUDO localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
  fi
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
