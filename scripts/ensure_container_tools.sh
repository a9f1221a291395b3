#!/usr/bin/env bash
# Installs what the container tests need from Debian's packages when missing: podman (builds
# and runs the images; no Docker engine runs here), docker-compose 1.29 (drives podman through
# its Docker-compatible API socket and validates the compose file), debootstrap (assembles the
# stand-in base images) and nginx (the frontend's config under a real nginx).
# Idempotent: a second run finds every command and installs nothing. Services that the
# packages ship are never started (policy-rc.d), so nothing binds port 80 on this machine.
set -euo pipefail

declare -A wanted=(
  [podman]=podman
  [docker-compose]=docker-compose
  [debootstrap]=debootstrap
  [nginx]=nginx
  [slirp4netns]=slirp4netns
  [uidmap]=newuidmap
  [runc]=runc
)
missing=()
for package in "${!wanted[@]}"; do
  command -v "${wanted[$package]}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${wanted[$package]}" ]] \
    || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" != "0" ]] && ! command -v sudo >/dev/null 2>&1; then
  echo "ensure_container_tools: missing ${missing[*]}; installing them needs root (apt-get)" >&2
  exit 1
fi
SUDO=""
[[ "$(id -u)" == "0" ]] || SUDO="sudo"
echo "ensure_container_tools: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
made_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[[ -n "$made_policy" ]] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get update -qq
# runc: this machine's hybrid cgroups defeat crun; the CNI plugins give podman its networks.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  runc containernetworking-plugins fuse-overlayfs catatonit >/dev/null
for package in "${missing[@]}"; do
  command -v "${wanted[$package]}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${wanted[$package]}" ]] || {
    echo "ensure_container_tools: apt-get finished but ${wanted[$package]} is still missing" >&2
    exit 1
  }
done
