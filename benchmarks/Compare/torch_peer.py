"""The PyTorch side of benchmarks/Compare: a worker that the Compare app drives over stdin/stdout.

usage: /usr/bin/python3 torch_peer.py --threads N --seed S

It prints one JSON line describing itself, then answers each request line
    measure NETWORK MODE BATCH WARMUP_SECONDS MIN_SECONDS
with one JSON line {"iterations", "seconds", "parameters"} (or {"error"}). MODE is `train`
(forward, softmax cross-entropy, backward, SGD step) or `infer` (eval mode, inference_mode).
The first request for a workload builds it and runs its warm-up; every request runs one untimed
iteration, then steps until MIN_SECONDS have passed. The networks mirror App/models/*.cnn.
"""
import argparse
import contextlib
import json
import sys
import time

import torch
import torch.nn as nn

CLASSES = 10
LEARNING_RATE = 1e-4  # small, so a fixed batch is not memorised into saturated softmax (see README)
MOMENTUM = 0.9


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, CLASSES))


def vggish():
    def conv(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
    return nn.Sequential(
        *conv(3, 32), *conv(32, 32), nn.MaxPool2d(2),
        *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
        *conv(64, 128), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * 4 * 4, CLASSES))


# (kernel, filters, stride, padding) of the 16 bias-free convolutions, relu between them
CONV_STACK_16 = ([(7, 64, 2, 3)] + [(3, 64, 1, 1)] * 4
                 + [(3, 128, 2, 1)] + [(3, 128, 1, 1)] * 3
                 + [(3, 256, 2, 1)] + [(3, 256, 1, 1)] * 3
                 + [(3, 512, 2, 1)] + [(3, 512, 1, 1)] * 2)


def convstack16():
    layers, channels = [], 3
    for i, (kernel, filters, stride, padding) in enumerate(CONV_STACK_16):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(channels, filters, kernel, stride=stride, padding=padding, bias=False))
        channels = filters
    return nn.Sequential(*layers)


NETWORKS = {
    "lenet5": (lenet5, (1, 28, 28)),
    "vggish": (vggish, (3, 32, 32)),
    "convstack16": (convstack16, (3, 224, 224)),
}


class Workload:
    def __init__(self, network, mode, batch, seed):
        make, shape = NETWORKS[network]
        torch.manual_seed(seed)
        self.model = make()
        self.parameters = sum(p.numel() for p in self.model.parameters())
        self.x = torch.rand(batch, *shape) * 2 - 1
        self.labels = torch.randint(0, CLASSES, (batch,))
        self.mode = mode
        if mode == "train":
            self.model.train()
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
            self.loss = nn.CrossEntropyLoss()
            self.step = self.train_step
        elif mode == "infer":
            self.model.eval()
            self.step = self.infer_step
        else:
            raise ValueError(f"unknown mode {mode}")
        self.warmed_up = False

    def train_step(self):
        self.optimizer.zero_grad(set_to_none=True)
        self.loss(self.model(self.x), self.labels).backward()
        self.optimizer.step()

    def infer_step(self):
        self.model(self.x)

    def measure(self, warmup_seconds, min_seconds):
        context = torch.inference_mode() if self.mode == "infer" else contextlib.nullcontext()
        with context:
            if not self.warmed_up:
                run_for(self.step, warmup_seconds, min_iterations=2)
                self.warmed_up = True
            self.step()  # one untimed step: the other sides ran in between and took the caches
            iterations, seconds = run_for(self.step, min_seconds, min_iterations=1)
        return {"iterations": iterations, "seconds": seconds, "parameters": self.parameters}


def run_for(step, min_seconds, min_iterations):
    """Steps until min_seconds have passed and min_iterations were run; returns (iterations, seconds)."""
    iterations = 0
    start = time.perf_counter()
    while True:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and iterations >= min_iterations:
            return iterations, elapsed


def loaded_blas():
    """The BLAS and LAPACK libraries this process mapped (Debian's torch picks them through the
    alternatives system, so the file name tells OpenBLAS from the reference BLAS)."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower()}
    # the last two path parts name the alternative: openblas-openmp/libblas.so.3
    return sorted("/".join(p.split("/")[-2:]) for p in paths if p.startswith("/"))


def describe(threads):
    blas = loaded_blas()
    return {
        "side": "PyTorch",
        "version": torch.__version__,
        "details": f"threads {torch.get_num_threads()} (asked {threads}), "
                   f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, "
                   f"BLAS {', '.join(blas) if blas else 'none mapped'}",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(describe(args.threads)), flush=True)

    workloads = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            command, network, mode, batch, warmup_seconds, min_seconds = words
            if command != "measure":
                raise ValueError(f"unknown command {command}")
            key = (network, mode, int(batch))
            if key not in workloads:
                workloads[key] = Workload(network, mode, int(batch), args.seed)
            reply = workloads[key].measure(float(warmup_seconds), float(min_seconds))
        except Exception as e:  # report and go on: one failed workload should not end the run
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
