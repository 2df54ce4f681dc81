#!/usr/bin/env bash
# The dashboard's cost while a browser is connected (docs/dashboard.md, "Overhead"). Runs the FashionMnist sample on
# its embedded split (63 steps of 128 per epoch), one thread, three ways, interleaved, ROUNDS times:
#   off:    no dashboard (the monitor switched off, as without --monitor);
#   stream: --dashboard (one step in 10 sampled, histograms on), its event stream read by curl: the server's cost alone;
#   on:     --dashboard, with headless Chromium showing the page.
# Two figures:
#   CPU per epoch: the training process's user + system seconds (GNU time) for LONG epochs minus those for SHORT
#     epochs, over LONG - SHORT. The subtraction removes what does not grow with training (start-up, JIT, Kestrel's
#     start, loading the data), so this is the steady-state cost of training with the dashboard: sampling, histograms,
#     the observer, the pump, the event stream. It counts every thread of the process, and is little affected by other
#     load on the machine; Chromium's own CPU is not in it.
#   throughput: the median img/s of epochs SHORT+1..LONG of the long runs, wall clock. Chromium runs on the same
#     machine, so its drawing competes with training and is included, with whatever else the machine is doing.
# Each is the median over the rounds. Usage: eng/dashboard-overhead/run.sh [ROUNDS] [SHORT] [LONG]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
short=${2:-5}
long=${3:-25}
command -v curl >/dev/null || { echo "needs curl"; exit 1; }
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
dotnet build samples/GradGen.Samples.FashionMnist -c Release -v quiet -nologo >/dev/null
dll=samples/GradGen.Samples.FashionMnist/bin/Release/net10.0/GradGen.Samples.FashionMnist.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
throughput() { sed -n 's|^Epoch *\([0-9]*\)/[0-9]* .* \([0-9,]*\) img/s$|\1 \2|p' "$1" | tr -d , | awk -v s="$short" '$1 > s { print $2 }' | median; }
cpu() { tail -n 1 "$1" | awk '{ print $1 + $2 }'; } # the last line: GNU time notes a signal on the line before

# run WAY EPOCHS NAME: one training run, its output in NAME.txt and its CPU seconds in NAME.cpu.
run() {
    local args=(--embedded --threads 1 --plain --epochs "$2" --output "$work/w.safetensors")
    if [ "$1" = off ]; then
        /usr/bin/time -f "%U %S" -o "$work/$3.cpu" dotnet "$dll" "${args[@]}" > "$work/$3.txt"
        return
    fi
    /usr/bin/time -f "%U %S" -o "$work/$3.cpu" dotnet "$dll" "${args[@]}" --dashboard > "$work/$3.txt" &
    local timer=$! url
    until url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/$3.txt" 2>/dev/null); do sleep 0.1; done
    if [ "$1" = stream ]; then
        curl -s -N "${url}api/events" > /dev/null &
    else
        chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile-$3" --remote-debugging-port=0 "$url" \
            > /dev/null 2>&1 &
    fi
    local client=$!
    until grep -q 'press Ctrl+C' "$work/$3.txt"; do sleep 0.2; done
    # SIGTERM, not SIGINT: a background job of a non-interactive shell starts with SIGINT ignored.
    kill -TERM "$(pgrep -P "$timer")"; wait "$timer" || true
    kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true # curl ends with the stream
}

for round in $(seq "$rounds"); do
    for way in off stream on; do
        run "$way" "$short" "$way-short-$round"
        run "$way" "$long" "$way-long-$round"
        awk -v a="$(cpu "$work/$way-long-$round.cpu")" -v b="$(cpu "$work/$way-short-$round.cpu")" -v n=$((long - short)) \
            'BEGIN { printf "%.4f\n", (a - b) / n }' > "$work/$way-$round.epoch"
    done
    echo "round $round: CPU per epoch off $(cat "$work/off-$round.epoch"), stream $(cat "$work/stream-$round.epoch"), on $(cat "$work/on-$round.epoch") s;" \
         "throughput off $(throughput "$work/off-long-$round.txt"), stream $(throughput "$work/stream-long-$round.txt"), on $(throughput "$work/on-long-$round.txt") img/s"
done
for way in off stream on; do
    echo "$way $(cat "$work"/$way-*.epoch | median) $(for r in $(seq "$rounds"); do throughput "$work/$way-long-$r.txt"; done | median)"
done | awk '{ c[$1] = $2; t[$1] = $3 }
    END { printf "median CPU per epoch: off %.4f s, stream %.4f s (%+.1f%%), on %.4f s (%+.1f%%)\n", c["off"], c["stream"],
              100 * (c["stream"] / c["off"] - 1), c["on"], 100 * (c["on"] / c["off"] - 1)
          printf "median throughput: off %.0f, stream %.0f (%+.1f%%), on %.0f img/s (%+.1f%%)\n", t["off"], t["stream"],
              100 * (t["stream"] / t["off"] - 1), t["on"], 100 * (t["on"] / t["off"] - 1) }'
