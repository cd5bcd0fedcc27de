#!/usr/bin/env bash
# Assembles a kind node image with no container registry (kind's own
# `build node-image` pulls a base image and cannot run offline):
#   1. build-binaries.sh: Kubernetes, etcd, CoreDNS, crictl, pause and the
#      runc wrapper from the Go module proxy and this repository;
#   2. a Debian rootfs from debootstrap (the host's apt mirror) with systemd,
#      containerd, runc, CNI plugins, iptables and friends;
#   3. kind's entrypoint, systemd units and containerd config copied from the
#      sigs.k8s.io/kind module (images/base/files), adapted to Debian paths;
#   4. the control-plane images (the exact names and tags `kubeadm config
#      images list` prints) built FROM scratch by `docker import`, kube-proxy
#      on the rootfs (it needs iptables), both pause tags;
#   5. those images imported into containerd's k8s.io namespace inside a
#      build container, which is then committed as the node image.
# Every stage is cached under $CACHE; a rerun with everything cached takes
# seconds. Knobs (environment, plus those of build-binaries.sh):
#   NODE_IMAGE     result tag            (default meshbench/kind-node:$K8S_VERSION)
#   CACHE          cache directory       (default /var/cache/meshbench/node-image)
#   SUITE          Debian suite          (default bookworm)
#   MIRROR         Debian mirror URI     (default: the host's first apt URI)
#   RUNC_WRAPPER   auto|yes|no: put the runc wrapper in front of runc inside
#                  the node (auto: when the host's Docker uses it)
#   FORCE=1        rebuild the node image even if the tag exists
#   ONLY=rootfs    only debootstrap and import the rootfs (to overlap with the Go builds)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export CACHE=${CACHE:-/var/cache/meshbench/node-image}
export K8S_VERSION=${K8S_VERSION:-v1.34.4}
NODE_IMAGE=${NODE_IMAGE:-meshbench/kind-node:$K8S_VERSION}
SUITE=${SUITE:-bookworm}
RUNC_WRAPPER=${RUNC_WRAPPER:-auto}
BIN=$CACHE/bin
ROOTFS_TAR=$CACHE/rootfs-$SUITE.tar
ROOTFS_IMAGE=meshbench/node-rootfs:$SUITE
PACKAGES=systemd,systemd-sysv,dbus,iptables,nftables,iproute2,ca-certificates,procps,containerd,runc,containernetworking-plugins,conntrack,ethtool,socat,kmod,util-linux,mount,e2fsprogs,libseccomp2,jq,bash

log() { echo "[$(date -u +%H:%M:%S)] node-image: $*"; }

if [ -z "${FORCE:-}" ] && docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
	log "$NODE_IMAGE exists (FORCE=1 rebuilds)"
	exit 0
fi

host_mirror() {
	local m=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
		m=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
	fi
	echo "$m"
}

stage_binaries() { nice -n 15 bash "$HERE/build-binaries.sh"; }

stage_rootfs() {
	[ -s "$ROOTFS_TAR" ] && { log "rootfs: cached ($ROOTFS_TAR)"; return; }
	command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
	local mirror=${MIRROR:-$(host_mirror)}
	[ -n "$mirror" ] || { log "no Debian mirror found in the host's apt sources; set MIRROR"; exit 1; }
	local dir=$CACHE/rootfs-$SUITE
	rm -rf "$dir"
	mkdir -p "$CACHE" # ONLY=rootfs runs before build-binaries.sh has made it
	log "debootstrap $SUITE (minbase + $PACKAGES)"
	nice -n 15 debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$dir" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
		{ tail -20 "$CACHE/debootstrap.log"; exit 1; }
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
	tar -C "$dir" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
	mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
	rm -rf "$dir"
}

rootfs_image() {
	docker image inspect "$ROOTFS_IMAGE" >/dev/null 2>&1 && return
	log "importing rootfs as $ROOTFS_IMAGE"
	docker import "$ROOTFS_TAR" "$ROOTFS_IMAGE" >/dev/null
}

# scratch_image NAME ENTRYPOINT_JSON DEST:SRC...: a FROM-scratch image holding
# static binaries at the given paths.
scratch_image() {
	local name=$1 entry=$2
	shift 2
	docker image inspect "$name" >/dev/null 2>&1 && return
	local dir
	dir=$(mktemp -d)
	chmod 0755 "$dir"
	local pair
	for pair in "$@"; do
		install -D -m 0755 "${pair#*:}" "$dir/${pair%%:*}"
	done
	mkdir -p "$dir/tmp" "$dir/etc"
	echo 'nobody:x:65534:65534:nobody:/:/sbin/nologin' >"$dir/etc/passwd"
	local args=(-c 'ENV PATH=/usr/local/bin:/usr/bin:/bin')
	[ -n "$entry" ] && args+=(-c "ENTRYPOINT $entry")
	tar -C "$dir" --numeric-owner --owner=0 --group=0 -c . | docker import "${args[@]}" - "$name" >/dev/null
	rm -rf "$dir"
	log "built $name"
}

