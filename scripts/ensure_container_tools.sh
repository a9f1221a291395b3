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

# runc: this machine's hybrid cgroups defeat crun; the CNI plugins give podman its networks.
"$(dirname "$0")/apt_install_quietly.sh" ensure_container_tools "${missing[@]}" \
  runc containernetworking-plugins fuse-overlayfs catatonit
for package in "${missing[@]}"; do
  command -v "${wanted[$package]}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${wanted[$package]}" ]] || {
    echo "ensure_container_tools: apt-get finished but ${wanted[$package]} is still missing" >&2
    exit 1
  }
done
