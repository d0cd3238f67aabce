#!/usr/bin/env python3
"""PyTorch peer for the Fashion-MNIST example: the same networks (examples/FashionMnist/models/*.cnn),
initialisation, optimizer, schedule, batch size, augmentation and epochs as the C# recipes
(examples/FashionMnist/Recipe.cs), on the same data, with 2 threads.

usage: /usr/bin/python3 benchmarks/fashion/train_pytorch.py --model fashionnet [--epochs N]
Needs Debian's python3-torch (with libopenblas0-openmp) and dataset-fashion-mnist.
"""
import argparse, gzip, math, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    x = idx(f"{DATA}/{split}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = idx(f"{DATA}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    x = (x - MEAN) / STD
    return torch.from_numpy(x).unsqueeze(1).contiguous(), torch.from_numpy(y)


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def network(name):
    if name == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "fashionnet":
        return nn.Sequential(*block(1, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))
    if name == "fashionnet-large":
        return nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), *block(64, 64),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 10))
    raise ValueError(name)


def initialise(model):
    """CnnDsl's rule: He-uniform for weights that feed a relu (through batchnorm/pooling), Glorot-uniform
    otherwise, zero biases, batchnorm 1 and 0."""
    layers = list(model)
    for i, layer in enumerate(layers):
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nxt = next((l for l in layers[i + 1:] if not isinstance(l, (nn.BatchNorm2d, nn.Dropout, nn.MaxPool2d))), None)
            if isinstance(nxt, nn.ReLU):
                nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


RECIPES = {  # epochs, optimizer, lr, weight decay, horizontal flip — as in Recipe.cs
    "lenet5": (10, "adamw", 1e-3, 1e-4, False),
    "fashionnet": (6, "sgd", 0.02, 5e-4, False),
    "fashionnet-large": (15, "sgd", 0.02, 5e-4, True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="fashionnet", choices=RECIPES)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    epochs, opt_name, lr, wd, flip = RECIPES[a.model]
    epochs = a.epochs or epochs
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    model = network(a.model)
    initialise(model)
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    params = sum(p.numel() for p in model.parameters())
    print(f"pytorch {torch.__version__} {a.model}: {params:,} parameters, {epochs} epochs, batch {a.batch}, "
          f"{opt_name} lr {lr}, threads {torch.get_num_threads()}", flush=True)
    total = 0.0
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(len(xtr))
        loss_sum, correct = 0.0, 0
        for b in range(0, len(xtr), a.batch):
            idx_b = perm[b:b + a.batch]
            x, y = xtr[idx_b], ytr[idx_b]
            if flip:
                mask = torch.rand(len(x)) < 0.5
                x = torch.where(mask[:, None, None, None], x.flip(3), x)
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
        sched.step()
        model.eval()
        with torch.no_grad():
            hits = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, len(xte), 1000))
        seconds = time.perf_counter() - start
        total += seconds
        print(f"epoch {epoch + 1}/{epochs}  train loss {loss_sum / len(xtr):.4f}  train acc {100 * correct / len(xtr):.2f}%  "
              f"test acc {100 * hits / len(xte):.2f}%  {seconds:.1f} s", flush=True)
    print(f"total {total:.1f} s")
    print(f"test accuracy: {hits / len(xte):.4f}")


if __name__ == "__main__":
    main()