stage_images() {
	local list
	list=$("$BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)
	IMAGES=()
	local img
	for img in $list; do
		case "$img" in
		*/kube-apiserver:* | */kube-controller-manager:* | */kube-scheduler:*)
			local c=${img##*/}
			c=${c%%:*}
			scratch_image "$img" "" "usr/local/bin/$c:$BIN/$c"
			;;
		*/kube-proxy:*)
			if ! docker image inspect "$img" >/dev/null 2>&1; then
				local ctx
				ctx=$(mktemp -d)
				cp "$BIN/kube-proxy" "$ctx/"
				printf 'FROM %s\nCOPY kube-proxy /usr/local/bin/kube-proxy\n' "$ROOTFS_IMAGE" >"$ctx/Dockerfile"
				DOCKER_BUILDKIT=0 docker build -q -t "$img" "$ctx" >/dev/null
				rm -rf "$ctx"
				log "built $img"
			fi
			;;
		*/etcd:*) scratch_image "$img" "" "usr/local/bin/etcd:$BIN/etcd" ;;
		*/coredns:*) scratch_image "$img" '["/coredns"]' "coredns:$BIN/coredns" ;;
		*/pause:*) scratch_image "$img" '["/pause"]' "pause:$BIN/pause" ;;
		*)
			log "no recipe for $img"
			exit 1
			;;
		esac
		IMAGES+=("$img")
	done
	# kind's containerd config pins its own sandbox image; preload that tag too.
	local sandbox
	sandbox=$(sed -n 's/^ *sandbox_image = "\(.*\)"/\1/p' "$KIND_FILES/etc/containerd/config.toml")
	if [ -n "$sandbox" ] && [[ " ${IMAGES[*]} " != *" $sandbox "* ]]; then
		scratch_image "$sandbox" '["/pause"]' "pause:$BIN/pause"
		IMAGES+=("$sandbox")
	fi
}

want_wrapper() {
	case "$RUNC_WRAPPER" in
	yes) return 0 ;;
	no) return 1 ;;
	*) grep -qs meshbench-runc /etc/docker/daemon.json ;;
	esac
}

# stage_node runs the rootfs image, lays kind's files and the binaries in,
# imports the images into containerd and commits the node image.
stage_node() {
	local id=meshbench-node-build-$$
	docker rm -f "$id" >/dev/null 2>&1 || true
	docker run -d --name "$id" --entrypoint sleep --security-opt seccomp=unconfined "$ROOTFS_IMAGE" infinity >/dev/null
	trap 'docker rm -f '"$id"' >/dev/null 2>&1 || true' EXIT
	local stage
	stage=$(mktemp -d)
	chmod 0755 "$stage" # the tar root entry becomes the permissions of / in the node
	cp -a "$KIND_FILES/." "$stage/"
	chmod -R u+w "$stage"
	rm -f "$stage/usr/local/bin/clean-install" "$stage/etc/systemd/system/containerd-fuse-overlayfs.service"
	install -D -m 0755 "$BIN/crictl" "$stage/usr/local/bin/crictl"
	local c
	for c in kubeadm kubelet kubectl; do install -D -m 0755 "$BIN/$c" "$stage/usr/bin/$c"; done
	if want_wrapper; then
		install -D -m 0755 "$BIN/runc-wrapper" "$stage/usr/local/sbin/runc"
		log "runc wrapper installed in the node as /usr/local/sbin/runc"
	fi
	echo "$K8S_VERSION" >"$stage/kind/version"
	tar -C "$stage" --owner=0 --group=0 -c . | docker cp - "$id:/"
	rm -rf "$stage"
	docker exec "$id" bash -euc '
		chmod 0755 /kind /kind/bin /kind/bin/* /usr/local/bin/entrypoint
		# kind units expect upstream paths; Debian installs elsewhere.
		ln -sf /usr/bin/containerd /usr/local/bin/containerd
		ln -sf /usr/bin/ctr /usr/local/bin/ctr
		mkdir -p /opt/cni/bin /etc/cni/net.d /etc/kubernetes/manifests
		for p in /usr/lib/cni/*; do ln -sf "$p" /opt/cni/bin/; done
		ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer|length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" \
			| jq "del(.process.rlimits)" > /etc/containerd/cri-base.json
		# the fuse-overlayfs proxy plugin is for rootless kind; there is no binary here.
		sed -i "/^\[proxy_plugins/,/^$/d; /fuse-overlayfs/d" /etc/containerd/config.toml
		find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
		rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
			/lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
			/lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
		echo ReadKMsg=no >> /etc/systemd/journald.conf
		systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
		systemctl mask systemd-binfmt.service >/dev/null 2>&1
		nohup containerd >/tmp/containerd.log 2>&1 &
		for i in $(seq 1 30); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 1; done
		cat /tmp/containerd.log; exit 1'
	local img
	for img in "${IMAGES[@]}"; do
		log "preloading $img"
		docker save "$img" | docker exec -i "$id" ctr --namespace=k8s.io images import --all-platforms --no-unpack - >/dev/null
	done
	docker exec "$id" ctr --namespace=k8s.io images list -q
	docker exec "$id" bash -c 'pkill containerd; sleep 2; rm -rf /tmp/* /run/containerd'
	docker commit \
		-c 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' -c 'CMD []' \
		-c 'ENV container=docker' \
		"$id" "$NODE_IMAGE" >/dev/null
	docker rm -f "$id" >/dev/null
	trap - EXIT
}

start=$(date +%s)
KIND_MOD=$(cd "$REPO" && go list -m -f '{{.Dir}}' sigs.k8s.io/kind)
KIND_FILES=$KIND_MOD/images/base/files
if [ "${ONLY:-}" = rootfs ]; then stage_rootfs; rootfs_image; exit 0; fi
stage_binaries
stage_rootfs
rootfs_image
stage_images
stage_node
log "built $NODE_IMAGE in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
