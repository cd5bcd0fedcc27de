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
LDFLAGS  := -X github.com/meshbench/meshbench/cli.Version=$(VERSION)
# grpcnotrace: grpc without golang.org/x/net/trace, whose html/template and text/template make the linker keep
# every exported method of every linked type (reflect's MethodByName): meshproxy 38 -> 31 MB, 2 MB less RSS
# at start-up (docs/proxy.md "Memory"). The same tags in internal/testbin, harness/gate/runner and the CI
# workflow (TestBuildTagsAgree).
TAGS     := grpcnotrace

.PHONY: all build bench test test-short deps reference-proxies bench-go lint-ci fuzz vet fmt clean help istiod istiod-kube

all: build

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

build: export CGO_ENABLED = 0
build: ## build meshbench, meshproxy and meshcontrol into bin/ (static: no libc mappings in the proxy's RSS)
	$(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/meshbench ./mesh-under-test/cmd/...

bench: build reference-proxies ## run SCENARIO (default: the quick scenario) on PLATFORM (default: local)
	$(BIN)/meshbench run -f $(SCENARIO) --platform $(PLATFORM) $(ARGS)

# -p 1: packages one at a time, so end-to-end tests that measure real load
# never compete for the two cores with another package's tests.
test: deps ## run every test (installs what the tests need first)
	$(GO) test -p 1 -count=1 -timeout 60m ./...
	MESHPROXY_TEST_H2XNET=1 $(GO) test -count=1 -run 'H2|HTTP2|GRPC|Upgrade|RBAC|Rotation' ./mesh-under-test/proxy/dataplane # the HTTP/2 tests again, on the x/net/http2 fallback (--h2-fast=false)

test-short: ## run the fast tests only
	$(GO) test -short -count=1 ./...

deps: ## install the Debian packages tests and reference lanes use, when absent
	@scripts/install-deps.sh

reference-proxies: ## install haproxy and nginx for the reference lanes, when absent (never fails the build)
	@scripts/install-deps.sh haproxy nginx-light || echo "reference proxies unavailable: their lanes will be skipped"

bench-go: ## run the mesh's Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./mesh-under-test/...

lint-ci: ## lint the CI workflow (ci/github/perf-gate.yml) with actionlint, a Go tool dependency in go.mod
	$(GO) tool actionlint ci/github/perf-gate.yml

# Fuzz targets as package:Function; a test (proxy/conformance TestMakefileFuzzListsEveryTarget) keeps
# this list complete. Each runs for FUZZTIME, one after another (go test -fuzz takes one target at a time).
FUZZTIME ?= 1m
FUZZ_TARGETS := \
	./mesh-under-test/proxy/http1:FuzzHeadComplete \
	./mesh-under-test/proxy/http1:FuzzRequestRead \
	./mesh-under-test/proxy/http1:FuzzResponseRead \
	./mesh-under-test/proxy/http1:FuzzCopyChunked \
	./mesh-under-test/proxy/dataplane:FuzzH2ToH1Bridge \
	./mesh-under-test/proxy/dataplane:FuzzH2FastFrames \
	./mesh-under-test/proxy/filter:FuzzPathNormalize \
	./mesh-under-test/proxy/filter:FuzzPathApply \
	./mesh-under-test/proxy/config:FuzzCompile \
	./mesh-under-test/xds:FuzzResponseDecoding

fuzz: ## run every fuzz target for FUZZTIME each (default 1m; seed corpora in each package's testdata/fuzz)
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# Istio's istiod (pilot-discovery) for the control-plane scenario's `control_planes: [meshcontrol, istiod]`:
# built from the Go module proxy at the revision pinned in tools/istiod/go.mod (its own module, so meshbench's
# go.mod never pulls Istio's dependency tree). Slow (minutes, GBs of memory): never part of `make test`.
# Rebuilt only when tools/istiod/go.mod or go.sum change.
istiod: $(BIN)/pilot-discovery istiod-kube ## build Istio's pilot-discovery into bin/ (pinned in tools/istiod/go.mod; docs/controlplane.md)

# istiod needs a Kubernetes API server: the run starts etcd and kube-apiserver as local processes from the
# node image's build cache (built here if absent; reused by `make node-image`).
istiod-kube:
	ONLY="etcd kube-apiserver" kind-config/node-image/build-binaries.sh

$(BIN)/pilot-discovery: tools/istiod/go.mod tools/istiod/go.sum
	cd tools/istiod && CGO_ENABLED=0 $(GO) build -trimpath -o $(abspath $(BIN))/pilot-discovery istio.io/istio/pilot/cmd/pilot-discovery

vet: ## go vet
	$(GO) vet ./...

fmt: ## gofmt
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build outputs
	rm -rf $(BIN)

# ---- kind and existing clusters (docs/kind.md) ----
# make kind-host                   prepare Docker on this host (idempotent)
# make node-image                  build the offline kind node image (cached in /var/cache/meshbench)
# make bench PLATFORM=kind         the quick scenario on a kind cluster (created, then deleted unless
#                                  ARGS=--keep; a cluster named KIND_CLUSTER that exists is reused and kept)
# make bench PLATFORM=kube ARGS=--kubeconfig=PATH   the same on an existing cluster
KIND_CLUSTER ?= meshbench
KIND_CONFIG  ?= one-node
NODE_IMAGE   ?= meshbench/kind-node:v1.34.4

.PHONY: kind-host node-image kind-up kind-down kind-status test-kind peer-manifests test-peers

# The istio and linkerd lanes' manifests (docs/kind.md "Istio and Linkerd"): rendered from each peer's own
# Helm charts at the versions pinned in harness/peers, by tools/peers (a module of its own, so Helm stays
# out of go.mod). Kept when current. PEER_ARGS e.g. "-linkerd-src DIR" (a Linkerd checkout at the pinned
# tag, where the module proxy does not serve Linkerd's module) or "-force".
PEER_MANIFESTS ?= $(BIN)/peers
PEER_ARGS      ?=

ifneq ($(filter kind kube,$(PLATFORM)),)
# Cluster images are FROM scratch: the binaries must be static.
build: export CGO_ENABLED = 0
export MESHBENCH_KIND_CLUSTER = $(KIND_CLUSTER)
export MESHBENCH_KIND_CONFIG = $(KIND_CONFIG)
export MESHBENCH_NODE_IMAGE = $(NODE_IMAGE)
endif
ifeq ($(PLATFORM),kind)
bench: node-image
endif

kind-host: ## install and start Docker for kind; runc wrapper only where privileged containers fail
	@kind-config/host/prepare.sh

node-image: kind-host ## build the offline kind node image NODE_IMAGE (about 15 min cold, seconds when cached)
	NODE_IMAGE=$(NODE_IMAGE) kind-config/node-image/build.sh

kind-up: node-image ## create (or reuse) the kind cluster KIND_CLUSTER with KIND_CONFIG (one-node | three-nodes)
	CGO_ENABLED=0 $(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/meshbench
	$(BIN)/meshbench cluster create --reuse --name $(KIND_CLUSTER) --config $(KIND_CONFIG) --image $(NODE_IMAGE)

kind-down: ## delete the kind cluster KIND_CLUSTER
	CGO_ENABLED=0 $(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/meshbench
	$(BIN)/meshbench cluster delete --name $(KIND_CLUSTER)

kind-status: ## show the kind cluster's nodes
	CGO_ENABLED=0 $(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/meshbench
	$(BIN)/meshbench cluster status --name $(KIND_CLUSTER)

peer-manifests: ## generate the Istio and Linkerd install manifests into PEER_MANIFESTS (bin/peers), pinned in harness/peers
	cd tools/peers && $(GO) run . -o $(abspath $(PEER_MANIFESTS)) $(PEER_ARGS)

test-peers: ## test the manifest generator (tools/peers: renders the pinned charts; downloads them once)
	cd tools/peers && $(GO) test -count=1 ./...

test-kind: kind-host ## end-to-end test on kind (skips without the node image; a few minutes)
	MESHBENCH_NODE_IMAGE=$(NODE_IMAGE) $(GO) test -count=1 -timeout 45m -v -run 'TestKind' ./harness/platform/kind/
