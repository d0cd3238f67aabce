#!/usr/bin/env bash
# Fashion-MNIST side by side: the C# example and the PyTorch peer train the same network with the
# same recipe on the same machine, one after the other (nothing else running), logs in out/bench-fashion.
# usage: benchmarks/fashion/run.sh [lenet5|fashionnet|fashionnet-large] [epochs] [seed]
# (both sides take the seed; time to 90 % depends on it, so compare medians over a few seeds)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-fashionnet}
epochs=${2:-}
seed=${3:-}
mkdir -p out/bench-fashion
extra=()
[ -n "$epochs" ] && extra=(--epochs "$epochs")
[ -n "$seed" ] && extra+=(--seed "$seed")
dotnet build -c Release examples/FashionMnist >/dev/null
lscpu | grep -E "Model name|^CPU\(s\)" | tee out/bench-fashion/machine.txt
/usr/bin/time -v dotnet run -c Release --no-build --project examples/FashionMnist -- --model "$model" "${extra[@]}" \
  --out "out/bench-fashion/$model" 2>&1 | tee "out/bench-fashion/$model.csharp.log" | grep -E "^epoch|test accuracy|Elapsed|Maximum resident"
/usr/bin/time -v /usr/bin/python3 benchmarks/fashion/train_pytorch.py --model "$model" "${extra[@]}" 2>&1 \
  | tee "out/bench-fashion/$model.pytorch.log" | grep -E "^pytorch|^epoch|total|test accuracy|Elapsed|Maximum resident"
