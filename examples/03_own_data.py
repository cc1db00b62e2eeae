"""Example 3: accuracy on your own data — files, a folder of images, arrays, batches.

    python examples/03_own_data.py [OUT]

Writes the 359 held-out digits into OUT (default: the current folder) in each form
``imcsim accuracy --data`` reads — ``digits_test.npz`` (x and labels y),
``digits_test.npy`` (x only) and ``digits_png/0 … 9/*.png`` (8-bit grey images, labelled
by their sub-folder) — then runs ``imcsim.accuracy`` on arrays and on an iterable of
batches and prints both reports. Then try, e.g.::

    imcsim accuracy models/digits_cnn.onnx --data OUT/digits_png --set adc.bits=4
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import imcsim
from imcsim.functional.datasets import digits_split

MODEL = Path(__file__).resolve().parents[1] / "models" / "digits_cnn.onnx"


def write_data(out: Path, x: np.ndarray, y: np.ndarray) -> None:
    from PIL import Image  # Pillow: pip install 'imcsim[images]'

    np.savez(out / "digits_test.npz", x=x, y=y)  # x: (359, 1, 8, 8) float32, y: int64
    np.save(out / "digits_test.npy", x)
    for k, (image, label) in enumerate(zip(x, y, strict=True)):
        folder = out / "digits_png" / str(label)  # class index = sorted sub-folder position
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(image[0] * 255).astype(np.uint8)).save(folder / f"{k:03d}.png")


def main(out: Path) -> None:
    _, _, x, y = digits_split()
    write_data(out, x, y)
    arch = imcsim.load_arch("rram_128", set={"adc.bits": 4})
    rep = imcsim.accuracy(MODEL, arch, data=(x, y), samples=64, seed=1)
    print(rep)
    print("hardware top-1 / top-5:", rep.accuracy.hw_top1, rep.accuracy.hw_top5)
    batches = ((x[i:i + 32], y[i:i + 32]) for i in range(0, len(y), 32))  # or a DataLoader
    rep = imcsim.accuracy(MODEL, arch, data=batches, samples=96)  # the first 96, in order
    print("batches: top-1", rep.accuracy.hw_top1, "agreement with float",
          rep.accuracy.top1_agreement)
    print(f"wrote {out / 'digits_test.npz'}, {out / 'digits_test.npy'}, {out / 'digits_png'}")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    target.mkdir(parents=True, exist_ok=True)
    main(target)
