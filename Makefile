# The single source of the project's commands. See README.md.
GO ?= go
DEMO = testdata/demo

.PHONY: demo test bench bench-peers fuzz lint scale scale-data scale-hash scale-index scale-consent build beam-scale

build:
	$(GO) build -o bin/match ./cmd/match

## demo: match the bundled list against the bundled user base and print the
## report, then again through the bundled consent ledger, as an advertiser
## ("demo") would see it: under the privacy guards (noisy size, budget,
## differencing; see PRIVACY.md), with a copy of testdata/demo/history.json,
## whose fixed secret makes the demo's noise the same on every run. The
## demo base is tiny (31 users), so the minimum audience is set to 10 (the
## default, 100, would withhold it: exit status 3).
DEMO_HISTORY = /tmp/audiencematch-demo-history.json
DEMO_GUARDS = --min-audience 10 --advertiser demo --history $(DEMO_HISTORY)
demo:
	cp $(DEMO)/history.json $(DEMO_HISTORY)
	$(GO) run ./cmd/match run --users $(DEMO)/users.csv --optouts $(DEMO)/optouts.csv \
		--list $(DEMO)/list.csv --out /dev/null --report - $(DEMO_GUARDS)
	rm -f /tmp/audiencematch-demo-consent.db
	$(GO) run ./cmd/match consent import --db /tmp/audiencematch-demo-consent.db $(DEMO)/consent.csv
	$(GO) run ./cmd/match run --users $(DEMO)/users.csv --consent /tmp/audiencematch-demo-consent.db \
		--list $(DEMO)/list.csv --out /dev/null --report - $(DEMO_GUARDS)

## test: vet, every test with the race detector, then the 1M-input
## differential test of the fast path against libphonenumber (too slow
## under -race at that size) and the ledger's damage test (bbolt's reads of
## a damaged page are fatal under -race's checkptr), then the Beam module's tests on Prism
## (beam/, its own module; without -race, which would compile Beam's whole
## dependency tree a second time: about 5 more minutes on two cores; its
## tests pass under -race, run them with `cd beam && go test -race ./...`)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run='^TestFastPath_Differential$$' -v ./normalize
	$(GO) test -count=1 -run='^TestStore_DamagedFuzz$$' ./consent/ledger
	cd beam && $(GO) vet ./... && $(GO) test -count=1 ./...


## bench: the Go benchmarks of every stage
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## bench-peers: match run against DuckDB on the same files: PEER_USERS
## users from the generator, a list of PEER_LIST rows hashed by match hash,
## the users' digests in a DuckDB table built once (bench/peers/duckdb, its
## own module, cgo: the engine never depends on it), then PEER_RUNS
## interleaved pairs of match run --index and --users against the SQL
## join; checks that both give the same users and prints the medians and
## the ratio. PEER_MESS=false for the clean corpus. Not part of make test.
PEER_USERS ?= 2000000
PEER_LIST ?= 1000000
PEER_RUNS ?= 5
PEERS_DIR ?= /tmp/audiencematch-peers
PEER_MESS ?= true
bench-peers: build
	cd bench/peers/duckdb && $(GO) build -o ../../../bin/duckpeer .
	$(GO) run ./bench/cmd/gen -users $(PEER_USERS) -list $(PEER_LIST) -mess=$(PEER_MESS) -out $(PEERS_DIR)
	./bin/match hash --in $(PEERS_DIR)/list.csv --out $(PEERS_DIR)/hashed.csv
	./bin/match index build --users $(PEERS_DIR)/users.csv --out $(PEERS_DIR)/base.idx
	./bin/duckpeer build --users $(PEERS_DIR)/users.csv --db $(PEERS_DIR)/users.duckdb
	./bin/duckpeer compare --match ./bin/match --dir $(PEERS_DIR) --runs $(PEER_RUNS)

