#!/usr/bin/env bash
# The dashboard's cost while a browser is connected (docs/dashboard-overhead.md). Runs the FashionMnist sample on
# its embedded split (63 steps of 128 per epoch) or the full set (DATA, below), one thread, in up to five ways, interleaved, ROUNDS times:
#   off:    no dashboard (the monitor switched off, as without --monitor);
#   log:    --log FILE: sampling (one step in 10), histograms, the pump and the log, and the doctor; no server;
#   serve:  --dashboard with no client: the server started and waiting, nothing sent;
#   stream: --dashboard, its event stream read by curl: the server's cost without a browser's;
#   on:     --dashboard, with headless Chromium showing the page.
#   split:  --log FILE only, and the server in a second process (--dashboard --replay FILE --follow, on the client's
#           core with PIN=pin or thread) following that log, with headless Chromium showing its page: the server's
#           threads, sockets and page-table changes out of the training process. Needs BROWSER=warm (the default).
#   follow: split without the page: the second process follows the log and serves no one (split's server alone).
#   +load=KIND (after any way, e.g. "off+load=stream"): a background load on the client's core during the run: spin
#           (arithmetic alone), stream (a memory stream), mmap (page faults and munmaps in another process; python3),
#           wake (2,000 wake-ups a second; python3), fma (vector FMAs, fma-load.c; cc), fmaN (the same N% of every 10 ms):
#           what each kind of work on the other core costs the training thread.
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
#   browser: Chromium's user + system seconds (all its processes) per second of the long run's epochs SHORT+1..LONG
#            (BROWSER=cold: of the whole run, from the browser's start).
#   img/s:   the median img/s of epochs SHORT+1..LONG of the long runs, wall clock: what the user sees, and what other
#            load on the machine disturbs most.
# On a quiet machine with a free core for the server and the browser, thread + blocked is what an epoch costs the
# training thread; the 2% target is on that.
# Usage: eng/dashboard-overhead/run.sh [ROUNDS] [SHORT] [LONG] [DATA] [WAYS] [THREADS] [PIN]
# DATA: embedded (the default: the sample's embedded split, 63 steps an epoch) or full (the installed Fashion-MNIST,
# 469 steps an epoch: the README's main job; apt-get install dataset-fashion-mnist).
# WAYS: which of the ways, in this order in every round (default "off log stream on"; the first is the baseline).
#       A way may carry runtime settings after a "+", each its own way in the figures: "+nowx" runs the sample with
#       DOTNET_EnableWriteXorExecute=0 (the JIT writes code in place, without remapping pages), "+notier" with
#       DOTNET_TieredCompilation=0 (every method compiled optimised once), "+nopgo" with DOTNET_TieredPGO=0 (tier-1 code
#       compiled without the profile tier 0 gathered), "+nodelay" with DOTNET_TC_CallCountingDelayMs=0 (calls counted
#       towards tier 1 from the start, not from 100 ms after the last tier-0 compilation; the samples' own setting since
#       221f11e, so a no-op now), "+delay" with DOTNET_TC_CallCountingDelayMs=100 (the runtime's default, which
#       the samples' project files override: the behaviour before), "+tpspin0" with
#       DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 (the .NET thread pool's idle workers block at once instead of
#       spinning with sched_yield first; inherited by the server process), "+every=N" with --sample-every N (over
#       SAMPLE_EVERY), "+refresh=S" with --refresh S (the page sent what is new at most every S seconds);
#       "on+nowx", "off+nowx+notier", "log+every=50", "on+refresh=5", ...
# THREADS: the sample's --threads (default 1); "thread" is then the main training thread's alone.
# PIN: "pin" runs the training process on core 0 (taskset -c 0: all its threads, the server's too) and the browser and
#      curl on core 1: the browser has a core of its own; "thread" runs the training thread alone on core 0 and every
#      other thread of the process (the runtime's, the pump's, the server's) and of the processes it starts, the browser
#      and curl on core 1 (the sample trains on its main thread with --threads 1; a loop moves each new thread of the
#      process to core 1 within 0.1 s); "none" (the default) lets the scheduler place them.
# KEEP=DIR keeps every run's output (NAME.txt) in DIR.
# SAMPLE_EVERY=N passes --sample-every N to the log, stream and on ways (the sample's default is 10).
# The browser is started once, before the rounds, and left 20 s to finish its start-up work (which alone took 0.1-0.3
# of a core for its first 10-20 s, more than the page); each "on" run opens the page in a new tab and closes it after,
# as a user with a browser already running would. BROWSER=cold starts a new Chromium per run instead (the script's
# behaviour before 2026-11-30 15:00 UTC, whose "browser" figures include that start-up).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
short=${2:-5}
long=${3:-25}
data=${4:-embedded}
read -r -a ways <<< "${5:-off log stream on}"
threads=${6:-1}
pin=${7:-none}
browser_start=${BROWSER:-warm}
case "$pin" in
    pin) train_cpus=(taskset -c 0); client_cpus=(taskset -c 1) ;;
    thread) train_cpus=(); client_cpus=(taskset -c 1) ;;
    none) train_cpus=(); client_cpus=() ;;
    *) echo "PIN is pin, thread or none, not '$pin'"; exit 2 ;;
