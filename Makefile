# statekit: every target works on a fresh machine that has only Go.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCHCOUNT  ?= 6
BENCHOUT    ?= bench.txt

.PHONY: all test vet lint fmt fmt-check generate generate-check demo demo-clickstream demo-latency demo-raw bench fuzz-corpus

all: test

## test: everything CI runs: formatting, go vet, staticcheck, and all tests with -race.
test: fmt-check vet lint
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## generate: rerun every go:generate line.
generate:
	$(GO) generate ./...

## generate-check: fail if go generate changes any committed file.
generate-check: generate
	@git diff --exit-code --stat || (echo "go generate changed committed files: commit the regenerated code"; exit 1)

## demo: the tour, on the embedded Badger default: orders through generated
## window and aggregate stores, checkpoints, a crash, a restore, a resume from
## the position saved in the checkpoint, and the proof that the results equal
## an uninterrupted run. DEMOFLAGS passes flags (-events, -backend, -dir).
DEMOFLAGS ?=
demo:
	$(GO) run ./examples/state_demo $(DEMOFLAGS)

## demo-clickstream: clicks per user in sliding windows, a checkpoint, a restore.
demo-clickstream:
	$(GO) run ./examples/clickstream

## demo-latency: LLM call latency per tenant and model, as a table.
demo-latency:
	$(GO) run ./examples/latency

## demo-raw: the raw runtime, untyped keys, on both backends.
demo-raw:
	$(GO) run ./examples/raw

## bench: every benchmark with its peer. Each of BENCHCOUNT rounds runs every
## benchmark once, so that peers alternate and the machine's drift falls on
## both alike (-count would run one sub-benchmark's repetitions back to back).
## Medians and ratios to the peers are printed at the end; raw output goes to
## BENCHOUT. BENCH selects benchmarks, PKGS packages.
BENCH ?= .
PKGS  ?= ./...
bench:
	@rm -f $(BENCHOUT)
	@for i in $$(seq $(BENCHCOUNT)); do \
		echo "== round $$i of $(BENCHCOUNT)"; \
		$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count 1 -timeout 60m $(PKGS) | tee -a $(BENCHOUT) || exit 1; \
	done
	$(GO) run ./internal/benchreport < $(BENCHOUT)
	$(GO) run $(BENCHSTAT) $(BENCHOUT)

## fuzz-corpus: fuzz every target for FUZZTIME and commit what it found to testdata/fuzz.
FUZZTIME ?= 30s
fuzz-corpus:
	./scripts/fuzz-corpus.sh $(FUZZTIME)
