#!/usr/bin/env bash
# Measures what GradGen's generated code costs a user's build: docs/build-performance.md.
#
#   eng/build-performance/run.sh [--repo DIR] [--rounds N] [--work DIR] [--no-deep] [--cpu-only]
#
#   --repo DIR   the GradGen checkout whose eng/UseGradGen.props the projects import (default: this one),
#                so that an older commit, checked out with `git worktree add`, can be measured by the same script
#   --rounds N   timed rebuilds per configuration; the table shows the median (default 3)
#   --work DIR   where the projects are created (default: a new directory under $TMPDIR, outside the repository)
#   --no-deep    leave out the [Repeat(4000)] project
#   --cpu-only   measure only the rebuilds' CPU time (below), not their wall time nor the instrumented build
#
# It creates three projects that import eng/UseGradGen.props by absolute path, as a user's project would:
#   empty   no networks
#   fifty   50 varied declarations, written by declarations.sh (seeded, so always the same 50)
#   deep    one network: [Repeat(4000)] [Dense(8, Activation.Tanh)] [EndRepeat]
# and, for each, after a first build:
#   rebuild     wall time of `dotnet build --no-restore -c Release` after touching Program.cs, the median of N,
#               with the compiler server on, as a user builds; the configurations are interleaved round by round,
#               so that a machine shared with other builds slows them all alike. For `fifty` also after an edit
#               to Unrelated.cs, a file that declares no network.
#   rebuild CPU the user + system CPU time of the same rebuild run with -p:UseSharedCompilation=false
#               -nodeReuse:false, so that MSBuild and csc are children of `dotnet build` and /usr/bin/time counts
#               them all: the median of N, interleaved likewise. On a machine that other builds keep busy, CPU time
#               changes far less than wall time; it includes csc's start-up (JIT), which the compiler server saves.
#   instrumented one more rebuild with -p:UseSharedCompilation=false -p:ReportAnalyzer=true
#               -p:EmitCompilerGeneratedFiles=true -v:detailed, in which csc runs through a wrapper under
#               /usr/bin/time, so that
#     compiler memory  is the kernel's peak resident set size (ru_maxrss) of the csc process itself;
#     csc CPU, wall    are that process's user + system CPU time and its elapsed time: the CPU time barely
#                      depends on how many other builds share the machine, the wall time does;
#     generator time   is csc's own "Total generator execution time" line for GradGen.Generators.NetworkGenerator
#                      (printed because of ReportAnalyzer); analyzer time likewise, for GradGen's analyzers;
#     generated code   is the line and byte count of the files GradGen wrote under obj/…/generated.
# Prints a markdown table. Needs bash, the .NET SDK and /usr/bin/time (Debian package `time`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=3
work=""
deep=1
cpu_only=0
while (( $# )); do
    case $1 in
        --repo) repo=$(cd "$2" && pwd); shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --no-deep) deep=0; shift ;;
        --cpu-only) cpu_only=1; shift ;;
        *) echo "run.sh: unknown option '$1' (see the comment at the top of the script)" >&2; exit 2 ;;
    esac
done
[[ -f $repo/eng/UseGradGen.props ]] || { echo "run.sh: $repo/eng/UseGradGen.props not found; --repo must be a GradGen checkout" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "run.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/gradgen-build-performance.XXXXXX")}
mkdir -p "$work"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

sdk_version=$(dotnet --version)
sdk_dir=$(dotnet --list-sdks | awk -v v="$sdk_version" '$1 == v { gsub(/[\[\]]/, "", $2); print $2 "/" v }')
csc_dll=$sdk_dir/Roslyn/bincore/csc.dll
[[ -f $csc_dll ]] || { echo "run.sh: the compiler was not found at $csc_dll" >&2; exit 2; }

# create NAME NETWORKS_FILE: a class library that declares the networks in NETWORKS_FILE.
create() {
    local name=$1 dir=$work/$1
    mkdir -p "$dir"
    cat > "$dir/$name.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RootNamespace>BuildPerformance</RootNamespace>
  </PropertyGroup>
  <Import Project="$repo/eng/UseGradGen.props" />
</Project>
PROJ
    echo "namespace BuildPerformance; public static class Program { public static int Answer => 42; }" > "$dir/Program.cs"
    echo "namespace BuildPerformance; public static class Unrelated { public const int Edit = 0; }" > "$dir/Unrelated.cs"
    cp "$2" "$dir/Networks.cs"
    # csc, run by the instrumented build, writes to csc-time its peak RSS (KiB), user and system CPU time (s), wall time (s).
    cat > "$dir/csc-under-time.sh" <<WRAP
#!/usr/bin/env bash
exec /usr/bin/time -f "%M %U %S %e" -o "$dir/csc-time" dotnet "$csc_dll" "\$@"
WRAP
    chmod +x "$dir/csc-under-time.sh"
}

: > "$work/empty.networks.cs"
"$here/declarations.sh" 50 7 > "$work/fifty.networks.cs"
cat > "$work/deep.networks.cs" <<'NET'
using GradGen;

namespace BuildPerformance;

[Network(8, Loss = Loss.MeanSquaredError)]
[Repeat(4000)] [Dense(8, Activation.Tanh)] [EndRepeat]
[Dense(1)]
public partial class Deep;
NET
projects=(empty fifty)
(( deep )) && projects+=(deep)
for p in "${projects[@]}"; do create "$p" "$work/$p.networks.cs"; done

