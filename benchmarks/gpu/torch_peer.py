"""PyTorch CUDA eager train steps (the peer for benchmarks/gpu): LeNet-5 and the VGG-ish CIFAR net, same batch,
(SGD lr 0.01 momentum 0.9), fixed random batch, loss.item() every step (one sync, as CnnDsl reads back
its loss), 21 warm-up steps, then the median of STEPS timed steps."""
import statistics
import sys
import time

import torch
import torch.nn as nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
dev = torch.device("cuda")
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
      f"{torch.cuda.get_device_name(0)}, capability {torch.cuda.get_device_capability(0)}")
def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def vggish():
    def conv(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*conv(3, 32), *conv(32, 32), nn.MaxPool2d(2), *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
                         *conv(64, 128), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 4 * 4, 10))


for name, make, shape in (("lenet5", lenet5, (1, 28, 28)), ("vggish", vggish, (3, 32, 32))):
  for batch in (64, 256):
    torch.manual_seed(0)
    model = make().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, *shape, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(21):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med = times[len(times) // 2]
    print(f"pytorch-cuda-eager {name} batch {batch}: median {med:.3f} ms/step (p10 {times[len(times) // 10]:.3f}, "
          f"p90 {times[len(times) * 9 // 10]:.3f}), {batch / med * 1000:.0f} images/s")
