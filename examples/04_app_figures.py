"""The README's pictures of the crossbar applications (issue #14), from the Python API:

- ``dct.png``: a crop of the china sample compressed to 15 % of its DCT coefficients, in
  float and on rram_128 without and with read noise;
- ``edges.png``: Sobel edges of the flower sample, scipy's and rram_128's (read noise 0
  and 0.1);
- ``maxcut.png``: the mean cut over 100 trials sweep by sweep on a 60-node graph, annealed
  noise against none, float and hardware.

    python examples/04_app_figures.py [OUT_FOLDER]     (default examples/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from imcsim import apps  # noqa: E402


def crop(img, rows=(140, 340), cols=(200, 460)):  # type: ignore[no-untyped-def]
    return img[rows[0]:rows[1], cols[0]:cols[1]]


def panels(path: Path, images: list, top: float) -> None:  # type: ignore[type-arg]
    """Crops of (title, image) pairs side by side, grey levels 0..top."""
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 2.8))
    for ax, (title, img) in zip(axes, images, strict=True):
        ax.imshow(crop(img), cmap="gray", vmin=0, vmax=top)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def dct_figure(out: Path) -> None:
    clean = apps.dct("rram_128")
    noisy = apps.dct("rram_128", set={"nonideal.read_noise": 0.1})
    panels(out / "dct.png", [
        ("original", clean.outputs["original"]),
        (f"float, 15 % kept: {clean.app.float:.1f} dB", clean.outputs["float"]),
        (f"rram_128: {clean.app.hw:.1f} dB", clean.image),
        (f"read noise 0.1: {noisy.app.hw:.1f} dB", noisy.image)], 1.0)


def edge_figure(out: Path) -> None:
    clean = apps.edge("rram_128")
    noisy = apps.edge("rram_128", set={"nonideal.read_noise": 0.1})
    ref = clean.outputs["reference"]
    panels(out / "edges.png", [
        ("scipy.ndimage", ref), (f"rram_128: {clean.app.hw:.1f} dB", clean.image),
        (f"read noise 0.1: {noisy.app.hw:.1f} dB", noisy.image)], float(ref.max()))


def maxcut_figure(out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for noise, style in (((0.3, 0.0), "-"), ((0.0, 0.0), "--")):
        r = apps.maxcut("rram_128", nodes=60, trials=100, noise=noise, seed=1)
        label = "annealed 0.3..0" if noise[0] else "no added noise"
        ax.plot(r.outputs["trace_float"], style, color="tab:blue", label=f"float, {label}")
        ax.plot(r.outputs["trace_hw"], style, color="tab:red", label=f"rram_128, {label}")
        best = r.app.details.best_known
    ax.axhline(best, color="grey", lw=0.8)
    ax.set_xlabel("sweep (60 neuron updates)")
    ax.set_ylabel("mean cut over 100 trials")
    ax.set_ylim(best * 0.9, best * 1.005)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "maxcut.png", dpi=80)
    plt.close(fig)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "figures"
    out.mkdir(parents=True, exist_ok=True)
    dct_figure(out)
    edge_figure(out)
    maxcut_figure(out)
    print(f"wrote {out / 'dct.png'}, {out / 'edges.png'}, {out / 'maxcut.png'}")


if __name__ == "__main__":
    main()