build() { # build DIR LOG [ARGS...]: one build; fails with the log's errors if the build fails
    local dir=$1 out=$2; shift 2
    # /usr/bin/time appends "BUILD-CPU <user s> <system s> <wall s>" to the log: the build and all its children.
    if ! (cd "$dir" && /usr/bin/time -a -o "$out" -f "BUILD-CPU %U %S %e" dotnet build --no-restore -c Release -nologo "$@" > "$out" 2>&1); then
        grep -E "error|Error" "$out" | head -20 >&2
        echo "run.sh: the build in $dir failed; its log is $out" >&2
        exit 1
    fi
}

seconds_since() { echo "$(date +%s.%N) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

for p in "${projects[@]}"; do
    log "restore and first build: $p"
    (cd "$work/$p" && dotnet restore -nologo > "$work/$p.restore.log" 2>&1) || { cat "$work/$p.restore.log" >&2; exit 1; }
    build "$work/$p" "$work/$p.first.log"
done

# Timed rebuilds, interleaved: round 1 of every configuration, then round 2, ...
configs=()
for p in "${projects[@]}"; do
    configs+=("$p:touch")
    [[ $p == fifty ]] && configs+=("fifty:edit")
done
change_file() { # change_file PROJECT touch|edit ROUND
    if [[ $2 == touch ]]; then
        touch "$work/$1/Program.cs"
    else
        echo "namespace BuildPerformance; public static class Unrelated { public const int Edit = $3; }" > "$work/$1/Unrelated.cs"
    fi
}
declare -A times cpu_times
for ((round = 1; round <= rounds; round++)); do
    for c in "${configs[@]}"; do
        p=${c%%:*} change=${c#*:}
        if (( ! cpu_only )); then
            change_file "$p" "$change" "$round"
            start=$(date +%s.%N)
            build "$work/$p" "$work/$c.round$round.log"
            t=$(seconds_since "$start")
            times[$c]+="$t "
            log "round $round, $c: $t s"
        fi
        change_file "$p" "$change" "$((round + 100))"
        build "$work/$p" "$work/$c.cpu$round.log" -nodeReuse:false -p:UseSharedCompilation=false
        t=$(awk '/^BUILD-CPU/ { printf "%.1f", $2 + $3 }' "$work/$c.cpu$round.log")
        cpu_times[$c]+="$t "
        log "round $round, $c: $t s of CPU"
    done
done

median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The instrumented rebuild of each project.
(( cpu_only )) && projects=()
declare -A rss cpu wall gen_s ana_s lines bytes
for p in "${projects[@]}"; do
    dir=$work/$p
    touch "$dir/Program.cs"
    rm -f "$dir/csc-time"
    rm -rf "$dir/obj/Release/net10.0/generated"
    log "instrumented build: $p"
    build "$dir" "$work/$p.instrumented.log" -v:detailed -nodeReuse:false \
        -p:UseSharedCompilation=false -p:CscToolPath="$dir" -p:CscToolExe=csc-under-time.sh \
        -p:ReportAnalyzer=true -p:EmitCompilerGeneratedFiles=true
    [[ -s $dir/csc-time ]] || { echo "run.sh: csc did not run through the wrapper in $p" >&2; exit 1; }
    read -r rss_kib user_s sys_s wall_s < <(tail -n 1 "$dir/csc-time")
    rss[$p]=$(( rss_kib / 1024 ))
    cpu[$p]=$(echo "$user_s $sys_s" | awk '{ printf "%.1f", $1 + $2 }')
    wall[$p]=$wall_s
    # ReportAnalyzer prints, per generator and analyzer assembly, a line "  <seconds>  <percent>  <name>".
    gen_s[$p]=$(grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+GradGen\.Generators\.NetworkGenerator\s*$' "$work/$p.instrumented.log" | awk '{ print $1 }' | head -1)
    ana_s[$p]=$(grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+GradGen\.Analyzers,' "$work/$p.instrumented.log" | awk '{ print $1 }' | head -1)
    generated=$dir/obj/Release/net10.0/generated/GradGen.Generators
    if [[ -d $generated ]]; then
        lines[$p]=$(find "$generated" -name '*.cs' -exec cat {} + | wc -l)
        bytes[$p]=$(find "$generated" -name '*.cs' -exec cat {} + | wc -c)
    else
        lines[$p]=0 bytes[$p]=0
    fi
done

empty_median=$(median "${times[empty:touch]:-1}")
empty_cpu=$(median "${cpu_times[empty:touch]}")
echo
echo "GradGen build performance, $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, .NET SDK $sdk_version"
echo "repo: $repo ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')), projects in $work"
echo
echo "| project | change | rebuild, median of $rounds (s) | each (s) | vs empty | rebuild CPU, median (s) | each (s) | vs empty | generated lines | generated bytes | generator (s) | analyzers (s) | csc peak RSS (MiB) | csc CPU (s) | csc wall (s) |"
echo "| --- | --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for c in "${configs[@]}"; do
    p=${c%%:*} change=${c#*:}
    m=— ratio=—
    if (( ! cpu_only )); then
        m=$(median "${times[$c]}")
        ratio=$(echo "$m $empty_median" | awk '{ printf "%.2f×", $1 / $2 }')
    fi
    mc=$(median "${cpu_times[$c]}")
    cpu_ratio=$(echo "$mc $empty_cpu" | awk '{ printf "%.2f×", $1 / $2 }')
    [[ $change == touch ]] && change="touch Program.cs" || change="edit Unrelated.cs"
    times_c=${times[$c]:-} cpu_c=${cpu_times[$c]}
    echo "| $p | $change | $m | ${times_c% } | $ratio | $mc | ${cpu_c% } | $cpu_ratio | ${lines[$p]:-} | ${bytes[$p]:-} | ${gen_s[$p]:-—} | ${ana_s[$p]:-—} | ${rss[$p]:-} | ${cpu[$p]:-} | ${wall[$p]:-} |"
done