esac
# With PIN=pin or thread, this script itself (its polling loops fork grep and sleep tens of times a second while a
# run goes on) runs on core 1 too, so that core 0 is the training thread's alone: unpinned, the polling of the page
# ways preempted the training thread (a run with the page open waited 1.7-2.8 s for its core in 7.7 s, 2026-12-01).
[ "$pin" = none ] || taskset -p -c 1 $$ > /dev/null
# With PIN=pin or thread, every other thread on the machine that may move (other processes, the init process's own,
# unbound kernel workers) moves to core 1 for the runs and back after. On the VM these figures come from, the init
# process (the sandbox's agent, PID 1) ran 5% of core 0 during runs with a page open (its threads react to Chromium's
# processes), which the training thread waited for: that is the machine's, not the dashboard's (2026-12-01 04:30).
moved_threads=()
if [ "$pin" != none ]; then
    for task in /proc/[0-9]*/task/[0-9]*; do
        tid=${task##*/} allowed=
        while IFS=$':\t' read -r key value; do [ "$key" = Cpus_allowed_list ] && allowed=$value && break; done 2>/dev/null < "$task/status" || continue
        [ "$allowed" = 0-1 ] || continue # per-core kernel threads, and threads pinned on purpose, stay
        taskset -p -c 1 "$tid" > /dev/null 2>&1 && moved_threads+=("$tid")
    done
fi
restore_threads() { local tid; for tid in "${moved_threads[@]}"; do taskset -p -c 0-1 "$tid" > /dev/null 2>&1 || true; done; }
command -v curl >/dev/null || { echo "needs curl"; exit 1; }
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
dotnet build samples/GradGen.Samples.FashionMnist -c Release -v quiet -nologo >/dev/null
dll=samples/GradGen.Samples.FashionMnist/bin/Release/net10.0/GradGen.Samples.FashionMnist.dll
work=$(mktemp -d)
browser_pid=
split_server= # the split way's server process, while it runs
load=         # a "+load=KIND" run's background load, while it runs
# The browser's processes may still write its profile for a moment after it is told to end.
trap 'stop_load; restore_threads; [ -n "$split_server" ] && kill -TERM "$split_server" 2>/dev/null; [ -n "$browser_pid" ] && kill -TERM "$browser_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work" 2>/dev/null || { sleep 2; rm -rf "$work"; }' EXIT
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc --all) cores;$(uptime | sed 's/.*,  *load/ load/')"
echo "ways: ${ways[*]}; --threads $threads; pin: $pin; browser: $browser_start; --sample-every ${SAMPLE_EVERY:-10 (default)}"

