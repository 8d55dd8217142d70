#!/usr/bin/env bash
# Separate virtualenv for the peer codecs (EnCodec, DAC): `bash benchmarks/peers_env.sh [VENV]` (default /tmp/peers-venv).
#
# The peers depend on torchaudio, which must never enter the project venv (its CPU wheels fail to load against
# our torch and then break `import transformers`). This venv therefore:
#   * reuses the project's torch/numpy through a .pth file appended AFTER its own site-packages (nothing is
#     downloaded twice; pip refuses to uninstall anything outside this venv, and whatever it installs here
#     shadows only inside this venv);
#   * installs encodec, descript-audio-codec and descript-audiotools with --no-deps, plus the few pure-Python
#     packages their imports need;
#   * gets a real torchaudio only if one already imports (GPU images); otherwise benchmarks/peers_shim/torchaudio
#     is put on the path by benchmarks/peers_run.py: a stub whose every use raises. The peers use torchaudio for
#     file I/O and resampling only; model construction and encode/decode never call it, so the shim is
#     acceptable for a decode-speed benchmark and for nothing else (no audio I/O, no quality metrics).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="${1:-/tmp/peers-venv}"
project_py="${PROJECT_PYTHON:-$root/.venv/bin/python}"
if [ ! -x "$venv/bin/python" ]; then
  "$project_py" -m venv "$venv"
fi
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
project_site="$("$project_py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# "zz" sorts last: the project's packages come after this venv's own
echo "$project_site" > "$site/zz_project_site.pth"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" --no-deps encodec==0.1.1 descript-audio-codec==1.0.0 descript-audiotools==0.7.2
# what `import encodec` / `import dac` (and audiotools' package __init__) pull in, without torchaudio
"${pip[@]}" --no-deps argbind docstring-parser julius flatten-dict ffmpy importlib-resources pyloudnorm \
  randomname fire termcolor markdown2 torch-stoi einops future
# check the imports as peers_run.py does them (with the torchaudio shim where no real torchaudio loads)
(cd /tmp && "$venv/bin/python" "$here/peers_run.py" --check)
echo "$venv"
