#!/usr/bin/env bash
# Builds, from the Go module proxy alone, every binary an offline kind node
# image needs: the Kubernetes commands (kubeadm, kubelet, kubectl and the
# control-plane components), etcd, CoreDNS, crictl, and the small pause and
# runc-wrapper programs that live in this repository.
#
# Output: $CACHE/bin/<name>. Each binary is built once and reused (delete it
# to rebuild). Knobs (environment):
#   CACHE            build cache directory   (default /var/cache/meshbench/node-image)
#   K8S_VERSION      Kubernetes version       (default v1.34.4)
#   ETCD_VERSION     etcd module version      (default v3.6.16)
#   COREDNS_VERSION  CoreDNS module version   (default v1.14.3; the proxy serves >= v1.14.3)
#   CRICTL_VERSION   cri-tools version        (default v1.34.0)
#   ONLY             build only these binaries, space-separated (default: all);
#                    `make istiod` asks for "etcd kube-apiserver" (istiod's API server)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CACHE:-/var/cache/meshbench/node-image}
K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
COREDNS_VERSION=${COREDNS_VERSION:-v1.14.3}
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
BIN=$CACHE/bin
SRC=$CACHE/src
mkdir -p "$BIN" "$SRC"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

ONLY=${ONLY:-}
log() { echo "[$(date -u +%H:%M:%S)] build-binaries: $*"; }
# wanted NAME: NAME is to be built (ONLY empty, or naming it).
wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

# wrapper_module DIR MODULE VERSION: a throwaway module that requires MODULE.
wrapper_module() {
	local dir=$1 mod=$2 ver=$3
	mkdir -p "$dir"
	if [ ! -f "$dir/go.mod" ]; then
		printf 'module meshbench.local/nodeimage/%s\n\ngo 1.24\n' "$(basename "$dir")" >"$dir/go.mod"
		(cd "$dir" && go mod edit -require="$mod@$ver")
	fi
}

build_kubernetes() {
	local cmds=() c
	for c in kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
		wanted "$c" && cmds+=("$c")
	done
	[ "${#cmds[@]}" -gt 0 ] || return 0
	local missing=0
	for c in "${cmds[@]}"; do [ -x "$BIN/$c" ] || missing=1; done
	[ "$missing" = 1 ] || { log "kubernetes $K8S_VERSION: cached"; return; }
	local dir=$SRC/kubernetes-$K8S_VERSION
	wrapper_module "$dir" k8s.io/kubernetes "$K8S_VERSION"
	# k8s.io/kubernetes replaces its staging modules with local paths; the
	# published staging modules carry the matching v0.X.Y tags.
	local gomod stagever
	gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
	stagever=v0${K8S_VERSION#v1}
	(cd "$dir" && grep -E '^\s*k8s.io/[^ ]+ => ./staging' "$gomod" | awk '{print $1}' | while read -r m; do
		go mod edit -replace="$m=$m@$stagever"
	done)
	local minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	local pkg=k8s.io/component-base/version
	local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z -X $pkg.gitCommit=meshbench-offline"
	ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
	for c in "${cmds[@]}"; do
		[ -x "$BIN/$c" ] && continue
		log "building $c $K8S_VERSION"
		(cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$c" "k8s.io/kubernetes/cmd/$c")
	done
}

build_etcd() {
	wanted etcd || return 0
	[ -x "$BIN/etcd" ] && { log "etcd: cached"; return; }
	local dir=$SRC/etcd-$ETCD_VERSION
	wrapper_module "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
	log "building etcd $ETCD_VERSION"
	(cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
}

build_coredns() {
	wanted coredns || return 0
	[ -x "$BIN/coredns" ] && { log "coredns: cached"; return; }
	local dir=$SRC/coredns-$COREDNS_VERSION
	wrapper_module "$dir" github.com/coredns/coredns "$COREDNS_VERSION"
	log "building coredns $COREDNS_VERSION"
	(cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/coredns" github.com/coredns/coredns)
}

build_crictl() {
	wanted crictl || return 0
	[ -x "$BIN/crictl" ] && { log "crictl: cached"; return; }
	local dir=$SRC/cri-tools-$CRICTL_VERSION
	wrapper_module "$dir" sigs.k8s.io/cri-tools "$CRICTL_VERSION"
	log "building crictl $CRICTL_VERSION"
	(cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/crictl" sigs.k8s.io/cri-tools/cmd/crictl)
}

build_local() {
	wanted pause || wanted runc-wrapper || return 0
	log "building pause and runc-wrapper from this repository"
	(cd "$REPO" && go build -trimpath -ldflags "-s -w" -o "$BIN/pause" ./kind-config/node-image/pause)
	(cd "$REPO" && go build -trimpath -ldflags "-s -w" -o "$BIN/runc-wrapper" ./kind-config/host/runcwrap)
}

build_local
build_crictl
build_kubernetes
build_etcd
build_coredns
log "done: $(ls "$BIN" | tr '\n' ' ')"
