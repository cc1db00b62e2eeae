"""Image processing on crossbars (Li et al., "Analogue signal and image processing with
large memristor crossbars", Nature Electronics 2018): edge detection as a convolution
whose kernels are the array's columns (signed coefficients in the configured signed
scheme: differential conductance pairs on ``rram_128``), every 3×3 pixel patch one input
vector.

Images are scikit-learn's two bundled samples (``china``, ``flower``) or a PNG/JPEG file,
in grey levels on [0, 1]; the float reference is ``scipy.ndimage.correlate`` with the same
kernels (edges reflected, as its default mode).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from imcsim.apps.engine import AnalogMatrix, AppResult
from imcsim.config import Arch
from imcsim.errors import ImcsimError

SAMPLE_IMAGES = ("china", "flower")
KERNELS: dict[str, tuple[np.ndarray, ...]] = {
    "sobel": (np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
              np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float)),
    "prewitt": (np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], float),
                np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], float)),
    "laplacian": (np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),),
}
MAX_PIXELS = 4_000_000


def load_image(name: str | os.PathLike[str]) -> np.ndarray:
    """A grey image on [0, 1]: a scikit-learn sample by name, else a PNG/JPEG file."""
    text = str(name)
    if text in SAMPLE_IMAGES:
        from sklearn.datasets import load_sample_image

        rgb = np.asarray(load_sample_image(f"{text}.jpg"), dtype=np.float64) / 255.0
    else:
        from PIL import Image, UnidentifiedImageError

        path = Path(text)
        if not path.is_file():
            raise ImcsimError(f"--image {text}: not a sample image ({', '.join(SAMPLE_IMAGES)}) "
                              "nor a file")
        try:
            with Image.open(path) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ImcsimError(f"--image {text}: {im.width}×{im.height} pixels, more "
                                      f"than {MAX_PIXELS:,}; crop or shrink it")
                rgb = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as e:
            raise ImcsimError(f"--image {text}: not a readable PNG/JPEG image ({e})") from None
    return rgb @ np.array([0.299, 0.587, 0.114])  # ITU-R BT.601 luma


def patches(img: np.ndarray) -> np.ndarray:
    """Every pixel's 3×3 neighbourhood (edges reflected as scipy's 'reflect' mode), one row
    per pixel, row-major: (H·W, 9)."""
    padded = np.pad(img, 1, mode="symmetric")
    h, w = img.shape
    return np.stack([padded[i:i + h, j:j + w] for i in range(3) for j in range(3)],
                    axis=-1).reshape(h * w, 9)


def psnr(test: np.ndarray, ref: np.ndarray) -> float | None:
    """Peak signal-to-noise ratio in dB with the reference's peak (None: identical)."""
    mse = float(np.mean((test - ref) ** 2))
    peak = float(np.max(np.abs(ref)))
    return 10 * math.log10(peak * peak / mse) if mse > 0 and peak > 0 else None


def edge(arch: Arch, *, image: str = "flower", kernel: str = "sobel",
         seed: int = 0) -> tuple[AppResult, np.ndarray]:
    """Edge map of ``image`` on the simulated arrays (see the module's docstring); returns
    the result and the hardware's edge map (gradient magnitude, or |Laplacian|)."""
    from scipy import ndimage

    if kernel not in KERNELS:
        raise ImcsimError(f"--kernel {kernel}: choose one of {', '.join(KERNELS)}")
    img = load_image(image)
    ks = KERNELS[kernel]
    ref = np.sqrt(sum(ndimage.correlate(img, k, mode="reflect") ** 2 for k in ks))
    x = patches(img)
    a = np.stack([k.ravel() for k in ks])  # outputs × 9 inputs
    flt = np.sqrt(np.sum((x @ a.T) ** 2, axis=1)).reshape(img.shape)
    engine = AnalogMatrix(a, arch, seed, f"{kernel} kernels")
    hw = np.sqrt(np.sum(engine(x) ** 2, axis=1)).reshape(img.shape)
    if not np.linalg.norm(ref) > 0:
        raise ImcsimError(f"--image {image}: has no edges (one grey level); nothing to compare")
    err = float(np.linalg.norm(hw - ref) / np.linalg.norm(ref))
    details: dict[str, Any] = {
        "image": str(image), "kernel": kernel, "height": img.shape[0], "width": img.shape[1],
        "rel_error_hw": err, "rel_error_float": float(np.linalg.norm(flt - ref)
                                                      / np.linalg.norm(ref))}
    result = AppResult("edge", "PSNR of the edge map vs scipy.ndimage [dB] (null: identical)",
                       psnr(hw, ref), psnr(flt, ref), engine.mvms, engine.energy_j,
                       engine.time_s, details, engine.arrays, {"reference": ref, "float": flt})
    return result, hw
