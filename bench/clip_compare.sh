#!/usr/bin/env bash
# Runs Loupe's and open_clip's image-tower benchmarks in alternating rounds
# on the same checkpoint and prints every round, so that interference from
# other work on the machine shows up instead of skewing one side.
#   bench/clip_compare.sh [checkpoint] [rounds] [batches]
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint=${1:-dev/work/ViT-B-32.safetensors}
rounds=${2:-3}
batches=${3:-5}
scratch=${SCRATCH:-.build}
python=${PYTHON:-dev/.venv/bin/python}
if [ ! -f "$checkpoint" ]; then
    echo "no checkpoint at $checkpoint: run $python dev/make_clip_fixtures.py --full" >&2
    exit 1
fi
swift build -c release --scratch-path "$scratch" --product loupe >/dev/null
for round in $(seq "$rounds"); do
    echo "round $round, $(uptime | sed 's/.*load/load/')"
    "$scratch/release/loupe" bench clip "$checkpoint" --batches "$batches"
    "$python" bench/clip_peer.py "$checkpoint" --batches "$batches" 2>/dev/null
done
