#!/usr/bin/env bash
# Idempotent set-up used by ./run.sh and ./test.sh: apt packages, a virtualenv, torch, the project.
# - python3 >= 3.11 with venv, its headers and gcc (pesq publishes no wheels: pip compiles it).
# - torch: kept where one is already importable (GPU images: the venv then sees system packages);
#   otherwise the CPU build `torch==$TORCH_VERSION+cpu` is installed *before* the project, so that the
#   project's loose `torch>=2.11` is already satisfied and pip never pulls the multi-GB CUDA build: from pip's
#   configured sources first, then from PyTorch's CPU index; PyPI's plain build only where neither has one and
#   that is not Linux x86-64 (macOS, aarch64: CPU builds there anyway); on Linux x86-64 it stops instead.
# - Never installs torchaudio (it breaks `import transformers` on CPU torch).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
VENV="${VENV:-$root/.venv}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"

apt_install() {  # the named Debian packages, once each, when some are missing
  [ $# -gt 0 ] || return 0
  echo "[setup] apt-get install $*" >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! command -v apt-get >/dev/null 2>&1 || { [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; }; then
    echo "[setup] cannot run ${sudo:+sudo }apt-get here: install these (Debian/Ubuntu names) with your system's" \
         "package manager, or as root: apt-get install $*; then run this again" >&2
    exit 1
  fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
missing=()
command -v flite >/dev/null 2>&1 || missing+=(flite)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
[ -f /usr/share/games/fortunes/fortunes ] || missing+=(fortunes)
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)  # the recipes' extra LM text (corpus_extra_text)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
apt_install "${missing[@]}"

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "[setup] Python 3.11 or newer is needed (pyproject.toml requires-python); python3 is $(python3 -V 2>&1)" >&2
  exit 1
}

# A virtualenv without pip (one an earlier run left half-made while python3-venv was missing, or one made without
# pip) gets pip from ensurepip; made again only where that fails. python3-venv only when a venv must be made.
# One whose python is older than 3.11 (left by another Python, or one that no longer runs) is made again too.
remake=""
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
then
  echo "[setup] $VENV runs $("$VENV/bin/python" -V 2>&1 || true), not Python 3.11 or newer: making it again" >&2
  remake=1
fi
py="$VENV/bin/python"
stamp="$VENV/.sgspeech-installed"
installed_as() {  # what a finished install writes last into $stamp, for torch version $1
  # (the repository's path too: a virtualenv shared by two clones holds the editable install of one of them)
  echo "$(sha256sum pyproject.toml | cut -d' ' -f1) compat torch==$1 $root"
}
torch_version() { "$py" -c 'import importlib.metadata as m; print(m.version("torch"))'; }
# A virtualenv that a finished set-up stamped (the stamp comes last, after its imports worked) for this dependency
# list, this repository and the torch still installed needs none of the checks below that start pip or import torch:
# ~3 s of every ./run.sh and ./test.sh. A changed pyproject.toml or another torch goes through all of them again.
ready=""
torch_found=""
if [ -z "$remake" ] && [ -x "$py" ] && [ -f "$stamp" ]; then
  torch_found="$(torch_version 2>/dev/null || true)"
  if [ "$(cat "$stamp")" = "$(installed_as "$torch_found")" ]; then ready=1; fi
fi
if [ -z "$ready$remake" ] && [ -x "$py" ] && ! "$py" -m pip --version >/dev/null 2>&1; then
  "$py" -m ensurepip >/dev/null 2>&1 || echo "[setup] $VENV has no working pip: making it again" >&2
fi
if [ -z "$ready" ] && { [ -n "$remake" ] || [ ! -x "$py" ] || ! "$py" -m pip --version >/dev/null 2>&1; }; then
  # `venv --clear` empties the folder: only a virtualenv (its pyvenv.cfg) or an empty folder, never one VENV names by
  # mistake
  if [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ] && [ -n "$(ls -A "$VENV" 2>/dev/null)" ]; then
    echo "[setup] $VENV is neither a virtualenv nor empty: not clearing it; remove it, or set VENV to another" \
         "folder, then run this again" >&2
    exit 1
  fi
  python3 -c "import ensurepip" >/dev/null 2>&1 || apt_install python3-venv  # without it venv leaves a pip-less venv
  if python3 -c "import torch" >/dev/null 2>&1; then
    echo "[setup] torch found on the system python: the virtualenv will use it" >&2
    python3 -m venv --clear --system-site-packages "$VENV"
  else
    python3 -m venv --clear "$VENV"
  fi
fi
pip_install() {  # quiet, but keep pip's exit status (this machine's pip config prints a warning per index miss)
  "$py" -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
  return "${PIPESTATUS[0]}"
}
if [ -z "$ready" ] && ! "$py" -c "import torch" >/dev/null 2>&1; then
  echo "[setup] pip install torch==$TORCH_VERSION+cpu (the CPU build)" >&2
  pip_install "torch==$TORCH_VERSION+cpu" >/dev/null 2>&1 \
    || pip_install "torch==$TORCH_VERSION+cpu" --extra-index-url https://download.pytorch.org/whl/cpu \
    || if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then  # PyPI's plain torch here is the CUDA build, GBs
         echo "[setup] torch==$TORCH_VERSION+cpu (the CPU build) could not be installed from pip's configured" \
              "indexes nor from https://download.pytorch.org/whl/cpu (pip's errors above; no network?). Not falling" \
              "back to torch==$TORCH_VERSION: on Linux x86-64 that is the CUDA build, several GB. Set" \
              "PIP_EXTRA_INDEX_URL to an index that has the CPU build, then run this again" >&2
         exit 1
       else
         echo "[setup] no CPU build of torch $TORCH_VERSION found: pip install torch==$TORCH_VERSION" >&2
         pip_install "torch==$TORCH_VERSION"
       fi
fi
# A torch older than the project's lower bound (one the system or a GPU image brought): one line that says so, where
# pip's resolver would fail on the held version with a page of its own.
[ -n "$ready" ] || torch_found="$(torch_version)"  # (not the one read above: torch may have been installed since)
torch_needed="$(sed -n 's/^ *"torch>=\([0-9.]*\)".*/\1/p' pyproject.toml)"
if [ -n "$torch_needed" ] && \
   [ "$(printf '%s\n' "$torch_needed" "${torch_found%%+*}" | sort -V | head -n 1)" != "$torch_needed" ]; then
  where="$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null || true)"
  echo "[setup] torch $torch_found is installed${where:+ ($where)};" \
       "sgspeech needs torch $torch_needed or newer (pyproject.toml): upgrade it, or remove $VENV and run this" \
       "again with a python3 that has no torch (set-up then installs the CPU build)" >&2
  exit 1
fi
# Re-install the project only when its dependency list, torch or the repository changed.
want="$(installed_as "$torch_found")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # pesq publishes no wheels: pip compiles it, with the Python headers and a C compiler
  build=()
  "$py" -c "import os, sys, sysconfig; sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
    >/dev/null 2>&1 || build+=(python3-dev)
  command -v gcc >/dev/null 2>&1 || build+=(gcc)
  "$py" -c "import pesq" >/dev/null 2>&1 || apt_install "${build[@]}"
  rm -f "$stamp"  # an install cut short must not leave the stamp of an earlier one, for a later run to trust
  echo "[setup] pip install -e .[dev]" >&2
  # the torch found or installed above, held: a dependency asking for another torch fails here instead of pip
  # silently swapping in PyPI's default (on Linux x86-64 the CUDA) build
  # editable_mode=compat: the repository goes on sys.path as a path entry, so its packages win over folders of the
  # same name in the working directory (a run's codec/ or lm/ output), which setuptools' default finder let shadow them
  pip_install -e ".[dev]" --config-settings editable_mode=compat \
    "torch==$torch_found"
  "$py" -c "import codec, lm, pipelines, torch, transformers" || { echo "[setup] install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
