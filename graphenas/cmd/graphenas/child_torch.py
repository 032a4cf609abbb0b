#!/usr/bin/python3
"""The GraphEnas child network in PyTorch: the baseline `graphenas bench child` compares against.

Same network as graphenas/supergraph (graphenas/DESIGN.md §2), same reference architecture, batch size,
optimiser and data; run with Debian's python3-torch on the same machine in the same benchmark run.
Prints one JSON object: training and evaluation images/s and, per op, the forward and
forward+backward milliseconds on a [B, C, H, W] activation.

usage: child_torch.py --seconds N [--threads 2] [--data DIR] [--batch 64] [--channels 20]
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = {  # name: (kind, kernel, dilation), as in graphenas/arch/op.go
    "conv3": ("conv", 3, 1), "conv5": ("conv", 5, 1),
    "dwconv5": ("depthwise", 5, 1), "dwconv7": ("depthwise", 7, 1),
    "dilconv3": ("conv", 3, 2), "dilconv5": ("conv", 5, 2),
    "maxpool3": ("pool", 3, 1), "maxpool5": ("pool", 5, 1), "maxpool7": ("pool", 7, 1),
}
REFERENCE = "1:dwconv7 2:maxpool7 3:conv3 | 0>1 0>2 0>3 1>2 1>4 2>3 2>4 3>4"


def fuzzy_relu(x):
    return F.softplus(2 * x) - math.log(2)


def make_op(name, c):
    kind, k, d = OPS[name]
    pad = d * (k - 1) // 2
    if kind == "conv":
        return nn.Conv2d(c, c, k, padding=pad, dilation=d, bias=False)
    if kind == "depthwise":
        return nn.Conv2d(c, c, k, padding=pad, groups=c, bias=False)
    return nn.MaxPool2d(k, stride=1, padding=pad)


def parse_arch(s):
    ops_part, edges_part = s.split("|")
    ops = {int(i): o for i, o in (f.split(":") for f in ops_part.split())}
    edges = [tuple(map(int, e.split(">"))) for e in edges_part.split()]
    n = max(max(ops) + 2, max(j for _, j in edges) + 1)
    return n, ops, edges


class Child(nn.Module):
    def __init__(self, arch, in_ch=1, channels=20, layers_per_stage=4, classes=10):
        super().__init__()
        self.n, self.ops, self.edges = parse_arch(arch)
        stage = lambda i: i // layers_per_stage
        self.stage = stage
        ch = lambda i: channels << stage(i)
        self.stem_bn = nn.BatchNorm2d(in_ch)
        self.stem = nn.Conv2d(in_ch, ch(0), 1, bias=False)
        self.links = nn.ModuleDict({f"{i}_{j}": nn.Conv2d(ch(i), ch(j), 1, bias=False) for i, j in self.edges})
        self.bns = nn.ModuleDict({str(j): nn.BatchNorm2d(ch(j)) for j in range(1, self.n)})
        self.node_ops = nn.ModuleDict({str(j): make_op(o, ch(j)) for j, o in self.ops.items()})
        self.head = nn.Linear(ch(self.n - 1), classes)

    def forward(self, x):
        out = {0: self.stem(self.stem_bn(x))}
        for j in range(1, self.n):
            ins = []
            for i, jj in self.edges:
                if jj != j:
                    continue
                y = self.links[f"{i}_{j}"](out[i])
                for _ in range(self.stage(j) - self.stage(i)):
                    y = F.max_pool2d(y, 2, ceil_mode=True)
                ins.append(y)
            h = self.bns[str(j)](sum(ins))  # the reference architecture has inputs everywhere
            if j < self.n - 1:
                h = self.node_ops[str(j)](h)
            out[j] = fuzzy_relu(h)
        return self.head(out[self.n - 1].mean(dim=(2, 3)))


def load_fashion(d):
    def read(name, offset):
        with gzip.open(os.path.join(d, name + ".gz"), "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    x = read("train-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = read("train-labels-idx1-ubyte", 8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def sync(args):
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()


def bench_child(args):
    if os.path.isdir(args.data):
        x, y = load_fashion(args.data)
    else:  # a machine without the data set (the GPU check): random images of the same shape
        x, y = torch.rand(8192, 1, 28, 28), torch.randint(0, 10, (8192,))
    dev = torch.device(args.device)
    x, y = x.to(dev), y.to(dev)
    model = Child(REFERENCE, channels=args.channels).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    g = torch.Generator().manual_seed(0)

    def batch():
        idx = torch.randint(0, x.shape[0], (args.batch,), generator=g).to(x.device)
        return x[idx], y[idx]

    def step():
        xb, yb = batch()
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()

    model.train()
    step()
    n, t0 = 0, time.time()
    while time.time() - t0 < args.seconds / 2 or n < 2:
        step()
        n += 1
    sync(args)
    train = n * args.batch / (time.time() - t0)
    model.eval()
    with torch.no_grad():
        model(batch()[0])
        n, t0 = 0, time.time()
        while time.time() - t0 < args.seconds / 4 or n < 2:
            model(batch()[0])
            n += 1
        sync(args)
    evaluate = n * args.batch / (time.time() - t0)
    return train, evaluate


def bench_ops(args, repeats=5):
    c = args.channels
    x0 = torch.rand(args.batch, c, 28, 28)
    layers = {"link 1x1": nn.Conv2d(c, c, 1, bias=False), "batch-norm": nn.BatchNorm2d(c)}
    layers["fuzzy relu"] = fuzzy_relu
    for name in OPS:
        layers[name] = make_op(name, c)
    res = []
    for name, layer in layers.items():
        def timed(backward):
            times = []
            for i in range(repeats + 1):
                x = x0.clone().requires_grad_(backward)
                t0 = time.time()
                yy = layer(x)
                if backward:
                    yy.sum().backward()
                if i:
                    times.append(time.time() - t0)
            return 1000 * float(np.median(times))
        with torch.no_grad():
            fwd = timed(False)
        res.append({"op": name, "forward_ms": fwd, "forward_backward_ms": timed(True)})
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--channels", type=int, default=20)
    p.add_argument("--no-ops", action="store_true")
    p.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU check")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train, evaluate = bench_child(args)
    out = {"torch": torch.__version__, "threads": args.threads, "device": args.device, "arch": REFERENCE,
           "train_images_per_s": train, "eval_images_per_s": evaluate}
    if not args.no_ops:
        out["ops"] = bench_ops(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
