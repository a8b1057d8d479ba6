#!/usr/bin/env bash
# Runs the real app under Xvfb with the scripted tour (WCRGLAB_TOUR=1) and
# writes one PNG per tab into screenshots/ (ignored by git), taken at the X
# level with ImageMagick's import.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p screenshots
go build -o screenshots/wcrglab .
display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$display
WCRGLAB_TOUR=1 ./screenshots/wcrglab 2>screenshots/app.log | while read -r word name; do
  case "$word" in
    ready) import -window root "screenshots/$name.png"; echo "screenshots/$name.png" ;;
    error) echo "tour step $name failed: see screenshots/app.log" >&2 ;;
    done) break ;;
  esac
done
