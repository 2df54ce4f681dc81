#!/usr/bin/env bash
# The dashboard's cost while a browser is connected (docs/dashboard.md, "Overhead"). Runs the FashionMnist sample on
# its embedded split (63 steps of 128 per epoch) or the full set (DATA, below), one thread, four ways, interleaved, ROUNDS times:
#   off:    no dashboard (the monitor switched off, as without --monitor);
#   log:    --log FILE: sampling (one step in 10), histograms, the pump and the log, and the doctor; no server;
#   stream: --dashboard, its event stream read by curl: the server's cost without a browser's;
#   on:     --dashboard, with headless Chromium showing the page.
# Figures, each the median over the rounds:
#   thread:  the training thread's seconds on a core per epoch, over the training loop (training, evaluation and
#            whatever the dashboard does on that thread: sampling, the observer, the doctor), from
#            /proc/thread-self/schedstat, which the sample prints ("While training: ..."). Time the thread spends
#            waiting for a core, which is other processes' doing on a shared machine, is not in it.
#   blocked: the training thread's wall time neither on a core nor waiting for one, per epoch: suspended by the garbage
#            collector or the runtime, or waiting on a lock.
#   Both are LONG epochs minus SHORT epochs over LONG - SHORT, as process is, so that the first epochs' JIT falls out.
#   process: the training process's user + system seconds (GNU time) per epoch, LONG epochs minus SHORT epochs over
#            LONG - SHORT, so that start-up, JIT and Kestrel's start fall out: every thread, the server's included.
#   browser: Chromium's user + system seconds (all its processes) per second of the long run's training.
#   img/s:   the median img/s of epochs SHORT+1..LONG of the long runs, wall clock: what the user sees, and what other
#            load on the machine disturbs most.
# On a quiet machine with a free core for the server and the browser, thread + blocked is what an epoch costs the
# training thread; the 2% target is on that. Usage: eng/dashboard-overhead/run.sh [ROUNDS] [SHORT] [LONG] [DATA]
# DATA: embedded (the default: the sample's embedded split, 63 steps an epoch) or full (the installed Fashion-MNIST,
# 469 steps an epoch: the README's main job; apt-get install dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
short=${2:-5}
long=${3:-25}
data=${4:-embedded}
ways=(off log stream on)
command -v curl >/dev/null || { echo "needs curl"; exit 1; }
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
dotnet build samples/GradGen.Samples.FashionMnist -c Release -v quiet -nologo >/dev/null
dll=samples/GradGen.Samples.FashionMnist/bin/Release/net10.0/GradGen.Samples.FashionMnist.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;$(uptime | sed 's/.*,  *load/ load/')"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
throughput() { sed -n 's|^Epoch *\([0-9]*\)/[0-9]* .* \([0-9,]*\) img/s$|\1 \2|p' "$1" | tr -d , | awk -v s="$short" '$1 > s { print $2 }' | median; }
cpu() { tail -n 1 "$1" | awk '{ print $1 + $2 }'; } # the last line: GNU time notes a signal on the line before
# "While training: ... training thread: wall W s, on a core R s, waiting for a core Q s, ...": W R Q.
thread() { sed -n 's/.*wall \([0-9.]*\) s, on a core \([0-9.]*\) s, waiting for a core \([0-9.]*\) s.*/\1 \2 \3/p' "$1"; }