# Chromium's CPU seconds, all its processes (those started with this script's profile directory).
browser_cpu() { local t=0 p; for p in $(pgrep -f "user-data-dir=$work/profile"); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done
                awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'; }
debug_port=
if [ "$browser_start" = warm ] && [[ " ${ways[*]} " == *" on"[+\ ]* || " ${ways[*]} " == *" split"[+\ ]* ]]; then
    "${client_cpus[@]}" chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile" \
        --remote-debugging-port=0 about:blank > /dev/null 2>&1 &
    browser_pid=$!
    until debug_port=$(head -n 1 "$work/profile/DevToolsActivePort" 2>/dev/null) && [ -n "$debug_port" ]; do sleep 0.1; done
    sleep 20
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
throughput() { sed -n 's|^Epoch *\([0-9]*\)/[0-9]* .* \([0-9,]*\) img/s$|\1 \2|p' "$1" | tr -d , | awk -v s="$short" '$1 > s { print $2 }' | median; }
cpu() { tail -n 1 "$1" | awk '{ print $1 + $2 }'; } # the last line: GNU time notes a signal on the line before
# "While training: ... training thread: wall W s, on a core R s, waiting for a core Q s, ...": W R Q.
thread() { sed -n 's/.*wall \([0-9.]*\) s, on a core \([0-9.]*\) s, waiting for a core \([0-9.]*\) s.*/\1 \2 \3/p' "$1"; }

# pin_threads TIMER: with PIN=thread, the process under GNU time TIMER's main thread (the training thread) on core 0, and
# every other thread of it on core 1, until it ends.
pin_threads() {
    local pid= tid moved=" "
    until pid=$(pgrep -P "$1"); do sleep 0.01; done
    taskset -p -c 0 "$pid" > /dev/null
    while [ -d "/proc/$pid" ]; do
        # The process's threads, and those of the processes it starts (--dashboard's server process, which would
        # otherwise inherit core 0 from the training thread that starts it).
        for tid in $(ls "/proc/$pid/task" $(pgrep -P "$pid" | sed 's|^|/proc/|; s|$|/task|') 2>/dev/null | grep -x '[0-9]*'); do
            [ "$tid" = "$pid" ] || [[ "$moved" == *" $tid "* ]] && continue
            taskset -p -c 1 "$tid" > /dev/null 2>&1 && moved+="$tid "
        done
        sleep 0.1
    done
}

# run WAY EPOCHS NAME: run_way, with WAY's "+load=KIND" (if any) running on the client's core meanwhile.
run() {
    local kind=
    [[ "$1" =~ \+load=([a-z0-9]+) ]] && kind=${BASH_REMATCH[1]}
    case "$kind" in
        "") ;;
        # A core kept busy with arithmetic: no memory beyond a few lines.
        spin) "${client_cpus[@]}" bash -c 'while :; do :; done' & load=$! ;;
        # A core kept busy streaming memory: the kernel clears a 64 MB buffer over and over (twice the L3 of a Zen 5 CCX).
        stream) "${client_cpus[@]}" bash -c 'while :; do dd if=/dev/zero of=/dev/null bs=64M count=16 status=none; done' & load=$! ;;
        # A core mapping, touching and unmapping 2 MB over and over (512 page faults and a munmap a turn): page-table
        # changes in another process, as a browser makes them.
        mmap) "${client_cpus[@]}" python3 -c 'import mmap
while True:
    m = mmap.mmap(-1, 1 << 21)
    for i in range(0, 1 << 21, 4096): m[i] = 1
    m.close()' & load=$! ;;
        # A core waking 2,000 times a second and going idle again: no work, no memory, the wake-ups alone.
        wake) "${client_cpus[@]}" python3 -c 'import time
while True: time.sleep(0.0005)' & load=$! ;;
        # A core doing vector FMAs (fma-load.c): all of it (fma) or N% of every 10 ms (fmaN, e.g. fma10).
        fma|fma[0-9]*) cc -O2 -march=native -o "$work/fma-load" eng/dashboard-overhead/fma-load.c
            "${client_cpus[@]}" "$work/fma-load" "${kind#fma}" & load=$! ;;
        *) echo "load is spin, stream, mmap, wake, fma or fmaN, not '$kind'"; exit 2 ;;
    esac
    run_way "$@"
    stop_load
}

# Ends the background load, if one runs (also from the EXIT trap).
stop_load() {
    [ -n "$load" ] || return 0
    pkill -P "$load" 2>/dev/null || true
    kill "$load" 2>/dev/null || true
    wait "$load" 2>/dev/null || true
    load=
}

