# Source at the start of every command on the lent GPU machine (carry .whl-gpu or .whl, and .debs: prepare.sh):
#   export SGSPEECH_WHEELS=.whl-gpu; source scripts/gpu/env.sh || exit 1; recipes/run.sh --preset small ...
# Installs the carried wheels (.whl, or the folder SGSPEECH_WHEELS names) into /tmp/site and unpacks the carried .debs
# into /tmp/debroot (never into /), then points PATH, LD_LIBRARY_PATH, PYTHONPATH, PYTHON and SGSPEECH_FORTUNES_DIR at
# them. Idempotent within a machine: the marker names the wheels installed, so a later call on the same warm machine
# with another set installs that. A missing or empty wheel or .deb folder is an error (a call without its wheels
# fails at its first import, minutes later).
sgspeech_wheel_dir="${SGSPEECH_WHEELS:-.whl}"
sgspeech_wheels="$(ls "$sgspeech_wheel_dir"/*.whl 2>/dev/null | sort | xargs -r -n1 basename)"
if [ -z "$sgspeech_wheels" ]; then
  echo "env.sh: no wheels in $sgspeech_wheel_dir/ (carry it; SGSPEECH_WHEELS names another folder)" >&2; return 1
fi
if ! ls .debs/*.deb >/dev/null 2>&1; then
  echo "env.sh: no .debs/*.deb (carry .debs: flite and fortunes for the offline corpus)" >&2; return 1
fi
if [ "$(cat /tmp/site/.sgspeech-ready 2>/dev/null)" != "$sgspeech_wheels" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$sgspeech_wheel_dir"/*.whl || { echo "env.sh: wheel install from $sgspeech_wheel_dir failed" >&2; return 1; }
  mkdir -p /tmp/debroot && for f in .debs/*.deb; do
    dpkg -x "$f" /tmp/debroot || { echo "env.sh: unpacking $f failed" >&2; return 1; }
  done
  printf '%s\n' "$sgspeech_wheels" >/tmp/site/.sgspeech-ready
fi
export PATH="/tmp/debroot/usr/bin:$PATH"
export LD_LIBRARY_PATH="/tmp/debroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONPATH="$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
export PYTHON=python3 PYTHONUNBUFFERED=1 SGSPEECH_FORTUNES_DIR=/tmp/debroot/usr/share/games/fortunes