## fuzz: each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzE164$$' -fuzztime=$(FUZZTIME) ./normalize
	$(GO) test -run='^$$' -fuzz='^FuzzHashRoundtrip$$' -fuzztime=$(FUZZTIME) ./normalize
	$(GO) test -run='^$$' -fuzz='^FuzzEmail$$' -fuzztime=$(FUZZTIME) ./normalize
	$(GO) test -run='^$$' -fuzz='^FuzzE164Differential$$' -fuzztime=$(FUZZTIME) ./normalize
	$(GO) test -run='^$$' -fuzz='^FuzzReader$$' -fuzztime=$(FUZZTIME) ./internal/csvrow
	$(GO) test -run='^$$' -fuzz='^FuzzRun$$' -fuzztime=$(FUZZTIME) ./cmd/match
	$(GO) test -run='^$$' -fuzz='^FuzzOpenIndex$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=0 ./matcher
	$(GO) test -run='^$$' -fuzz='^FuzzReader$$' -fuzztime=$(FUZZTIME) ./psi

## lint: gofmt and vet, of both modules (gofmt -l . covers beam/)
lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	cd beam && $(GO) vet ./...

## scale: end-to-end figures on generated data (USERS, LIST rows): match hash
## and match run, with the fast path and without it (-tags nofastpath), in one
## run so that the ratio is fair, then the index (scale-index); peak RSS from
## /usr/bin/time. The index figures of bench/RESULTS.md come from
##   make scale-index USERS=100000000 LIST=10000000
# The scale runs are the platform's own: the exact figures, no guards.
OWN = --min-audience 0 --epsilon 0
USERS ?= 1000000
LIST ?= 1000000
SCALE_DIR ?= /tmp/audiencematch-scale
TIME = /usr/bin/time -f "%e s wall, %P CPU, %M KB peak RSS"
scale: build scale-data
	$(GO) build -tags nofastpath -o bin/match-nofastpath ./cmd/match
	$(TIME) ./bin/match hash --in $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/hashed.csv
	$(TIME) ./bin/match-nofastpath hash --in $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/hashed-nofastpath.csv
	cmp $(SCALE_DIR)/hashed.csv $(SCALE_DIR)/hashed-nofastpath.csv
	$(TIME) ./bin/match run --users $(SCALE_DIR)/users.csv --optouts $(SCALE_DIR)/optouts.csv \
		--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience.csv --report $(SCALE_DIR)/report.json $(OWN)
	$(TIME) ./bin/match-nofastpath run --users $(SCALE_DIR)/users.csv --optouts $(SCALE_DIR)/optouts.csv \
		--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience-nofastpath.csv $(OWN)
	cmp $(SCALE_DIR)/audience.csv $(SCALE_DIR)/audience-nofastpath.csv
	cat $(SCALE_DIR)/report.json
	$(MAKE) --no-print-directory scale-index USERS=$(USERS) LIST=$(LIST) SCALE_DIR=$(SCALE_DIR)

## scale-hash: the fast path's end-to-end ratio, match hash against the
## library-only build (-tags nofastpath) in PAIRS interleaved pairs, into new
## and overwritten outputs
PAIRS ?= 8
scale-hash: build scale-data
	$(GO) build -tags nofastpath -o bin/match-nofastpath ./cmd/match
	sh bench/hashratio.sh $(SCALE_DIR) $(PAIRS)

## scale-data: the generator's data set, the realistic list by default;
## MESS=false for the same numbers in ASCII styles only (the clean corpus)
MESS ?= true
scale-data:
	@test -s $(SCALE_DIR)/users.csv && test "$$(cat $(SCALE_DIR)/size 2>/dev/null)" = "$(USERS) $(LIST) $(MESS)" || { \
		$(GO) run ./bench/cmd/gen -users $(USERS) -list $(LIST) -mess=$(MESS) -out $(SCALE_DIR) && \
		echo "$(USERS) $(LIST) $(MESS)" > $(SCALE_DIR)/size; }

## scale-index: build the index of USERS users, open it, and match the LIST
## against it; the audience must equal match run --users's when USERS is
## small enough to run that too (SAME_AS_USERS=1, the default under 20M)
SAME_AS_USERS ?= $(shell test $(USERS) -le 20000000 && echo 1)
scale-index: build scale-data
	$(TIME) ./bin/match index build --users $(SCALE_DIR)/users.csv --out $(SCALE_DIR)/base.idx
	$(TIME) ./bin/match index info $(SCALE_DIR)/base.idx
	$(TIME) ./bin/match run --index $(SCALE_DIR)/base.idx --optouts $(SCALE_DIR)/optouts.csv \
		--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience-index.csv --report $(SCALE_DIR)/report-index.json $(OWN)
	cat $(SCALE_DIR)/report-index.json
	if [ "$(SAME_AS_USERS)" = 1 ]; then \
		$(TIME) ./bin/match run --users $(SCALE_DIR)/users.csv --optouts $(SCALE_DIR)/optouts.csv \
			--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience.csv $(OWN) && \
		cmp $(SCALE_DIR)/audience.csv $(SCALE_DIR)/audience-index.csv; fi

