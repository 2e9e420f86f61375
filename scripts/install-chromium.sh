#!/usr/bin/env bash
# Installs Debian's Chromium (plus an emoji font, and ffmpeg, which the e2e tests use to make fake-camera
# .y4m videos) when missing. Idempotent and silent when both are already present.
# We never download a browser from the Playwright CDN: the e2e tests drive this
# system Chromium through playwright-core.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
# The prompts show emoji; without a colour emoji font they render as empty boxes.
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
[ "${#need[@]}" -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-chromium: need root (or sudo) to apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

echo "install-chromium: installing ${need[*]} with apt-get" >&2
# Another process may hold the dpkg lock; apt-get waits for it with this option.
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
[ -x /usr/bin/chromium ] || { echo "install-chromium: /usr/bin/chromium still missing" >&2; exit 1; }
