#!/usr/bin/env bash
# Idempotent set-up used by ./run.sh and ./test.sh: apt packages, a virtualenv, torch, the project.
# - torch: kept where one is already importable (GPU images: the venv then sees system packages);
#   otherwise the CPU wheel `torch==$TORCH_VERSION` is installed *before* the project, so that the
#   project's loose `torch>=2.4` is already satisfied and pip never pulls the multi-GB CUDA build.
#   Elsewhere, point pip at PyTorch's CPU index with PIP_EXTRA_INDEX_URL if the plain name gives CUDA.
# - Never installs torchaudio (it breaks `import transformers` on CPU torch).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
VENV="${VENV:-$root/.venv}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"

missing=()
command -v flite >/dev/null 2>&1 || missing+=(flite)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
[ -f /usr/share/games/fortunes/fortunes ] || missing+=(fortunes)
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)  # the recipes' extra LM text (corpus_extra_text)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  if python3 -c "import torch" >/dev/null 2>&1; then
    echo "[setup] torch found on the system python: the virtualenv will use it" >&2
    python3 -m venv --system-site-packages "$VENV"
  else
    python3 -m venv "$VENV"
  fi
fi
py="$VENV/bin/python"
pip_install() {  # quiet, but keep pip's exit status (this machine's pip config prints a warning per index miss)
  "$py" -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
  return "${PIPESTATUS[0]}"
}
if ! "$py" -c "import torch" >/dev/null 2>&1; then
  echo "[setup] pip install torch==$TORCH_VERSION (CPU wheel)" >&2
  pip_install "torch==$TORCH_VERSION"
fi
# Re-install the project only when its dependency list changed.
stamp="$VENV/.sgspeech-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] pip install -e .[dev]" >&2
  pip_install -e ".[dev]"
  "$py" -c "import codec, lm, pipelines, torch, transformers" || { echo "[setup] install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
