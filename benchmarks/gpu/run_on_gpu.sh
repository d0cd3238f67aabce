#!/usr/bin/env bash
# One device call: device facts, GPU-vs-CPU check of every reference network on the GPU, CnnDsl LeNet-5
# timing (batch 64, 256), then PyTorch CUDA eager on the same machine. Logs go to $OUT (or ./out).
# Expects .gpu/app (dotnet publish of benchmarks/gpu/App) and .gpu/dotnet.tar.xz (see README.md).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-out}
mkdir -p "$OUT" /tmp/dn
tar -C /tmp/dn -xJf .gpu/dotnet.tar.xz
export DOTNET_ROOT=/tmp/dn
APP=".gpu/app/App.dll"
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,compute_cap,clocks.max.sm,memory.total --format=csv
  nvidia-smi -q | grep -iE "CUDA Version|Persistence" || true
} > "$OUT/device.txt" 2>&1
/tmp/dn/dotnet "$APP" check cuda > "$OUT/check.txt" 2>&1; echo "exit $?" >> "$OUT/check.txt"
/tmp/dn/dotnet "$APP" bench cuda 500 > "$OUT/bench_cnndsl.txt" 2>&1; echo "exit $?" >> "$OUT/bench_cnndsl.txt"
python3 "$HERE/torch_peer.py" 500 > "$OUT/bench_torch.txt" 2>&1; echo "exit $?" >> "$OUT/bench_torch.txt"
cat "$OUT"/device.txt "$OUT"/check.txt "$OUT"/bench_cnndsl.txt "$OUT"/bench_torch.txt
