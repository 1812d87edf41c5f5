#!/bin/sh
# runratio.sh DIR PAIRS: match run's end-to-end figure. Times `match run`
# on DIR's users, opt-outs and list (the platform's own figures: no
# guards) with the fast path (bin/match) and with the library-only build
# (bin/match-nofastpath) in PAIRS interleaved pairs, new output each time,
# and prints each pair's times and ratio and the median ratio. Both
# audiences must be identical.
set -eu
dir=$1
pairs=${2:-3}

now() { date +%s.%N; }

run1() {
	rm -f "$2"
	s=$(now)
	"$1" run --users "$dir/users.csv" --optouts "$dir/optouts.csv" --list "$dir/list.csv" \
		--out "$2" --min-audience 0 --epsilon 0 2>/dev/null
	e=$(now)
	echo "$e - $s" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ratios=""
i=0
while [ $i -lt "$pairs" ]; do
	fast=$(run1 bin/match "$dir/a-fast.csv")
	slow=$(run1 bin/match-nofastpath "$dir/a-slow.csv")
	ratio=$(echo "scale=2; $slow / $fast" | bc)
	printf '  %.3f s  %.3f s  %sx\n' "$fast" "$slow" "$ratio"
	ratios="$ratios $ratio"
	i=$((i + 1))
done
cmp "$dir/a-fast.csv" "$dir/a-slow.csv"
echo "  median ratio: $(printf '%s\n' $ratios | median)x"
