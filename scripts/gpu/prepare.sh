#!/usr/bin/env bash
# Run HERE (the machine with the package registries), from the project root, before a session on the lent GPU
# machine (Python 3.12 with CUDA torch, no registry, no apt): puts what that machine lacks into git-excluded
# folders that device calls carry:
#   .whl/   wheels for Python 3.12 of our pip dependencies missing from its image (pesq is built here)
#   .debs/  Debian packages of flite (+ libasound2) and fortunes, unpacked there without apt, so that the
#           offline corpus is rendered there exactly as here (same synthesizer, same sentences)
#   .whl-gpu/  the training subset of .whl (6 MB): what a call carries beside the tree (36 MiB with docs/results
#           left behind by scripts/gpu/travel.sh) and .debs (14 MB); .whl whole (35 MB) fits only without .debs
# Then start each device command with `export SGSPEECH_WHEELS=.whl-gpu; source scripts/gpu/env.sh || exit 1`.
# The folders are made anew (two versions of one package stop the install there), with the versions this
# project's .venv holds where it holds the package.
set -euo pipefail
cd "$(dirname "$0")/../.."
for d in .whl .whl-gpu .debs .gpu; do grep -qx "/$d/" .git/info/exclude 2>/dev/null || echo "/$d/" >> .git/info/exclude; done
rm -rf .whl .whl-gpu .debs
mkdir -p .whl .debs
platforms=()
for n in 28 27 17; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux1_x86_64)
# our requirements that the GPU image lacks (it has torch, transformers, accelerate, sentencepiece, einops, tqdm,
# matplotlib, safetensors, tensorboard, click, scipy, sympy), with the dependencies of each that it lacks too
# (checked 2026-11-27 against the Requires-Dist of every wheel: cffi, pycparser, loguru and sounddevice were missing)
wheels=(vector-quantize-pytorch einx torch-einops-utils frozendict loguru jiwer rapidfuzz pocketsphinx sounddevice pystoi
        soundfile cffi pycparser soxr)
# the peer codecs of `python -m benchmarks peers` (torchaudio is on the GPU image): benchmarks/peers_env.sh's list
peers=(encodec==0.1.1 descript-audio-codec==1.0.0 descript-audiotools==0.7.2 argbind docstring-parser julius
       flatten-dict ffmpy importlib-resources pyloudnorm randomname fire termcolor markdown2 torch-stoi future)
pinned() {  # NAME -> NAME==VERSION where .venv has it (the versions the tests pass with), else NAME as given
  local v
  case "$1" in *==*) echo "$1"; return;; esac
  v=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null) && echo "$1==$v" || echo "$1"
}
for p in "${wheels[@]}" "${peers[@]}"; do
  spec=$(pinned "$p")
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .whl "$spec" 2>/dev/null \
    || python3 -m pip wheel -q --no-deps -w .whl "$spec"  # no 3.12 wheel: pure-Python sources build one that fits
done  # (a binary package built here gets this Python's wheel: checked below)
for w in .whl/*.whl; do  # the GPU image's Python is 3.12: pocketsphinx 5.1.1 has no cp312 wheel (cp311 lands here)
  case "${w##*/}" in *-py3-none-*|*-py2.py3-none-*|*-cp312-*) ;;
    *) echo "prepare.sh: $w does not install on Python 3.12: env.sh fails on a folder that holds it" >&2 ;; esac
done
if ! ls .whl/pesq-*.whl >/dev/null 2>&1; then  # pesq publishes sources only: build it with a local Python 3.12
  py312=""  # the first Python 3.12 that runs (a pyenv shim is on PATH even where no 3.12 is selected)
  for c in $(command -v python3.12 || true) /root/.pyenv/versions/3.12*/bin/python3.12; do
    if [ -x "$c" ] && "$c" -c '' 2>/dev/null; then py312=$c; break; fi
  done
  [ -n "$py312" ] || { echo "prepare.sh: no Python 3.12 here to build the pesq wheel" >&2; exit 1; }
  "$py312" -m pip wheel -q --no-deps -w .whl "$(pinned pesq)"
fi
(cd .debs && apt-get download flite libflite1 libasound2 libasound2-data fortunes fortunes-min)
# .whl-gpu/: the training subset (no ASR judge, no peer codecs: 6 MB instead of 35), for calls that carry data
# too (scripts/gpu/default_lm_and_trio.sh; env.sh reads it with SGSPEECH_WHEELS=.whl-gpu)
mkdir -p .whl-gpu
for w in vector_quantize_pytorch einx torch_einops_utils frozendict loguru jiwer rapidfuzz sounddevice pystoi soundfile \
         cffi pycparser soxr pesq; do cp .whl/"$w"-*.whl .whl-gpu/; done
du -sh .whl .whl-gpu .debs
