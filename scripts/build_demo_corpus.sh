#!/usr/bin/env bash
# Rebuild the bundled demo corpus from the captured result pages in ../shared/seeds/, with
# papertide's own importer and exporter. Run from the repository root.
set -euo pipefail
seeds=${1:-../shared/seeds}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
papertide import --data-dir "$tmp" "$seeds"/*.txt
papertide export --data-dir "$tmp" -o src/papertide/data/demo_papers.jsonl
wc -l src/papertide/data/demo_papers.jsonl
