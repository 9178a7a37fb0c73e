#!/usr/bin/env bash
# Writes a generated Gene program of about N lines to stdout: repeated
# 20-line units, each a function (locals, `if`, a loop), a top-level `var`,
# a `try` that catches, a `case`, a `for` loop, chained comparisons and
# calls, so that every kind of top-level code grows with the program. The
# program prints one checksum line.
#
# Usage: scripts/lib/gen-program.sh LINES
set -euo pipefail
lines="${1:?usage: gen-program.sh LINES}"
units=$(( (lines + 19) / 20 ))
echo "(var total 0)"
for ((i = 0; i < units; i++)); do
  cat <<UNIT
(fn f_$i [x]
  (var y (x + $i))
  (var acc 0)
  (for k in [1 2 3]
    (acc = (acc + (k * y))))
  (if (y > 10)
    (acc - 1)
  else
    (acc + 1)))
(var v_$i (f_$i $((i % 17))))
(try
  (if (v_$i < 0) (throw "negative"))
  (total = (total + v_$i))
  catch *
  (println "unexpected" \$ex))
(total = (total + (case (v_$i % 3)
  when 0 1
  when 1 2
  else 3)))
(if (0 <= v_$i < 1000000) (total = (total + 1)))
(repeat 2 (total = (total + 1)))
UNIT
done
echo "(println \"total\" total)"
