#!/usr/bin/env bash
# Regenerates expected-binary.json and expected-gomod.json: what govulncheck
# (pinned below) reports at module level for the fixture app in app/, against
# a database built from the OSV corpus's Go all.zip.
#
#   testdata/govuln/regen.sh           rewrite the expected files
#   testdata/govuln/regen.sh --check   regenerate into a temp dir and diff; exit 1 on a difference
#
# Needs: go (the toolchain the fixture is meant to be built with, see README.md),
# the Go module proxy (first run only), and the corpus zip at
# ../shared/corpus/osv/Go/all.zip beside the repository, or REDLINE_OSV_GO_ZIP.
set -euo pipefail

GOVULNCHECK_VERSION=v1.9.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${REDLINE_OSV_GO_ZIP:-$root/../shared/corpus/osv/Go/all.zip}
check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly

out=$here
if $check; then out=$work/out; mkdir -p "$out"; fi

GOBIN=$work/bin go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
(cd "$root" && go build -o "$work/mkdb" ./testdata/govuln/mkdb && go build -o "$work/summarize" ./testdata/govuln/summarize)
"$work/mkdb" -zip "$corpus" -out "$work/db"

(cd "$here/app" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -buildvcs=false -o "$work/govulnapp" .)

"$work/bin/govulncheck" -db "file://$work/db" -mode binary -scan module -format json "$work/govulnapp" \
  | "$work/summarize" -goos linux -goarch amd64 > "$out/expected-binary.json"

(cd "$here/app" && GOOS=linux GOARCH=amd64 "$work/bin/govulncheck" -db "file://$work/db" -mode source -scan module -format json) \
  | "$work/summarize" -goos linux -goarch amd64 > "$out/expected-gomod.json"

if $check; then
  status=0
  for f in expected-binary.json expected-gomod.json; do
    diff -u "$here/$f" "$out/$f" || status=1
  done
  if [ "$status" -ne 0 ]; then echo "testdata/govuln: expected files are stale; run testdata/govuln/regen.sh" >&2; fi
  exit "$status"
fi
