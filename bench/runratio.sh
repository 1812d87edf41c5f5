#!/bin/sh
# runratio.sh DIR PAIRS: match run's end-to-end figure. Times `match run`
# on DIR's users, opt-outs and list (the platform's own figures: no
# guards) with the fast path (bin/match) and with the library-only build
# (bin/match-nofastpath) in PAIRS interleaved pairs, new output each time,
# and prints each pair's wall times (date +%s.%N) and CPU times (user +
# system, /usr/bin/time), their ratios, and the median ratios. On a shared
# machine the CPU ratio is the steadier one: other jobs stretch the wall
# time of the run they share the cores with. Both audiences must be
# identical.
set -eu
dir=$1
pairs=${2:-3}
fast=${FAST:-bin/match}           # FAST=BIN to time another build

now() { date +%s.%N; }

# run1 BIN OUT: one run; prints its wall and CPU seconds.
run1() {
	rm -f "$2"
	s=$(now)
	/usr/bin/time -f '%U %S' -o "$dir/cpu.txt" "$1" run --users "$dir/users.csv" --optouts "$dir/optouts.csv" \
		--list "$dir/list.csv" --out "$2" --min-audience 0 --epsilon 0 2>/dev/null
	e=$(now)
	echo "$(echo "$e - $s" | bc) $(awk '{print $1 + $2}' "$dir/cpu.txt")"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

walls=""
cpus=""
i=0
while [ $i -lt "$pairs" ]; do
	set -- $(run1 "$fast" "$dir/a-fast.csv") $(run1 bin/match-nofastpath "$dir/a-slow.csv")
	wall=$(echo "scale=2; $3 / $1" | bc)
	cpu=$(echo "scale=2; $4 / $2" | bc)
	printf '  wall %.3f s  %.3f s  %sx   cpu %.2f s  %.2f s  %sx   load %s\n' "$1" "$3" "$wall" "$2" "$4" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)"
	walls="$walls $wall"
	cpus="$cpus $cpu"
	i=$((i + 1))
done
cmp "$dir/a-fast.csv" "$dir/a-slow.csv"
echo "  median ratio: wall $(printf '%s\n' $walls | median)x, cpu $(printf '%s\n' $cpus | median)x"
