#!/bin/sh
# bench/psi.sh DIR USERS LIST ROUNDS [GEN]: the figures of private matching in
# bench/RESULTS.md. Generates USERS users and a LIST-row list (once), then
# ROUNDS times, interleaved: the library's scalar multiplication on one
# core (20,000 of them), the three psi steps, match run over the same
# files, and the library on both cores for as long as a step (1M
# multiplications: the fair floor, since a machine gives a long run less
# than a short one); the psi audience must be match run's (as sets);
# file sizes last. GEN adds flags to the generator: "-phones 2 -emails 2"
# gives users with emails and a list of several identifiers a row.
# User and system CPU come from /usr/bin/time: on a shared machine they
# are the fair figure, and wall time says how much of two cores we got.
set -e
DIR=${1:-/tmp/audiencematch-psi}
USERS=${2:-1000000}
LIST=${3:-100000}
ROUNDS=${4:-2}
GEN=${5:-}
T="/usr/bin/time -f %e_s_wall_%U_s_user_%S_s_sys_%P_CPU_%M_KB_peak"
go build -o bin/match ./cmd/match
go test -c -o bin/psi.test ./psi
if ! test -s "$DIR/users.csv" || test "$(cat "$DIR/size" 2>/dev/null)" != "$USERS $LIST $GEN"; then
	go run ./bench/cmd/gen -users "$USERS" -list "$LIST" $GEN -out "$DIR"
	echo "$USERS $LIST $GEN" > "$DIR/size"
fi
test -s "$DIR/platform.key" || head -c 32 /dev/urandom > "$DIR/platform.key"
nproc
for r in $(seq "$ROUNDS"); do
	echo "== round $r: $(uptime)"
	echo "-- library: 20000 scalar mults, one core"
	$T ./bin/psi.test -test.run '^$' -test.bench 'Library/Mul$' -test.cpu 1 -test.benchtime 20000x | grep Library
	echo "-- psi users"
	$T ./bin/match psi users --users "$DIR/users.csv" --key-file "$DIR/platform.key" --out "$DIR/u.psi"
	echo "-- psi list"
	$T ./bin/match psi list --list "$DIR/list.csv" --users "$DIR/u.psi" --out "$DIR/reply.psi"
	echo "-- psi finish"
	$T ./bin/match psi finish --users "$DIR/users.csv" --key-file "$DIR/platform.key" --reply "$DIR/reply.psi" \
		--optouts "$DIR/optouts.csv" --out "$DIR/audience-psi.csv" --report "$DIR/report-psi.json" --min-audience 0 --epsilon 0
	echo "-- match run"
	$T ./bin/match run --users "$DIR/users.csv" --optouts "$DIR/optouts.csv" --list "$DIR/list.csv" \
		--out "$DIR/audience-run.csv" --report "$DIR/report-run.json" --min-audience 0 --epsilon 0
	echo "-- library on both cores, as long as a step: 1M scalar mults"
	$T ./bin/psi.test -test.run '^$' -test.bench 'Library/MulParallel$' -test.cpu 2 -test.benchtime 1000000x | grep Library
	sort "$DIR/audience-psi.csv" > "$DIR/a1"
	sort "$DIR/audience-run.csv" > "$DIR/a2"
	cmp "$DIR/a1" "$DIR/a2" && echo "-- same audience: $(wc -l < "$DIR/a1") lines"
done
ls -l "$DIR/users.csv" "$DIR/list.csv" "$DIR/u.psi" "$DIR/reply.psi"
cat "$DIR/report-psi.json"
