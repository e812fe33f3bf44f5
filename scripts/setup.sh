#!/usr/bin/env bash
# Installs everything pipekit needs on a fresh Debian machine (run as root):
# the OCI runtime, validators and test registry from Debian, pnpm from npm, and
# the workspace's npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=(runc crun busybox-static skopeo umoci oci-image-tool docker-registry jq attr uidmap openssh-client apache2-utils openssl curl git qemu-user-static binfmt-support podman)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# foreign-architecture RUN steps: QEMU interpreters registered with binfmt_misc
if [ -d /proc/sys/fs/binfmt_misc ] && [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
fi
for q in qemu-aarch64 qemu-arm; do
  [ -e "/proc/sys/fs/binfmt_misc/$q" ] || update-binfmts --enable "$q" >/dev/null 2>&1 || true
done

# multi-platform tests build a base from Debian's arm64 busybox-static
if [ ! -x .cache/busybox-arm64 ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq busybox-static:arm64 && dpkg-deb -x busybox-static_*_arm64.deb x)
  mkdir -p .cache && cp "$tmp/x/bin/busybox" .cache/busybox-arm64 && chmod 755 .cache/busybox-arm64
  rm -rf "$tmp"
fi

command -v pnpm >/dev/null 2>&1 || npm install -g pnpm@10 >/dev/null 2>&1
pnpm install --frozen-lockfile >/dev/null 2>&1 || pnpm install

# bundle the pipe's CLIs so Node starts them without compiling TypeScript each
# time (the launchers fall back to the sources whenever these are stale)
pnpm run build >/dev/null
