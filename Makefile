# wirebook: two commands on a fresh machine.
#   make site   builds the course in labs/ into public/ against the embedded lab servers
#   make test   runs go vet and every test with the race detector
GO       ?= go
BIN      := bin/wirebook
OUT      ?= public
LABS     ?= labs
export GOFLAGS := -mod=mod

.PHONY: all build site test browser check clients shards bench fuzz fmt vet clean deps

all: build

deps:
	$(GO) mod download

build: deps
	$(GO) build -o $(BIN) ./cmd/wirebook

site: build
	./$(BIN) build --out $(OUT) $(LABS)

test: deps
	@command -v python3 >/dev/null || { echo "make test: python3 is needed (interop tests)"; exit 1; }
	@command -v curl >/dev/null || { echo "make test: curl is needed (interop tests)"; exit 1; }
	test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 8m ./...

# browser: every page of the built course in headless Chromium (console
# errors, external requests, phone width, dark theme).
browser: deps
	command -v chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)
	$(GO) test -tags browser -count=1 ./browsertest/

check: build
	./$(BIN) check $(LABS)

# shards: the course as 3 shards of a CI matrix, merged (docs/ci.md); the
# merged verdicts and site must equal an unsharded run's.
shards: build
	bash .ci/shards.sh ./$(BIN) $(LABS) 3

# bench: the Go benchmarks, then the render benchmark (bench/render): a
# generated course of 100, 1,000 and 3,000 labs built by wirebook cold and
# rebuilt, and by Hugo (installed here if missing) in the same paired runs.
# See docs/performance.md. BENCH_RENDER=-n 100 for a quick look.
BENCH_RENDER ?= -n 100,1000,3000 -runs 3
# fuzz: run every fuzz target for FUZZTIME each (docs/security.md).
FUZZTIME ?= 30s
fuzz: deps
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME); \
		done; \
	done

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...
	command -v hugo >/dev/null || { apt-get update && apt-get install -y --no-install-recommends hugo; } || echo "make bench: no hugo; wirebook alone"
	$(GO) run ./bench/render $(BENCH_RENDER)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(OUT) .wirebook

# clients: swaks, msmtp, fetchmail and mutt in batch mode against
# `wirebook servers` on 127.0.0.1 (free ports); installs them with apt-get
# when missing. About 10 s once they are installed.
clients: build
	bash interop/clients.sh

# interop: check the course against real Dovecot, Postfix and nginx on
# 127.0.0.1 (needs root and Debian's apt), then report where the embedded lab
# servers behave differently. The servers are stopped whatever happens.
# Labs run three at once, each in a slot with its own mailboxes (wirebook.yaml's
# pool:, interop/common.sh).
interop: build
	@bash -c 'trap "bash interop/down.sh" EXIT; \
		bash interop/up.sh || exit 1; \
		WIREBOOK_REAL_PASSWORD=alice-pw ./$(BIN) check --env real $(LABS); status=$$?; \
		bash interop/wrong-password.sh || status=1; \
		$(GO) run ./interop/fidelity || status=1; \
		exit $$status'
