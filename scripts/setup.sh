#!/usr/bin/env bash
# Installs everything pipekit needs on a fresh Debian machine (run as root):
# the OCI runtime, validators and test registry from Debian, pnpm from npm, and
# the workspace's npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=(runc busybox-static skopeo umoci oci-image-tool docker-registry jq attr uidmap openssh-client apache2-utils openssl curl git)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v pnpm >/dev/null 2>&1 || npm install -g pnpm@10 >/dev/null 2>&1
pnpm install --frozen-lockfile >/dev/null 2>&1 || pnpm install
