# meshbench: two commands set everything up on a fresh machine:
#   make bench   run the default scenario on the local platform (no Docker)
#   make test    run the tests
GO       ?= go
BIN      ?= bin
SCENARIO ?= scenarios/synthetic/quick.yaml
PLATFORM ?= local
# Extra arguments for `meshbench run`, e.g. ARGS="--lanes none,mesh --profile short".
ARGS     ?=
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/meshbench/meshbench/harness/cli.Version=$(VERSION)

.PHONY: all build bench test test-short deps reference-proxies bench-go vet fmt clean help

all: build

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

build: ## build meshbench, meshproxy and meshcontrol into bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/meshbench ./mesh-under-test/cmd/...

bench: build reference-proxies ## run SCENARIO (default: the quick scenario) on PLATFORM (default: local)
	$(BIN)/meshbench run -f $(SCENARIO) --platform $(PLATFORM) $(ARGS)

test: deps ## run every test (installs what the tests need first)
	$(GO) test -count=1 -timeout 45m ./...

test-short: ## run the fast tests only
	$(GO) test -short -count=1 ./...

deps: ## install the Debian packages tests and reference lanes use, when absent
	@scripts/install-deps.sh

reference-proxies: ## install haproxy and nginx for the reference lanes, when absent (never fails the build)
	@scripts/install-deps.sh haproxy nginx-light || echo "reference proxies unavailable: their lanes will be skipped"

bench-go: ## run the mesh's Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./mesh-under-test/...

vet: ## go vet
	$(GO) vet ./...

fmt: ## gofmt
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build outputs
	rm -rf $(BIN)
