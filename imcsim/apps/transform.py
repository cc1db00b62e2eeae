"""Image compression with the 2-D discrete cosine transform on one crossbar (Li et al.,
"Analogue signal and image processing with large memristor crossbars", Nature
Electronics 2018).

The orthonormal DCT-II matrix D (b × b, ``scipy.fft.dct(..., norm="ortho")`` of the
identity) is programmed once. Each b × b block X of the image becomes Y = D·X·Dᵀ with two
passes of products through the array (D times every column of X, then D times every row
of D·X); the ``keep`` fraction of
coefficients largest in magnitude over the whole image are kept, the rest set to zero;
the inverse X = Dᵀ·Y·D reads the same array transposed, in the same two passes. The float
pipeline does the same with exact products (``scipy.fft.dctn``/``idctn`` agree with it).
Quality: PSNR of the reconstruction against the original; the details add the hardware's
PSNR and SSIM against the float reconstruction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from imcsim.apps.engine import AnalogMatrix, AppResult
from imcsim.apps.images import load_image, psnr
from imcsim.config import Arch
from imcsim.errors import ImcsimError


def dct_matrix(b: int) -> np.ndarray:
    from scipy.fft import dct

    return dct(np.eye(b), axis=0, norm="ortho")


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    """Mean structural similarity (Wang et al., IEEE Trans. Image Process. 2004): Gaussian
    window σ = 1.5, K1 = 0.01, K2 = 0.03, on images of dynamic range ``peak``."""
    from scipy.ndimage import gaussian_filter

    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mu_a, mu_b = gaussian_filter(a, 1.5), gaussian_filter(b, 1.5)
    var_a = gaussian_filter(a * a, 1.5) - mu_a**2
    var_b = gaussian_filter(b * b, 1.5) - mu_b**2
    cov = gaussian_filter(a * b, 1.5) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(m.mean())


def _blocks(img: np.ndarray, b: int) -> np.ndarray:
    """(blocks, b, b) of the image cropped to whole blocks, row-major."""
    h, w = (img.shape[0] // b) * b, (img.shape[1] // b) * b
    return img[:h, :w].reshape(h // b, b, w // b, b).swapaxes(1, 2).reshape(-1, b, b)


def _image(blocks: np.ndarray, shape: tuple[int, int], b: int) -> np.ndarray:
    h, w = shape
    return blocks.reshape(h // b, w // b, b, b).swapaxes(1, 2).reshape(h, w)


def _two_pass(product: Any, x: np.ndarray) -> np.ndarray:
    """M·X·Mᵀ for every block X, as two passes of products ``product`` (rows of inputs)."""
    n, b, _ = x.shape
    # pass 1: every column of X through the array; stacked as rows they are (M·X)ᵀ
    first = product(np.swapaxes(x, 1, 2).reshape(-1, b)).reshape(n, b, b)
    # pass 2: every row i of M·X through it gives row i of M·X·Mᵀ
    return product(np.swapaxes(first, 1, 2).reshape(-1, b)).reshape(n, b, b)


def _keep(y: np.ndarray, keep: float) -> np.ndarray:
    k = max(1, int(round(keep * y.size)))
    cut = np.partition(np.abs(y).ravel(), y.size - k)[y.size - k]
    return np.where(np.abs(y) >= cut, y, 0.0)


def dct(arch: Arch, *, image: str = "china", keep: float = 0.15, block: int = 8,
        seed: int = 0) -> tuple[AppResult, np.ndarray]:
    """Compress ``image`` with the blockwise DCT on the simulated array (see the module's
    docstring); returns the result and the hardware's reconstruction."""
    if not (math.isfinite(keep) and 0 < keep <= 1):
        raise ImcsimError(f"--keep {keep}: the fraction of coefficients kept must be in (0, 1]")
    if block not in (4, 8, 16, 32):
        raise ImcsimError(f"--block {block}: choose 4, 8, 16 or 32")
    img = load_image(image)
    if min(img.shape) < block:
        raise ImcsimError(f"--image {image}: {img.shape[1]}×{img.shape[0]} is smaller than one "
                          f"{block}×{block} block")
    x = _blocks(img, block)
    shape = ((img.shape[0] // block) * block, (img.shape[1] // block) * block)
    d = dct_matrix(block)
    exact = _two_pass(lambda v: v @ d.T, x)
    y_float = _keep(exact, keep)
    rec_float = _image(_two_pass(lambda v: v @ d, y_float), shape, block)
    engine = AnalogMatrix(d, arch, seed, "DCT matrix")
    measured = _two_pass(engine, x)
    y_hw = _keep(measured, keep)
    rec_hw = _image(_two_pass(engine.transposed, y_hw), shape, block)
    original = img[:shape[0], :shape[1]]
    details: dict[str, Any] = {
        "image": str(image), "height": shape[0], "width": shape[1], "block": block,
        "keep": keep, "coefficients_kept": int(np.count_nonzero(y_hw)),
        "psnr_hw_vs_float_db": psnr(rec_hw, rec_float),
        "ssim_hw_vs_float": ssim(rec_hw, rec_float), "ssim_hw": ssim(rec_hw, original),
        "ssim_float": ssim(rec_float, original),
        "coefficient_rel_error": float(np.linalg.norm(measured - exact)
                                       / np.linalg.norm(exact)),
    }
    result = AppResult("dct", "PSNR of the reconstruction vs the original [dB]",
                       psnr(rec_hw, original), psnr(rec_float, original), engine.mvms,
                       engine.energy_j, engine.time_s, details, engine.arrays,
                       {"original": original, "float": rec_float, "coefficients_hw": y_hw})
    return result, rec_hw
