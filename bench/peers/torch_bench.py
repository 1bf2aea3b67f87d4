"""PyTorch peer of bench/lib/nets.ts and bench/lib/train-loop.ts: the same two CNNs, the same
plain SGD loop on random 32x32x3 batches, one read-back at the end. Prints one JSON line.

    python3 peers/torch_bench.py --net small --steps 20 --batch 64 --threads 1 --device cpu
"""

import argparse
import json
import sys
import time


def build(net, nn):
    if net == "small":
        layers = [
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8 * 8 * 64, 128), nn.ReLU(), nn.Linear(128, 2),
        ]
    elif net == "bl":
        layers = [
            nn.Conv2d(3, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Conv2d(128, 128, 3), nn.ReLU(),
            nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(4 * 4 * 128, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU(),
            nn.Linear(128, 2),
        ]
    else:
        raise SystemExit(f"unknown net {net!r}; use small or bl")
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--net", default="small")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--warmup", type=int, default=3)
    # cuDNN tries its convolution algorithms on the first call of each shape and keeps the fastest
    # (off by default in PyTorch). Only matters on CUDA.
    parser.add_argument("--cudnn-benchmark", action="store_true")
    parser.add_argument(
        "--sweep-seconds", type=float, default=None,
        help="print READY after warm-up, wait for a line on stdin, then train this many seconds",
    )
    args = parser.parse_args()

    try:
        import torch
        from torch import nn
    except ImportError as error:
        print(json.dumps({"error": f"PyTorch is not installed: {error}"}))
        sys.exit(2)

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    torch.manual_seed(1)
    model = build(args.net, nn).to(device)
    pool = [
        (torch.rand(args.batch, 3, 32, 32, device=device),
         torch.randint(0, 2, (args.batch,), device=device))
        for _ in range(4)
    ]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        x, y = pool[i % len(pool)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for i in range(args.warmup):
        step(i).item()
    if device == "cuda":
        torch.cuda.synchronize()
    if args.sweep_seconds is not None:
        print("READY", flush=True)
        sys.stdin.readline()
    start = time.perf_counter()
    cpu_start = time.process_time()
    loss = None
    steps = 0
    until = None if args.sweep_seconds is None else start + args.sweep_seconds
    while (steps < args.steps) if until is None else (time.perf_counter() < until):
        loss = step(steps)
        steps += 1
    final = loss.item() if loss is not None else float("nan")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    print(json.dumps({
        "net": args.net,
        "device": device,
        "threads": torch.get_num_threads(),
        "cudnnBenchmark": torch.backends.cudnn.benchmark,
        # PyTorch's default lets cuDNN convolutions use TF32 (10-bit mantissas); iwlab is fp32.
        "cudnnTf32": torch.backends.cudnn.allow_tf32 if device == "cuda" else None,
        "torch": torch.__version__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch": args.batch,
        "steps": steps,
        "seconds": seconds,
        "examplesPerSecond": args.batch * steps / seconds,
        "examplesPerCpuSecond": args.batch * steps / cpu_seconds,
        "finalLoss": final,
    }))


if __name__ == "__main__":
    main()
