#!/bin/bash
# bench-cli.sh: modkit validate, query and fmt as a user runs them (whole
# process) against libmodulemd (../shared/tools/modulemd-oracle), each run
# interleaved with its reference so that both see the same machine load.
# Prints every run (wall time, CPU time, peak RSS from /usr/bin/time) and
# the medians with the speed-up and memory ratios. Not part of make test.
#
#   hack/bench-cli.sh [MODKIT_BINARY] [ROUNDS]     # defaults: a fresh build, 3
#
# Inputs: the 50 MiB generated index (make-big-index --target-mb 50
# --defaults), for load (libmodulemd: --no-dump) and validate/query; and,
# because fmt refuses a file with invalid documents (the generated index has
# 75, which libmodulemd rejects too), libmodulemd's own dump of it for fmt
# against load+dump.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared/tools
bin=${1:-}
rounds=${2:-3}
work=${TMPDIR:-/tmp}/modkit-bench-cli
mkdir -p "$work"
if [ -z "$bin" ]; then
	bin=$work/modkit
	(cd "$root" && go build -o "$bin" ./cmd/modkit)
fi
big=$work/big.yaml clean=$work/big-clean.yaml
[ -s "$big" ] || /usr/bin/python3 "$shared/make-big-index" -o "$big" --target-mb 50 --defaults >/dev/null
[ -s "$clean" ] || /usr/bin/python3 "$shared/modulemd-oracle" "$big" >"$clean" 2>/dev/null || true

results=$work/results.txt
: >"$results"
run() { # label command...
	local label=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$work/time.out" "$@" >/dev/null 2>&1 || true
	read -r e u s m < <(tail -1 "$work/time.out")
	printf '%-10s wall %7.2f s  cpu %6.2f s  rss %6.1f MB\n' "$label" "$e" "$(echo "$u+$s" | bc)" "$(echo "$m/1024" | bc -l)" | tee -a "$results"
}
for i in $(seq "$rounds"); do
	echo "# round $i, load average $(cut -d' ' -f1 /proc/loadavg)"
	run lib-load /usr/bin/python3 "$shared/modulemd-oracle" --no-dump "$big"
	run validate "$bin" validate "$big"
	run query "$bin" query "$big"
	run lib-dump /usr/bin/python3 "$shared/modulemd-oracle" "$clean"
	run fmt "$bin" fmt "$clean"
done
median() { # label field
	awk -v l="$1" -v f="$2" '$1 == l { print $f }' "$results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo "# medians of $rounds (wall s, cpu s, rss MB); speed-up = libmodulemd wall / modkit wall"
for pair in validate:lib-load query:lib-load fmt:lib-dump; do
	c=${pair%:*} ref=${pair#*:}
	printf '%-8s %6.2f s %6.2f cpu %6.1f MB | %-8s %6.2f s %6.2f cpu %6.1f MB | speed-up %.2fx, memory %.2f\n' \
		"$c" "$(median "$c" 3)" "$(median "$c" 6)" "$(median "$c" 9)" \
		"$ref" "$(median "$ref" 3)" "$(median "$ref" 6)" "$(median "$ref" 9)" \
		"$(echo "$(median "$ref" 3) / $(median "$c" 3)" | bc -l)" "$(echo "$(median "$c" 9) / $(median "$ref" 9)" | bc -l)"
done