# run WAY EPOCHS NAME: one training run, its output in NAME.txt, its CPU seconds in NAME.cpu, Chromium's in NAME.client.
run() {
    local args=(--threads 1 --plain --epochs "$2" --output "$work/w.safetensors")
    [ "$data" = embedded ] && args+=(--embedded)
    case "$1" in
        off) /usr/bin/time -f "%U %S" -o "$work/$3.cpu" dotnet "$dll" "${args[@]}" > "$work/$3.txt"; return ;;
        log) /usr/bin/time -f "%U %S" -o "$work/$3.cpu" dotnet "$dll" "${args[@]}" --log "$work/$3.jsonl" > "$work/$3.txt"; return ;;
    esac
    /usr/bin/time -f "%U %S" -o "$work/$3.cpu" dotnet "$dll" "${args[@]}" --dashboard > "$work/$3.txt" &
    local timer=$! url
    until url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/$3.txt" 2>/dev/null); do sleep 0.05; done
    if [ "$1" = stream ]; then
        curl -s -N "${url}api/events" > /dev/null &
    else
        /usr/bin/time -f "%U %S" -o "$work/$3.client" chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile-$3" \
            --remote-debugging-port=0 "$url" > /dev/null 2>&1 &
    fi
    local client=$!
    until grep -q 'press Ctrl+C' "$work/$3.txt"; do sleep 0.1; done
    # SIGTERM, not SIGINT: a background job of a non-interactive shell starts with SIGINT ignored.
    kill -TERM "$(pgrep -P "$timer")"; wait "$timer" || true
    kill -TERM "$(pgrep -P "$client" || echo "$client")" 2>/dev/null || true; wait "$client" 2>/dev/null || true # curl ends with the stream
}

for round in $(seq "$rounds"); do
    line="round $round:"
    for way in "${ways[@]}"; do
        run "$way" "$short" "$way-short-$round"
        run "$way" "$long" "$way-long-$round"
        read -r wall run wait < <(thread "$work/$way-long-$round.txt")
        read -r per_epoch blocked < <(thread "$work/$way-short-$round.txt" | awk -v w="$wall" -v r="$run" -v q="$wait" -v n=$((long - short)) \
            '{ printf "%.5f %.5f\n", (r - $2) / n, ((w - r - q) - ($1 - $2 - $3)) / n }')
        process=$(awk -v a="$(cpu "$work/$way-long-$round.cpu")" -v b="$(cpu "$work/$way-short-$round.cpu")" -v n=$((long - short)) 'BEGIN { printf "%.4f", (a - b) / n }')
        browser=-
        [ -f "$work/$way-long-$round.client" ] && browser=$(awk -v c="$(cpu "$work/$way-long-$round.client")" -v w="$wall" 'BEGIN { printf "%.3f", c / w }')
        echo "$way $per_epoch $blocked $process $browser $(throughput "$work/$way-long-$round.txt")" >> "$work/results"
        line+=" $way thread $per_epoch s blocked $blocked s process $process s browser $browser img/s $(throughput "$work/$way-long-$round.txt");"
    done
    echo "$line $(uptime | sed 's/.*,  *load/load/')"
done
echo "medians over $rounds rounds, per epoch (change against off):"
for way in "${ways[@]}"; do
    echo "$way $(awk -v w="$way" '$1 == w { print $2 }' "$work/results" | median) $(awk -v w="$way" '$1 == w { print $3 }' "$work/results" | median)" \
        "$(awk -v w="$way" '$1 == w { print $4 }' "$work/results" | median) $(awk -v w="$way" '$1 == w && $5 != "-" { print $5 }' "$work/results" | median | awk '{ print } END { if (!NR) print "-" }')" \
        "$(awk -v w="$way" '$1 == w { print $6 }' "$work/results" | median)"
done | awk '{ if (NR == 1) { t = $2; b = $3; p = $4; i = $6 }
    printf "  %-6s thread %.5f s (%+.1f%%)  thread+blocked %.5f s (%+.1f%%)  process %.4f s (%+.1f%%)  browser %s CPU s/s  img/s %.0f (%+.1f%%)\n",
        $1, $2, 100 * ($2 / t - 1), $2 + $3, 100 * (($2 + $3) / (t + b) - 1), $4, 100 * ($4 / p - 1), $5, $6, 100 * ($6 / i - 1) }'
echo "$(uptime | sed 's/.*,  *load/load/')"
