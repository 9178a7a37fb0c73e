#!/usr/bin/env bash
# Build-time benchmark (`scripts/bench --build-time`): builds generated
# programs of 1k, 10k and 50k lines (scripts/lib/gen-program.sh) with the
# release `gene build` at -O2, checks that each executable prints its
# checksum, and reports the CPU seconds per 1,000 lines, which should stay
# roughly constant when build time is linear in program size.
#
# Usage: scripts/lib/bench-build-time.sh GENE [LINES...]
set -euo pipefail
gene="${1:?usage: bench-build-time.sh GENE [LINES...]}"
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%8s %10s %12s %14s\n' lines "CPU s" "wall s" "CPU s/1k lines"
for n in "${sizes[@]}"; do
  "$here/gen-program.sh" "$n" > "$work/p$n.gene"
  actual=$(wc -l < "$work/p$n.gene")
  start=$(date +%s.%N)
  TIMEFORMAT='%U %S'
  { time "$gene" build -O2 "$work/p$n.gene" -o "$work/p$n" > "$work/p$n.log" 2>&1 ; } 2> "$work/p$n.time" || {
    echo "gene build failed for $n lines:" >&2; cat "$work/p$n.log" >&2; exit 1; }
  end=$(date +%s.%N)
  out=$("$work/p$n")
  case "$out" in "total "*) ;; *) echo "the $n-line program printed '$out'" >&2; exit 1 ;; esac
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$work/p$n.time")
  wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
  per=$(awk -v c="$cpu" -v n="$actual" 'BEGIN { printf "%.3f", c * 1000 / n }')
  printf '%8d %10s %12s %14s\n' "$actual" "$cpu" "$wall" "$per"
done
