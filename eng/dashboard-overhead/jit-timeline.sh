#!/usr/bin/env bash
# When the JIT compiles what, during a training run with the dashboard (docs/dashboard-overhead.md): runs the
# FashionMnist sample on the full set with DOTNET_JitStdOutFile and DOTNET_JitDisasmSummary=1, notes how many methods
# the JIT had compiled when the dashboard's address was printed and at the end of each epoch, and prints, per phase:
#   all:          every compilation;
#   gradgen-t1:   GradGen's methods (the library's, the network's, the sample's) compiled at tier 1: the training code
#                 reaching its optimised form;
#   gradgen-t0:   GradGen's methods compiled at tier 0 (instrumented or not): the training code before it;
#   other-t0:     methods outside GradGen compiled at tier 0: mostly ASP.NET Core's and the runtime's, run for the first time.
# Tiered compilation counts calls only after 100 ms in which no method ran for the first time: while other-t0 keeps
# coming, gradgen-t1 waits.
# Usage: eng/dashboard-overhead/jit-timeline.sh WAY [EPOCHS]
# WAY: log (--log, no server), stream (--dashboard, curl reads the event stream) or on (--dashboard, the page open in
# headless Chromium). EPOCHS: default 6.
set -euo pipefail
cd "$(dirname "$0")/../.."
way=${1:?WAY is log, stream or on}
epochs=${2:-6}
case "$way" in log|stream|on) ;; *) echo "WAY is log, stream or on, not '$way'"; exit 2 ;; esac
dotnet build samples/GradGen.Samples.FashionMnist -c Release -v quiet -nologo >/dev/null
dll=samples/GradGen.Samples.FashionMnist/bin/Release/net10.0/GradGen.Samples.FashionMnist.dll
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work" 2>/dev/null || { sleep 2; rm -rf "$work"; }' EXIT
args=(--threads 1 --plain --epochs "$epochs" --output "$work/w.safetensors")
if [ "$way" = log ]; then args+=(--log "$work/log.jsonl"); else args+=(--dashboard); fi
DOTNET_JitStdOutFile="$work/jit.txt" DOTNET_JitDisasmSummary=1 dotnet "$dll" "${args[@]}" > "$work/out.txt" &
sample=$!
if [ "$way" != log ]; then
    until url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/out.txt" 2>/dev/null); do sleep 0.02; done
    if [ "$way" = stream ]; then curl -s -N "${url}api/events" > /dev/null & pids+=($!)
    else chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile" "$url" > /dev/null 2>&1 & pids+=($!)
    fi
fi
# A mark at each new line that starts a phase: the dashboard's address (training starts after it), then each epoch.
marks="$work/marks"; : > "$marks"; seen=0
while ! grep -q '^While training' "$work/out.txt"; do
    n=$(grep -cE '^(Dashboard:|Epoch )' "$work/out.txt" || true)
    if [ "$n" != "$seen" ]; then echo "$(grep -E '^(Dashboard:|Epoch )' "$work/out.txt" | tail -n 1 | sed 's/^\(Dashboard:\).*/\1/; s/^Epoch *\([0-9]*\)\/.*/epoch-\1/') $(wc -l < "$work/jit.txt")" >> "$marks"; seen=$n; fi
    sleep 0.005
done
kill -TERM "$sample" 2>/dev/null || true; wait "$sample" 2>/dev/null || true
echo "$way: JIT compilations per phase, each from the end of the one before (the first from the start) to the line named"
printf '  %-18s %6s %11s %11s %9s\n' "phase ends at" all gradgen-t1 gradgen-t0 other-t0
awk 'NR == FNR { name[NR] = $1; end[NR] = $2; n = NR; next }
     { for (p = 1; p <= n && FNR > end[p]; p++); all[p]++
       if ($0 ~ /GradGen/ && $0 ~ /\[Tier1/) t1[p]++; else if ($0 ~ /GradGen/ && $0 ~ /Tier0/) t0[p]++; else if ($0 ~ /Tier0/) o0[p]++ }
     END { for (p = 1; p <= n; p++) printf "  %-18s %6d %11d %11d %9d\n", name[p], all[p], t1[p], t0[p], o0[p] }' "$marks" "$work/jit.txt"
