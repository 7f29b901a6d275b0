#!/usr/bin/env bash
# Install voicecoach on Debian or Raspberry Pi OS: system packages, a virtual environment
# in .venv and the package itself.  Safe to run again.  `--dev` adds the test tools.
set -euo pipefail
cd "$(dirname "$0")"

dev=0
[ "${1:-}" = "--dev" ] && dev=1

# espeak-ng: the voice; flite + sox: test speech; alsa-utils + libportaudio2: sound;
# python3-venv: the virtual environment.
packages=(espeak-ng flite sox alsa-utils libportaudio2 libasound2-plugins python3-venv python3-pip)
# chromium renders the therapist's report in a test.
[ "$dev" = 1 ] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "install.sh: installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# setuptools warns on every editable install that folders named like the package could
# shadow it; ours is the package itself, so that one warning is noise.  Others still show.
quiet="ignore:Editable installation"
if [ "$dev" = 1 ]; then
    PYTHONWARNINGS="$quiet" .venv/bin/python -m pip install -q -e ".[test]"
else
    PYTHONWARNINGS="$quiet" .venv/bin/python -m pip install -q -e .
fi
# The intent recogniser learns from intents/ once and keeps the result in the user's cache
# (~/.cache/voicecoach); learning it now keeps the coach's first start quick.
.venv/bin/voicecoach intent "good morning" >/dev/null
# The speech model ships as float16; an int8 copy in the same cache loads with a third of
# the memory peak.  Made now, once, not at the coach's first start.
.venv/bin/voicecoach models prepare >/dev/null || echo "install.sh: no int8 copy of the speech model (the coach still runs)"
echo "install.sh: ready. Start the coach with .venv/bin/voicecoach"
