#!/usr/bin/env bash
# Chromium's CPU while it shows the live page of a training run (docs/dashboard-overhead.md, "14:18"): starts this
# repository's FashionMnist sample with --dashboard on one training thread, opens its address with browser-cpu.sh, and
# prints the browser's CPU seconds per second over SECONDS seconds after SETTLE seconds of training; then stops the run.
# Build first: dotnet build samples/GradGen.Samples.FashionMnist -c Release. Needs the full data set (epochs of ~0.5 s)
# and chromium.
# Usage: eng/dashboard-overhead/page-cpu.sh [EPOCHS] [SECONDS] [SETTLE]   (defaults 80 20 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-80}
seconds=${2:-20}
settle=${3:-10}
out=$(mktemp)
dotnet samples/GradGen.Samples.FashionMnist/bin/Release/net10.0/GradGen.Samples.FashionMnist.dll --plain --dashboard \
    --threads 1 --epochs "$epochs" --output "$(mktemp -u --suffix=.safetensors)" > "$out" 2>&1 &
run=$!
trap 'pkill -P $run 2>/dev/null || true; kill $run 2>/dev/null || true; wait $run 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 300); do grep -q "^Dashboard: " "$out" && break; sleep 0.1; done
url=$(grep -m1 "^Dashboard: " "$out" | cut -d' ' -f2) || { echo "the sample printed no address:"; cat "$out"; exit 1; }
eng/dashboard-overhead/browser-cpu.sh "$url" "$seconds" "$settle"
