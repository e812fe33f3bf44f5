#!/usr/bin/env bash
# Builds examples/Dockerfile end to end into out/example.tar (an OCI image
# tarball) with the real pipe: df-parse | llb-solve | export-oci.
set -euo pipefail
cd "$(dirname "$0")/.."
export CAS_STORE_DIR="${CAS_STORE_DIR:-$PWD/.store}"
# the example's base stage is bootstrapped from Debian's busybox-static
cp /bin/busybox examples/busybox
mkdir -p out
pnpm exec df-parse examples/Dockerfile --context examples \
  | pnpm exec llb-solve --progress "${BUILDKIT_PROGRESS:-plain}" \
  | pnpm exec export-oci --type oci --name pipekit-example:latest --dest out/example.tar
cat >&2 <<MSG

Built out/example.tar (OCI image layout). Look at it with:
  skopeo inspect oci-archive:out/example.tar
  mkdir -p out/layout && tar -xf out/example.tar -C out/layout && umoci unpack --image out/layout:latest out/bundle && cat out/bundle/rootfs/srv/greeting.txt
MSG
