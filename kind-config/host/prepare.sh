#!/usr/bin/env bash
# Prepares a Linux host to run kind clusters with no container registry:
#   1. installs docker.io (and debootstrap, for the offline node image) when absent;
#   2. starts dockerd when it is not answering (systemd if it is PID 1, else by hand);
#   3. runs a privileged probe container, and ONLY if it fails (a sandbox
#      whose capability bounding set lacks CAP_SYS_RESOURCE), installs the
#      runc wrapper as Docker's default runtime and restarts dockerd;
#   4. pre-creates an IPv4-only docker network named "kind" (skips kind's IPv6 probe);
#   5. prints the free space in Docker's data root, and warns when it cannot hold one kind node.
# `prepare.sh --disk-report` does step 5 alone.
# Idempotent: a prepared host is left as it is. Needs root.
# Knobs (environment):
#   CACHE=/var/cache/meshbench/host   where the probe image and wrapper are built
#   DOCKERD_LOG=/var/log/meshbench-dockerd.log   dockerd's log when started by hand
#   KIND_NETWORK=kind   KIND_SUBNET=172.30.0.0/16
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CACHE:-/var/cache/meshbench/host}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/meshbench-dockerd.log}
KIND_NETWORK=${KIND_NETWORK:-kind}
KIND_SUBNET=${KIND_SUBNET:-172.30.0.0/16}
WRAPPER=/usr/local/sbin/meshbench-runc-wrapper
RUNTIME_NAME=meshbench-runc
PROBE_IMAGE=meshbench/privileged-probe:1
# What one kind node needs free in Docker's data root: harness/cluster's
# NodeDiskBytes (measured in docs/kind.md "Disk"; a test keeps them equal).
NODE_DISK_BYTES=2500000000

log() { echo "[$(date -u +%H:%M:%S)] kind-host: $*"; }

install_packages() {
	local want=()
	command -v dockerd >/dev/null || want+=(docker.io)
	command -v debootstrap >/dev/null || want+=(debootstrap)
	[ ${#want[@]} -eq 0 ] && return
	log "installing ${want[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
}

docker_up() { docker info >/dev/null 2>&1; }

start_dockerd() {
	docker_up && return
	if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
		log "starting docker with systemctl"
		systemctl start docker
	else
		# A dockerd killed with its session leaves its pid file behind, and a
		# new dockerd refuses to start while the file names no live process.
		local pid
		pid=$(cat /var/run/docker.pid 2>/dev/null || true)
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			log "removing stale /var/run/docker.pid ($pid)"
			rm -f /var/run/docker.pid
		fi
		log "starting dockerd by hand (log: $DOCKERD_LOG)"
		nohup dockerd >>"$DOCKERD_LOG" 2>&1 &
	fi
	local i
	for i in $(seq 1 60); do
		docker_up && { log "dockerd is up"; return; }
		sleep 1
	done
	log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
	tail -20 "$DOCKERD_LOG" >&2 || true
	return 1
}

stop_dockerd() {
	if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
		systemctl stop docker
		return
	fi
	local pid
	pid=$(cat /var/run/docker.pid 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	kill "$pid"
	local i
	for i in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
	done
}

# probe_image builds a FROM-scratch image holding one static Go binary
# (the pause program) that exits 0 with -v: no registry needed.
probe_image() {
	docker image inspect "$PROBE_IMAGE" >/dev/null 2>&1 && return
	mkdir -p "$CACHE/probe"
	(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$CACHE/probe/pause" ./kind-config/node-image/pause)
	tar -C "$CACHE/probe" -c pause | docker import -c 'ENTRYPOINT ["/pause"]' - "$PROBE_IMAGE" >/dev/null
}

privileged_ok() { docker run --rm --privileged "$PROBE_IMAGE" -v >/dev/null 2>&1; }

install_wrapper() {
	log "privileged containers fail here: installing the runc wrapper as Docker's default runtime"
	(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$CACHE/runc-wrapper" ./kind-config/host/runcwrap)
	install -m 0755 "$CACHE/runc-wrapper" "$WRAPPER"
	mkdir -p /etc/docker
	local cfg=/etc/docker/daemon.json
	if [ -s "$cfg" ] && ! grep -q "$RUNTIME_NAME" "$cfg" && [ "$(tr -d ' \n\t' <"$cfg")" != "{}" ]; then
		log "$cfg exists with other settings; add by hand: \"runtimes\":{\"$RUNTIME_NAME\":{\"path\":\"$WRAPPER\"}},\"default-runtime\":\"$RUNTIME_NAME\""
		return 1
	fi
	printf '{\n  "runtimes": {"%s": {"path": "%s"}},\n  "default-runtime": "%s"\n}\n' \
		"$RUNTIME_NAME" "$WRAPPER" "$RUNTIME_NAME" >"$cfg"
	stop_dockerd
	start_dockerd
}

kind_network() {
	docker network inspect "$KIND_NETWORK" >/dev/null 2>&1 && return
	log "creating IPv4-only docker network $KIND_NETWORK ($KIND_SUBNET)"
	docker network create -d bridge --subnet "$KIND_SUBNET" \
		-o com.docker.network.bridge.enable_ip_masquerade=true \
		-o com.docker.network.driver.mtu=1500 "$KIND_NETWORK" >/dev/null
}

gb() { awk -v b="$1" 'BEGIN { printf "%.2f GB", b / 1e9 }'; }

disk_report() {
	local root free
	root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null) || { log "docker info failed: free space of Docker's data root unknown"; return 0; }
	if ! free=$(df -B1 --output=avail "$root" 2>/dev/null | tail -n 1) || [ -z "$free" ]; then
		log "Docker's data root $root is not on this machine's filesystem (remote Docker?): its free space is unknown here"
		return 0
	fi
	log "Docker's data root $root: $(gb "$free") free; a kind node needs $(gb $NODE_DISK_BYTES) (three nodes: $(gb $((3 * NODE_DISK_BYTES))))"
	if [ "$free" -lt "$NODE_DISK_BYTES" ]; then
		log "WARNING: $root cannot hold one kind node: make room with 'docker system prune' and delete old kind clusters with 'meshbench cluster delete --name NAME'"
	fi
}

if [ "${1:-}" = --disk-report ]; then
	disk_report
	exit 0
fi

install_packages
start_dockerd
probe_image
if privileged_ok; then
	log "privileged probe container runs: Docker left as it is"
else
	install_wrapper
	privileged_ok || { log "privileged probe still fails with the wrapper"; exit 1; }
	log "privileged probe container runs with the wrapper"
fi
kind_network
log "host ready"
disk_report
