#!/bin/sh
# messcost.sh CLEAN_DIR MESS_DIR RUNS: what the mess of real exports costs
# the fast path end to end. Times `match hash` (bin/match, new output) on
# the clean list and on the realistic one, the same numbers (gen -mess=false
# and the default), alternately RUNS times each, and prints the median wall
# time of each and their ratio: the realistic corpus's cost per row against
# the clean corpus's.
set -eu
clean=$1
mess=$2
runs=${3:-8}

now() { date +%s.%N; }

run1() {
	rm -f "$1/h-cost.csv"
	s=$(now)
	bin/match hash --in "$1/list.csv" --out "$1/h-cost.csv" 2>/dev/null
	e=$(now)
	echo "$e - $s" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

c=""
m=""
i=0
while [ $i -lt "$runs" ]; do
	c="$c $(run1 "$clean")"
	m="$m $(run1 "$mess")"
	i=$((i + 1))
done
cm=$(printf '%s\n' $c | median)
mm=$(printf '%s\n' $m | median)
echo "  clean: $c"
echo "  mess:  $m"
printf '  median %.3f s clean, %.3f s realistic: %sx\n' "$cm" "$mm" "$(echo "scale=2; $mm / $cm" | bc)"
