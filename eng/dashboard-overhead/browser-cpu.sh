#!/usr/bin/env bash
# Chromium's CPU (user + system seconds per second, all its processes) while it shows URL, headless, as
# eng/dashboard-overhead/run.sh starts it: SECONDS seconds after a settling time of SETTLE seconds (default 10).
# docs/dashboard-overhead.md: what the page alone costs the machine, by what it is doing.
# Usage: eng/dashboard-overhead/browser-cpu.sh URL [SECONDS] [SETTLE]
#   eng/dashboard-overhead/browser-cpu.sh about:blank 20
#   dotnet run -c Release --project samples/GradGen.Samples.FashionMnist -- --dashboard --threads 1 --epochs 80 &
#   eng/dashboard-overhead/browser-cpu.sh http://127.0.0.1:PORT/ 20
set -euo pipefail
url=$1
seconds=${2:-20}
settle=${3:-10}
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)"; exit 1; }
work=$(mktemp -d)
trap 'pkill -f "user-data-dir=$work/profile" 2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT
chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile" --remote-debugging-port=0 "$url" > /dev/null 2>&1 &
ticks() { local t=0 p; for p in $(pgrep -f "user-data-dir=$work/profile"); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
sleep "$settle"
t0=$(ticks)
sleep "$seconds"
t1=$(ticks)
awk -v a="$t0" -v b="$t1" -v s="$seconds" -v hz="$(getconf CLK_TCK)" -v u="$url" 'BEGIN { printf "%s: %.3f CPU s/s\n", u, (b - a) / hz / s }'
