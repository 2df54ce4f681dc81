#!/usr/bin/env bash
# The benchmark comparison of docs/benchmarks.md, back to back in one session: for each vector width, libtorch, then
# GradGen's suite (peak FMA per width, SGD steps of the five networks in four variants, inference), then libtorch
# again; then the tables, with the fraction of peak and the ratio to libtorch (the mean of its two runs).
# At 256 and 128 bits libtorch is also timed held to that width (its GEMM through MKL_ENABLE_INSTRUCTIONS and
# ONEDNN_MAX_CPU_ISA, its element-wise kernels through ATEN_CPU_CAPABILITY), which is what a machine with only that
# width gives it; the tables compare GradGen with libtorch both ways.
#
# Usage: benchmarks/run.sh [widths…]     widths: native (default: the machine's widest), 256, 128; default "native 256 128"
# Environment: GRADGEN_LIBTORCH_BENCH  the libtorch timer (default /work/shared/libtorch-bench/run.sh; "none" to skip)
#              GRADGEN_BENCH_OUT        output folder (default benchmarks/results/<UTC date-time>)
#              GRADGEN_LIBTORCH_SECONDS seconds per libtorch case (default 2)
# Each width takes about 10 minutes on a 2-core machine. Results: <out>/<width>.md (tables), <width>.json (the suite's
# measurements, for --report), libtorch-<width>-{before,after}.txt, and <out>/benchmarks.md, all widths with the commands.
set -euo pipefail
cd "$(dirname "$0")/.."

widths=("$@")
[ ${#widths[@]} -gt 0 ] || widths=(native 256 128)
out=${GRADGEN_BENCH_OUT:-benchmarks/results/$(date -u +%Y%m%d-%H%M)}
libtorch=${GRADGEN_LIBTORCH_BENCH:-/work/shared/libtorch-bench/run.sh}
seconds=${GRADGEN_LIBTORCH_SECONDS:-2}
mkdir -p "$out"
out=$(cd "$out" && pwd)
project=benchmarks/GradGen.Benchmarks
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build "$project" -c Release >/dev/null
# The variants must compute the same thing before their times are compared.
dotnet run --no-build -c Release --project "$project" -- --verify | tee "$out/verify.txt"

time_libtorch() { # $1: output file; $2: the width to hold libtorch to (256 or 128), or nothing for its widest code
  if [ "$libtorch" = none ] || [ ! -x "$libtorch" ]; then return 0; fi
  case "${2:-}" in
    256) MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 "$libtorch" 1 "$seconds" | tee "$1" ;;
    128) MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41 ATEN_CPU_CAPABILITY=default "$libtorch" 1 "$seconds" | tee "$1" ;;
    *) "$libtorch" 1 "$seconds" | tee "$1" ;;
  esac
}

{
  echo "# GradGen benchmarks, $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //');" \
       "$(grep -m1 -o -w 'avx512f' /proc/cpuinfo || grep -m1 -o -w 'avx2' /proc/cpuinfo || grep -m1 -o -w 'asimd' /proc/cpuinfo || echo 'no') SIMD;" \
       "$(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)'). Command: benchmarks/run.sh ${widths[*]}"
} > "$out/benchmarks.md"

for width in "${widths[@]}"; do
  case "$width" in
    native) unset DOTNET_PreferredVectorBitWidth ;;
    256|128) export DOTNET_PreferredVectorBitWidth=$width ;;
    *) echo "unknown width '$width' (native, 256 or 128)" >&2; exit 2 ;;
  esac
  echo "== width: $width"
  time_libtorch "$out/libtorch-$width-before.txt"
  [ "$width" = native ] || time_libtorch "$out/libtorch-$width-at-width-before.txt" "$width"
  # A failed case leaves a dash in the table; the other widths still run.
  dotnet run --no-build -c Release --project "$project" -- --suite --save "$out/$width.json" \
    || echo "warning: some benchmark at width $width failed; see the output above" >&2
  [ "$width" = native ] || time_libtorch "$out/libtorch-$width-at-width-after.txt" "$width"
  time_libtorch "$out/libtorch-$width-after.txt"
  torch_args=()
  for f in "$out/libtorch-$width-before.txt" "$out/libtorch-$width-after.txt"; do [ -s "$f" ] && torch_args+=(--libtorch "$f"); done
  for f in "$out/libtorch-$width-at-width-before.txt" "$out/libtorch-$width-at-width-after.txt"; do [ -s "$f" ] && torch_args+=(--libtorch-at-width "$f"); done
  dotnet run --no-build -c Release --project "$project" -- --report "$out/$width.json" "${torch_args[@]}" --out "$out/$width.md" >/dev/null
  {
    echo
    echo "## Width: $width$([ "$width" = native ] || echo " (DOTNET_PreferredVectorBitWidth=$width)")"
    echo
    cat "$out/$width.md"
  } >> "$out/benchmarks.md"
done
unset DOTNET_PreferredVectorBitWidth
echo
echo "Tables: $out/benchmarks.md"