## scale-consent: the consent figures (EVENTS events over USERS users):
## import throughput and ledger size, then match run with no exclusions,
## with --optouts and with --consent, interleaved, CPU s/op beside rows/s
EVENTS ?= 10000000
scale-consent: build
	$(GO) run ./bench/cmd/gen -users $(USERS) -list $(LIST) -events $(EVENTS) -out $(SCALE_DIR)
	rm -f $(SCALE_DIR)/consent.db
	$(TIME) ./bin/match consent import --db $(SCALE_DIR)/consent.db $(SCALE_DIR)/events.csv
	ls -l $(SCALE_DIR)/consent.db
	$(GO) test -c -o bin/match.test ./cmd/match
	for i in 1 2 3; do MATCH_BENCH_DIR=$(SCALE_DIR) ./bin/match.test -test.run '^$$' \
		-test.bench 'Run_Consent' -test.benchtime 2x -test.count 1; done | tee $(SCALE_DIR)/run-consent.txt

## scale-psi: private matching, USERS users and LIST list rows (1M and
## 100k unless given): the library's scalar multiplications on one core,
## the three psi steps and match run over the same files, PAIRS rounds
## interleaved; the audiences compared; file sizes (see bench/psi.sh).
## PSI_GEN adds generator flags: PSI_GEN="-phones 2 -emails 2" for users
## with emails and a list of several identifiers a row
PSI_GEN ?=
.PHONY: scale-psi
scale-psi:
	sh bench/psi.sh $(SCALE_DIR)-psi$(if $(PSI_GEN),-keys) $(USERS) $(if $(filter command line,$(origin LIST)),$(LIST),100000) $(if $(filter command line,$(origin PAIRS)),$(PAIRS),2) "$(PSI_GEN)"

## beam-scale: the Beam pipeline (beam/cmd/match-beam) on Prism over
## generated data, USERS and LIST rows (100k each unless given) at
## MATCH_RATE: with and without the bloom filter, each with its counters,
## wall time and peak RSS, and both answers compared with match run's
MATCH_RATE ?= 0.5
beam-scale: USERS = 100000
beam-scale: LIST = 100000
beam-scale: SCALE_DIR = /tmp/audiencematch-beam-scale
beam-scale: build
	cd beam && $(GO) build -o ../bin/match-beam ./cmd/match-beam
	$(GO) run ./bench/cmd/gen -users $(USERS) -list $(LIST) -match-rate $(MATCH_RATE) -out $(SCALE_DIR)
	$(TIME) ./bin/match run --users $(SCALE_DIR)/users.csv --optouts $(SCALE_DIR)/optouts.csv \
		--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience.csv --report $(SCALE_DIR)/report.json $(OWN)
	$(TIME) ./bin/match-beam --users $(SCALE_DIR)/users.csv --optouts $(SCALE_DIR)/optouts.csv \
		--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience-beam.csv --report $(SCALE_DIR)/report-beam.json $(OWN)
	$(TIME) ./bin/match-beam --bloom=false --users $(SCALE_DIR)/users.csv --optouts $(SCALE_DIR)/optouts.csv \
		--list $(SCALE_DIR)/list.csv --out $(SCALE_DIR)/audience-beam-nobloom.csv --report $(SCALE_DIR)/report-beam-nobloom.json $(OWN)
	cmp $(SCALE_DIR)/audience.csv $(SCALE_DIR)/audience-beam.csv
	cmp $(SCALE_DIR)/audience.csv $(SCALE_DIR)/audience-beam-nobloom.csv
	cmp $(SCALE_DIR)/report.json $(SCALE_DIR)/report-beam.json
	cmp $(SCALE_DIR)/report.json $(SCALE_DIR)/report-beam-nobloom.json
	cat $(SCALE_DIR)/report.json
