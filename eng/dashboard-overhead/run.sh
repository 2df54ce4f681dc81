#!/usr/bin/env bash
# The dashboard's cost in training throughput while a browser is connected (docs/dashboard.md, "Overhead").
# Runs the FashionMnist sample on its embedded split, ROUNDS times each way, interleaved:
#   off: no dashboard (the monitor switched off, as without --monitor);
#   on:  --dashboard (one step in 10 sampled, histograms on), with headless Chromium showing the page.
# Chromium runs on the same machine, so its drawing competes with training: the figure includes it.
# Each run's throughput is the median img/s of epochs 6..EPOCHS (the browser has connected by then); the result is
# the median over the rounds, each way. Usage: eng/dashboard-overhead/run.sh [ROUNDS] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
epochs=${2:-20}
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)"; exit 1; }
dotnet build samples/GradGen.Samples.FashionMnist -c Release -v quiet -nologo >/dev/null
dll=samples/GradGen.Samples.FashionMnist/bin/Release/net10.0/GradGen.Samples.FashionMnist.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(--embedded --threads 1 --plain --epochs "$epochs" --output "$work/w.safetensors")

# Median img/s of epochs 6.. in a run's output.
throughput() {
    sed -n 's|^Epoch *\([0-9]*\)/[0-9]* .* \([0-9,]*\) img/s$|\1 \2|p' "$1" | tr -d , | awk '$1 >= 6 { print $2 }' | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for round in $(seq "$rounds"); do
    dotnet "$dll" "${args[@]}" > "$work/off-$round.txt"
    dotnet "$dll" "${args[@]}" --dashboard > "$work/on-$round.txt" &
    sample=$!
    until url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/on-$round.txt" 2>/dev/null); do sleep 0.1; done
    chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile-$round" --remote-debugging-port=0 "$url" \
        > /dev/null 2>&1 &
    browser=$!
    until grep -q 'press Ctrl+C' "$work/on-$round.txt"; do sleep 0.2; done
    kill -INT "$sample"; wait "$sample" || true
    kill "$browser"; wait "$browser" 2>/dev/null || true
    echo "round $round: off $(throughput "$work/off-$round.txt") img/s, on (browser connected) $(throughput "$work/on-$round.txt") img/s"
done
for way in off on; do
    for round in $(seq "$rounds"); do throughput "$work/$way-$round.txt"; done | sort -n |
        awk -v way="$way" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print way, m }'
done | awk '{ m[$1] = $2 } END { printf "median img/s: off %.0f, on %.0f; dashboard overhead %.1f%%\n", m["off"], m["on"], 100 * (1 - m["on"] / m["off"]) }'
