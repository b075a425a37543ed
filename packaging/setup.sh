#!/usr/bin/env bash
# Writer Companion setup. Idempotent: a second run skips finished steps and takes seconds.
#
#   bash packaging/setup.sh app  [writer-app args]   system packages, venv, llama-cpp-python build,
#                                                     the demo model; then runs writer-app
#   bash packaging/setup.sh test [pytest args]        system packages, venv, test tools; then ruff, mypy, pytest
#   bash packaging/setup.sh build [what]              venv with PyInstaller; then packaging/build.py
#                                                     (packaging/build.sh is the short form)
#
# Environment:
#   WRITER_APP_VENV     virtual environment folder (default: .venv in the repo)
#   PYTHON              interpreter to build the venv with (default: python3, 3.11+)
#   LLAMA_CMAKE_ARGS    rebuild llama-cpp-python with these CMake flags, e.g. "-DGGML_CUDA=on"
#                       (pip's wheel cache ignores CMAKE_ARGS, so this forces a fresh build)
set -euo pipefail

mode="${1:-app}"
[ $# -gt 0 ] && shift
case "$mode" in app | test | build) ;; *) echo "usage: bash packaging/setup.sh app|test|build [args]" >&2; exit 2 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${WRITER_APP_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. System packages (Debian/Ubuntu): compilers for llama.cpp and venv support; Qt's runtime
#    libraries and a CJK font (without one Chinese shows as boxes); Xvfb for the window test.
build_packages=(build-essential cmake python3-venv python3-dev)
qt_packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0
  fonts-wqy-microhei)
[ "$mode" = test ] && qt_packages+=(xvfb poppler-utils)  # pdftoppm: the feedback PDF test renders a page
# the bundle carries Qt's Wayland plugin; the .deb's Depends are read off the installed libraries
[ "$mode" = build ] && qt_packages+=(xvfb libwayland-client0 libwayland-cursor0 libwayland-egl1)
missing_of() {
  local out=() p
  command -v dpkg-query >/dev/null 2>&1 || { echo ""; return; }
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[*]:-}"
}
read -r -a missing <<< "$(missing_of "${build_packages[@]}")"
if [ ${#missing[@]} -gt 0 ] && command -v gcc >/dev/null && command -v g++ >/dev/null \
   && command -v cmake >/dev/null && "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  say "toolchain present (skipping apt for: ${missing[*]})"
  missing=()
fi
read -r -a missing_qt <<< "$(missing_of "${qt_packages[@]}")"
missing+=("${missing_qt[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# 2. Virtual environment.
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Python 3.11+ is needed; set PYTHON=python3.11 or newer" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
  say "creating virtual environment $venv"
  "$python" -m venv "$venv"
fi
vpy="$venv/bin/python"

# 3. Python packages. llama-cpp-python builds from source (6-8 min the first time; pip caches the wheel).
extras=""; [ "$mode" = test ] && extras="[test]"; [ "$mode" = build ] && extras="[build]"
stamp="$venv/.writer-app-$mode-$( (cat pyproject.toml; echo "${LLAMA_CMAKE_ARGS:-}") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || ! "$vpy" -c 'import llama_cpp' 2>/dev/null; then
  say "installing Python packages (llama-cpp-python compiles on first run: several minutes)"
  "$vpy" -m pip install -q --upgrade pip
  export CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF}"
  if [ -n "${LLAMA_CMAKE_ARGS:-}" ]; then
    "$vpy" -m pip install -q --no-cache-dir --force-reinstall --no-deps "$(grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml)"
  fi
  "$vpy" -m pip install -q -e ".$extras"
  "$vpy" -c 'import llama_cpp' || { echo "llama-cpp-python failed to import" >&2; exit 1; }
  rm -f "$venv"/.writer-app-"$mode"-*
  touch "$stamp"
fi

if [ "$mode" = build ]; then
  exec "$vpy" packaging/build.py "${@:-all}"
fi

if [ "$mode" = test ]; then
  say "ruff"
  "$vpy" -m ruff check writer_app tests packaging
  "$vpy" -m ruff format --check writer_app tests packaging
  say "mypy"
  "$vpy" -m mypy
  say "pytest"
  set +e
  "$vpy" -m pytest -q "$@"
  rc=$?
  set -e
  [ $rc -eq 5 ] && echo "no tests ran" >&2
  exit $rc
fi

# 4. The demo model (verified by sha256; skipped when installed), made the default if none is set.
"$venv/bin/writer-app" models pull demo
"$venv/bin/writer-app" models use demo --if-unset >/dev/null
say "ready: $venv/bin/writer-app"
exec "$venv/bin/writer-app" "$@"