# run_way WAY EPOCHS NAME: one training run, its output in NAME.txt, its CPU seconds in NAME.cpu, Chromium's in NAME.client.
run_way() {
    local way=${1%%+*} settings=(env)
    [[ "$1" == *+nowx* ]] && settings+=(DOTNET_EnableWriteXorExecute=0)
    [[ "$1" == *+notier* ]] && settings+=(DOTNET_TieredCompilation=0)
    [[ "$1" == *+nopgo* ]] && settings+=(DOTNET_TieredPGO=0)
    [[ "$1" == *+nodelay* ]] && settings+=(DOTNET_TC_CallCountingDelayMs=0)
    [[ "$1" == *+delay* ]] && settings+=(DOTNET_TC_CallCountingDelayMs=100)
    [[ "$1" == *+tpspin0* ]] && settings+=(DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0)
    local args=(--threads "$threads" --plain --epochs "$2" --output "$work/w.safetensors")
    [ "$data" = embedded ] && args+=(--embedded)
    local every=${SAMPLE_EVERY:-}
    [[ "$1" =~ \+every=([0-9]+) ]] && every=${BASH_REMATCH[1]}
    [ -n "$every" ] && [ "$way" != off ] && args+=(--sample-every "$every")
    local refresh=()
    [[ "$1" =~ \+refresh=([0-9.]+) ]] && refresh=(--refresh "${BASH_REMATCH[1]}")
    case "$way" in
        off|log|split|follow)
            [ "$way" != off ] && args+=(--log "$work/$3.jsonl")
            local surl= tab= cpu0 t0
            if [ "$way" = split ] || [ "$way" = follow ]; then
                # The server in a process of its own, on the client's core, following the log the training writes.
                : > "$work/$3.jsonl"
                "${client_cpus[@]}" dotnet "$dll" --dashboard --replay "$work/$3.jsonl" --follow "${refresh[@]}" > "$work/$3.server" 2>&1 &
                split_server=$!
                until surl=$(grep -m1 -o 'http://127.0.0.1:[0-9]*/' "$work/$3.server" 2>/dev/null); do sleep 0.05; done
                [ -n "$debug_port" ] && [ "$way" = split ] && tab=$(curl -s -X PUT "http://127.0.0.1:$debug_port/json/new?$surl" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
            fi
            "${train_cpus[@]}" /usr/bin/time -f "%U %S" -o "$work/$3.cpu" "${settings[@]}" dotnet "$dll" "${args[@]}" > "$work/$3.txt" &
            local job=$! pinner=
            if [ "$pin" = thread ]; then "${client_cpus[@]}" bash -c "$(declare -f pin_threads); pin_threads $job" & pinner=$!; fi
            if [ -n "$tab" ]; then
                until grep -Eq "^Epoch +$short/" "$work/$3.txt" || ! kill -0 "$job" 2>/dev/null; do sleep 0.02; done
                cpu0=$(browser_cpu); t0=$(date +%s.%N)
            fi
            wait "$job"
            if [ -n "$tab" ]; then
                awk -v c0="$cpu0" -v c1="$(browser_cpu)" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", (c1 - c0) / (t1 - t0) }' > "$work/$3.browser"
                curl -s "http://127.0.0.1:$debug_port/json/close/$tab" > /dev/null
            fi
            if [ -n "$split_server" ]; then kill -TERM "$split_server"; wait "$split_server" 2>/dev/null || true; split_server=; fi
            if [ -n "$pinner" ]; then wait "$pinner"; fi
            return ;;
    esac
    "${train_cpus[@]}" /usr/bin/time -f "%U %S" -o "$work/$3.cpu" "${settings[@]}" dotnet "$dll" "${args[@]}" --dashboard "${refresh[@]}" > "$work/$3.txt" &
    local timer=$! url client= tab= cpu0 t0 pinner=
    if [ "$pin" = thread ]; then "${client_cpus[@]}" bash -c "$(declare -f pin_threads); pin_threads $timer" & pinner=$!; fi
    until url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/$3.txt" 2>/dev/null); do sleep 0.05; done
    if [ "$way" = serve ]; then
        : # no client
    elif [ "$way" = stream ]; then
        "${client_cpus[@]}" curl -s -N "${url}api/events" > /dev/null &
        client=$!
    elif [ -n "$debug_port" ]; then
        tab=$(curl -s -X PUT "http://127.0.0.1:$debug_port/json/new?$url" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
        # From the end of epoch SHORT, as img/s: the page's steady cost, not the new tab's loading.
        until grep -Eq "^Epoch +$short/" "$work/$3.txt" || grep -q 'press Ctrl+C' "$work/$3.txt"; do sleep 0.02; done
        cpu0=$(browser_cpu); t0=$(date +%s.%N)
    else
        "${client_cpus[@]}" /usr/bin/time -f "%U %S" -o "$work/$3.client" chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile-$3" \
            --remote-debugging-port=0 "$url" > /dev/null 2>&1 &
        client=$!
    fi
    until grep -q 'press Ctrl+C' "$work/$3.txt"; do sleep 0.1; done
    if [ -n "$tab" ]; then
        awk -v c0="$cpu0" -v c1="$(browser_cpu)" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", (c1 - c0) / (t1 - t0) }' > "$work/$3.browser"
        curl -s "http://127.0.0.1:$debug_port/json/close/$tab" > /dev/null
    fi
    # SIGTERM, not SIGINT: a background job of a non-interactive shell starts with SIGINT ignored.
    kill -TERM "$(pgrep -P "$timer")"; wait "$timer" || true
    if [ -n "$pinner" ]; then wait "$pinner"; fi
    if [ -n "$client" ]; then kill -TERM "$(pgrep -P "$client" || echo "$client")" 2>/dev/null || true; wait "$client" 2>/dev/null || true; fi # curl ends with the stream
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
        [ -f "$work/$way-long-$round.browser" ] && browser=$(cat "$work/$way-long-$round.browser")
        echo "$way $per_epoch $blocked $process $browser $(throughput "$work/$way-long-$round.txt")" >> "$work/results"
        line+=" $way thread $per_epoch s blocked $blocked s process $process s browser $browser img/s $(throughput "$work/$way-long-$round.txt");"
    done
    echo "$line $(uptime | sed 's/.*,  *load/load/')"
done
# KEEP=DIR: each run's output (its epochs and its "While training:" line) copied there before the work folder goes.
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$work"/*.txt "$KEEP"/; fi
echo "medians over $rounds rounds, per epoch (change against ${ways[0]}):"
for way in "${ways[@]}"; do
    echo "$way $(awk -v w="$way" '$1 == w { print $2 }' "$work/results" | median) $(awk -v w="$way" '$1 == w { print $3 }' "$work/results" | median)" \
        "$(awk -v w="$way" '$1 == w { print $4 }' "$work/results" | median) $(awk -v w="$way" '$1 == w && $5 != "-" { print $5 }' "$work/results" | median | awk '{ print } END { if (!NR) print "-" }')" \
        "$(awk -v w="$way" '$1 == w { print $6 }' "$work/results" | median)"
done | awk '{ if (NR == 1) { t = $2; b = $3; p = $4; i = $6 }
    printf "  %-6s thread %.5f s (%+.1f%%)  thread+blocked %.5f s (%+.1f%%)  process %.4f s (%+.1f%%)  browser %s CPU s/s  img/s %.0f (%+.1f%%)\n",
        $1, $2, 100 * ($2 / t - 1), $2 + $3, 100 * (($2 + $3) / (t + b) - 1), $4, 100 * ($4 / p - 1), $5, $6, 100 * ($6 / i - 1) }'
echo "spread over the rounds (lowest to highest):"
for way in "${ways[@]}"; do
    awk -v w="$way" '$1 == w { n++; if (n == 1 || $2 < t0) t0 = $2; if (n == 1 || $2 > t1) t1 = $2; if (n == 1 || $6 < i0) i0 = $6; if (n == 1 || $6 > i1) i1 = $6 }
        END { printf "  %-6s thread %.5f-%.5f s  img/s %.0f-%.0f\n", w, t0, t1, i0, i1 }' "$work/results"
done
echo "$(uptime | sed 's/.*,  *load/load/')"
