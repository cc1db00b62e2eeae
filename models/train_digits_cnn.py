"""Train the small CNN for scikit-learn's digits data set and export models/digits_cnn.onnx.

Needs torch (only for training; the ONNX file is committed):

    PYTHONPATH=. python models/train_digits_cnn.py [--out models/digits_cnn.onnx] [--seed 0]

The train/test split is imcsim's own (imcsim.functional.datasets.digits_split), so
`imcsim accuracy models/digits_cnn.onnx --dataset digits` measures held-out images.
Prints the float test accuracy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from imcsim.functional.datasets import digits_split


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "digits_cnn.onnx")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=40)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    x_tr, y_tr, x_te, y_te = (torch.from_numpy(a) for a in digits_split())
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    g = torch.Generator().manual_seed(args.seed)
    for _ in range(args.epochs):
        net.train()
        for idx in torch.randperm(len(y_tr), generator=g).split(64):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(x_tr[idx]), y_tr[idx])
            loss.backward()
            opt.step()
        sched.step()
    net.eval()
    with torch.no_grad():
        acc = (net(x_te).argmax(1) == y_te).float().mean().item()
    print(f"float test accuracy: {acc:.4f} on {len(y_te)} held-out images")
    torch.onnx.export(net, (x_te[:1],), str(args.out), input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}},
                      opset_version=17, dynamo=False, do_constant_folding=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
