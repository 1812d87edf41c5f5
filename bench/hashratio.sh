#!/bin/sh
# hashratio.sh DIR PAIRS: the fast path's end-to-end figure. Times `match
# hash` on DIR/list.csv with the fast path (bin/match) and with the
# library-only build (bin/match-nofastpath, -tags nofastpath) in
# interleaved pairs, each pair the median of 3 runs of the fast build and
# 1 run of the slow one, and prints each pair's ratio and the median ratio,
# twice:
#   new:       the output file is removed before each run, untimed;
#   overwrite: each run replaces the previous run's output, and so also
#              pays for the file system's freeing of it (64 MB here).
# Wall times come from date +%s.%N: /usr/bin/time's 10 ms steps are too
# coarse at 0.16 s. Both outputs must be identical.
set -eu
dir=$1
pairs=${2:-8}

now() { date +%s.%N; }

# run1 MODE BIN OUT: one timed run, in seconds.
run1() {
	[ "$1" = new ] && rm -f "$3"
	s=$(now)
	"$2" hash --in "$dir/list.csv" --out "$3" 2>/dev/null
	e=$(now)
	echo "$e - $s" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for mode in new overwrite; do
	echo "$mode output:"
	ratios=""
	i=0
	while [ $i -lt "$pairs" ]; do
		fast=$( (run1 $mode bin/match "$dir/h-fast.csv"; run1 $mode bin/match "$dir/h-fast.csv"; run1 $mode bin/match "$dir/h-fast.csv") | median)
		slow=$(run1 $mode bin/match-nofastpath "$dir/h-slow.csv")
		ratio=$(echo "scale=2; $slow / $fast" | bc)
		printf '  %.3f s  %.3f s  %sx\n' "$fast" "$slow" "$ratio"
		ratios="$ratios $ratio"
		i=$((i + 1))
	done
	cmp "$dir/h-fast.csv" "$dir/h-slow.csv"
	echo "  median ratio: $(printf '%s\n' $ratios | median)x"
done
