#!/usr/bin/env bash
# CnnDsl, PyTorch and TorchSharp on the same workloads, threads and data (README.md beside this file).
# Builds the Compare app and the TorchSharp worker in Release, then runs every side round by round;
# the Markdown table goes to stdout and to benchmarks/Compare/results/results-DATE.md.
# usage: bash benchmarks/Compare/run.sh [--threads N] [--rounds R] [--seconds S] [--only lenet5,...] [--help]
set -euo pipefail
cd "$(dirname "$0")/../.."

# build output goes to stderr, so stdout carries the table only
dotnet build -c Release -nologo -v quiet benchmarks/Compare/App >&2
if ! dotnet build -c Release -nologo -v quiet benchmarks/Compare/TorchSharpPeer >&2; then
  echo "run.sh: the TorchSharp worker did not build; the table will show TorchSharp as not available" >&2
fi

exec dotnet benchmarks/Compare/App/bin/Release/net10.0/Compare.dll \
  --python /usr/bin/python3 \
  --torch-peer benchmarks/Compare/torch_peer.py \
  --torchsharp-peer benchmarks/Compare/TorchSharpPeer/bin/Release/net10.0/TorchSharpPeer.dll \
  "$@"
