#!/usr/bin/env bash
# Installs the Debian packages meshbench's tests and reference lanes use,
# only when they are absent. Without root or apt it says what is missing and
# exits 0: the tests that need a package skip with a clear message.
set -u
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(haproxy nginx-light chromium valgrind)
missing=()
for p in "${pkgs[@]}"; do
  case $p in
    nginx-light) bin=nginx ;;
    *) bin=$p ;;
  esac
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]} (needs root and apt-get); tests that need them will skip" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/tmp/meshbench-apt.log 2>&1; then
  apt-get -o DPkg::Lock::Timeout=600 update >>/tmp/meshbench-apt.log 2>&1
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >>/tmp/meshbench-apt.log 2>&1 ||
    { echo "install-deps: apt-get failed, see /tmp/meshbench-apt.log" >&2; exit 1; }
fi
# Debian starts nginx and haproxy as services on install; the lanes run their own.
for svc in nginx haproxy; do
  command -v systemctl >/dev/null 2>&1 && systemctl stop "$svc" >/dev/null 2>&1
  pkill -x "$svc" >/dev/null 2>&1 || true
done
exit 0
